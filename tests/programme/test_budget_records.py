"""``budget_records`` gives plain JSON values by the same rules as ``store.results.plain`` (the CLI's
converter): programme keeps its own scalar converter because it may not import store (import-linter
contract), so this test keeps the two from drifting apart."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from programme.budget import ProgrammeResult, budget_records

store_results = pytest.importorskip("store.results")

SCALARS = {
    "nan": float("nan"), "inf": float("inf"), "minus_inf": -np.inf, "np_nan": np.float64("nan"),
    "np_float": np.float64(2.5), "np_float32": np.float32(0.25), "np_int": np.int64(7), "np_bool": np.bool_(True),
    "py_float": 1.5, "py_int": 3, "text": "E1", "none": None, "na": pd.NA, "nat": pd.NaT,
    "day": date(2026, 6, 30), "stamp": pd.Timestamp("2026-06-30 12:00"),
}


def test_summary_scalars_match_the_store_converter():
    result = ProgrammeResult(pd.DataFrame(), pd.DataFrame(), dict(SCALARS), pd.DataFrame())
    rec = budget_records(result, by="summary")[0]
    assert rec == store_results.plain(SCALARS)
    assert rec["nan"] is None and rec["na"] is None and rec["nat"] is None and rec["np_int"] == 7
    assert type(rec["np_float"]) is float and type(rec["np_int"]) is int and type(rec["np_bool"]) is bool
    assert rec["day"] == "2026-06-30"


def test_option_records_are_already_plain():
    by_option = pd.DataFrame({"enterprise_id": ["A", "B"], "option_id": ["a1", "b1"], "eligible": [True, False],
                              "support": [1_000.0, np.nan], "p_with": [1.0, 0.0],
                              "irr": pd.array([0.12, None], dtype="Float64")})
    result = ProgrammeResult(pd.DataFrame(), by_option, {}, pd.DataFrame())
    recs = budget_records(result, by="option")
    assert recs == [store_results.plain(r) for r in recs]  # plain on top changes nothing
    assert recs[1]["support"] is None and recs[1]["irr"] is None and recs[0]["eligible"] is True

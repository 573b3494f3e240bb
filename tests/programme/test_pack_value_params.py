"""A programme parameter set to the pack's own value is the pack's run, figure for figure.

The Programme page relies on it: a scenario whose value equals the pack's is run (and cached) as the
pack's own run, with no parameter given. Checked for every parameter of every pack in force on two
dates (one before 2000 for the historical rules), on the demo data offered to all its enterprises.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policies.engine import parameters
from policies.registry import load_packs
from programme.budget import baseline, run_programme
from programme.uptake import DecisionRule
from screening.schema import validate

ROOT = Path(__file__).resolve().parents[2]
DATES = (date(1995, 6, 30), date(2025, 6, 1))


def same(a: object, b: object) -> bool:
    return a == b or (a != a and b != b)  # NaN is NaN


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame]:
    v = validate(pd.read_csv(ROOT / "data" / "demo_enterprises.csv"), pd.read_csv(ROOT / "data" / "demo_options.csv"))
    return v.options, v.enterprises


@pytest.mark.parametrize("on", DATES, ids=str)
def test_every_parameter_at_its_pack_value_changes_no_figure(demo, on):
    options, enterprises = demo
    rule = DecisionRule("payback", payback_limit=3.0)
    base = baseline(options, enterprises, on_date=on)
    checked = 0
    for code, pack in load_packs().items():
        params = parameters(pack, on)
        if not params:
            continue
        own = run_programme(options, enterprises, code, on_date=on, rule=rule, base=base)
        for name, value in params.items():
            got = run_programme(options, enterprises, code, params={name: float(value)}, on_date=on, rule=rule, base=base)
            pd.testing.assert_frame_equal(got.by_option, own.by_option, check_exact=True, obj=name)
            pd.testing.assert_frame_equal(got.by_year_instrument, own.by_year_instrument, check_exact=True, obj=name)
            assert list(got.summary) == list(own.summary)
            assert all(same(got.summary[k], own.summary[k]) for k in own.summary), name
            checked += 1
    assert checked >= 10  # most packs have rules in force on these dates

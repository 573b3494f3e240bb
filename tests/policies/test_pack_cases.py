"""Run every pack's YAML test cases (``policies/packs/<code>/cases/*.yaml``).

Each case lists the exact support items expected (hand calculations in its ``why``): an item
missing, an extra item or a wrong amount fails.  ``tax_rate``, where given, is checked against
:func:`policies.corporate_tax.tax_rates`.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from policies.corporate_tax import tax_rates
from policies.engine import support_items, support_table
from policies.registry import PACKS_DIR
from policies.schema import Case, load_cases

CASES: list[tuple[str, Path, Case]] = [
    (folder.name, path, case)
    for folder in sorted(PACKS_DIR.iterdir()) if (folder / "pack.yaml").exists()
    for path, case in load_cases(folder)
]


def _frames(code: str, case: Case) -> tuple[pd.DataFrame, pd.DataFrame]:
    ent = {"enterprise_id": "E1", "jurisdiction": code, **case.enterprise}
    rows = []
    for i, opt in enumerate(case.options):
        rows.append({"option_id": f"o{i}", "enterprise_id": ent["enterprise_id"], "annual_savings": 0.0,
                     "lifetime_years": 10, **opt})
    return pd.DataFrame(rows), pd.DataFrame([ent])


def test_every_pack_has_cases() -> None:
    codes = {folder.name for folder in PACKS_DIR.iterdir() if (folder / "pack.yaml").exists()}
    assert codes == {code for code, _, _ in CASES}


@pytest.mark.parametrize(("code", "path", "case"), CASES, ids=[f"{c}:{k.name}" for c, _, k in CASES])
def test_case(code: str, path: Path, case: Case) -> None:
    options, enterprises = _frames(code, case)
    on = date.fromisoformat(case.date)
    table = support_table(options, enterprises, on, case.params)
    got = {(int(r.row), r.instrument_id) for r in table.itertuples()}
    want = {(int(e["row"]), e["instrument_id"]) for e in case.expected}
    assert got == want, f"{path.name}: {case.name}: items {sorted(got)} != expected {sorted(want)}"
    for exp in case.expected:
        rec = table[(table["row"] == exp["row"]) & (table["instrument_id"] == exp["instrument_id"])].iloc[0]
        for field, value in exp.items():
            if field in ("row", "instrument_id"):
                continue
            actual = rec[field]
            if isinstance(value, float | int) and not isinstance(value, bool):
                assert math.isclose(float(actual), float(value), rel_tol=1e-9, abs_tol=1e-6), (
                    f"{case.name}: {exp['instrument_id']} {field} = {actual}, expected {value}")
            else:
                assert actual == value, f"{case.name}: {exp['instrument_id']} {field} = {actual!r}, expected {value!r}"
    if case.tax_rate is not None:
        assert tax_rates(options, enterprises, on) == pytest.approx(case.tax_rate)
    # The scalar path is the batch path on a batch of one.  Row 0 is served first under
    # cumulative caps, so its items are the same alone as in the batch.
    opt = options.iloc[0].dropna().to_dict()
    items = support_items(opt, enterprises.iloc[0].to_dict(), on, case.params)
    sub = table[table["row"] == 0]
    assert [(it.instrument_id, round(it.amount, 6)) for it in items] == [
        (r.instrument_id, round(r.amount, 6)) for r in sub.itertuples()]

"""Engine behaviour beyond single formulas: batch = scalar, empty input, dates, tax regime."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.corporate_tax import tax_regime
from policies.engine import rules_in_force, support_items, support_table
from policies.items import ITEM_COLUMNS
from policies.registry import load_packs
from policies.schema import CATEGORIES

CODES = ["NL", "DK", "DE", "FR", "UK", "CN", "US", "CA-ECOENERGY", "none"]

option = st.fixed_dictionaries({
    "category": st.sampled_from(CATEGORIES),
    "investment": st.floats(0, 5e6),
    "annual_savings": st.floats(-1e4, 1e6),
    "lifetime_years": st.integers(1, 30),
    "energy_saved_mwh": st.floats(0, 5000),
    "co2e_avoided_t": st.floats(0, 2000),
    "mia_tier": st.sampled_from(["I", "II", "III", ""]),
    "project_type": st.sampled_from(["public_benefit", "research", "demonstration", "x"]),
    "ghg_saving_share": st.floats(0, 1),
})
enterprise = st.fixed_dictionaries({
    "jurisdiction": st.sampled_from(CODES), "size_class": st.sampled_from(["micro", "small", "medium", "large"]),
})
day = st.dates(date(1992, 1, 1), date(2030, 12, 31))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(option, enterprise), min_size=1, max_size=6), day)
def test_batch_equals_one_by_one_and_amounts_are_finite_and_non_negative(pairs, on) -> None:
    # Distinct enterprises, so no cumulative cap couples the options: the batch must equal the
    # scalar path option by option (the formulas live once).
    opts = pd.DataFrame([{**o, "option_id": f"o{i}", "enterprise_id": f"E{i}"} for i, (o, _) in enumerate(pairs)])
    ents = pd.DataFrame([{**e, "enterprise_id": f"E{i}", "tax_rate": 0.25} for i, (_, e) in enumerate(pairs)])
    table = support_table(opts, ents, on)
    assert list(table.columns) == list(ITEM_COLUMNS)
    assert np.isfinite(table["amount"]).all() and (table["amount"] >= 0).all()
    for i in range(len(pairs)):
        items = support_items(opts.iloc[i].to_dict(), ents.iloc[i].to_dict(), on)
        sub = table[table["row"] == i]
        assert [it.instrument_id for it in items] == list(sub["instrument_id"])
        assert [it.amount for it in items] == pytest.approx(list(sub["amount"]), rel=1e-12)


def test_grants_never_exceed_the_investment() -> None:
    rng = np.random.default_rng(3)
    n = 5000
    opts = pd.DataFrame({"option_id": np.arange(n).astype(str), "enterprise_id": np.arange(n).astype(str),
                         "category": rng.choice(list(CATEGORIES), n), "investment": rng.uniform(0, 1e6, n),
                         "annual_savings": rng.uniform(0, 1e5, n), "lifetime_years": rng.integers(1, 30, n),
                         "energy_saved_mwh": rng.uniform(0, 1e4, n), "co2e_avoided_t": rng.uniform(0, 1e4, n),
                         "project_type": rng.choice(["public_benefit", "applied_research"], n)})
    for on in (date(1995, 1, 1), date(2010, 1, 1), date(2021, 6, 1), date(2025, 6, 1)):
        ents = pd.DataFrame({"enterprise_id": opts["enterprise_id"], "jurisdiction": rng.choice(CODES, n),
                             "size_class": rng.choice(["micro", "small", "medium", "large"], n), "tax_rate": 0.25})
        t = support_table(opts, ents, on)
        grants = t[t["kind"] == "grant"]
        inv = opts["investment"].to_numpy()[grants["row"].to_numpy()]
        assert (grants["amount"].to_numpy() <= inv + 1e-6).all()


def test_empty_options() -> None:
    opts = pd.DataFrame({"option_id": [], "enterprise_id": [], "category": [], "investment": []})
    ents = pd.DataFrame([{"enterprise_id": "E", "jurisdiction": "NL", "size_class": "small"}])
    t = support_table(opts, ents, date(2025, 1, 1))
    assert t.empty and list(t.columns) == list(ITEM_COLUMNS)


def test_rules_in_force_boundaries() -> None:
    nl = load_packs()["NL"]
    ids = lambda d: {r.id for r in rules_in_force(nl, d)}  # noqa: E731
    assert "NL-EIA-2023" in ids(date(2023, 12, 31)) and "NL-EIA-2023" not in ids(date(2024, 1, 1))
    assert "NL-EIA-2024" in ids(date(2024, 1, 1)) and "NL-EIA-2024" in ids(date(2026, 12, 31))
    assert "NL-EIA-2024" not in ids(date(2027, 1, 1))


def test_tax_regime() -> None:
    assert tax_regime("CN", date(2025, 1, 1))["loss_carry_forward_years"] == 5
    nl = tax_regime("NL", date(2025, 1, 1))
    assert nl["corporate_rate"] == 0.258 and nl["loss_carry_forward_years"] is None and nl["unverified"]
    assert tax_regime("none", date(2025, 1, 1))["corporate_rate"] == 0.0
    assert tax_regime("DE", date(2032, 6, 1))["corporate_rate"] == 0.2455  # 10 % x 1.055 + 14 %


def test_assembled_table_is_the_pieces_stacked_and_sorted_by_row():
    """Columns that every piece gives as the same scalar skip the concatenation and sort: the table
    is cell for cell the pieces' rows stacked and stably sorted by row (the second method)."""
    from policies.assembly import _DEFAULTS, _assemble
    from policies.items import ITEM_COLUMNS

    pieces = [
        {"row": np.array([4, 0, 2]), "instrument_id": "A", "kind": "grant", "amount": np.array([1.0, 2.0, 3.0]),
         "year": 0, "carry_forward_years": None, "loan_rate": 0.0, "taxable": True},
        {"row": np.array([1, 4]), "instrument_id": "B", "kind": "tax_credit", "amount": np.array([5.0, 6.0]),
         "year": 1, "carry_forward_years": 5, "loan_rate": 0, "taxable": 1},
        {"row": np.array([0, 3]), "instrument_id": np.array(["C", "D"], dtype=object), "kind": "grant",
         "amount": 7.5, "year": np.array([2, 3]), "carry_forward_years": None, "loan_rate": 0.0, "taxable": True},
    ]
    for p in pieces:
        p.update(name=f"rule {p['instrument_id']}", pack="XX", pack_version="1", source="Act s. 1")
    got = _assemble(pieces)
    rows = []
    for p in pieces:
        for j in range(p["row"].size):
            rows.append({c: (v[j] if isinstance(v, np.ndarray) else v)
                         for c in ITEM_COLUMNS for v in [p[c] if c in p else _DEFAULTS[c]]})
    expected = sorted(rows, key=lambda r: int(r["row"]))  # Python's sort is stable
    assert list(got.columns) == list(ITEM_COLUMNS) and len(got) == len(expected)
    for c in ITEM_COLUMNS:
        want = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in (r[c] for r in expected)]
        have = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else v
                for v in got[c].astype(object).tolist()]
        assert have == want, c
    assert got["carry_forward_years"].tolist()[:3] == [pd.NA, pd.NA, 5]


def test_a_join_block_within_one_for_the_same_enterprises_keeps_its_answers(monkeypatch):
    """policies.join.one_join nested for the same enterprises looks each options' rows up once
    (cpscreen appraise's block around appraise_columns' own); for other enterprises, anew."""
    import numpy as np
    import pandas as pd

    from policies import join

    ents = pd.DataFrame({"enterprise_id": ["a", "b"], "jurisdiction": ["NL", "DK"], "size_class": ["small", "small"]})
    # object ids, as validation gives them (a view of the column is the look-up's key)
    opts = pd.DataFrame({"enterprise_id": pd.Series(np.array(["b", "a", "b", "c"], dtype=object), dtype=object)})
    looked = []
    real = pd.Index.get_indexer
    monkeypatch.setattr(pd.Index, "get_indexer", lambda self, target, *a, **k: looked.append(1) or real(self, target, *a, **k))
    with join.one_join(ents):
        with join.one_join(ents):
            _, inner = join.enterprise_rows(opts, ents)
        _, outer = join.enterprise_rows(opts, ents)
        other = ents.copy()
        with join.one_join(other):
            _, fresh = join.enterprise_rows(opts, other)
    assert inner.tolist() == outer.tolist() == fresh.tolist() == [1, 0, 1, -1]
    assert len(looked) == 2  # once for ents (inner block, kept by the outer), once for the copy

"""One number, one source: every path that carries an option's with-support figures agrees.

Paths compared with each other (not each with its own expectation):

* ``finance.appraise.appraise``: what ``cpscreen appraise``, the Screening/Portfolio metrics and the
  report's appraisal sheet show;
* ``finance.option_detail.appraise_in_context``: the Appraisal page's detail of one option;
* ``programme.budget.run_programme(...).by_option``: ``cpscreen budget --by option`` and the
  Programme page;
* the stored appraisal (``store.results.save_appraisals`` / ``load_appraisals``);
* the programme's outlay of each item against the item's value on the Appraisal page (a tax item
  costs the treasury the tax the enterprise does not pay).

Cumulative caps (per enterprise, per year) are spent in the appraisal by every earlier option of the
enterprise and in a programme only by the taken-up ones, so the comparison with the programme
leaves out the enterprises on which a cumulative cap binds (an option's support differs from the
support it gets alone).
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from finance.appraise import appraise
from finance.option_detail import appraise_in_context
from policies.engine import support_table
from programme.budget import run_programme
from programme.uptake import DecisionRule

PACKS = ("NL", "DK", "DE", "FR", "UK", "CN", "US")
DATES = (date(2024, 3, 1), date(2025, 7, 1), date(2026, 6, 30))
CATEGORIES = ("good_housekeeping", "input_substitution", "process_control", "equipment_modification",
              "technology_change", "onsite_recovery", "byproduct", "product_modification", "end_of_pipe")
#: takes up every option whose payback happens at all: the programme then spends caps like the appraisal
TAKE_ALL = DecisionRule(kind="payback", payback_limit=1e6)

option_st = st.fixed_dictionaries({
    "category": st.sampled_from(CATEGORIES),
    "investment": st.floats(0, 5e6).map(lambda x: round(x, 2)),
    "annual_savings": st.floats(-5e4, 2e6).map(lambda x: round(x, 2)),
    "annual_cost_change": st.floats(0, 1e5).map(lambda x: round(x, 2)),
    "lifetime_years": st.integers(1, 25),
    "energy_saved_mwh": st.floats(0, 5e3).map(lambda x: round(x, 1)),
    "co2e_avoided_t": st.floats(0, 2e3).map(lambda x: round(x, 1)),
})
enterprise_st = st.fixed_dictionaries({
    "jurisdiction": st.sampled_from(PACKS),
    "size_class": st.sampled_from(("micro", "small", "medium", "large")),
    "tax_capacity": st.sampled_from(("yes", "no")),
    "discount_rate": st.sampled_from((0.04, 0.08, 0.12)),
    "options": st.lists(option_st, min_size=1, max_size=4),
})


def frames(ents: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    e_rows, o_rows = [], []
    for i, e in enumerate(ents):
        eid = f"e{i}"
        e_rows.append({"enterprise_id": eid, "name": eid, **{k: v for k, v in e.items() if k != "options"}})
        for j, o in enumerate(e["options"]):
            o_rows.append({"option_id": f"{eid}-o{j}", "enterprise_id": eid, "title": "t", **o})
    return pd.DataFrame(o_rows), pd.DataFrame(e_rows)


def close(a: float, b: float) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def capped_enterprises(opts: pd.DataFrame, ents: pd.DataFrame, on: date) -> set[str]:
    """Enterprises where some option's support differs from what it gets alone (a cumulative cap binds)."""
    together = support_table(opts, ents, on)
    alone_ents = ents.set_index("enterprise_id").loc[opts["enterprise_id"]].reset_index()
    alone_ents["enterprise_id"] = [f"solo{i}" for i in range(len(opts))]
    alone = support_table(opts.assign(enterprise_id=alone_ents["enterprise_id"]), alone_ents, on)
    key = ["row", "instrument_id"]
    a = together.groupby(key)["amount"].sum()
    b = alone.groupby(key)["amount"].sum()
    both = pd.concat([a, b], axis=1).fillna(0.0)
    differs = both.index[~np.isclose(both.iloc[:, 0], both.iloc[:, 1])].get_level_values("row")
    return set(opts["enterprise_id"].iloc[np.unique(differs)]) if len(differs) else set()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ents=st.lists(enterprise_st, min_size=1, max_size=3), on=st.sampled_from(DATES))
def test_appraise_page_programme_and_store_agree(ents, on, tmp_path_factory):
    opts, ents_f = frames(ents)
    rec = appraise(opts, ents_f, on).set_index("option_id")

    # the Appraisal page's detail, option by option
    for oid in opts["option_id"]:
        page = appraise_in_context(opts, ents_f, on, oid)
        r = rec.loc[oid]
        for m in ("npv", "irr", "mirr", "simple_payback_years", "discounted_payback_years", "npv_ratio"):
            got = page.metrics[m]
            assert close(np.nan if got is None else float(got), float(r[m])), (oid, m, got, r[m])
            got0 = page.metrics_no_support[m]
            assert close(np.nan if got0 is None else float(got0), float(r[f"{m}_no_support"])), (oid, m)
        assert close(page.support_total, float(r["support_total"]))
        assert close(float(page.item_values["npv_effect"].sum()), float(r["support_total"]))
        listed = pd.DataFrame(r["support"], columns=["instrument_id", "amount", "cash_value", "npv_effect"])
        assert listed["instrument_id"].tolist() == page.item_values["instrument_id"].tolist()
        for c in ("amount", "cash_value", "npv_effect"):
            assert np.allclose(listed[c].to_numpy(dtype=float), page.item_values[c].to_numpy(dtype=float),
                               rtol=1e-9, atol=1e-6), (oid, c)

    # the stored appraisal gives back what was computed
    cur = duckdb.connect(str(tmp_path_factory.mktemp("db") / "a.duckdb"))
    from store.results import load_appraisals, save_appraisals
    from store.schema import migrate

    migrate(cur)
    save_appraisals(cur, appraise(opts, ents_f, on), on)
    stored = load_appraisals(cur, on).set_index("option_id")
    for oid in opts["option_id"]:
        for m in ("npv", "irr", "simple_payback_years", "support_total", "npv_no_support"):
            got = stored.loc[oid, m]
            assert close(np.nan if got is None or pd.isna(got) else float(got), float(rec.loc[oid, m])), (oid, m)
    cur.close()

    # the programme of each pack over its own enterprises, where no cumulative cap binds
    capped = capped_enterprises(opts, ents_f, on)
    for pack in sorted(set(ents_f["jurisdiction"])):
        mine = ents_f[ents_f["jurisdiction"] == pack]
        o = opts[opts["enterprise_id"].isin(mine["enterprise_id"])].reset_index(drop=True)
        res = run_programme(o, mine, pack, on_date=on, rule=TAKE_ALL)
        by = res.by_option.set_index("option_id")
        for oid, eid in zip(o["option_id"], o["enterprise_id"]):
            if eid in capped:
                continue
            r = rec.loc[oid]
            for m in ("npv", "simple_payback_years"):
                assert close(float(by.loc[oid, m]), float(r[m])), (pack, oid, m, by.loc[oid, m], r[m])
            assert close(float(by.loc[oid, "npv_no_support"]), float(r["npv_no_support"])), (pack, oid)
            assert close(float(by.loc[oid, "support_value"]), float(r["support_total"])), (pack, oid)
            if "irr" in by.columns:
                assert close(float(by.loc[oid, "irr"]), float(r["irr"])), (pack, oid, "irr")
            # a taken-up option's outlay: grants at face, tax items at the tax the enterprise does not pay
            if by.loc[oid, "p_with"] == 1.0:
                items = pd.DataFrame(r["support"], columns=["kind", "amount", "cash_value"])
                face = items["amount"].where(items["kind"] == "grant", items["cash_value"])
                expected = float(face[items["kind"] != "soft_loan"].sum())
                if not (items["kind"] == "soft_loan").any():
                    assert by.loc[oid, "expected_outlay"] == pytest.approx(expected, rel=1e-9, abs=1e-6), (pack, oid)


def test_cn_tax_holiday_is_costed_and_valued_on_every_path(tmp_path):
    """The issue's case: CN-01's NPV with support is the same in appraise and budget, and its 3 + 3
    holiday (amount 0) is valued at the tax it removes and costed as tax forgone."""
    from store.db import close_all, connect
    from store.io import load_table
    from store.seed import ensure_seeded

    path = tmp_path / "demo.duckdb"
    assert ensure_seeded(path)
    cur = connect(path).cursor()
    ents, opts = load_table(cur, "enterprises"), load_table(cur, "options")
    close_all()
    on = date(2026, 6, 30)
    rec = appraise(opts, ents, on).set_index("option_id")
    cn = ents[ents["jurisdiction"] == "CN"]
    o = opts[opts["enterprise_id"].isin(cn["enterprise_id"])].reset_index(drop=True)
    res = run_programme(o, cn, "CN", on_date=on, rule=DecisionRule(kind="npv"))
    by = res.by_option.set_index("option_id")
    assert by.loc["CN-01", "npv"] == pytest.approx(rec.loc["CN-01", "npv"], rel=1e-12)
    items = {s["instrument_id"]: s for s in rec.loc["CN-01", "support"]}
    holiday = items["CN-HOLIDAY-3-3"]
    assert holiday["amount"] == 0.0
    # hand value: CN-01 taxable profit P per year at 25 %, exempt years 1-3, half in 4-6
    o1 = opts.set_index("option_id").loc["CN-01"]
    dep = float(o1["investment"]) / float(o1["depreciation_years"] if pd.notna(o1["depreciation_years"]) else o1["lifetime_years"])
    profit = float(o1["annual_savings"]) - float(0 if pd.isna(o1["annual_cost_change"]) else o1["annual_cost_change"]) - dep
    assert holiday["cash_value"] == pytest.approx(0.25 * profit * (3 + 3 * 0.5))
    # its outlay by year in the budget equals the tax it removes
    hol = res.by_year_instrument[res.by_year_instrument["instrument_id"] == "CN-HOLIDAY-3-3"]
    assert hol["outlay_if_all"].sum() > 0
    assert by.loc["CN-01", "support"] == pytest.approx(sum(
        s["amount"] if s["kind"] == "grant" else s["cash_value"] for s in items.values()))


def test_budget_and_appraise_agree_with_inflation_tax_by_year_and_asset_classes():
    """``budget --by option`` and ``appraise`` on options where every input of the full model counts:
    the enterprise's inflation (depreciation's real erosion), the DE 2028-32 rate cuts over the life,
    and depreciation by asset class (DE declining balance, US MACRS, UK pool, DK balance)."""
    on = date(2026, 6, 30)
    ents = pd.DataFrame({"enterprise_id": ["de", "us", "uk", "dk", "de0"], "name": list("abcde"),
                         "jurisdiction": ["DE", "US", "UK", "DK", "DE"],
                         "size_class": ["small", "medium", "large", "small", "small"],
                         "discount_rate": [0.08, 0.06, 0.1, 0.07, 0.08], "inflation": [0.02, 0.03, 0.025, 0.04, None]})
    rows = [("de", "movable_declining_balance"), ("us", "macrs_5"), ("uk", "main_pool"), ("dk", "balance_25"),
            ("de0", "movable_declining_balance"), ("de", None), ("us", "macrs_7")]
    opts = pd.DataFrame([{"option_id": f"o{i}", "enterprise_id": e, "title": "t", "category": "equipment_modification",
                          "investment": 80_000.0 + 5_000 * i, "annual_savings": 21_000.0 - 800 * i,
                          "annual_cost_change": 1_000.0, "lifetime_years": 8 + i, "co2e_avoided_t": 10.0,
                          "asset_class": c} for i, (e, c) in enumerate(rows)])
    rec = appraise(opts, ents, on).set_index("option_id")
    # the inputs matter: without inflation and asset classes appraise gives other NPVs
    plain = appraise(opts.drop(columns="asset_class"), ents.drop(columns="inflation"), on).set_index("option_id")
    assert not np.allclose(plain["npv_no_support"].to_numpy(), rec["npv_no_support"].to_numpy(), rtol=1e-6)
    for pack in sorted(set(ents["jurisdiction"])):
        mine = ents[ents["jurisdiction"] == pack]
        o = opts[opts["enterprise_id"].isin(mine["enterprise_id"])].reset_index(drop=True)
        by = run_programme(o, mine, pack, on_date=on, rule=TAKE_ALL).by_option.set_index("option_id")
        for oid in o["option_id"]:
            r = rec.loc[oid]
            for m in ("npv", "npv_no_support", "simple_payback_years", "irr"):
                assert close(float(by.loc[oid, m]), float(r[m])), (pack, oid, m, by.loc[oid, m], r[m])
            assert close(float(by.loc[oid, "support_value"]), float(r["support_total"])), (pack, oid)

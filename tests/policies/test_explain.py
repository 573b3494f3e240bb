"""Why, and why not (policies.explain): every rule in force per option, with the reason in words.

Amounts are checked against hand calculations written here; the applying rows are checked against
the support table, the production path, over the demo data on several dates.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from policies.engine import support_table
from policies.explain import EXPLAIN_COLUMNS, explain, explain_support
from screening.schema import validate
from tests.cli.test_cli import ENT, OPT

DAY_2010 = date(2010, 6, 1)  # DK §§ 54-55 in force (1999-2014)


def _one(option: dict, enterprise: dict, on: date, packs=None, params=None) -> pd.DataFrame:
    opt = {"option_id": "o1", "enterprise_id": "e1", "category": "technology_change", "investment": 100_000.0,
           "annual_savings": 20_000.0, "lifetime_years": 10} | option
    ent = {"enterprise_id": "e1", "size_class": "medium", "tax_rate": 0.22} | enterprise
    return explain(pd.DataFrame([opt]), pd.DataFrame([ent]), on, params, packs=packs)


def _row(ex: pd.DataFrame, rule_id: str) -> pd.Series:
    hit = ex[ex["rule_id"] == rule_id]
    assert len(hit) == 1, f"{rule_id} not explained: {ex['rule_id'].tolist()}"
    return hit.iloc[0]


def test_missing_project_type_is_named_not_a_silent_zero():
    ex = _one({}, {"jurisdiction": "DK"}, DAY_2010)
    assert list(ex.columns) == list(EXPLAIN_COLUMNS)
    # every DK rule in force in 2010 is listed, each with amount 0 and its reason
    assert set(ex["rule_id"]) == {"DK-MBL-54-RESEARCH", "DK-MBL-54-PUBLIC", "DK-MBL-55"}
    r = _row(ex, "DK-MBL-54-RESEARCH")
    assert not r["applies"] and r["amount"] == 0.0
    assert "attribute project_type missing" in r["reason"] and "DK-MBL-54-RESEARCH" in r["reason"]
    assert "industrial_research" in r["reason"] and "development" in r["reason"]


def test_project_type_not_listed_by_a_rule_says_which_are():
    ex = _one({"project_type": "development"}, {"jurisdiction": "DK"}, DAY_2010)
    r = _row(ex, "DK-MBL-55")
    assert not r["applies"]
    assert r["reason"] == "project_type development is not among recycling_production, collection_scheme"


def test_by_type_rate_with_size_bonus_says_rate_and_bonus():
    # DK § 54: development 25 % + 10 points for a medium enterprise, of eligible investment 80,000 DKK
    ex = _one({"project_type": "development", "eligible_investment": 80_000.0}, {"jurisdiction": "DK"}, DAY_2010)
    r = _row(ex, "DK-MBL-54-RESEARCH")
    assert r["applies"] and r["amount"] == pytest.approx(0.35 * 80_000)
    assert r["reason"].startswith("project_type development: 25 % + 10 % points (medium) of eligible_investment 80,000 DKK")


def test_lowest_of_names_the_binding_term():
    # Erhvervspuljen: premium = max(0.10 DKK/kWh x 150,000 kWh, 500 DKK/t x 30.3 t) x 10 yr = 151,500;
    # intensity 40 % (medium) x 450,000 = 180,000 -> the premium binds
    ex = _one({"investment": 450_000.0, "energy_saved_mwh": 150.0, "co2e_avoided_t": 30.3},
              {"jurisdiction": "DK"}, date(2026, 6, 1))
    r = _row(ex, "DK-ERHVERVSPULJEN-2024")
    assert r["amount"] == pytest.approx(151_500.0)
    assert "lowest-of term 'premium' bound: 151,500 DKK" in r["reason"] and "intensity 180,000 DKK" in r["reason"]


def test_minimum_investment_and_requirement_give_value_and_threshold():
    ex = _one({"investment": 1_500.0}, {"jurisdiction": "NL"}, date(2026, 6, 1))
    r = _row(ex, "NL-EIA-2024")
    assert "eligible investment 1,500 EUR below the minimum 2,500 EUR" in r["reason"]
    assert "energy_saved_mwh is 0 or not given" in r["reason"]


def test_exclusion_names_the_rule_that_gave_support():
    ex = _one({"energy_saved_mwh": 50.0, "mia_tier": "I"}, {"jurisdiction": "NL"}, date(2026, 6, 1))
    assert _row(ex, "NL-EIA-2024")["applies"]
    r = _row(ex, "NL-MIA-2025")
    assert not r["applies"] and r["reason"].startswith("excluded by NL-EIA-2024")


def test_category_failure_lists_the_eligible_ones():
    ex = _one({"category": "end_of_pipe"}, {"jurisdiction": "NL"}, date(1995, 6, 1))
    assert _row(ex, "NL-CP-GRANT")["reason"] == ("category end_of_pipe is not among equipment_modification, "
                                                  "technology_change, onsite_recovery, byproduct")


CAPPED = """\
rules:
  - id: TK-GRANT
    name: A capped grant
    kind: grant
    valid_from: "2020-01-01"
    source: src
    rate: {form: fixed, value: {value: 0.60, ref: src}}
    caps:
      per_project: {value: 50000, ref: src}
      min_aid: {value: 1000, ref: src}
    stacking: {aid_ceiling: ee}
"""


def test_per_project_cap_ceiling_and_min_aid_are_named(make_packs):
    packs = make_packs(CAPPED)
    on = date(2026, 6, 1)
    # large: ceiling 30 % of 100,000 = 30,000 binds after the per-project cap (60,000 -> 50,000)
    r = _row(_one({}, {"jurisdiction": "TK", "size_class": "large"}, on, packs), "TK-GRANT")
    assert r["amount"] == pytest.approx(30_000.0)
    assert "capped by per_project cap 50,000 EUR (formula gave 60,000 EUR)" in r["reason"]
    assert "aid ceiling CEIL-38 (Test ceiling) bound: allowed 30,000 EUR" in r["reason"]
    # small (50 % ceiling) on 150,000: per-project cap binds at 50,000, ceiling 75,000 does not
    r = _row(_one({"investment": 150_000.0}, {"jurisdiction": "TK", "size_class": "small"}, on, packs), "TK-GRANT")
    assert r["amount"] == pytest.approx(50_000.0)
    assert "per_project" in r["reason"] and "aid ceiling" not in r["reason"]
    # 60 % of 1,500 = 900, the 50 % ceiling leaves 750 < min aid 1,000
    r = _row(_one({"investment": 1_500.0}, {"jurisdiction": "TK", "size_class": "small"}, on, packs), "TK-GRANT")
    assert not r["applies"] and r["reason"] == "below min aid 1,000 EUR: the amount would be 750 EUR"


def test_jurisdiction_none_has_no_rules():
    assert _one({}, {"jurisdiction": "none"}, date(2026, 6, 1)).empty


@pytest.mark.parametrize("day", [date(1995, 6, 1), DAY_2010, date(2026, 6, 1)])
def test_applying_rows_are_the_support_items(day):
    v = validate(pd.read_csv(ENT), pd.read_csv(OPT))
    ents = v.enterprises.assign(tax_rate=0.25)  # the packs' rate history does not reach 1995 everywhere
    table, ex = explain_support(v.options, ents, day)
    ref = support_table(v.options, ents, day)
    pd.testing.assert_frame_equal(table, ref)
    app = ex[ex["applies"]]
    assert list(zip(app["row"], app["rule_id"])) == list(zip(ref["row"], ref["instrument_id"].astype(str)))
    np.testing.assert_allclose(app["amount"].to_numpy(), ref["amount"].to_numpy())
    assert (ex.loc[~ex["applies"], "amount"] == 0).all()
    assert ex["reason"].str.len().gt(0).all()  # nothing silent

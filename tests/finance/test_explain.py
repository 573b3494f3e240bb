"""NPV effect per rule (finance.explain): a closed form for one grant, and the sum over rules."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance.appraise import appraise
from finance.explain import EXPLAIN_RECORD_FIELDS, explain_appraisal
from screening.schema import validate
from tests.cli.test_cli import ENT, OPT


def _frames(option: dict, enterprise: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    opt = {"option_id": "o1", "enterprise_id": "e1", "title": "t", "category": "technology_change", "investment": 100_000,
           "annual_savings": 30_000, "lifetime_years": 10} | option
    ent = {"enterprise_id": "e1", "name": "E", "size_class": "small", "tax_rate": 0.25, "discount_rate": 0.08,
           "tax_capacity": "yes"} | enterprise
    v = validate(pd.DataFrame([ent]), pd.DataFrame([opt]))
    return v.options, v.enterprises


def test_one_grant_npv_effect_closed_form():
    # DE EEW module 1 (2026), small enterprise: 25 % of 100,000 = 25,000 at t = 0, not taxable,
    # reducing the depreciation base: the enterprise gets G now and loses tax x G/10 of depreciation
    # shield a year for 10 years.  The other DE rules need attributes this option lacks.
    opts, ents = _frames({"energy_saved_mwh": 50}, {"jurisdiction": "DE"})
    day = date(2026, 6, 1)
    ex = explain_appraisal(opts, ents, day)
    assert list(ex.columns) == list(EXPLAIN_RECORD_FIELDS)
    assert ex["applies"].sum() == 1
    g, t, r, n = 25_000.0, 0.25, 0.08, 10
    annuity = (1 - (1 + r) ** -n) / r
    hand = g - t * (g / n) * annuity
    row = ex[ex["applies"]].iloc[0]
    assert row["rule_id"] == "DE-EEW-M1-2024" and row["amount"] == pytest.approx(g)
    assert row["npv_effect"] == pytest.approx(hand, rel=1e-9)
    support_total = appraise(opts, ents, day)["support_total"].iloc[0]
    assert row["npv_effect"] == pytest.approx(support_total, rel=1e-12)


def test_rules_that_do_not_apply_have_no_npv_effect_and_effects_add_up_to_support_total():
    v = validate(pd.read_csv(ENT), pd.read_csv(OPT))
    day = date(2026, 6, 1)
    ex = explain_appraisal(v.options, v.enterprises, day)
    assert (ex.loc[~ex["applies"], "npv_effect"] == 0).all()
    res = appraise(v.options, v.enterprises, day).set_index(["enterprise_id", "option_id"])["support_total"]
    total = ex.groupby(["enterprise_id", "option_id"])["npv_effect"].sum().reindex(res.index).fillna(0.0)
    # several rules on one option (MIA + Vamil on NL-02, credit + holiday + expensing on CN-02): the
    # sequential effects telescope to NPV with all support - NPV without
    assert (ex[ex["applies"]].groupby("option_id").size() > 1).sum() >= 3
    np.testing.assert_allclose(total.to_numpy(), res.to_numpy(), rtol=1e-9, atol=1e-6)


def test_a_tax_deduction_that_saves_no_tax_says_so():
    # net savings 5,400/yr - depreciation 6,000/yr: taxable profit never positive, and without tax
    # capacity no other profit absorbs the loss, so the EIA deduction saves no tax at all
    opts, ents = _frames({"category": "input_substitution", "investment": 60_000, "annual_savings": 10_400,
                          "annual_cost_change": 5_000, "energy_saved_mwh": 40},
                         {"jurisdiction": "NL", "tax_capacity": "no", "tax_rate": ""})
    ex = explain_appraisal(opts, ents, date(2026, 6, 1)).set_index("rule_id")
    eia = ex.loc["NL-EIA-2024"]
    assert eia["applies"] and eia["amount"] == pytest.approx(0.40 * 60_000)
    assert eia["npv_effect"] == 0 and eia["cash_value"] == 0
    assert "worth nothing here: no tax is saved" in eia["reason"]
    # with tax capacity the same deduction saves 25.8 % x 24,000 in year 1, discounted one year at 8 %
    opts, ents = _frames({"category": "input_substitution", "investment": 60_000, "annual_savings": 10_400,
                          "annual_cost_change": 5_000, "energy_saved_mwh": 40},
                         {"jurisdiction": "NL", "tax_capacity": "yes", "tax_rate": 0.258})
    eia = explain_appraisal(opts, ents, date(2026, 6, 1)).set_index("rule_id").loc["NL-EIA-2024"]
    assert eia["npv_effect"] == pytest.approx(0.258 * 24_000 / 1.08) and "worth nothing" not in eia["reason"]

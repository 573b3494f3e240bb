"""Inversion: grants computed by hand; the appraisal with the found grant hits the target exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from programme.appraisal import appraise_metrics, grant_rows
from programme.inversion import Target, programme_rate, required_grant
from programme.uptake import DecisionRule


def opts(**kw):
    base = {"option_id": ["a"], "investment": [1000.0], "annual_savings": [300.0], "lifetime_years": [5],
            "discount_rate": [0.10], "tax_capacity": [True]}
    base.update(kw)
    return pd.DataFrame(base)


def check(o, tax, grant, **kw):
    return appraise_metrics(o, grant_rows(np.arange(len(o)), np.asarray(grant), **kw), np.asarray(tax))


def test_payback_target_without_tax_by_hand():
    # (1000 - G) / 300 = 2  ->  G = 400
    r = required_grant(opts(), np.array([0.0]), Target("payback", years=2))
    assert r.loc[0, "grant"] == pytest.approx(400.0, abs=1e-6)
    assert r.loc[0, "rate"] == pytest.approx(0.4, abs=1e-9)
    assert check(opts(), [0.0], r["grant"])["simple_payback_years"][0] == pytest.approx(2.0, abs=1e-9)


def test_payback_target_with_tax_and_base_reduction_by_hand():
    # tax 25 %, straight line 200/yr: net = 300 - 0.25 (300 - 200) = 275 -> (1000 - G) / 275 = 2 -> G = 450
    r = required_grant(opts(), np.array([0.25]), Target("payback", years=2))
    assert r.loc[0, "grant"] == pytest.approx(450.0, abs=1e-6)
    # grant reduces the base: net = 300 - 0.25 (300 - (1000 - G)/5) = 275 - 0.05 G;
    # (1000 - G) = 2 (275 - 0.05 G) -> 450 = 0.9 G -> G = 500
    r2 = required_grant(opts(), np.array([0.25]), Target("payback", years=2), reduces_depreciation_base=True)
    assert r2.loc[0, "grant"] == pytest.approx(500.0, abs=1e-6)
    m = check(opts(), [0.25], r2["grant"], reduces_depreciation_base=True)
    assert m["simple_payback_years"][0] == pytest.approx(2.0, abs=1e-9)


def test_npv_and_irr_targets_by_hand():
    o = opts(annual_savings=[200.0])
    af = (1 - 1.1 ** -5) / 0.1  # 3.7907867694
    r = required_grant(o, np.array([0.0]), Target("npv"))
    assert r.loc[0, "grant"] == pytest.approx(1000 - 200 * af, abs=1e-6)  # 241.8426
    assert check(o, [0.0], r["grant"])["npv"][0] == pytest.approx(0.0, abs=1e-6)
    # IRR >= 15 %: G = 1000 - 200 x AF(15 %, 5) = 1000 - 670.4310 = 329.5690
    ri = required_grant(o, np.array([0.0]), Target("irr", hurdle=0.15))
    assert ri.loc[0, "grant"] == pytest.approx(1000 - 200 * (1 - 1.15 ** -5) / 0.15, abs=1e-6)
    assert check(o, [0.0], ri["grant"])["irr"][0] == pytest.approx(0.15, abs=1e-9)


def test_passing_and_infeasible_options():
    o = pd.DataFrame({"investment": [1000.0, 1000.0], "annual_savings": [600.0, -10.0], "lifetime_years": [5, 5]})
    r = required_grant(o, np.array([0.0, 0.0]), Target("payback", years=2), max_rate=0.5)
    assert r.loc[0, "grant"] == 0 and r.loc[0, "passes_without"]
    assert np.isnan(r.loc[1, "grant"]) and "fails even" in r.loc[1, "reason"]


def test_payback_never_reached_without_grant_is_bracketed():
    # savings 100/yr over 5 years never repay 1000; with G: (1000 - G)/100 = 3 -> G = 700
    r = required_grant(opts(annual_savings=[100.0]), np.array([0.0]), Target("payback", years=3))
    assert r.loc[0, "grant"] == pytest.approx(700.0, abs=1e-6)


def test_programme_rate_is_an_order_statistic_for_deterministic_rules():
    # payback limit 2: required rates 0 (passes), 0.4, 0.7 (savings 300, 150 with I 1000 -> 1 - 2 S / I)
    o = pd.DataFrame({"investment": [1000.0] * 3, "annual_savings": [600.0, 300.0, 150.0], "lifetime_years": [10] * 3})
    pr = programme_rate(o, np.zeros(3), DecisionRule("payback", payback_limit=2), 2 / 3)
    assert pr.rate == pytest.approx(0.4, abs=1e-8)
    assert pr.uptake == 2
    assert pr.outlay == pytest.approx(400.0, abs=1e-5)  # only the option that needs it is paid
    assert pr.targeted_outlay == pytest.approx(400.0, abs=1e-5)
    pr3 = programme_rate(o, np.zeros(3), DecisionRule("payback", payback_limit=2), 1.0)
    assert pr3.rate == pytest.approx(0.7, abs=1e-8)
    assert pr3.outlay == pytest.approx(1400.0, abs=1e-5)  # 0.7 x 1000 to each of the two
    assert pr3.targeted_outlay == pytest.approx(1100.0, abs=1e-5)  # 400 + 700


def test_programme_rate_logistic_reaches_expected_uptake():
    o = pd.DataFrame({"investment": [1000.0] * 2, "annual_savings": [250.0, 200.0], "lifetime_years": [10] * 2})
    rule = DecisionRule("logistic", intercept=2.0, slope=-0.5)  # p = 0.5 at payback 4
    pr = programme_rate(o, np.zeros(2), rule, 0.5)
    # at rate r: paybacks (1000 - 1000 r) / 250 and / 200; expected uptake 1
    pb = (1000 - 1000 * pr.rate) / np.array([250.0, 200.0])
    assert (1 / (1 + np.exp(-(2 - 0.5 * pb)))).sum() == pytest.approx(1.0, abs=1e-6)


def test_required_grant_hits_the_target_on_the_appraisals_cash_flow():
    """With the enterprise's inflation, the tax rate in force in each year (DE 2028-32 cuts) and
    depreciation by asset class, the grant found makes the appraisal's own metric hit the target
    (second method: finance.batch.batch_appraise, the pass cpscreen appraise runs, with that grant)."""
    from datetime import date

    from finance.batch import batch_appraise
    from finance.inputs import appraisal_inputs, with_inflation

    on = date(2026, 6, 30)
    ents = pd.DataFrame({"enterprise_id": ["de", "us"], "name": ["a", "b"], "jurisdiction": ["DE", "US"],
                         "size_class": ["small", "large"], "discount_rate": [0.08, 0.06], "inflation": [0.02, 0.03]})
    opts = pd.DataFrame([{"option_id": f"o{i}", "enterprise_id": e, "title": "t", "category": "equipment_modification",
                          "investment": 100_000.0, "annual_savings": s, "lifetime_years": 10, "asset_class": c}
                         for i, (e, s, c) in enumerate([("de", 12_000.0, "movable_declining_balance"),
                                                        ("us", 11_000.0, "macrs_7"), ("de", 13_000.0, None)])])
    opts = with_inflation(opts, ents)
    inputs = appraisal_inputs(opts, ents, on)
    assert inputs.tax_rate_by_year is not None and inputs.depreciation_schedule is not None
    opts = opts.assign(discount_rate=inputs.discount_rate, tax_capacity=inputs.tax_capacity)
    kw = dict(loss_carry_forward_years=inputs.loss_carry_forward_years, **inputs.years())
    for target, metric, want in ((Target("npv"), "npv", 0.0), (Target("payback", years=5.0), "simple_payback_years", 5.0),
                                 (Target("irr", hurdle=0.12), "irr", 0.12)):
        res = required_grant(opts, inputs.tax_rate, target, tol=1e-12, **kw)  # |f| <= tol x eligible
        g = res["grant"].to_numpy()
        assert (g > 0).all() and not res["passes_without"].any(), res
        m = batch_appraise(opts, inputs.tax_rate, inputs.discount_rate, inputs.tax_capacity,
                           grant_rows(np.arange(len(opts)), g), **kw)
        assert m[metric].to_numpy() == pytest.approx(np.full(len(opts), want), abs=1e-6), (metric, m[metric])
        # the single tax rate and straight line give another grant: the year arrays count
        flat = required_grant(opts.drop(columns="inflation"), inputs.tax_rate, target)["grant"].to_numpy()
        assert not np.allclose(flat, g, rtol=1e-6), metric

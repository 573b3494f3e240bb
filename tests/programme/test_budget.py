"""Programme budget on the ecoENERGY Retrofit lowest-of pattern, every figure computed by hand.

Rule (pack CA-ECOENERGY, POLICY-FACTS "programme-rule patterns"): incentive = lowest of
CAD 10 per GJ saved per year (1 MWh = 3.6 GJ), 25 % of the cost net of other incentives, and
annual savings x (payback - 1 yr) = net cost - savings; caps CAD 50,000 per application and
250,000 per company (cumulative in frame order).  Paid up front (t = 0).

Tax rate 0 (given per enterprise), so simple payback = (I - G) / S.  Decision rule: payback <= 3.

Enterprise A:
  a1  I 100,000, S 40,000, 500 MWh (1,800 GJ): terms 18,000 / 25,000 / 60,000 -> 18,000 (per GJ).
      Payback 2.5 without support: passes anyway -> deadweight 18,000.
  a2  I 400,000, other grants 40,000, S 120,000, 10,000 MWh: base 360,000; terms 360,000 /
      90,000 / 240,000 -> 90,000, capped per application -> 50,000.  Payback 3.33 -> 2.92: induced.
  a3  I 30,000, S 25,000, 1,000 MWh: terms 36,000 / 7,500 / 5,000 -> 5,000 (payback term).
      Payback 1.2 without: deadweight 5,000.
Enterprise B: six options I 300,000, S 90,000, 2,000 MWh: terms 72,000 / 75,000 / 210,000 ->
  72,000 -> capped at 50,000; the company cap lets the first five have 50,000 each, the sixth 0.
  Payback 3.33 -> 2.78 for the five (induced); the sixth stays at 3.33 (not taken up).
Totals: outlay 18,000 + 50,000 + 5,000 + 5 x 50,000 = 323,000; deadweight 23,000.
CO2e over a 10-year life: a1, a3 10 t/yr, a2 100 t/yr, B 50 t/yr each.
  additional = a2 1,000 + 5 x 500 = 3,500 t -> 323,000 / 3,500 = 92.2857 per t;
  supported = 3,500 + 100 + 100 = 3,700 t -> 87.2973 per t.
Leverage: supported investment 100,000 + 400,000 + 30,000 + 5 x 300,000 = 2,030,000;
  (2,030,000 - 323,000) / 323,000 = 5.28483.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from programme.budget import budget_records, run_programme
from programme.uptake import DecisionRule

ON = date(2010, 6, 1)
PACK = "CA-ECOENERGY"


def frames():
    rows = [
        ("A", "a1", 100_000, 40_000, 500, 0, 10),
        ("A", "a2", 400_000, 120_000, 10_000, 40_000, 100),
        ("A", "a3", 30_000, 25_000, 1_000, 0, 10),
    ] + [("B", f"b{i}", 300_000, 90_000, 2_000, 0, 50) for i in range(1, 7)]
    opts = pd.DataFrame(rows, columns=["enterprise_id", "option_id", "investment", "annual_savings",
                                       "energy_saved_mwh", "other_grants", "co2e_avoided_t"])
    opts["title"] = opts["option_id"]
    opts["category"] = "equipment_modification"
    opts["lifetime_years"] = 10
    opts["annual_cost_change"] = 0.0
    opts["salvage_value"] = 0.0
    opts["eligible_investment"] = opts["investment"].astype(float)
    opts["mandatory"] = False
    opts["excludes"] = ""
    ents = pd.DataFrame({"enterprise_id": ["A", "B"], "name": ["A", "B"], "jurisdiction": ["none", "none"],
                         "size_class": ["medium", "large"], "tax_rate": [0.0, 0.0], "discount_rate": [0.08, 0.08],
                         "tax_capacity": [True, True]})
    return opts, ents


@pytest.fixture(scope="module")
def result():
    opts, ents = frames()
    return run_programme(opts, ents, PACK, on_date=ON, rule=DecisionRule("payback", payback_limit=3))


def test_lowest_of_amounts_and_caps(result):
    s = result.by_option.set_index("option_id")["support"]
    assert s["a1"] == pytest.approx(18_000)  # per-GJ term lowest
    assert s["a2"] == pytest.approx(50_000)  # 25 % of cost net of other grants, capped per application
    assert s["a3"] == pytest.approx(5_000)   # savings x (payback - 1) lowest
    assert [s[f"b{i}"] for i in range(1, 7)] == pytest.approx([50_000] * 5 + [0.0])  # company cap binds


def test_uptake_and_deadweight(result):
    o = result.by_option.set_index("option_id")
    assert o["p_without"].to_dict() == {"a1": 1, "a2": 0, "a3": 1, **{f"b{i}": 0 for i in range(1, 7)}}
    assert o["p_with"].to_dict() == {"a1": 1, "a2": 1, "a3": 1, **{f"b{i}": 1 for i in range(1, 6)}, "b6": 0}
    assert o.loc["a2", "simple_payback_years"] == pytest.approx(350_000 / 120_000)
    assert o.loc["a1", "deadweight"] == 18_000 and o.loc["a3", "deadweight"] == 5_000
    assert o.loc["a2", "deadweight"] == 0
    s = result.summary
    assert s["total_outlay"] == pytest.approx(323_000)
    assert s["deadweight"] == pytest.approx(23_000)
    assert s["deadweight_share"] == pytest.approx(23_000 / 323_000)
    assert s["uptake_without_support"] == 2 and s["uptake_with_support"] == 8 and s["additional_uptake"] == 6
    assert s["eligible_options"] == 8


def test_cost_effectiveness_and_leverage(result):
    s = result.summary
    assert s["additional_t_co2e"] == pytest.approx(3_500)
    assert s["cost_per_t_co2e"] == pytest.approx(323_000 / 3_500)
    assert s["cost_per_supported_t_co2e"] == pytest.approx(323_000 / 3_700)
    # MWh over the lives: additional = a2 10,000 x 10 + 5 x 2,000 x 10 = 200,000 MWh
    assert s["cost_per_mwh"] == pytest.approx(323_000 / 200_000)
    assert np.isnan(s["cost_per_t_waste"])  # no waste column: nothing to divide by
    assert s["leverage"] == pytest.approx((2_030_000 - 323_000) / 323_000)
    assert s["grants"] == pytest.approx(323_000) and s["tax_expenditure"] == pytest.approx(0.0)


def test_outlay_by_year_and_records(result):
    recs = budget_records(result, by="year")
    assert recs == [{"calendar_year": 2010, "t": 0, "instrument_id": "CA-ECOENERGY-RETROFIT", "kind": "grant",
                     "outlay": pytest.approx(323_000), "outlay_if_all": pytest.approx(323_000),
                     "deadweight": pytest.approx(23_000),
                     # paid at t = 0: the present value is the nominal amount at any government rate
                     "pv_cost": pytest.approx(323_000), "pv_deadweight": pytest.approx(23_000)}]
    summary = budget_records(result, by="summary")[0]
    assert summary["cost_per_t_waste"] is None  # NaN -> null in JSON
    assert len(budget_records(result, by="option")) == 9
    with pytest.raises(ValueError, match="by is 'month'"):
        budget_records(result, by="month")


def test_programme_parameter_changes_the_outlay():
    opts, ents = frames()
    r = run_programme(opts, ents, PACK, params={"CA-ECOENERGY-RETROFIT.rate.terms.share.share": 0.10},
                      on_date=ON, rule=DecisionRule("payback", payback_limit=3))
    s = r.by_option.set_index("option_id")["support"]
    # share 10 %: a1 min(18,000, 10,000, 60,000) = 10,000; a2 36,000; a3 min(36,000, 3,000, 5,000) = 3,000;
    # B min(72,000, 30,000, 210,000) = 30,000 each; company cap 250,000 not reached (6 x 30,000 = 180,000)
    assert s.tolist() == pytest.approx([10_000, 36_000, 3_000] + [30_000] * 6)
    # with 30,000 B's payback is 270,000 / 90,000 = 3.0 <= 3: all six taken up; a2's is
    # 364,000 / 120,000 = 3.03 > 3: not taken up; a1 and a3 pass anyway -> 8
    assert r.summary["uptake_with_support"] == 8
    assert r.by_option.set_index("option_id").loc["a2", "p_with"] == 0


def test_logistic_rule_deadweight_is_the_probability_without_support():
    opts, ents = frames()
    rule = DecisionRule("logistic", intercept=3.0, slope=-1.0)
    r = run_programme(opts, ents, PACK, on_date=ON, rule=rule)
    o = r.by_option.set_index("option_id")
    p0 = 1 / (1 + np.exp(-(3.0 - 2.5)))  # a1: payback 2.5 without
    p1 = 1 / (1 + np.exp(-(3.0 - 82_000 / 40_000)))  # with 18,000
    assert o.loc["a1", "p_without"] == pytest.approx(p0)
    assert o.loc["a1", "expected_outlay"] == pytest.approx(p1 * 18_000)
    assert o.loc["a1", "deadweight"] == pytest.approx(p0 * 18_000)


def test_unknown_parameter_is_refused():
    opts, ents = frames()
    with pytest.raises(ValueError, match="unknown parameter"):
        run_programme(opts, ents, PACK, params={"CA-ECOENERGY-RETROFIT.nope": 1.0}, on_date=ON,
                      rule=DecisionRule("npv"))


def test_scenarios_side_by_side_match_single_runs():
    from programme.budget import compare_scenarios
    from programme.scenarios import scenario_grid

    opts, ents = frames()
    rule = DecisionRule("payback", payback_limit=3)
    grid = scenario_grid(PACK, {}, {"share-10": {"CA-ECOENERGY-RETROFIT.rate.terms.share.share": 0.10},
                                    "share-25": {}}, rule=rule)
    table, results = compare_scenarios(opts, ents, grid, on_date=ON)
    assert table["scenario"].tolist() == ["share-10", "share-25"]
    assert table.loc[1, "total_outlay"] == pytest.approx(323_000)
    # share 10 %: taken up a1 10,000 + a3 3,000 + B 6 x 30,000 = 193,000 (a2 not taken up)
    assert table.loc[0, "total_outlay"] == pytest.approx(193_000)
    with pytest.raises(ValueError, match="repeated"):
        compare_scenarios(opts, ents, grid + grid[:1], on_date=ON)


def test_grant_shortcut_agrees_with_the_full_cash_flow_model():
    # without IRRs run_programme adds the untaxed grants to the no-support flows; with IRRs it rebuilds
    # the flows with finance.batch: both must give the same NPV, payback and budget
    from programme.budget import baseline

    opts, ents = frames()
    ents["tax_rate"] = [0.25, 0.10]
    rule = DecisionRule("payback", payback_limit=3)
    full = run_programme(opts, ents, PACK, on_date=ON, rule=rule)
    fast = run_programme(opts, ents, PACK, on_date=ON, rule=rule, base=baseline(opts, ents, on_date=ON, with_irr=False))
    assert "irr" not in fast.by_option.columns
    for c in ("npv", "simple_payback_years", "p_with", "expected_outlay"):
        np.testing.assert_allclose(fast.by_option[c], full.by_option[c], rtol=1e-12, atol=1e-6)
    assert fast.summary["total_outlay"] == pytest.approx(full.summary["total_outlay"])

"""Present value to the treasury of a timing-only instrument: 100 % first-year (bonus) depreciation.

Hand calculation (DESIGN.md section 3: flows at period ends, t = 0 undiscounted; ``finance.cashflow``
writes a bonus depreciation off in year 1, straight line from year 1 to N):
I = 1,000,000, N = 5 (life and tax depreciation life), tax rate tau = 0.21, government rate g = 0.03.
  Tax forgone: year 1  tau I (1 - 1/5) = 168,000;  years 2..5  -tau I / 5 = -42,000 each.  Nominal sum 0.
  PV = tau I (1/(1 + g) - a(g, N)/N),  a(g, N) = (1 - (1 + g)^-N) / g
     1.03^5 = 1.159274074;  a = (1 - 0.862608784) / 0.03 = 4.579707187;  a/N = 0.915941437
     1/1.03 = 0.970873786;  difference 0.054932349;  PV = 210,000 x 0.054932349 = 11,535.79
(The brief's tau I (1 - a/N) = 17,652.30 puts the first-year write-off at t = 0, which the
finance model does not: the tax of year 1 is paid at the end of year 1.)

Uptake (US pack on 2025-06-30: US-BONUS-2025, 100 %; 48C needs a ghg_reduction_share the option
lacks).  Savings S = 280,000/yr, so after tax 0.79 S = 221,200:
  without support: 221,200 + tau I / 5 = 263,200 a year -> payback 1,000,000 / 263,200 = 3.7994 yr;
  with bonus: year 1 221,200 + 210,000 = 431,200, then 221,200 -> cumulative 431,200, 652,400,
  873,600, 1,094,800 -> payback 3 + 126,400 / 221,200 = 3.5714 yr.
  Rule payback <= 3.6: taken up only with the bonus (additional, no deadweight).
CO2e 100 t/yr x 5 years = 500 t additional: nominal cost per t = 0 / 500 = 0 (the blind spot);
pv_cost_per_t_co2e = 11,535.79 / 500 = 23.0716.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from programme.budget import budget_records, compare_scenarios, run_programme
from programme.outlay import GOVERNMENT_DISCOUNT_RATE, outlay_table, present_value_factor
from programme.scenarios import Scenario
from programme.uptake import DecisionRule

I, N, TAU, G = 1_000_000.0, 5, 0.21, 0.03
PV_HAND = 11_535.79  # tau I (1/(1+g) - a(g,N)/N), worked above to the cent


def annuity(g: float, n: int) -> float:
    return (1 - (1 + g) ** -n) / g


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    opts = pd.DataFrame([{
        "enterprise_id": "U", "option_id": "u1", "title": "press line", "category": "equipment_modification",
        "investment": I, "annual_savings": 280_000.0, "annual_cost_change": 0.0, "lifetime_years": N,
        "depreciation_years": N, "salvage_value": 0.0, "eligible_investment": I, "co2e_avoided_t": 100.0,
        "mandatory": False, "excludes": ""}])
    ents = pd.DataFrame([{"enterprise_id": "U", "name": "U", "jurisdiction": "US", "size_class": "large",
                          "tax_rate": TAU, "discount_rate": 0.08, "tax_capacity": True}])
    return opts, ents


def test_hand_value_of_the_formula():
    assert TAU * I * (1 / (1 + G) - annuity(G, N) / N) == pytest.approx(PV_HAND, abs=0.01)
    # with the write-off at t = 0 (not the model's convention) it would be tau I (1 - a/N)
    assert TAU * I * (1 - annuity(G, N) / N) == pytest.approx(17_652.30, abs=0.01)


def test_present_value_of_bonus_depreciation_outlay():
    opts, _ = frames()
    support = pd.DataFrame([{"row": 0, "instrument_id": "BONUS", "kind": "depreciation", "amount": I, "year": 1,
                             "first_year_share": 1.0}])
    out = outlay_table(support, opts, np.array([TAU]))
    sched = dict(zip(out["t"], out["outlay"]))
    assert sched == pytest.approx({1: 168_000.0, 2: -42_000.0, 3: -42_000.0, 4: -42_000.0, 5: -42_000.0})
    pv = float((out["outlay"] * present_value_factor(out["t"].to_numpy(), G)).sum())
    assert pv == pytest.approx(PV_HAND, abs=0.01)
    assert float(out["outlay"].sum()) == pytest.approx(0.0, abs=1e-6)
    # at g = 0 the present value is the nominal sum
    assert float((out["outlay"] * present_value_factor(out["t"].to_numpy(), 0.0)).sum()) == pytest.approx(0.0, abs=1e-6)


@pytest.fixture(scope="module")
def result():
    opts, ents = frames()
    return run_programme(opts, ents, "US", on_date=date(2025, 6, 30), rule=DecisionRule("payback", payback_limit=3.6),
                         government_discount_rate=G)


def test_bonus_depreciation_programme_costs_its_present_value(result):
    o = result.by_option.iloc[0]
    assert o["simple_payback_years_no_support"] == pytest.approx(1_000_000 / 263_200)
    assert o["simple_payback_years"] == pytest.approx(3 + 126_400 / 221_200)
    assert (o["p_without"], o["p_with"]) == (0.0, 1.0)
    assert o["pv_cost"] == pytest.approx(PV_HAND, abs=0.01)
    s = result.summary
    assert s["total_outlay"] == 0.0 and s["tax_expenditure"] == 0.0  # nominal view, unchanged
    assert s["cost_per_t_co2e"] == 0.0  # the nominal blind spot the pv_ figures fix
    assert s["pv_cost"] == pytest.approx(PV_HAND, abs=0.01)
    assert s["pv_tax_expenditure"] == pytest.approx(PV_HAND, abs=0.01) and s["pv_grants"] == 0.0
    assert s["pv_deadweight"] == 0.0 and s["pv_deadweight_share"] == 0.0
    assert s["pv_cost_per_t_co2e"] == pytest.approx(PV_HAND / 500, abs=1e-4)
    assert s["pv_cost_per_supported_t_co2e"] == pytest.approx(PV_HAND / 500, abs=1e-4)
    assert s["pv_leverage"] == pytest.approx((I - PV_HAND) / PV_HAND, rel=1e-6)
    assert s["government_discount_rate"] == G


def test_records_by_instrument_and_year_carry_the_present_value(result):
    inst = budget_records(result, by="instrument")
    assert [r["instrument_id"] for r in inst] == ["US-BONUS-2025"]
    assert inst[0]["outlay"] == pytest.approx(0.0, abs=1e-6)
    assert inst[0]["pv_cost"] == pytest.approx(PV_HAND, abs=0.01)
    years = {r["t"]: r["pv_cost"] for r in budget_records(result, by="year")}
    assert years[1] == pytest.approx(168_000 / 1.03)
    assert years[5] == pytest.approx(-42_000 / 1.03 ** 5)
    assert budget_records(result, by="summary")[0]["pv_cost"] == pytest.approx(PV_HAND, abs=0.01)


def test_default_rate_and_its_effect():
    opts, ents = frames()
    rule = DecisionRule("payback", payback_limit=3.6)
    r = run_programme(opts, ents, "US", on_date=date(2025, 6, 30), rule=rule)
    assert GOVERNMENT_DISCOUNT_RATE == 0.03 and r.summary["government_discount_rate"] == 0.03
    # a higher rate makes the deferral dearer: tau I (1/1.035 - a(0.035, 5)/5)
    r35 = run_programme(opts, ents, "US", on_date=date(2025, 6, 30), rule=rule, government_discount_rate=0.035)
    assert r35.summary["pv_cost"] == pytest.approx(TAU * I * (1 / 1.035 - annuity(0.035, N) / N), rel=1e-12)
    assert r35.summary["pv_cost"] > r.summary["pv_cost"]
    table, _ = compare_scenarios(opts, ents, [Scenario("bonus", "US", {}, rule)], on_date=date(2025, 6, 30),
                                 government_discount_rate=0.035)
    assert table.loc[0, "pv_cost"] == pytest.approx(r35.summary["pv_cost"], rel=1e-12)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), float("inf")])
def test_bad_government_rate_is_refused(bad):
    opts, ents = frames()
    with pytest.raises(ValueError, match="government discount rate"):
        run_programme(opts, ents, "US", on_date=date(2025, 6, 30), rule=DecisionRule("npv"), government_discount_rate=bad)

"""Real escalation of savings and cost change (issue 12 item 1) against the growing annuity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finance.batch import batch_appraise
from finance.batch_flows import batch_cash_flows
from finance.cashflow import cash_flow
from finance.metrics import metrics

I, S, C, N, R = 50_000.0, 12_000.0, 2_000.0, 12, 0.07


def growing_annuity(amount: float, g: float, r: float, n: int) -> float:
    """PV at t = 0 of amount at t = 1 growing by g a year for n years: A/(r-g) (1 - ((1+g)/(1+r))^n)."""
    return amount / (r - g) * (1 - ((1 + g) / (1 + r)) ** n)


def test_untaxed_npv_is_a_difference_of_growing_annuities():
    opt = {"investment": I, "annual_savings": S, "annual_cost_change": C, "lifetime_years": N,
           "savings_escalation": 0.03, "cost_escalation": -0.01}
    flows = cash_flow(opt, 0.0, (), True, discount_rate=R)
    expected = -I + growing_annuity(S, 0.03, R, N) - growing_annuity(C, -0.01, R, N)
    assert metrics(flows, R)["npv"] == pytest.approx(expected, rel=1e-12)
    assert flows["savings"].iloc[1] == S and flows["savings"].iloc[5] == pytest.approx(S * 1.03 ** 4)


def test_taxed_flows_batch_equal_scalar_and_shield_unchanged():
    rng = np.random.default_rng(11)
    n = 50
    opts = pd.DataFrame({"investment": rng.uniform(0, 1e5, n), "annual_savings": rng.uniform(-1e3, 3e4, n),
                         "annual_cost_change": rng.uniform(0, 5e3, n), "lifetime_years": rng.integers(1, 30, n),
                         "savings_escalation": rng.uniform(-0.05, 0.08, n), "cost_escalation": rng.uniform(-0.05, 0.08, n)})
    tax = rng.uniform(0, 0.4, n)
    cap = rng.random(n) < 0.5
    b = batch_cash_flows(opts, tax, cap, None)
    for i in range(n):
        one = cash_flow(opts.iloc[i].to_dict(), float(tax[i]), (), bool(cap[i]), discount_rate=R)["net"].to_numpy()
        assert b.net[i, : len(one)] == pytest.approx(one, rel=1e-9, abs=1e-6)
    # with capacity and straight line: NPV = -I + (1 - t) x PV(growing flows) + t x I/N x a(r, N)
    t, g = 0.25, 0.04
    one = pd.DataFrame([{"investment": I, "annual_savings": S, "lifetime_years": N, "savings_escalation": g}])
    a = (1 - (1 + R) ** -N) / R
    npv = batch_appraise(one, t, R, True)["npv"].iloc[0]
    assert npv == pytest.approx(-I + (1 - t) * growing_annuity(S, g, R, N) + t * I / N * a, rel=1e-12)


def test_escalation_out_of_range_is_refused_by_name():
    bad = pd.DataFrame([{"investment": I, "annual_savings": S, "lifetime_years": N, "savings_escalation": -1.5}])
    with pytest.raises(ValueError, match="savings_escalation"):
        batch_cash_flows(bad, 0.2, True, None)

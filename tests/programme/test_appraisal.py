"""The programme's fast metrics agree with finance.batch; the grant-only shortcut with the full model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finance.batch import batch_cash_flows, batch_metrics
from programme.appraisal import decision_metrics, grant_rows


def random_options(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    inv = rng.uniform(0, 1e5, n)
    return pd.DataFrame({"investment": inv, "annual_savings": inv / rng.uniform(0.5, 15, n) * rng.choice([1, 1, 1, -1], n),
                         "annual_cost_change": rng.uniform(0, 1e3, n), "lifetime_years": rng.integers(1, 25, n),
                         "salvage_value": rng.uniform(0, 5e3, n)})


@pytest.mark.parametrize("seed", range(3))
def test_decision_metrics_match_batch_metrics(seed):
    o = random_options(500, seed)
    rng = np.random.default_rng(seed + 100)
    tax, cap, disc = rng.uniform(0, 0.3, 500), rng.random(500) < 0.7, rng.uniform(0, 0.15, 500)
    f = batch_cash_flows(o, tax, cap, None)
    ref = batch_metrics(f, disc)
    got = decision_metrics(f.net, f.life, disc, with_irr=True)
    assert got["npv"].to_numpy() == pytest.approx(ref["npv"].to_numpy(), rel=1e-12, abs=1e-6)
    np.testing.assert_allclose(got["simple_payback_years"], ref["simple_payback_years"], rtol=1e-12)
    np.testing.assert_allclose(got["irr"], ref["irr"], rtol=1e-12)
    assert "irr" not in decision_metrics(f.net, f.life, disc, with_irr=False).columns


def test_untaxed_grants_add_to_the_flows_without_changing_tax():
    # the identity the budget's grant-only shortcut rests on, with and without tax capacity
    o = random_options(300, 7)
    rng = np.random.default_rng(8)
    tax, cap = rng.uniform(0, 0.3, 300), rng.random(300) < 0.5
    g = grant_rows(np.arange(300), rng.uniform(0, 2e4, 300))
    f0 = batch_cash_flows(o, tax, cap, None)
    f1 = batch_cash_flows(o, tax, cap, g)
    expected = f0.net.copy()
    expected[:, 0] += g["amount"].to_numpy()
    np.testing.assert_allclose(f1.net, expected, rtol=1e-12, atol=1e-6)

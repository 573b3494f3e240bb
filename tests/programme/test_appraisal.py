"""The programme's fast metrics agree with finance.batch; the grant-only shortcut with the full model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finance.batch_flows import batch_cash_flows
from finance.batch_metrics import batch_metrics
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


def _payback_reference(net: np.ndarray, life: np.ndarray) -> np.ndarray:
    """The simple payback as numpy computes it on the whole matrix (the formula before the compiled pass)."""
    cum = np.cumsum(net, axis=1)
    hit = (cum >= 0) & (np.arange(cum.shape[1])[None, :] <= life[:, None])
    t = hit.argmax(axis=1)
    rows = np.arange(cum.shape[0])
    prev = cum[rows, np.maximum(t - 1, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(t == 0, 0.0, t - 1 + (-prev) / (cum[rows, t] - prev))
    return np.where(hit.any(axis=1), value, np.nan)


def test_cumulative_payback_is_numpys_cumsum_and_payback_bit_for_bit():
    from programme.appraisal import cumulative_payback, payback_from_cumulative, payback_years

    o = random_options(700, 11)
    f = batch_cash_flows(o, 0.2, True, None)
    cum, pb = cumulative_payback(f.net, f.life)
    assert np.array_equal(cum, np.cumsum(f.net, axis=1))
    ref = _payback_reference(f.net, f.life)
    assert np.array_equal(pb, ref, equal_nan=True)
    assert np.array_equal(payback_years(f.net, f.life), ref, equal_nan=True)
    assert np.array_equal(payback_from_cumulative(cum, f.life), ref, equal_nan=True)
    # hand cases: -100 then 40 a year pays back in 2.5 years; never within a 2-year life; 0 when nothing is invested
    net = np.array([[-100.0, 40, 40, 40], [-100.0, 40, 40, 0], [0.0, 5, 5, 5]])
    assert np.array_equal(cumulative_payback(net, np.array([3, 2, 3]))[1], [2.5, np.nan, 0.0], equal_nan=True)


@pytest.mark.parametrize("workers", [1, 2])
def test_flows_and_metrics_by_blocks_are_the_whole_pass_bit_for_bit(workers):
    from programme.appraisal import flows_and_metrics

    n = 600
    o = random_options(n, 12)
    rng = np.random.default_rng(13)
    tax, cap, disc = rng.uniform(0, 0.3, n), rng.random(n) < 0.6, rng.choice([0.04, 0.08, 0.12], n)
    loss = np.where(rng.random(n) < 0.5, 5.0, np.nan)
    rows = np.sort(rng.choice(n, 250, replace=False))
    sup = grant_rows(rows, rng.uniform(0, 2e4, 250), taxable=True, reduces_depreciation_base=True)
    f = batch_cash_flows(o, tax, cap, sup, loss_carry_forward_years=loss)
    ref = decision_metrics(f.net, f.life, disc, with_irr=True)
    net, life, got = flows_and_metrics(o, tax, cap, disc, sup, loss_carry_forward_years=loss, with_irr=True,
                                       block_rows=37, workers=workers)
    assert np.array_equal(net, f.net) and np.array_equal(life, f.life)
    for c in ("npv", "simple_payback_years", "irr"):
        assert np.array_equal(got[c].to_numpy(), ref[c].to_numpy(), equal_nan=True), c
    # the NPV as one discounted sum over the whole matrix (the rows' sums do not depend on the blocks)
    factors = np.exp(-np.arange(f.net.shape[1])[None, :] * np.log1p(disc)[:, None])
    assert np.array_equal(got["npv"].to_numpy(), np.einsum("ij,ij->i", f.net, factors))
    # a bad row is named by its place among all options, not within its block
    bad = o.copy()
    bad.loc[123, "lifetime_years"] = 0
    with pytest.raises(ValueError, match="row 123"):
        flows_and_metrics(bad, tax, cap, disc, None, block_rows=37, workers=workers)

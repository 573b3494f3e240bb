"""Rank acceptability under input uncertainty (screening.input_robustness) against the deterministic
ranking (no spread) and closed-form probabilities (normal and triangular NPVs), through
finance.risk's draws where the inputs are drawn."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance.appraise import appraise_table
from finance.risk import simulate
from screening.criteria import Criterion
from screening.input_robustness import criterion_draws, input_acceptability
from screening.mcda import evaluate, prepare
from screening.rank import rank_options

ON = date(2026, 6, 30)
ENT = pd.DataFrame({"enterprise_id": ["e"], "name": ["e"], "jurisdiction": ["none"], "size_class": ["small"],
                    "discount_rate": [0.10]})
#: no tax (jurisdiction none), no support: NPV = -I + S x A(10 %, 10)
I, N, R = 100_000.0, 10, 0.10
A = (1 - (1 + R) ** -N) / R


def options(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "option_id": [f"o{i}" for i in range(n)], "enterprise_id": "e", "title": "t", "category": "process_control",
        "investment": rng.uniform(2e4, 2e5, n), "annual_savings": rng.uniform(5e3, 6e4, n),
        "lifetime_years": rng.integers(5, 20, n), "co2e_avoided_t": rng.uniform(1, 100, n),
        "technical_feasibility": rng.integers(1, 11, n).astype(float),
    })


def draws_of(opts: pd.DataFrame, draws: int, **kw: object) -> dict[str, np.ndarray]:
    sim = simulate(opts, ENT, ON, draws=draws, **kw)
    base = {c: opts[c].to_numpy(dtype=float) for c in ("investment", "annual_savings", "annual_cost_change") if c in opts}
    return criterion_draws({"npv": sim.npv, "irr": sim.irr, "simple_payback_years": sim.simple_payback_years},
                           sim.inputs, base)


@pytest.mark.parametrize("method", ["wsm", "topsis", "vikor", "wpm"])
def test_without_spread_the_shares_are_the_ranking_itself(method):
    opts = options(12, seed=4)
    metrics = appraise_table(opts, ENT, ON, with_support=True)[0]
    frame = opts.merge(metrics[["enterprise_id", "option_id", "npv", "simple_payback_years"]], on=["enterprise_id", "option_id"])
    crit = [Criterion("npv", "max", 3), Criterion("simple_payback_years", "min", 2), Criterion("investment", "min", 1),
            Criterion("co2e_avoided_t", "max", 1)]
    ranking = rank_options(frame, ENT, method=method, criteria=crit)
    zero = {"investment": 0, "annual_savings": 0, "annual_cost_change": 0, "lifetime_years": 0}
    d = draws_of(frame, 5, spreads=zero)
    acc = input_acceptability(ranking.prepared, ranking.result.method, ranking.result.scaling, d, k=3)
    rank = ranking.result.rank
    np.testing.assert_array_equal(acc.first, (rank == 1).astype(float))
    np.testing.assert_array_equal(acc.top_k, (rank <= 3).astype(float))
    assert acc.varied == ["npv", "simple_payback_years"] and acc.fixed == ["investment", "co2e_avoided_t"]


def test_two_normal_npvs_share_first_is_the_closed_form_probability():
    # NPV_a ~ N(100, 30^2), NPV_b ~ N(80, 40^2) independent: P(a first) = Phi(20 / 50) = 0.655422
    draws = 4000
    rng = np.random.default_rng(1)
    npv = np.vstack([rng.normal(100, 30, draws), rng.normal(80, 40, draws)])
    frame = pd.DataFrame({"option_id": ["a", "b"], "npv": [100.0, 80.0]})
    prep = prepare(frame, [Criterion("npv", "max", 1)])
    acc = input_acceptability(prep, "wsm", None, {"npv": npv}, k=1)
    p = 0.5 * (1 + math.erf(0.4 / math.sqrt(2)))
    assert p == pytest.approx(0.655422, abs=1e-6)
    se = math.sqrt(p * (1 - p) / draws)
    assert abs(acc.first[0] - p) < 4 * se
    assert acc.first.sum() == pytest.approx(1.0) and acc.top_k.tolist() == acc.first.tolist()


def test_triangular_savings_drawn_by_finance_risk_give_the_closed_form_probability():
    # a: savings triangular(10,000, 20,000, 30,000); b: savings 21,000 for certain; same investment and life.
    # a ranks first on NPV when S_a > 21,000: P = (30,000 - 21,000)^2 / (20,000 x 10,000) = 0.405
    opts = pd.DataFrame({"option_id": ["a", "b"], "enterprise_id": "e", "title": "t", "category": "process_control",
                         "investment": I, "annual_savings": [20_000.0, 21_000.0], "lifetime_years": N,
                         "annual_savings_low": [10_000.0, np.nan], "annual_savings_high": [30_000.0, np.nan]})
    draws = 6000
    d = draws_of(opts, draws, seed=5, spreads={"investment": 0, "annual_savings": 0, "annual_cost_change": 0,
                                               "lifetime_years": 0})
    np.testing.assert_allclose(d["npv"][1], -I + A * 21_000.0, rtol=1e-12)  # b is certain
    frame = opts.assign(npv=[-I + A * 20_000.0, -I + A * 21_000.0])
    prep = prepare(frame, [Criterion("npv", "max", 1)])
    acc = input_acceptability(prep, "wsm", None, d, k=1)
    p = 0.405
    se = math.sqrt(p * (1 - p) / draws)
    assert abs(acc.first[0] - p) < 4 * se
    assert evaluate(prep, "wsm").rank.tolist() == [2, 1]  # deterministic: b first


def test_a_gap_in_a_draw_takes_that_draws_worst_value():
    # payback never reached (NaN) in a draw counts as the worst payback of that draw, as prepare() does
    frame = pd.DataFrame({"option_id": ["a", "b", "c"], "pb": [1.0, 2.0, 3.0]})
    prep = prepare(frame, [Criterion("pb", "min", 1)])
    pb = np.array([[np.nan, 1.0], [2.0, 2.0], [3.0, 3.0]])
    acc = input_acceptability(prep, "wsm", None, {"pb": pb}, k=2)
    assert acc.first.tolist() == [0.5, 0.5, 0.0]
    # draw 0: a gets 3.0, tied with c, and wins the tie by the static order (ids): b, a, c; a gap read
    # as "infinitely bad" would put c in the top 2 instead
    assert acc.top_k.tolist() == [1.0, 1.0, 0.0]


def test_criterion_draws_derive_pre_tax_payback_and_net_savings_from_the_drawn_inputs():
    inv = np.array([[100.0, 200.0]])
    sav = np.array([[50.0, 40.0]])
    d = criterion_draws({"npv": np.zeros((1, 2))}, {"investment": inv, "annual_savings": sav},
                        {"annual_cost_change": np.array([np.nan])})
    np.testing.assert_array_equal(d["simple_payback_pretax_years"], [[2.0, 5.0]])
    np.testing.assert_array_equal(d["net_annual_savings"], [[50.0, 40.0]])


def test_mismatched_draws_are_refused_by_name():
    prep = prepare(pd.DataFrame({"option_id": ["a", "b"], "npv": [1.0, 2.0]}), [Criterion("npv", "max", 1)])
    with pytest.raises(ValueError, match="draws of 'npv' have shape"):
        input_acceptability(prep, "wsm", None, {"npv": np.zeros((3, 4))})

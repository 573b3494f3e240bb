"""Monte Carlo risk (finance.risk) against closed forms, and its independence from how work is split."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance.risk import risk, triangular_ppf, uniforms

ON = date(2026, 6, 30)
ENT = pd.DataFrame({"enterprise_id": ["e"], "name": ["e"], "jurisdiction": ["none"], "size_class": ["small"],
                    "discount_rate": [0.10]})
#: no tax (jurisdiction none), no support: NPV = -I + S x A(10 %, 10), linear in I and S
I, S, N, R = 100_000.0, 20_000.0, 10, 0.10
A = (1 - (1 + R) ** -N) / R


def option(**kw: object) -> pd.DataFrame:
    base = {"option_id": "o", "enterprise_id": "e", "title": "t", "category": "process_control", "investment": I,
            "annual_savings": S, "lifetime_years": N}
    return pd.DataFrame([base | kw])


def tri_cdf(x: float, a: float, c: float, b: float) -> float:
    if x <= a:
        return 0.0
    if x <= c:
        return (x - a) ** 2 / ((b - a) * (c - a))
    if x < b:
        return 1 - (b - x) ** 2 / ((b - a) * (b - c))
    return 1.0


def tri_var(a: float, c: float, b: float) -> float:
    return (a * a + b * b + c * c - a * b - a * c - b * c) / 18


def test_loss_probability_and_mean_match_the_closed_form():
    # savings triangular(10,000, 20,000, 30,000): NPV < 0 when S < I / A = 16,274.54
    draws = 20_000
    r = risk(option(annual_savings_low=10_000, annual_savings_high=30_000), ENT, ON, draws=draws, seed=3,
             spreads={"investment": 0, "lifetime_years": 0, "annual_cost_change": 0}).iloc[0]
    p = tri_cdf(I / A, 10_000, 20_000, 30_000)
    assert p == pytest.approx(0.19685, abs=1e-4)  # written out: (16,274.54 - 10,000)^2 / (20,000 x 10,000)
    se = math.sqrt(p * (1 - p) / draws)
    assert abs(r["prob_npv_negative"] - p) < 4 * se
    sd = A * math.sqrt(tri_var(10_000, 20_000, 30_000))
    assert abs(r["npv_mean"] - (-I + A * 20_000)) < 4 * sd / math.sqrt(draws)
    assert r["drivers"]["annual_savings"] == pytest.approx(1.0)


def test_variance_shares_follow_the_linear_model():
    # I +-25 % and S +-30 % independent: share_I = Var(I) / (Var(I) + A^2 Var(S))
    r = risk(option(), ENT, ON, draws=20_000, seed=5, spreads={"lifetime_years": 0}).iloc[0]
    vi = tri_var(0.75 * I, I, 1.25 * I)
    vs = tri_var(0.7 * S, S, 1.3 * S)
    assert r["drivers"]["investment"] == pytest.approx(vi / (vi + A * A * vs), abs=0.02)
    assert r["drivers"]["annual_savings"] == pytest.approx(A * A * vs / (vi + A * A * vs), abs=0.02)


def test_results_do_not_depend_on_chunks_or_option_order():
    opts = pd.concat([option(option_id=f"o{i}", annual_savings=S * (1 + i / 10)) for i in range(6)], ignore_index=True)
    a = risk(opts, ENT, ON, draws=300, seed=9)
    b = risk(opts, ENT, ON, draws=300, seed=9, rows_per_chunk=250)
    c = risk(opts.iloc[::-1], ENT, ON, draws=300, seed=9).iloc[::-1].reset_index(drop=True)
    for other in (b, c):
        pd.testing.assert_frame_equal(a.drop(columns="drivers"), other.drop(columns="drivers"))
    d = risk(opts, ENT, ON, draws=300, seed=10)
    assert not np.allclose(a["npv_mean"], d["npv_mean"])  # the seed matters


def test_uniforms_are_uniform_and_keyed():
    key = np.arange(1000, dtype=np.uint64)
    u = uniforms(1, key[:, None], np.arange(200)[None, :], 0)
    assert 0 < u.min() and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005 and abs(u.var() - 1 / 12) < 0.002
    assert np.array_equal(u[17, 5:9], uniforms(1, np.uint64(17), np.arange(5, 9), 0))  # the same number alone
    assert not np.array_equal(u, uniforms(1, key[:, None], np.arange(200)[None, :], 1))  # another input, another stream


def test_triangular_inverse_cdf_closed_form():
    a, c, b = 1.0, 2.0, 4.0
    for x in (1.2, 2.0, 3.5):
        assert triangular_ppf(np.array([tri_cdf(x, a, c, b)]), np.array([a]), np.array([c]), np.array([b]))[0] == pytest.approx(x)


def test_certain_option_has_no_spread_and_undefined_medians_are_null():
    # every flow negative: no IRR in any draw, and it never pays back
    r = risk(option(investment=1000.0, annual_savings=-1000.0), ENT, ON, draws=50,
             spreads={"investment": 0, "annual_savings": 0, "lifetime_years": 0, "annual_cost_change": 0}).iloc[0]
    assert r["npv_p10"] == r["npv_p90"] == pytest.approx(-1000 - 1000 * A)
    assert math.isnan(r["irr_p50"]) and math.isnan(r["simple_payback_years_p50"])
    assert r["prob_npv_negative"] == 1.0


@pytest.mark.parametrize("kw, message", [
    ({"draws": 1}, "draws"), ({"spreads": {"title": 0.1}}, "title"), ({"spreads": {"investment": -0.1}}, ">= 0"),
    ({"correlation": 2.0}, "correlation"),
    # above 100 % the low end of an investment (1000 (1 - 1.5) = -500) or a life would pass its floor
    ({"spreads": {"investment": 1.5}}, "investment is 150%: above 100 % an investment cannot be negative"),
    ({"spreads": {"lifetime_years": 1.01}}, "lifetime_years is 101%: above 100 % a life is at least 1 year"),
])
def test_bad_arguments_are_refused_by_name(kw, message):
    with pytest.raises(ValueError, match=message):
        risk(option(), ENT, ON, **kw)


def test_own_bounds_out_of_order_are_refused_naming_row_and_fields():
    with pytest.raises(ValueError, match=r"row 0: fields 'investment_low'"):
        risk(option(investment_low=150_000, investment_high=200_000), ENT, ON, draws=10)


def test_chunks_on_threads_give_the_same_draws_as_one_thread(monkeypatch):
    # real packs (grants, deductions, cumulative caps per enterprise): several options per enterprise
    import finance.risk as fr

    rng = np.random.default_rng(7)
    ents = pd.DataFrame({"enterprise_id": ["a", "b", "c"], "name": "x", "jurisdiction": ["NL", "DK", "CN"],
                         "size_class": ["small", "medium", "large"], "discount_rate": 0.08})
    n = 12
    inv = rng.lognormal(11, 1, n).round(0)
    opts = pd.DataFrame({"option_id": [f"o{i}" for i in range(n)], "enterprise_id": rng.choice(["a", "b", "c"], n),
                         "title": "t", "category": rng.choice(["technology_change", "equipment_modification", "process_control"], n),
                         "investment": inv, "annual_savings": (inv * rng.uniform(0.05, 0.4, n)).round(0),
                         "lifetime_years": rng.integers(5, 20, n), "eligible_investment": inv,
                         "energy_saved_mwh": rng.uniform(0, 2000, n), "co2e_avoided_t": rng.uniform(0, 800, n)})
    from policies import engine

    assert engine.support_table(opts, ents, ON)["instrument_id"].nunique() >= 3  # the case has support to split
    monkeypatch.setattr(fr, "WORKERS", 1)
    one = fr.simulate(opts, ents, ON, draws=200, seed=2, rows_per_chunk=500)
    monkeypatch.setattr(fr, "WORKERS", 3)
    many = fr.simulate(opts, ents, ON, draws=200, seed=2, rows_per_chunk=500)
    for a, b in ((one.npv, many.npv), (one.irr, many.irr), (one.simple_payback_years, many.simple_payback_years)):
        np.testing.assert_array_equal(a, b)
    assert set(one.inputs) == set(many.inputs)
    for k in one.inputs:
        np.testing.assert_array_equal(one.inputs[k], many.inputs[k])
    assert np.isfinite(one.npv).all() and one.npv.std() > 0


def test_compiled_triangular_equals_the_array_formula_bit_for_bit():
    rng = np.random.default_rng(11)
    for _ in range(10):
        n = int(rng.integers(1, 3000))
        low = rng.normal(size=n) * rng.choice([1.0, 1e5])
        mode = low + np.abs(rng.normal(size=n)) * rng.choice([0.0, 1.0], n)  # some low == mode
        high = mode + np.abs(rng.normal(size=n)) * rng.choice([0.0, 1.0], n)  # some mode == high
        low[rng.random(n) < 0.05] = np.nan  # a missing bound gives the mode (as width > 0 is false)
        u = rng.random(n)
        width = high - low
        with np.errstate(divide="ignore", invalid="ignore"):
            fc = np.where(width > 0, (mode - low) / width, 0.5)
            left = low + np.sqrt(u * width * (mode - low))
            right = high - np.sqrt((1.0 - u) * width * (high - mode))
        want = np.where(width > 0, np.where(u < fc, left, right), mode)
        np.testing.assert_array_equal(triangular_ppf(u, low, mode, high), want)
    assert triangular_ppf(np.array([[0.1, 0.9]]), np.zeros(2), np.ones(2), np.full(2, 3.0)).shape == (1, 2)


def test_shared_hash_streams_equal_uniforms():
    from finance.risk import _streams

    key = np.random.default_rng(3).integers(0, 2**63, 7, dtype=np.uint64) * np.uint64(2)
    d = np.array([0, 5, 999, 10**6])
    got = _streams(12345, key, d, [0, 2, 3])
    assert set(got) == {0, 2, 3}
    for i, u in got.items():
        np.testing.assert_array_equal(u, uniforms(12345, np.tile(key, d.size), np.repeat(d, key.size), i))


def test_drivers_do_not_depend_on_the_option_blocks():
    from finance.risk import _drivers

    rng = np.random.default_rng(4)
    x = {v: rng.normal(size=(25, 60)) for v in ("investment", "annual_savings")}
    x["lifetime_years"] = np.full((25, 60), 10.0)  # does not vary: share 0
    npv = 2 * x["investment"] - x["annual_savings"] + rng.normal(size=(25, 60))
    whole = _drivers(npv, x, list(x), block=1000)
    assert _drivers(npv, x, list(x), block=7) == whole
    assert all(d["lifetime_years"] == 0.0 and d["investment"] > d["annual_savings"] for d in whole)


def test_a_spread_of_100_percent_or_one_without_a_floor_is_kept_as_asked():
    """100 % on an investment reaches 0 exactly (nothing cut); savings have no floor, so 150 % draws
    a triangle from -0.5 v to 2.5 v, whose mean is v (the closed form (low + mode + high) / 3)."""
    out = risk(option(), ENT, ON, draws=4000, seed=3, spreads={"investment": 1.0, "annual_savings": 1.5})
    # NPV = -I + S A: mean -I + S A; variance I^2/6 + A^2 (6.75/18) S^2 (the triangle's (a2+b2+c2-ab-ac-bc)/18)
    sd = math.sqrt(I**2 / 6 + A**2 * 6.75 / 18 * S**2)
    assert out["npv_mean"].iloc[0] == pytest.approx(-I + S * A, abs=4 * sd / math.sqrt(4000))
    from finance.risk import spread_problem

    assert spread_problem("investment", 1.0) is None and spread_problem("annual_savings", 1.5) is None

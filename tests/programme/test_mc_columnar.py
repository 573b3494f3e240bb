"""The columnar, compiled Monte Carlo path (``programme.mc_columnar``, ``programme.mc_kernels``).

Checked against: (1) a second method, the general path (the stacked frames through
``run_programme``: policy engine, allocation rounds, outlay table) on the same draws: the same keys,
the same uptake in every draw, outlay and effects equal to rounding, for rules and data that reach
every branch of the kernel (caps per enterprise that bind, taxes, inflation, escalation, eligible
shares, other grants, salvage, logistic and deterministic rules); (2) the generator and the
triangular inverse CDF of ``finance.risk`` bit for bit; (3) itself split into partitions; (4) a
hand calculation of one option's grant and outlay.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance.risk import triangular_ppf, uniforms
from programme import mc_kernels as K
from programme.montecarlo import McSpec, draw_sums, engine_path
from programme.uptake import DecisionRule
from screening.schema import validate

ON = date(2010, 6, 1)


def frames(n_ent: int = 12, per: int = 9, seed: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CA-ECOENERGY frames: several options per enterprise (the CAD 250,000 company cap binds),
    taxed enterprises with inflation, escalating savings, eligible shares below 1, other grants."""
    rng = np.random.default_rng(seed)
    n = n_ent * per
    inv = np.round(rng.lognormal(12.0, 0.8, n))
    payback = rng.uniform(1.0, 6.0, n)
    opts = pd.DataFrame({
        "enterprise_id": np.repeat([f"E{i}" for i in range(n_ent)], per),
        "option_id": np.tile([f"o{i}" for i in range(per)], n_ent),
        "title": "t", "category": "equipment_modification",
        "investment": inv, "annual_savings": np.round(inv / payback),
        "annual_cost_change": np.where(rng.random(n) < 0.3, np.round(inv * 0.01), 0.0),
        "lifetime_years": rng.integers(4, 16, n), "salvage_value": np.where(rng.random(n) < 0.3, np.round(inv * 0.05), 0.0),
        "eligible_investment": np.round(inv * rng.choice([1.0, 0.8], n)),
        "other_grants": np.where(rng.random(n) < 0.2, 5_000.0, 0.0),
        "energy_saved_mwh": np.round(inv / rng.uniform(30, 300, n), 1),
        "co2e_avoided_t": np.round(inv / rng.uniform(200, 900, n), 2),
        "savings_escalation": rng.choice([0.0, 0.02], n),
    })
    ents = pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(n_ent)], "name": "e", "jurisdiction": "none",
                         "size_class": rng.choice(["small", "medium", "large"], n_ent),
                         "tax_rate": rng.choice([0.0, 0.15, 0.265], n_ent), "discount_rate": rng.choice([0.06, 0.08], n_ent),
                         "tax_capacity": "yes", "inflation": rng.choice([0.0, 0.02], n_ent)})
    v = validate(ents, opts)
    return v.options, v.enterprises


RULES = [DecisionRule("payback", payback_limit=3.0), DecisionRule("npv"),
         DecisionRule("logistic", intercept=1.0, slope=-0.5), DecisionRule("logistic", intercept=-0.1, slope=-0.4, transform="log")]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: f"{r.kind}-{r.transform}")
def test_the_kernel_gives_the_general_paths_figures_on_the_same_draws(rule):
    opts, ents = frames()
    spec = McSpec("CA-ECOENERGY", ON, rule, draws=16, seed=9, correlation=0.5, rows_per_chunk=500)
    path, _ = engine_path(opts, ents, spec)
    assert path == "columnar"
    fast = draw_sums(opts, ents, spec)
    general = draw_sums(opts, ents, McSpec(**{**spec.__dict__, "engine": "general"}))
    assert fast.keys == general.keys and len(fast.keys) >= 1
    np.testing.assert_array_equal(fast.uptake_with, general.uptake_with)
    np.testing.assert_array_equal(fast.uptake_without, general.uptake_without)
    np.testing.assert_allclose(fast.outlay, general.outlay, rtol=1e-11, atol=1e-6)
    np.testing.assert_allclose(fast.additional, general.additional, rtol=1e-11, atol=1e-9)
    assert np.ptp(fast.total()) > 0  # inputs and uptake are drawn


@pytest.mark.parametrize("pack, on", [("DE", date(2026, 6, 1)), ("DK", date(2026, 6, 1)), ("FR", date(2026, 6, 1)),
                                      ("FR", date(2021, 6, 1))])
def test_the_kernel_gives_the_general_paths_figures_for_the_shipped_grant_packs(pack, on):
    """DE: rates by project type, rules excluding each other, grants reducing the depreciation base,
    the EU aid ceiling; DK: the highest of two per-unit amounts over the life, intensity by size,
    minimum aid, paid in year 1, the ceiling; FR: a taxable grant, a discounted per-unit term."""
    opts, ents = frames()
    spec = McSpec(pack, on, DecisionRule("payback", payback_limit=5.0), draws=6, seed=3)
    assert engine_path(opts, ents, spec)[0] == "columnar"
    fast = draw_sums(opts, ents, spec)
    general = draw_sums(opts, ents, McSpec(**{**spec.__dict__, "engine": "general"}))
    assert fast.keys == general.keys and len(fast.keys) >= 1
    np.testing.assert_array_equal(fast.uptake_with, general.uptake_with)
    np.testing.assert_array_equal(fast.uptake_without, general.uptake_without)
    np.testing.assert_allclose(fast.outlay, general.outlay, rtol=1e-11, atol=1e-6)


@pytest.mark.parametrize("jurisdiction", ["NL", "US"])
def test_tax_rates_that_change_over_the_lives_give_the_general_paths_figures(jurisdiction):
    """The enterprises' own jurisdictions' corporate rates, which change over the lives (2010 on)."""
    from policies import corporate_tax

    opts, ents = frames()
    v = validate(ents.assign(jurisdiction=jurisdiction).drop(columns=["tax_rate"]), opts)
    opts, ents = v.options, v.enterprises
    assert corporate_tax.tax_rates_by_year(opts, ents, ON, K.WIDTH) is not None
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule("payback", payback_limit=4.0), draws=6, seed=3)
    assert engine_path(opts, ents, spec)[0] == "columnar"
    fast = draw_sums(opts, ents, spec)
    general = draw_sums(opts, ents, McSpec(**{**spec.__dict__, "engine": "general"}))
    np.testing.assert_array_equal(fast.uptake_with, general.uptake_with)
    np.testing.assert_array_equal(fast.uptake_without, general.uptake_without)
    np.testing.assert_allclose(fast.outlay, general.outlay, rtol=1e-11, atol=1e-6)


def grouped_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`frames` with two exclusive groups in every enterprise: o0/o1 and o2/o3/o4."""
    opts, ents = frames()
    opts = opts.assign(excludes=opts["option_id"].map({"o0": "o1", "o2": "o3;o4"}).fillna(""))
    v = validate(ents, opts)
    return v.options, v.enterprises


@pytest.mark.parametrize("pack, on, rule", [("DE", date(2026, 6, 1), DecisionRule("payback", payback_limit=5.0)),
                                            ("DK", date(2026, 6, 1), DecisionRule("logistic", intercept=1.0, slope=-0.5)),
                                            ("FR", date(2026, 6, 1), DecisionRule("npv"))])
def test_exclusive_options_give_the_general_paths_figures(pack, on, rule):
    """At most one option of a group taken up (the best-ranked, with and without support): the
    kernel against run_programme's exclusive choice on the same draws, additional effects (the
    switched-from option's subtracted) included; and the groups do cut the uptake."""
    opts, ents = grouped_frames()
    spec = McSpec(pack, on, rule, draws=8, seed=3)
    assert engine_path(opts, ents, spec)[0] == "columnar"
    fast = draw_sums(opts, ents, spec)
    general = draw_sums(opts, ents, McSpec(**{**spec.__dict__, "engine": "general"}))
    assert fast.keys == general.keys and len(fast.keys) >= 1
    np.testing.assert_array_equal(fast.uptake_with, general.uptake_with)
    np.testing.assert_array_equal(fast.uptake_without, general.uptake_without)
    np.testing.assert_allclose(fast.outlay, general.outlay, rtol=1e-11, atol=1e-6)
    np.testing.assert_allclose(fast.additional, general.additional, rtol=1e-11, atol=1e-6)
    free = draw_sums(*frames(), spec)
    assert (fast.uptake_with < free.uptake_with).all()


def test_exclusive_options_with_cumulative_caps_run_the_general_path():
    opts, ents = grouped_frames()
    path, why = engine_path(opts, ents, McSpec("CA-ECOENERGY", ON, DecisionRule(), draws=3))
    assert path == "general" and "cumulative caps" in why


def test_the_company_cap_binds_in_the_test_data():
    """The comparison above reaches the cumulative cap: with every option taken up and no cap
    reached the outlay would be the sum of the per-project grants, which is larger."""
    opts, ents = frames()
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule("npv"), draws=4, seed=9)
    capped = draw_sums(opts, ents, spec)
    free = draw_sums(opts, ents, McSpec(**{**spec.__dict__, "params": {"CA-ECOENERGY-RETROFIT.caps.per_enterprise": 1e12}}))
    assert (capped.total() < free.total()).all()


def test_generator_and_triangular_are_finance_risks_bit_for_bit():
    key = np.array([1, 2**63 + 5, 123456789012345], dtype=np.uint64)
    draws = np.array([0, 1, 7, 1000], dtype=np.int64)
    for which in range(5):
        out = np.empty((draws.size, key.size))
        K.uniforms_rows(np.uint64(42), key, draws, which, out)
        expect = uniforms(42, np.tile(key, draws.size), np.repeat(draws, key.size), which).reshape(draws.size, key.size)
        np.testing.assert_array_equal(out, expect)
    u = np.random.default_rng(1).random(200)
    lo, mode, hi = np.full(200, 2.0), np.linspace(2.0, 9.0, 200), np.full(200, 9.0)
    expect = triangular_ppf(u, lo, mode, hi)
    got = np.array([K.triangular(u[i], lo[i], mode[i], hi[i]) for i in range(200)])
    np.testing.assert_array_equal(got, expect)


def test_partitions_give_the_whole_frames_figures():
    opts, ents = frames()
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule("logistic", intercept=1.0, slope=-0.5), draws=10, seed=2)
    whole = draw_sums(opts, ents, spec)
    ids = list(dict.fromkeys(opts["enterprise_id"]))
    a, b = (draw_sums(opts[opts["enterprise_id"].isin(ids[i::2])], ents, spec) for i in range(2))
    split = a.merge(b)
    assert split.keys == whole.keys
    np.testing.assert_allclose(split.outlay, whole.outlay, rtol=1e-12)
    np.testing.assert_array_equal(split.uptake_with, whole.uptake_with)


def test_one_option_by_hand():
    """One option, no tax, only the investment drawn (+-10 %): the grant is the lowest of 25 % of
    the investment, investment - 1 yr of savings and CAD 10/GJ, within CAD 50,000; taken up when
    the payback with it is at most 3 years."""
    opts = pd.DataFrame({"enterprise_id": ["E"], "option_id": ["o"], "title": "t", "category": "equipment_modification",
                         "investment": [100_000.0], "annual_savings": [25_000.0], "lifetime_years": [10],
                         "energy_saved_mwh": [10_000.0], "co2e_avoided_t": [10.0]})
    ents = pd.DataFrame({"enterprise_id": ["E"], "name": "e", "jurisdiction": "none", "size_class": "medium",
                         "tax_rate": 0.0, "discount_rate": 0.08, "tax_capacity": "yes"})
    v = validate(ents, opts)
    spreads = {"investment": 0.1, "annual_savings": 0.0, "annual_cost_change": 0.0, "lifetime_years": 0.0}
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule("payback", payback_limit=3.0), draws=50, seed=3, spreads=spreads)
    assert engine_path(v.options, v.enterprises, spec)[0] == "columnar"
    sums = draw_sums(v.options, v.enterprises, spec)
    from finance.risk import option_keys

    u = uniforms(3, option_keys(v.options), np.arange(50), 0)
    inv = np.array([triangular_ppf(x, 90_000.0, 100_000.0, 110_000.0) for x in u]).ravel()
    grant = np.minimum.reduce([0.25 * inv, inv - 25_000.0, np.full(50, 360_000.0), np.full(50, 50_000.0)])
    payback = (inv - grant) / 25_000.0  # no tax: the yearly flow is the savings
    expect = np.where(payback <= 3.0, grant, 0.0)
    np.testing.assert_allclose(sums.total(), expect, rtol=1e-12)
    np.testing.assert_array_equal(sums.uptake_with, (payback <= 3.0).astype(float))
    assert 0 < sums.uptake_with.sum() < 50  # both outcomes occur


def test_programmes_the_kernel_does_not_express_say_why_and_run_the_general_path():
    opts, ents = frames()
    spec = McSpec("NL", date(2026, 6, 1), DecisionRule("payback", payback_limit=5.0), draws=3)
    path, why = engine_path(opts, ents, spec)
    assert path == "general" and "tax_deduction" in why
    with pytest.raises(ValueError, match="columnar engine cannot run this programme: rule NL-EIA-2024 is a tax_deduction"):
        engine_path(opts, ents, McSpec(**{**spec.__dict__, "engine": "columnar"}))
    irr = McSpec("CA-ECOENERGY", ON, DecisionRule("irr", hurdle=0.1), draws=3)
    assert engine_path(opts, ents, irr) == ("general", "the irr decision rule needs the IRR of every draw")
    with pytest.raises(ValueError, match="engine"):
        McSpec("NL", ON, DecisionRule(), draws=3, engine="fast")
    assert math.isfinite(draw_sums(opts, ents, spec).total()[0])


# ---------------------------------------------------------------- drawn payback threshold

def _eco(sav_share: list[float], enterprise: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Options of CAD 100,000 with savings = share x investment, no tax, 10-year lives: the grant is
    25 % of the investment (the lowest term: CAD 10/GJ gives 360,000, investment - savings more
    than 25,000 for shares below 0.75), so the payback with it is 0.75 / share years, 1 / share without."""
    n = len(sav_share)
    opts = pd.DataFrame({"enterprise_id": enterprise or [f"E{i}" for i in range(n)], "option_id": [f"o{i}" for i in range(n)],
                         "title": "t", "category": "equipment_modification", "investment": 100_000.0,
                         "annual_savings": [100_000.0 * s for s in sav_share], "lifetime_years": 10,
                         "energy_saved_mwh": 10_000.0, "co2e_avoided_t": 10.0})
    ids = list(dict.fromkeys(opts["enterprise_id"]))
    ents = pd.DataFrame({"enterprise_id": ids, "name": "e", "jurisdiction": "none", "size_class": "medium",
                         "tax_rate": 0.0, "discount_rate": 0.08, "tax_capacity": "yes"})
    v = validate(ents, opts)
    return v.options, v.enterprises


FIXED = {"investment": 0.0, "annual_savings": 0.0, "annual_cost_change": 0.0, "lifetime_years": 0.0}


def _tri_sf(x: float, a: float, c: float, b: float) -> float:
    """P(T >= x) of the triangular distribution on (a, c, b), by its closed-form CDF."""
    if x <= a:
        return 1.0
    if x >= b:
        return 0.0
    if x <= c:
        return 1.0 - (x - a) ** 2 / ((b - a) * (c - a))
    return (b - x) ** 2 / ((b - a) * (b - c))


def test_zero_threshold_spread_is_the_fixed_threshold_bit_for_bit():
    """The kernel drawing a limit on (L, L, L) gives the figures of the fixed limit L."""
    from dataclasses import replace

    from programme.mc_columnar import columnar_sums, plan

    opts, ents = frames()
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule("payback", payback_limit=3.0), draws=12, seed=5)
    p = plan(opts, ents, spec)
    assert p.threshold[0] is False
    drawn = replace(p, threshold=(True, 3.0, 3.0, p.threshold[3]))
    a, b = columnar_sums(p, spec), columnar_sums(drawn, spec)
    np.testing.assert_array_equal(a.outlay, b.outlay)
    np.testing.assert_array_equal(a.uptake_with, b.uptake_with)
    np.testing.assert_array_equal(a.additional, b.additional)


def test_drawn_threshold_gives_the_closed_form_uptake_share():
    """Each enterprise's limit T ~ triangular(L (1 - s), L, L (1 + s)); an option with payback x is
    taken up when x <= T, with probability P(T >= x) (closed form), independently across enterprises."""
    shares = [0.5, 0.3, 0.25, 0.2, 0.4, 0.22]  # payback with the grant 1.5, 2.5, 3, 3.75, 1.875, 3.41 yr
    opts, ents = _eco(shares)
    L, s, draws = 3.0, 0.5, 4000
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule("payback", payback_limit=L), draws=draws, seed=8, spreads=FIXED,
                  threshold_spread=s)
    assert engine_path(opts, ents, spec)[0] == "columnar"
    sums = draw_sums(opts, ents, spec)
    a, b = L * (1 - s), L * (1 + s)
    p_with = np.array([_tri_sf(0.75 / x, a, L, b) for x in shares])
    p_without = np.array([_tri_sf(1.0 / x, a, L, b) for x in shares])
    for got, p in ((sums.uptake_with, p_with), (sums.uptake_without, p_without)):
        se = math.sqrt((p * (1 - p)).sum() / draws)
        assert abs(got.mean() - p.sum()) < 4 * se
    # the grant is paid to the options taken up: 25,000 each
    np.testing.assert_allclose(sums.total(), 25_000.0 * sums.uptake_with, rtol=1e-12)


def test_the_threshold_is_the_enterprises_not_the_options():
    """Two options of one enterprise with the same payback are taken up together in every draw;
    the same two in two enterprises are not."""
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule("payback", payback_limit=3.0), draws=400, seed=2, spreads=FIXED,
                  threshold_spread=0.4)
    from programme.mc_columnar import columnar_sums, plan

    one = columnar_sums(plan(*_eco([0.25, 0.25], ["E", "E"]), spec), spec)
    two = columnar_sums(plan(*_eco([0.25, 0.25], ["E", "F"]), spec), spec)
    assert set(np.unique(one.uptake_with)) == {0.0, 2.0}
    assert 1.0 in set(np.unique(two.uptake_with))


def test_a_threshold_spread_that_cannot_apply_is_refused():
    with pytest.raises(ValueError, match="the logistic rule has none"):
        McSpec("CA-ECOENERGY", ON, DecisionRule("logistic"), draws=3, threshold_spread=0.2)
    with pytest.raises(ValueError, match="threshold spread is -0.1"):
        McSpec("CA-ECOENERGY", ON, DecisionRule(), draws=3, threshold_spread=-0.1)
    opts, ents = frames()
    nl = McSpec("NL", date(2026, 6, 1), DecisionRule("payback", payback_limit=5.0), draws=3, threshold_spread=0.2)
    with pytest.raises(ValueError, match="a threshold spread needs the columnar engine, which cannot run this programme"):
        draw_sums(opts, ents, nl)
    from programme.montecarlo import option_draws

    with pytest.raises(ValueError, match="per-option"):
        option_draws(opts, ents, McSpec("CA-ECOENERGY", ON, DecisionRule(), draws=3, threshold_spread=0.2))


# ---------------------------------------------------------------- first-come rationing over partitions

@pytest.mark.parametrize("case", ["columnar", "general"])
def test_first_come_rationing_over_partitions_is_the_in_process_rationing(case):
    """Second method: programme.ration.ration on the per-option matrices of one process."""
    from programme.distributed import run_rationed
    from programme.montecarlo import option_draws
    from programme.ration import ration

    if case == "columnar":
        opts, ents = frames()
        spec = McSpec("CA-ECOENERGY", ON, DecisionRule("logistic", intercept=1.0, slope=-0.5), draws=10, seed=6)
    else:
        from tests.programme.test_montecarlo import demo

        opts, ents = demo()
        opts = opts.iloc[np.argsort(pd.factorize(opts["enterprise_id"])[0], kind="stable")].reset_index(drop=True)
        spec = McSpec("NL", date(2026, 6, 1), DecisionRule("payback", payback_limit=6.0), draws=10, seed=6,
                      rows_per_chunk=60)
    assert engine_path(opts, ents, spec)[0] == case
    od = option_draws(opts, ents, McSpec(**{**spec.__dict__, "engine": "general"}))
    envelope = float(np.median(od.sums.total())) * 0.6
    expect = ration(od, envelope, "first-come")
    assert expect.left_count.sum() > 0 and expect.funded_count.sum() > 0  # the envelope binds, and buys
    sums, got = run_rationed(opts, ents, spec, envelope, parts=3)
    np.testing.assert_array_equal(got.funded_count, expect.funded_count)
    np.testing.assert_array_equal(got.left_count, expect.left_count)
    for name in ("spent", "asked_left_out", "bought"):
        np.testing.assert_allclose(getattr(got, name), getattr(expect, name), rtol=1e-11, atol=1e-6)
    np.testing.assert_allclose(sums.outlay, od.sums.outlay, rtol=1e-11, atol=1e-6)
    from programme.ration import ration_summary

    assert ration_summary(got).keys() == ration_summary(expect).keys()


def test_rationing_over_partitions_refuses_enterprises_spread_over_the_frame():
    from programme.distributed import run_rationed

    opts, ents = frames(n_ent=3, per=2)
    mixed = opts.iloc[[0, 2, 1, 3, 4, 5]].reset_index(drop=True)
    spec = McSpec("CA-ECOENERGY", ON, DecisionRule(), draws=3)
    with pytest.raises(ValueError, match="each enterprise's options together"):
        run_rationed(mixed, ents, spec, 1000.0)

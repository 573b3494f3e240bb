"""Programme budget under uncertainty (``programme.montecarlo``).

Checked against: (1) today's budget (``run_programme``): with no input spread and a deterministic
rule every draw is that budget, period by period and instrument by instrument, caps and tax
expenditure included; (2) a closed form: with a logistic rule of slope 0 each option is taken up
with the same probability p, independently, so a draw's outlay is sum_i S_i B_i, B_i ~ Bernoulli(p):
mean p sum S_i, variance p (1 - p) sum S_i^2 (S_i the option's support: 25 % of its investment, by
hand); (3) itself split differently: by partitions of enterprises and by chunk size.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from programme.budget import run_programme
from programme.montecarlo import McSpec, draw_sums, option_draws, summary_record, year_records
from programme.uptake import DecisionRule
from screening.schema import validate

ROOT = Path(__file__).resolve().parents[2]
ZERO = {"investment": 0.0, "annual_savings": 0.0, "annual_cost_change": 0.0, "lifetime_years": 0.0}
ON_NL = date(2026, 6, 1)


def demo() -> tuple[pd.DataFrame, pd.DataFrame]:
    ents = pd.read_csv(ROOT / "data" / "demo_enterprises.csv")
    opts = pd.read_csv(ROOT / "data" / "demo_options.csv")
    v = validate(ents, opts)
    return v.options, v.enterprises


def eco(rows: list[tuple[str, float, float, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """CA-ECOENERGY frames, one enterprise per option, tax 0, 10-year lives (as test_caps_uptake)."""
    opts = pd.DataFrame(rows, columns=["option_id", "investment", "annual_savings", "co2e_avoided_t"])
    opts["enterprise_id"] = "E" + opts["option_id"]
    opts["title"] = opts["option_id"]
    opts["category"] = "equipment_modification"
    opts["lifetime_years"] = 10
    opts["energy_saved_mwh"] = 10_000.0  # the per-GJ term (CAD 360,000) is never the lowest
    ents = pd.DataFrame({"enterprise_id": opts["enterprise_id"], "name": opts["enterprise_id"], "jurisdiction": "none",
                         "size_class": "medium", "tax_rate": 0.0, "discount_rate": 0.08, "tax_capacity": "yes"})
    v = validate(ents, opts)
    return v.options, v.enterprises


def test_no_spread_and_a_deterministic_rule_give_todays_budget_in_every_draw():
    opts, ents = demo()
    rule = DecisionRule("payback", payback_limit=5.0)
    today = run_programme(opts, ents, "NL", on_date=ON_NL, rule=rule)
    sums = draw_sums(opts, ents, McSpec("NL", ON_NL, rule, draws=4, seed=7, spreads=ZERO, rows_per_chunk=30))
    by = today.by_year_instrument
    expect = {(int(t), i, k): v for t, i, k, v in zip(by["t"], by["instrument_id"], by["kind"], by["outlay"])}
    got = {k: v for k, v in zip(sums.keys, sums.outlay)}
    assert len(expect) > 3 and set(expect) == set(got)
    for k, v in expect.items():
        assert np.all(got[k] == v), k  # exactly: the same items, the decisions 0/1
    assert np.all(sums.total() == pytest.approx(today.summary["total_outlay"], rel=1e-12))
    assert np.all(sums.uptake_with == today.summary["uptake_with_support"])
    assert np.all(sums.additional[0] == today.summary["additional_t_co2e"])


def test_caps_are_spent_per_draw_as_today():
    from tests.programme.test_caps_uptake import C, CAP, ON, PACK, RULE, frames

    opts, ents = frames([C["c1"], C["c2"], C["c3"]])
    today = run_programme(opts, ents, PACK, params=CAP, on_date=ON, rule=RULE)
    sums = draw_sums(opts, ents, McSpec(PACK, ON, RULE, draws=3, params=CAP, spreads=ZERO))
    assert today.summary["total_outlay"] == 45_000  # by hand in test_caps_uptake
    assert np.all(sums.total() == 45_000)


def test_independent_bernoulli_uptake_has_the_closed_form_mean_and_variance():
    invest = np.array([40_000, 60_000, 80_000, 100_000, 120_000, 150_000, 90_000, 70_000, 50_000, 110_000], dtype=float)
    opts, ents = eco([(f"o{i}", v, 0.1 * v, 10.0) for i, v in enumerate(invest)])
    p = 0.3
    rule = DecisionRule("logistic", intercept=math.log(p / (1 - p)), slope=0.0)
    draws = 2000
    sums = draw_sums(opts, ents, McSpec("CA-ECOENERGY", date(2010, 6, 1), rule, draws=draws, seed=3, spreads=ZERO))
    support = 0.25 * invest  # lowest of 25 % of cost, net cost - savings, CAD 50,000 per project
    assert (support <= 50_000).all()
    mean, var = p * support.sum(), p * (1 - p) * (support ** 2).sum()
    total = sums.total()
    assert abs(total.mean() - mean) < 4 * math.sqrt(var / draws)
    # the sample variance's standard error is var sqrt(2 / (n - 1)) for a near-normal sum (+ kurtosis term)
    assert abs(total.var(ddof=1) / var - 1) < 4 * math.sqrt(2 / (draws - 1)) + 0.05
    # the uptake count is Binomial(10, p)
    assert abs(sums.uptake_with.mean() - 10 * p) < 4 * math.sqrt(10 * p * (1 - p) / draws)
    # free riders: without support nobody passes (p0 is p too: slope 0), so additional uptake is 0
    assert np.all(sums.uptake_with == sums.uptake_without)


def test_figures_do_not_depend_on_partitions_or_chunks():
    opts, ents = demo()
    spec = McSpec("NL", ON_NL, DecisionRule("logistic", intercept=0.5, slope=-0.3), draws=12, seed=11, rows_per_chunk=25)
    whole = draw_sums(opts, ents, spec)
    ids = list(dict.fromkeys(opts["enterprise_id"]))
    parts = [opts[opts["enterprise_id"].isin(ids[i::2])] for i in range(2)]
    split = draw_sums(parts[0], ents, spec).merge(draw_sums(parts[1], ents, McSpec(**{**spec.__dict__, "rows_per_chunk": 1000})))
    assert whole.keys == split.keys
    np.testing.assert_allclose(split.outlay, whole.outlay, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(split.uptake_with, whole.uptake_with)
    od = option_draws(opts, ents, spec)
    np.testing.assert_allclose(od.sums.outlay, whole.outlay, rtol=1e-12, atol=1e-9)
    # a draw differs from another (inputs and uptake are drawn)
    assert np.ptp(whole.total()) > 0


def test_summary_and_year_records_read_the_draws():
    opts, ents = demo()
    spec = McSpec("NL", ON_NL, DecisionRule("payback", payback_limit=5.0), draws=40, seed=1)
    sums = draw_sums(opts, ents, spec)
    rec = summary_record(sums, envelope=float(np.median(sums.total())))
    total = sums.total()
    assert rec["total_outlay_p50"] == pytest.approx(np.percentile(total, 50))
    assert rec["prob_over_envelope"] == pytest.approx((total > rec["envelope"]).mean())
    assert 0 < rec["prob_over_envelope"] < 1
    yr = year_records(sums, ON_NL)
    assert yr["outlay_mean"].sum() == pytest.approx(total.mean())
    assert (yr["outlay_p10"] <= yr["outlay_p50"]).all() and (yr["outlay_p50"] <= yr["outlay_p90"]).all()


def test_bad_specs_are_refused_with_the_field_named():
    rule = DecisionRule()
    with pytest.raises(ValueError, match="draws"):
        McSpec("NL", ON_NL, rule, draws=1)
    with pytest.raises(ValueError, match="salvage_value"):
        McSpec("NL", ON_NL, rule, draws=5, spreads={"salvage_value": 0.1})
    with pytest.raises(ValueError, match="spread for investment"):
        McSpec("NL", ON_NL, rule, draws=5, spreads={"investment": -0.1})


@pytest.mark.parametrize("rows", [40, 10_000])  # one draw per chunk; all nine draws stacked in one
@pytest.mark.parametrize("pack, on", [("NL", ON_NL), ("CA-ECOENERGY", date(2010, 6, 1))])
def test_fixed_inputs_run_the_programme_once_with_the_figures_of_every_draw_run(monkeypatch, pack, on, rows):
    """Second method: with no input uncertain the programme runs on one draw and is repeated; the
    figures are bit for bit those of running it on every draw stacked (the general path, forced)."""
    import programme.montecarlo as mc

    opts, ents = demo()
    spec = McSpec(pack, on, DecisionRule("logistic", intercept=0.5, slope=-0.3), draws=9, seed=5, spreads=ZERO,
                  rows_per_chunk=rows)
    assert mc._fixed_inputs(opts, spec)
    calls = []
    run = mc._run_chunk
    monkeypatch.setattr(mc, "_run_chunk", lambda *a: calls.append(len(a[3])) or run(*a))
    fast, fast_opt = draw_sums(opts, ents, spec), option_draws(opts, ents, spec)
    assert calls == [1, 1]  # one draw run, for each call
    monkeypatch.setattr(mc, "_fixed_inputs", lambda *a: False)
    slow, slow_opt = draw_sums(opts, ents, spec), option_draws(opts, ents, spec)
    assert len(calls) > 2 and fast.keys == slow.keys and len(fast.keys) >= (3 if pack == "NL" else 1)
    for a, b in ((fast, slow), (fast_opt.sums, slow_opt.sums)):
        for name in ("outlay", "additional", "uptake_with", "uptake_without"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in ("gross", "upfront", "taken", "taken_without", "effect", "npv", "investment"):
        assert np.array_equal(getattr(fast_opt, name), getattr(slow_opt, name)), name
    assert fast_opt.taken.any() and not fast_opt.taken.all()


def test_cost_per_tonne_percentiles_on_draws_without_additional_tonnes_are_none_and_counted():
    from programme.mc_summary import EFFECT_COLUMNS
    from programme.montecarlo import DrawSums

    # 10 draws of one instrument: outlay 100 each; additional t CO2e 0 in draws 7-9 (nothing induced)
    add = np.zeros((len(EFFECT_COLUMNS), 10))
    add[EFFECT_COLUMNS.index("co2e_avoided_t")] = [10, 20, 30, 40, 50, 60, 70, 0, 0, 0]
    sums = DrawSums(keys=((0, "grant", "grant"),), outlay=np.full((1, 10), 100.0), additional=add,
                    uptake_with=np.ones(10), uptake_without=np.zeros(10))
    rec = summary_record(sums)
    # by hand: costs per t 10, 5, 3.33, 2.5, 2, 1.67, 1.43 and three undefined ranked above them all;
    # method "lower", position q/100 x 9 of the sorted ten: P10 0.9 -> index 0 = 100/70; P50 index 4 = 100/30; P90 index 8 = undefined
    assert rec["cost_per_t_co2e_p10"] == pytest.approx(100 / 70)
    assert rec["cost_per_t_co2e_p50"] == pytest.approx(100 / 30)
    assert math.isnan(rec["cost_per_t_co2e_p90"])
    assert rec["cost_per_t_co2e_undefined_draws"] == 3
    assert rec["cost_per_mwh_undefined_draws"] == 10 and math.isnan(rec["cost_per_mwh_p10"])  # no MWh in any draw

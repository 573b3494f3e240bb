"""Mutually exclusive options in a programme: at most one option of an exclusive group is taken up
(``programme.exclusive``, called from ``programme.budget.run_programme``).

Hand cases use pack CA-ECOENERGY (ecoENERGY Retrofit, see tests/programme/test_budget.py): grant =
lowest of CAD 10/GJ saved (1 MWh = 3.6 GJ), 25 % of the cost, net cost - savings (payback floor
1 yr); CAD 50,000 per project, CAD 250,000 per company; paid at t = 0.  Tax rate 0, 10-year lives:
simple payback = (I - G) / S.  10,000 MWh saved makes the per-GJ term 360,000 (never the lowest);
500 MWh makes it 18,000.

The DK case is the shipped demo dairy: DK-05 (condensing boiler) and DK-06 (heat pump) exclude
each other.  Its figures are checked against ``finance.appraise.appraise`` (what ``cpscreen
appraise`` prints) and the grant by hand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from finance.appraise import appraise
from programme.budget import run_programme
from programme.exclusive import choose_one, member_rank, rank_score
from programme.uptake import DecisionRule
from screening.schema import validate

ROOT = Path(__file__).resolve().parents[2]
ON = date(2010, 6, 1)
PACK = "CA-ECOENERGY"
PAYBACK3 = DecisionRule("payback", payback_limit=3)


def frames(rows: list[tuple], excludes: dict[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """rows: (enterprise, option, I, S, MWh, CO2e t/yr)."""
    opts = pd.DataFrame(rows, columns=["enterprise_id", "option_id", "investment", "annual_savings", "energy_saved_mwh",
                                       "co2e_avoided_t"])
    opts["title"] = opts["option_id"]
    opts["category"] = "equipment_modification"
    opts["lifetime_years"] = 10
    opts["annual_cost_change"] = 0.0
    opts["salvage_value"] = 0.0
    opts["eligible_investment"] = opts["investment"].astype(float)
    opts["other_grants"] = 0.0
    opts["mandatory"] = False
    opts["excludes"] = opts["option_id"].map(excludes or {}).fillna("")
    ids = list(dict.fromkeys(opts["enterprise_id"]))
    ents = pd.DataFrame({"enterprise_id": ids, "name": ids, "jurisdiction": "none", "size_class": "medium",
                         "tax_rate": 0.0, "discount_rate": 0.08, "tax_capacity": True})
    return opts, ents


def by_id(result) -> pd.DataFrame:
    return result.by_option.set_index("option_id")


# --- the demo dairy (DK) -----------------------------------------------------------------------

DK_ON = date(2026, 6, 1)


@pytest.fixture(scope="module")
def dk():
    v = validate(pd.read_csv(ROOT / "data" / "demo_enterprises.csv"), pd.read_csv(ROOT / "data" / "demo_options.csv"))
    opts = v.options[v.options["enterprise_id"] == "dk_dairy"].reset_index(drop=True)
    ents = v.enterprises[v.enterprises["enterprise_id"] == "dk_dairy"].reset_index(drop=True)
    return opts, ents, appraise(opts, ents, DK_ON).set_index("option_id")


def test_dk_npv_rule_takes_up_one_boiler_and_pays_only_its_grant(dk):
    opts, ents, app = dk
    assert set(opts.set_index("option_id").loc[["DK-05", "DK-06"], "excludes"]) == {"DK-06", "DK-05"}
    r = run_programme(opts, ents, "DK", on_date=DK_ON, rule=DecisionRule("npv"))
    o = by_id(r)
    pair = o.loc[["DK-05", "DK-06"]]
    assert pair["p_with"].sum() == 1.0  # exactly one of the two
    # Erhvervspuljen: lowest of the premium (DKK 500/t CO2 x life above DKK 0.10/kWh x life) and
    # 40 % (medium) of the eligible investment:
    #   DK-05 min(500 x 303 x 20 = 3,030,000, 0.40 x 1,800,000 = 720,000) = 720,000
    #   DK-06 min(500 x 937 x 20 = 9,370,000, 0.40 x 6,000,000 = 2,400,000) = 2,400,000
    assert o.loc["DK-05", "support"] == pytest.approx(720_000)
    assert o.loc["DK-06", "support"] == pytest.approx(2_400_000)
    # the NPV rule ranks by NPV with support, as cpscreen appraise computes it
    assert app.loc["DK-05", "npv"] == pytest.approx(o.loc["DK-05", "npv"], rel=1e-9)
    assert app.loc["DK-06", "npv"] == pytest.approx(o.loc["DK-06", "npv"], rel=1e-9)
    best = "DK-05" if app.loc["DK-05", "npv"] > app.loc["DK-06", "npv"] else "DK-06"
    other = ({"DK-05", "DK-06"} - {best}).pop()
    assert best == "DK-05"  # 5.05 m against 5.00 m with support
    assert o.loc[best, "p_with"] == 1.0 and o.loc[other, "p_with"] == 0.0
    assert pair["expected_outlay"].sum() == pytest.approx(o.loc[best, "support"])
    assert o.loc[other, "alternative_to"] == best and pd.isna(o.loc[best, "alternative_to"])
    assert o.loc[other, "exclusive_group"] == o.loc[best, "exclusive_group"] == "DK-05"
    # the other options: every one has NPV > 0 with and without support, so all are taken up; the
    # outlay is their grants (from appraise) plus the chosen boiler's
    rest = [i for i in opts["option_id"] if i not in ("DK-05", "DK-06")]
    assert (app.loc[rest, "npv_no_support"] > 0).all()
    want = sum(sum(s["amount"] for s in app.loc[i, "support"]) for i in rest) + 720_000
    assert r.summary["total_outlay"] == pytest.approx(want)
    assert r.summary["uptake_with_support"] == len(opts) - 1
    # DK-05 passes without support too (NPV 4.47 m > 0) and is also the choice without: all deadweight
    assert o.loc["DK-05", "p_without"] == 1.0 and o.loc["DK-06", "p_without"] == 0.0
    assert r.summary["deadweight"] == pytest.approx(want)


def test_dk_payback_rule_ranks_by_payback(dk):
    opts, ents, app = dk
    o = by_id(run_programme(opts, ents, "DK", on_date=DK_ON, rule=DecisionRule("payback", payback_limit=10)))
    pb = app.loc[["DK-05", "DK-06"], "simple_payback_years"]
    assert pb["DK-05"] < pb["DK-06"]  # 2.0 against 5.1 years
    assert o.loc["DK-05", "p_with"] == 1.0 and o.loc["DK-06", "p_with"] == 0.0


# --- hand cases --------------------------------------------------------------------------------

def test_a_chain_is_one_group_and_enterprises_are_independent():
    # A: a1 excludes a2, a2 excludes a3 (one group of three). Paybacks with the 25 % grant:
    #   a1 I 200,000 S 60,000: G 50,000 -> 150,000 / 60,000 = 2.5
    #   a2 I 120,000 S 45,000: G 30,000 ->  90,000 / 45,000 = 2.0   <- shortest
    #   a3 I  80,000 S 30,000: G 20,000 ->  60,000 / 30,000 = 2.0   (tie with a2: a2 comes first)
    # B: the same three, named b1..b3, b1 excludes b3 only (b2 stands alone): b1 2.5 and b3 2.0 -> b3.
    rows = [("A", "a1", 200_000, 60_000, 10_000, 1), ("A", "a2", 120_000, 45_000, 10_000, 1),
            ("A", "a3", 80_000, 30_000, 10_000, 1),
            ("B", "b1", 200_000, 60_000, 10_000, 1), ("B", "b2", 120_000, 45_000, 10_000, 1),
            ("B", "b3", 80_000, 30_000, 10_000, 1)]
    opts, ents = frames(rows, {"a1": "a2", "a2": "a3", "b1": "b3"})
    r = run_programme(opts, ents, PACK, on_date=ON, rule=PAYBACK3)
    o = by_id(r)
    assert o["p_with"].to_dict() == {"a1": 0, "a2": 1, "a3": 0, "b1": 0, "b2": 1, "b3": 1}
    assert o.loc[["a1", "a3"], "alternative_to"].tolist() == ["a2", "a2"]
    assert o.loc["b1", "alternative_to"] == "b3" and pd.isna(o.loc["b2", "exclusive_group"])
    assert r.summary["total_outlay"] == pytest.approx(30_000 + 30_000 + 20_000)
    # without support: paybacks 3.33, 2.67, 2.67 -> a2 (first of the tie), passes 3 yr; b2 and b3 pass
    assert o["p_without"].to_dict() == {"a1": 0, "a2": 1, "a3": 0, "b1": 0, "b2": 1, "b3": 1}
    assert r.summary["deadweight"] == pytest.approx(80_000)


def test_support_switching_the_choice_is_not_deadweight_and_additional_effects_net_the_switch():
    # x: I 100,000 S 40,000, 500 MWh: G = min(18,000, 25,000, 60,000) = 18,000; payback 2.5 -> 2.05
    # y: I 120,000 S 45,000, 10,000 MWh: G = 30,000; payback 2.667 -> 2.0
    # Without support the enterprise picks x (2.5 < 2.667), with support y (2.0 < 2.05).
    rows = [("E", "x", 100_000, 40_000, 500, 10), ("E", "y", 120_000, 45_000, 10_000, 25)]
    opts, ents = frames(rows, {"y": "x"})
    r = run_programme(opts, ents, PACK, on_date=ON, rule=PAYBACK3)
    o = by_id(r)
    assert (o.loc["x", "p_without"], o.loc["y", "p_without"]) == (1.0, 0.0)
    assert (o.loc["x", "p_with"], o.loc["y", "p_with"]) == (0.0, 1.0)
    s = r.summary
    assert s["total_outlay"] == pytest.approx(30_000)
    # y would not have been carried out without support: its grant is not deadweight
    assert s["deadweight"] == 0.0 and s["deadweight_share"] == 0.0
    assert (s["uptake_without_support"], s["uptake_with_support"], s["additional_uptake"]) == (1.0, 1.0, 0.0)
    # over 10 years: y 250 t instead of x 100 t -> 150 t additional; 30,000 / 150 = 200 per t
    assert s["additional_t_co2e"] == pytest.approx(150.0)
    assert s["cost_per_t_co2e"] == pytest.approx(200.0)
    assert s["cost_per_supported_t_co2e"] == pytest.approx(30_000 / 250)


def test_caps_members_are_compared_without_using_the_cap_for_each_other():
    # Company cap 45,000 (a programme parameter). Order g1, g2, c; g1 excludes g2.
    #   g1 I 200,000 S 60,000: 25 % = 50,000 -> cap 45,000; payback 155,000 / 60,000 = 2.583
    #   g2 I 120,000 S 45,000: 30,000; payback 90,000 / 45,000 = 2.0
    #   c  I  80,000 S 25,000: 20,000; payback alone 60,000 / 25,000 = 2.4
    # Valued in frame order with both alternatives in play, g2 would get nothing after g1's 45,000
    # (payback 2.667) and lose; compared without each other's cap use, g2 wins (2.0 < 2.583).
    # Then c gets min(20,000, 45,000 - 30,000) = 15,000: payback 65,000 / 25,000 = 2.6, taken up.
    cap = {"CA-ECOENERGY-RETROFIT.caps.per_enterprise": 45_000.0}
    rows = [("C", "g1", 200_000, 60_000, 10_000, 0), ("C", "g2", 120_000, 45_000, 10_000, 0),
            ("C", "c", 80_000, 25_000, 10_000, 0)]
    opts, ents = frames(rows, {"g1": "g2"})
    r = run_programme(opts, ents, PACK, params=cap, on_date=ON, rule=PAYBACK3)
    o = by_id(r)
    assert o["p_with"].to_dict() == {"g1": 0, "g2": 1, "c": 1}
    assert o.loc["g2", "support"] == pytest.approx(30_000)
    assert o.loc["c", "support"] == pytest.approx(15_000)
    assert o.loc["g1", "support"] == pytest.approx(45_000)  # what it would have got had it been chosen
    assert o.loc["g1", "simple_payback_years"] == pytest.approx(155_000 / 60_000)
    assert r.summary["total_outlay"] == pytest.approx(45_000)
    # without support: g1 3.33, g2 2.667 -> g2, which passes: its 30,000 is deadweight; c (3.2) fails
    assert r.summary["deadweight"] == pytest.approx(30_000)
    assert r.by_year_instrument["outlay"].sum() == pytest.approx(45_000)


def test_caps_two_groups_chosen_at_different_places_get_a_final_allocation():
    # Company cap 45,000. Order h1, k1, h2, k2; h1 excludes h2, k1 excludes k2; enterprise C as above.
    #   h1 I  80,000 S 40,000: 20,000            k1 I 200,000 S 60,000: 50,000 (per project)
    #   h2 I 120,000 S 45,000: 30,000            k2 I 120,000 S 50,000: 30,000
    # Layer 0 [h1, k1]: h1 20,000 -> 60,000 / 40,000 = 1.5; k1 min(50,000, 25,000) -> 175,000 / 60,000 = 2.917
    # Layer 1 [h2, k2]: h2 30,000 -> 2.0;                k2 min(30,000, 15,000) -> 105,000 / 50,000 = 2.1
    # Chosen h1 (1.5 < 2.0) and k2 (2.1 < 2.917): different places, so a final allocation [h1, k2]:
    #   h1 20,000; k2 min(30,000, 45,000 - 20,000) = 25,000 -> 95,000 / 50,000 = 1.9.  Outlay 45,000.
    # Without support: h1 2.0 beats h2 2.667, k2 2.4 beats k1 3.33, both pass: deadweight 45,000.
    cap = {"CA-ECOENERGY-RETROFIT.caps.per_enterprise": 45_000.0}
    rows = [("D", "h1", 80_000, 40_000, 10_000, 0), ("D", "k1", 200_000, 60_000, 10_000, 0),
            ("D", "h2", 120_000, 45_000, 10_000, 0), ("D", "k2", 120_000, 50_000, 10_000, 0),
            ("C", "g1", 200_000, 60_000, 10_000, 0), ("C", "g2", 120_000, 45_000, 10_000, 0),
            ("C", "c", 80_000, 25_000, 10_000, 0)]
    opts, ents = frames(rows, {"h1": "h2", "k2": "k1", "g1": "g2"})
    r = run_programme(opts, ents, PACK, params=cap, on_date=ON, rule=PAYBACK3)
    o = by_id(r)
    assert o["p_with"].to_dict() == {"h1": 1, "k1": 0, "h2": 0, "k2": 1, "g1": 0, "g2": 1, "c": 1}
    assert o.loc[["h1", "k2", "h2", "k1"], "support"].tolist() == pytest.approx([20_000, 25_000, 30_000, 25_000])
    assert o.loc["k2", "simple_payback_years"] == pytest.approx(1.9)
    assert o.loc["k1", "simple_payback_years"] == pytest.approx(175_000 / 60_000)
    assert r.summary["total_outlay"] == pytest.approx(45_000 + 45_000)  # D, and C as in the test above
    assert r.summary["deadweight"] == pytest.approx(45_000 + 30_000)
    assert len(r.support) == 7 and sorted(r.support["row"]) == list(range(7))  # one item per option, by row

def test_logistic_rule_keeps_the_best_member_s_probability_only():
    # p = expit(3 - payback); x payback 2.05 with support (p = expit(0.95)), y 2.0 (p = expit(1.0))
    rows = [("E", "x", 100_000, 40_000, 500, 10), ("E", "y", 120_000, 45_000, 10_000, 25)]
    opts, ents = frames(rows, {"x": "y"})
    rule = DecisionRule("logistic", intercept=3.0, slope=-1.0)
    o = by_id(run_programme(opts, ents, PACK, on_date=ON, rule=rule))
    expit = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    assert o.loc["y", "p_with"] == pytest.approx(expit(1.0)) and o.loc["x", "p_with"] == 0.0
    # without: x 2.5 (p = expit(0.5)) beats y 2.667
    assert o.loc["x", "p_without"] == pytest.approx(expit(0.5)) and o.loc["y", "p_without"] == 0.0
    assert o.loc["y", "expected_outlay"] == pytest.approx(expit(1.0) * 30_000)
    assert o["deadweight"].sum() == 0.0


# --- the vectorised choice against a plain loop (second method) ---------------------------------

def _loop_groups(opts: pd.DataFrame) -> dict[int, int]:
    """Position -> group representative (smallest position of its component), by a plain graph walk."""
    pos = {(e, o): i for i, (e, o) in enumerate(zip(opts["enterprise_id"], opts["option_id"]))}
    nbrs: dict[int, set[int]] = {i: set() for i in range(len(opts))}
    for i, (e, ex) in enumerate(zip(opts["enterprise_id"], opts["excludes"])):
        for other in filter(None, str(ex).split(";")):
            j = pos[(e, other.strip())]
            nbrs[i].add(j)
            nbrs[j].add(i)
    rep: dict[int, int] = {}
    for i in range(len(opts)):
        if i in rep or not nbrs[i]:
            continue
        seen, todo = {i}, [i]
        while todo:
            for j in nbrs[todo.pop()]:
                if j not in seen:
                    seen.add(j)
                    todo.append(j)
        for j in seen:
            rep[j] = min(seen)
    return rep


def _loop_key(rule: DecisionRule, rec: pd.Series, suffix: str) -> float:
    if rule.kind == "payback":
        pb = rec[f"simple_payback_years{suffix}"]
        return -pb if pb == pb else -np.inf
    if rule.kind == "npv":
        return rec[f"npv{suffix}"]
    p = rec["p_with" if suffix == "" else "p_without"]
    return p


def _random_case(rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows, excl = [], {}
    for e in range(int(rng.integers(2, 5))):
        k = int(rng.integers(2, 7))
        ids = [f"e{e}o{j}" for j in range(k)]
        for oid in ids:
            inv = float(rng.integers(1, 40)) * 10_000
            rows.append((f"E{e}", oid, inv, inv * float(rng.uniform(0.15, 0.6)), float(rng.choice([300, 2_000, 10_000])),
                         float(rng.integers(0, 50))))
        for j in range(k):
            others = [ids[m] for m in range(k) if m != j and rng.random() < 0.25]
            if others:
                excl[ids[j]] = ";".join(others)
    return frames(rows, excl)


@pytest.mark.parametrize("pack,params,on", [
    ("DK", None, DK_ON),  # no cumulative cap: one allocation is read
    ("CA-ECOENERGY", {"CA-ECOENERGY-RETROFIT.caps.per_enterprise": 1e12}, ON),  # a cap (never binding): layered
])
@pytest.mark.parametrize("seed", range(6))
def test_vectorised_choice_equals_a_per_enterprise_loop(seed, pack, params, on):
    rng = np.random.default_rng(seed)
    opts, ents = _random_case(rng)
    rule = [PAYBACK3, DecisionRule("npv"), DecisionRule("logistic", intercept=2.0, slope=-0.8)][seed % 3]
    got = run_programme(opts, ents, pack, params=params, on_date=on, rule=rule)
    # second method: every option on its own (no excludes: with no binding cap its support and
    # metrics do not depend on the others), then a plain loop picks one per group
    free = run_programme(opts.assign(excludes=""), ents, pack, params=params, on_date=on, rule=rule).by_option
    assert free["support"].gt(0).sum() >= len(opts) // 2  # the programme pays most options: a real test
    rep = _loop_groups(opts)
    p1, p0 = free["p_with"].to_numpy().copy(), free["p_without"].to_numpy().copy()
    for suffix, p in (("", p1), ("_no_support", p0)):
        best: dict[int, int] = {}
        for i in range(len(opts)):
            if i not in rep:
                continue
            g = rep[i]
            if g not in best or _loop_key(rule, free.iloc[i], suffix) > _loop_key(rule, free.iloc[best[g]], suffix):
                best[g] = i
        for i, g in rep.items():
            if best[g] != i:
                p[i] = 0.0
    b = got.by_option
    np.testing.assert_allclose(b["p_with"], p1)
    np.testing.assert_allclose(b["p_without"], p0)
    np.testing.assert_allclose(b["support"], free["support"], rtol=1e-12)
    np.testing.assert_allclose(b["expected_outlay"], p1 * free["support"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(b["deadweight"], np.minimum(p0, p1) * free["support"], rtol=1e-12, atol=1e-9)
    assert got.summary["total_outlay"] == pytest.approx(float((p1 * free["support"]).sum()), abs=1e-6)
    life_co2 = opts["co2e_avoided_t"].to_numpy() * 10
    assert got.summary["additional_t_co2e"] == pytest.approx(float(((p1 - p0) * life_co2).sum()), abs=1e-9)
    assert got.summary["uptake_with_support"] == pytest.approx(p1.sum())


def test_choose_one_and_member_rank_by_hand():
    group = np.array([-1, 0, 1, 0, 1, 0])
    score = np.array([0.0, 1.0, 5.0, 3.0, 5.0, 3.0])
    # group 0: positions 1, 3, 5 with 1, 3, 3 -> 3 (first of the tie); group 1: 2, 4 tie -> 2
    assert choose_one(group, score).tolist() == [True, False, True, True, False, False]
    assert member_rank(group).tolist() == [-1, 0, 0, 1, 1, 2]
    m = pd.DataFrame({"npv": [1.0, np.nan], "simple_payback_years": [np.nan, 2.0]})
    assert rank_score(DecisionRule("payback"), m).tolist() == [-np.inf, -2.0]
    assert rank_score(DecisionRule("npv"), m).tolist() == [1.0, -np.inf]


def test_layers_with_depreciation_schedules_read_each_options_own_schedule():
    """Programme NL run on Danish enterprises (``--all-jurisdictions``): their options' own depreciation
    schedules (DK balance method, by asset class) go with them into each layer of the exclusive
    groups.  The EIA investment cap set to EUR 1,000,000 binds in E0, so the layered allocation runs;
    the chosen options' figures are those of a run without the option given up (no groups then)."""
    rows = [("E0", "a", 900_000, 300_000, "b", "balance_25"), ("E0", "b", 800_000, 250_000, "a", None),
            ("E0", "c", 700_000, 260_000, "", None), ("E1", "d", 500_000, 150_000, "", "balance_25")]
    opts = pd.DataFrame(rows, columns=["enterprise_id", "option_id", "investment", "annual_savings", "excludes", "asset_class"])
    opts = opts.assign(title="t", category="equipment_modification", lifetime_years=10, annual_cost_change=0.0,
                       salvage_value=0.0, eligible_investment=opts["investment"], other_grants=0.0, mandatory=False,
                       energy_saved_mwh=1000.0, co2e_avoided_t=100.0)
    ents = pd.DataFrame({"enterprise_id": ["E0", "E1"], "name": "e", "jurisdiction": "DK", "size_class": "medium",
                         "tax_rate": np.nan, "discount_rate": 0.08, "tax_capacity": True})
    on, rule = date(2025, 6, 1), DecisionRule("payback", payback_limit=4.0)
    params = {"NL-EIA-2024.caps.investment_per_year": 1_000_000.0}
    got = run_programme(opts, ents, "NL", params=params, on_date=on, rule=rule).by_option.set_index("option_id")
    assert got.loc["a", "p_with"] == 1.0 and got.loc["b", "p_with"] == 0.0  # a chosen in its group
    assert 0 < got.loc["c", "support"] < got.loc["a", "support"]  # c gets what the cap leaves
    alone = opts[opts["option_id"] != "b"].assign(excludes="").reset_index(drop=True)
    ref = run_programme(alone, ents, "NL", params=params, on_date=on, rule=rule).by_option.set_index("option_id")
    cols = ["support", "npv", "simple_payback_years", "npv_no_support", "p_with"]
    pd.testing.assert_frame_equal(got.loc[["a", "c", "d"], cols], ref.loc[["a", "c", "d"], cols], check_exact=True)

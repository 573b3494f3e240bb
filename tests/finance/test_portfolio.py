"""Portfolio selection and marginal abatement cost: exactness against brute force, hand cases."""

from __future__ import annotations

import itertools

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest

from finance.portfolio import (
    PortfolioError,
    exclusion_pairs,
    marginal_abatement_cost,
    select_portfolio,
)


def frame(inv, npv, mandatory=None, excludes=None, ent=None):
    n = len(inv)
    return pd.DataFrame({
        "enterprise_id": ent or ["E1"] * n,
        "option_id": [f"o{i}" for i in range(n)],
        "investment": inv,
        "npv": npv,
        "mandatory": mandatory or [False] * n,
        "excludes": excludes or [""] * n,
    })


def brute_force(df: pd.DataFrame, budget: float) -> float:
    inv, val, mand = df.investment.to_numpy(), df.npv.to_numpy(), df.mandatory.to_numpy()
    pairs = exclusion_pairs(df)
    best = -np.inf
    for bits in itertools.product([False, True], repeat=len(df)):
        x = np.array(bits)
        if (mand & ~x).any() or inv[x].sum() > budget + 1e-9:
            continue
        if len(pairs) and (x[pairs[:, 0]] & x[pairs[:, 1]]).any():
            continue
        best = max(best, val[x].sum())
    return best


def test_hand_case_budget_and_exclusion():
    # o0 and o1 are two boilers (exclusive); o3 is mandatory.  Budget 100.
    # Feasible best: o3 (30, npv -5) + o1 (50, 40) + o2 (20, 15) = 100 -> 50;
    # o0 (60, 45) + o3 = 90 leaves 10: nothing else fits -> 40.
    df = frame([60, 50, 20, 30], [45, 40, 15, -5], mandatory=[False, False, False, True],
               excludes=["o1", "", "", ""])
    r = select_portfolio(df, 100)
    assert r.selected.tolist() == [False, True, True, True]
    assert r.objective == pytest.approx(50)
    assert r.investment == pytest.approx(100)
    assert r.optimal and r.method == "milp"


def test_mandatory_over_budget_is_a_clear_error():
    df = frame([60, 50], [1, 1], mandatory=[True, True])
    with pytest.raises(PortfolioError, match="mandatory options need an investment of 110"):
        select_portfolio(df, 100)


def test_mandatory_options_excluding_each_other_are_infeasible():
    df = frame([1, 1], [1, 1], mandatory=[True, True], excludes=["o1", ""])
    with pytest.raises(PortfolioError, match="exclude each other"):
        select_portfolio(df, 100)


def test_unknown_exclude_names_row_and_field():
    df = frame([1, 1], [1, 1], excludes=["", "nope"])
    with pytest.raises(PortfolioError, match=r"row 1 .*'excludes' names 'nope'"):
        select_portfolio(df, 100)


def test_excludes_resolve_within_the_enterprise():
    df = frame([10, 10, 10], [5, 5, 5], excludes=["o1", "", ""], ent=["A", "A", "B"])
    df.loc[2, "option_id"] = "o0"  # same id in another enterprise is not excluded
    assert exclusion_pairs(df).tolist() == [[0, 1]]


@pytest.mark.parametrize("seed", range(40))
def test_milp_matches_brute_force_on_random_cases(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 12))
    inv = rng.integers(0, 100, n).astype(float)
    npv = rng.normal(20, 30, n).round(2)
    mand = rng.random(n) < 0.15
    exc = [""] * n
    for _ in range(int(rng.integers(0, 4))):
        i, j = rng.choice(n, 2, replace=False)
        if not (mand[i] and mand[j]):
            exc[i] = ";".join(filter(None, [exc[i], f"o{j}"]))
    df = frame(list(inv), list(npv), mandatory=list(mand), excludes=exc)
    budget = float(rng.integers(int(inv[mand].sum()), int(inv.sum()) + 2))
    r = select_portfolio(df, budget)
    assert r.objective == pytest.approx(brute_force(df, budget), abs=1e-6)
    x = r.selected.to_numpy()
    assert x[mand].all() and inv[x].sum() <= budget + 1e-9
    g = select_portfolio(df, budget, method="greedy")
    xg = g.selected.to_numpy()
    # the heuristic is feasible and never better than the optimum
    assert xg[mand].all() and inv[xg].sum() <= budget + 1e-9
    pairs = exclusion_pairs(df)
    if len(pairs):
        assert not (xg[pairs[:, 0]] & xg[pairs[:, 1]]).any()
    assert g.objective <= r.objective + 1e-9 and not g.optimal


def test_greedy_hand_case_and_half_bound():
    # ratio order: o0 (10/1), o1 (20/10); o2 (30/30) does not fit after them.  Greedy = 30,
    # best single = o2 (30 with inv 30 <= 31): tie, greedy kept.  Optimum = o0 + o2 = 40.
    df = frame([1, 10, 30], [10, 20, 30])
    g = select_portfolio(df, 31, method="greedy")
    assert g.selected.tolist() == [True, True, False] and g.objective == 30
    assert select_portfolio(df, 31).objective == 40
    # the modified greedy takes the best single item when the ratio order starves it
    df2 = frame([1, 100], [2, 100])
    g2 = select_portfolio(df2, 100, method="greedy")
    assert g2.selected.tolist() == [False, True]


def test_auto_switches_to_greedy_beyond_limit():
    df = frame([1.0] * 5, [1.0] * 5)
    r = select_portfolio(df, 3, exact_limit=4)
    assert r.method == "greedy" and r.objective == 3


def test_mac_by_hand():
    # I = 1000, N = 10, r = 0.1 -> CRF = 0.1 / (1 - 1.1^-10) = 0.16274539; savings 100, cost 20,
    # salvage 0 -> annual cost = 162.74539 - 80 = 82.74539; 5 t/yr -> 16.549 per t.
    df = pd.DataFrame({"option_id": ["a", "b", "c"], "investment": [1000.0, 500.0, 10.0],
                       "annual_savings": [100.0, 200.0, 0.0], "annual_cost_change": [20.0, 0.0, 0.0],
                       "lifetime_years": [10, 5, 3], "salvage_value": [0.0, 0.0, 0.0],
                       "co2e_avoided_t": [5.0, 10.0, np.nan]})
    out = marginal_abatement_cost(df, discount_rate=0.1)
    assert out["option_id"].tolist() == ["b", "a"]  # c abates nothing: left out
    assert out.loc[0, "mac"] == pytest.approx((1000 * 0.16274539488 - 80) / 5, rel=1e-9)
    assert out["cum_abatement_end"].tolist() == [10.0, 15.0]


def test_mac_equals_minus_npv_over_discounted_abatement():
    rng = np.random.default_rng(1)
    n = 50
    df = pd.DataFrame({"option_id": [str(i) for i in range(n)], "investment": rng.uniform(0, 1e5, n),
                       "annual_savings": rng.normal(1e4, 1e4, n), "annual_cost_change": rng.uniform(0, 2e3, n),
                       "lifetime_years": rng.integers(1, 30, n), "salvage_value": rng.uniform(0, 1e4, n),
                       "co2e_avoided_t": rng.uniform(0.1, 50, n), "discount_rate": rng.uniform(0, 0.2, n)})
    out = marginal_abatement_cost(df)
    for i, row in df.iterrows():
        flows = np.full(int(row.lifetime_years) + 1, row.annual_savings - row.annual_cost_change)
        flows[0] = -row.investment
        flows[-1] += row.salvage_value
        npv = npf.npv(row.discount_rate, flows)
        disc_ab = npf.npv(row.discount_rate, np.r_[0.0, np.full(int(row.lifetime_years), row.co2e_avoided_t)])
        assert out.loc[i, "mac"] == pytest.approx(-npv / disc_ab, rel=1e-9, abs=1e-9)


def test_mac_curve_stacks_one_option_per_exclusive_group():
    # r = 0, N = 10: MAC = (I / 10 - (savings - cost change)) / a
    #   A: I 100,  savings 110, a 10 -> (10 - 110) / 10 = -10
    #   C: I 100,  savings -5,  a 5  -> (10 + 5) / 5   =   3
    #   B: I 200,  savings -5,  a 6  -> (20 + 5) / 6   = 4.1667   B excludes C: C (cheaper) is stacked
    #   D: I 1400, savings 0,   a 7  -> 140 / 7        =  20
    #   F: I 50,   savings 0,   a 0  -> no effect: left out, though F excludes D
    # Stacked: A 0..10, C 10..15, D 15..22; B drawn over C from 10 to 10 + 6 = 16, not added.
    df = pd.DataFrame({"enterprise_id": "E", "option_id": ["A", "B", "C", "D", "F"],
                       "investment": [100.0, 200, 100, 1400, 50], "annual_savings": [110.0, -5, -5, 0, 0],
                       "lifetime_years": 10, "co2e_avoided_t": [10.0, 6, 5, 7, 0], "excludes": ["", "C", "", "", "D"]})
    out = marginal_abatement_cost(df, discount_rate=0.0).set_index("option_id")
    assert list(out.index) == ["A", "C", "B", "D"]
    assert out["mac"].tolist() == pytest.approx([-10, 3, 25 / 6, 20])
    assert out["alternative_to"].isna().tolist() == [True, True, False, True]
    assert out.loc["B", "alternative_to"] == "C"
    assert out["cum_abatement_start"].tolist() == pytest.approx([0, 10, 10, 15])
    assert out["cum_abatement_end"].tolist() == pytest.approx([10, 15, 16, 22])
    stacked = out["alternative_to"].isna()
    assert out.loc[stacked, "cum_abatement_end"].max() == pytest.approx(out.loc[stacked, "abatement"].sum())
    # a chain B - C - G is one group: G (MAC 1) is stacked, B and C are its alternatives
    chain = pd.concat([df, pd.DataFrame({"enterprise_id": ["E"], "option_id": ["G"], "investment": [10.0],
                                         "annual_savings": [0.0], "lifetime_years": [10], "co2e_avoided_t": [1.0],
                                         "excludes": ["C"]})], ignore_index=True)
    out = marginal_abatement_cost(chain, discount_rate=0.0).set_index("option_id")
    assert out.loc[["B", "C"], "alternative_to"].tolist() == ["G", "G"]
    assert out["cum_abatement_end"].max() == pytest.approx(10 + 1 + 7)


def test_mac_groups_stay_within_an_enterprise_and_bad_excludes_are_named():
    df = pd.DataFrame({"enterprise_id": ["E", "E", "F", "F"], "option_id": ["a", "b", "a", "b"],
                       "investment": [100.0, 200, 100, 200], "annual_savings": 0.0, "lifetime_years": 10,
                       "co2e_avoided_t": 1.0, "excludes": ["b", "", "", ""]})
    out = marginal_abatement_cost(df, discount_rate=0.0)
    assert out["alternative_to"].notna().tolist() == [False, False, True, False]  # only E's b (MAC 20)
    with pytest.raises(PortfolioError, match=r"row 2 \(option 'a'\): field 'excludes' names 'zz'"):
        marginal_abatement_cost(df.assign(excludes=["", "", "zz", ""]), discount_rate=0.0)

"""The column-wise preliminary sort against the row-by-row rules it replaced (issue 11).

``_row_by_row`` below is the loop ``screening.sort.preliminary_sort`` ran until 2026-12-03, kept
here verbatim as the second method (it reads the options' inputs as the sort does, ``sort_inputs``): on random options that reach every branch (mandatory, each
veto alone and together, implement now with and without investment, study for each reason, every
cost class, packs with and without thresholds in their currency) both give the same five columns,
string for string.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest

from screening.sort import SortRules, _class_of, _currency, _enterprise_column, _fmt, _thresholds, preliminary_sort, sort_inputs


def _row_by_row(options: pd.DataFrame, enterprises: pd.DataFrame | None, rules: SortRules | None = None) -> pd.DataFrame:
    rules = rules or SortRules()
    n = len(options)
    investment, payback, payback_name, savings, mandatory, feas = sort_inputs(options)  # the inputs as the sort reads them
    currency = _currency(options, enterprises, rules).to_numpy()
    packs = _enterprise_column(options, enterprises, "jurisdiction").to_numpy()
    enterprise = options["enterprise_id"].astype(str).to_numpy() if "enterprise_id" in options.columns else np.full(n, "")
    classes, basis, sort_class, reasons = [], [], [], []
    for i in range(n):
        pack = packs[i] if isinstance(packs[i], str) else None
        found = _thresholds(currency[i], pack, rules)
        inv = float(investment[i])
        cc = "unknown" if math.isnan(inv) else ("no" if inv == 0 else _class_of(inv, found[0]))
        classes.append(cc)
        basis.append(found[1])
        pb = float(payback[i])
        if mandatory[i]:
            sort_class.append("mandatory")
            reasons.append("required by law: kept out of the ranking, counted in budgets")
            continue
        vetoes = []
        norm = rules.max_payback_years.get(cc)
        if not math.isnan(pb) and norm is not None and pb > norm:
            vetoes.append(f"{payback_name} {_fmt(pb)} yr above the {_fmt(norm)} yr norm for {cc} cost")
        if math.isnan(pb) and rules.reject_no_payback and not (savings[i] > 0 and inv == 0):
            vetoes.append("net yearly saving not positive: payback never happens")
        if rules.min_technical_feasibility is not None and not math.isnan(feas[i]) and feas[i] < rules.min_technical_feasibility:
            vetoes.append(f"technical feasibility {_fmt(feas[i])} below the floor {_fmt(rules.min_technical_feasibility)}")
        if rules.budget is not None:
            budget = rules.budget.get(enterprise[i]) if isinstance(rules.budget, Mapping) else rules.budget
            if budget is not None and inv > budget:
                vetoes.append(f"investment {_fmt(inv)} above the budget {_fmt(budget)}")
        if vetoes:
            sort_class.append("rejected")
            reasons.append("; ".join(vetoes))
            continue
        quick = not math.isnan(pb) and pb < rules.implement_now_max_payback_years and savings[i] > 0
        if cc in rules.implement_now_classes and quick:
            sort_class.append("implement_now")
            cost_txt = "no cost" if cc == "no" else ("cost class unknown" if cc == "unknown" else f"{cc} cost")
            reasons.append(f"{cost_txt}, positive net savings, "
                           + (f"{payback_name} immediate (no investment)" if pb == 0 else
                              f"{payback_name} {_fmt(pb)} yr under {_fmt(rules.implement_now_max_payback_years)} yr"))
            continue
        why = []
        if cc not in rules.implement_now_classes:
            why.append(f"{cc} cost")
        if math.isnan(pb):
            why.append("no payback (net yearly saving not positive or unknown)")
        elif pb >= rules.implement_now_max_payback_years:
            why.append(f"{payback_name} {_fmt(pb)} yr")
        sort_class.append("study")
        reasons.append("needs study: " + ", ".join(why) if why else "needs study")
    return pd.DataFrame({"cost_class": classes, "cost_class_basis": basis, "payback_years": payback,
                         "sort_class": sort_class, "sort_reason": reasons}, index=options.index)


def _random_options(n: int, seed: int, with_payback: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ents = pd.DataFrame({
        "enterprise_id": ["E1", "E2", "E3", "E4", "E5"],
        # a pack in its own currency, one in another currency, a pack with no thresholds, none at all
        "jurisdiction": ["NL", "CN", "NL", "ZZ", None],
        "currency": ["EUR", "CNY", "USD", "EUR", None],
    })
    investment = rng.choice([0.0, np.nan, 500.0, 5e3, 5e4, 2e5, 5e5, 2e6, 5e7], n) * rng.uniform(0.5, 1.5, n)
    investment[rng.random(n) < 0.1] = 0.0
    savings = rng.choice([-1e3, 0.0, 100.0, 1e4, 1e5, 1e6], n) * rng.uniform(0.5, 1.5, n)
    opt = pd.DataFrame({
        "enterprise_id": rng.choice(ents["enterprise_id"], n),
        "option_id": [f"O{i}" for i in range(n)],
        "investment": investment,
        "annual_savings": savings,
        "annual_cost_change": rng.choice([0.0, 50.0, np.nan], n),
        "mandatory": rng.random(n) < 0.05,
        "technical_feasibility": np.where(rng.random(n) < 0.2, np.nan, rng.integers(1, 11, n)).astype(float),
    })
    if with_payback:
        pb = rng.choice([0.0, 0.4, 0.999, 1.0, 2.5, 3.0, 3.0001, 9.9, 12.0, 1234.5, np.nan], n)
        opt["simple_payback_years"] = pb
    return opt, ents


@pytest.mark.parametrize("with_payback", [False, True], ids=["pre-tax fallback", "appraisal payback"])
@pytest.mark.parametrize("rules", [
    SortRules(),
    SortRules(reject_no_payback=True, min_technical_feasibility=4, budget=1e6),
    SortRules(reject_no_payback=True, budget={"E1": 1e4, "E3": None, "E4": 3e5}, implement_now_max_payback_years=3.0,
              implement_now_classes=("no", "low", "medium"), max_payback_years={"low": 2.0, "high": 8}),
], ids=["defaults", "every veto", "budget per enterprise, wider implement now"])
def test_columnar_sort_is_the_row_by_row_sort_string_for_string(rules: SortRules, with_payback: bool) -> None:
    opt, ents = _random_options(3_000, seed=7, with_payback=with_payback)
    got = preliminary_sort(opt, ents, rules)
    want = _row_by_row(opt, ents, rules)
    pd.testing.assert_frame_equal(got.astype({c: object for c in got.columns if c != "payback_years"}),
                                  want.astype({c: object for c in want.columns if c != "payback_years"}))
    # every branch was reached, so the comparison above says something about each
    assert set(got["sort_class"]) == {"implement_now", "study", "rejected", "mandatory"}
    assert set(got["cost_class"]) >= {"no", "low", "medium", "high", "unknown"}
    assert got["sort_reason"].str.contains("; ").any() == (rules.budget is not None)


def test_columnar_sort_without_enterprises_and_of_no_options() -> None:
    opt, _ = _random_options(200, seed=3, with_payback=False)
    pd.testing.assert_frame_equal(preliminary_sort(opt).astype(object), _row_by_row(opt, None).astype(object))
    empty = preliminary_sort(opt.iloc[:0])
    assert list(empty.columns) == ["cost_class", "cost_class_basis", "payback_years", "sort_class", "sort_reason"]
    assert len(empty) == 0


def test_derived_columns_leave_the_options_as_they_were() -> None:
    """add_derived_columns works on a shallow copy (copy-on-write): the caller's frame keeps its columns and values."""
    from screening.criteria import add_derived_columns

    opt, ents = _random_options(500, seed=11, with_payback=False)
    before = opt.copy()
    out = add_derived_columns(opt, ents)
    assert {"net_annual_savings", "elf_reduction", "hierarchy_score", "observed_uptake"} <= set(out.columns)
    out["investment"] = -1.0  # a write to the result does not reach the input either
    pd.testing.assert_frame_equal(opt, before)

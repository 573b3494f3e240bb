"""Preliminary sort, cost classes, derived criteria and weight profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screening.criteria import (
    FALLBACK_PAYBACK,
    Criterion,
    Group,
    add_derived_columns,
    elf_reduction,
    hierarchy_score,
    normalise_weights,
    resolve_profile,
    simple_payback_pretax,
)
from screening.sort import SortRules, cost_class, preliminary_sort


def options(**cols) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "enterprise_id": ["E1"] * n,
        "option_id": [f"o{i}" for i in range(n)],
        "annual_cost_change": [0.0] * n,
        "mandatory": [False] * n,
    }
    base.update(cols)
    return pd.DataFrame(base)


ENT = pd.DataFrame({"enterprise_id": ["E1"], "currency": ["CNY"], "product_output_t": [500.0], "material_input_t": [600.0]})


@pytest.mark.parametrize(
    "investment, expected",
    [(0, "no"), (99_999.99, "low"), (100_000, "medium"), (999_999, "medium"), (1_000_000, "high"), (5e6, "high")],
)
def test_cost_classes_of_the_chinese_audit_practice(investment, expected):
    assert cost_class(investment, "CNY") == expected


def test_cost_class_unknown_without_thresholds_for_the_currency_never_a_silent_rescale():
    assert cost_class(50_000, "JPY") == "unknown"  # no pack states thresholds in yen
    assert cost_class(0, "JPY") == "no"
    assert cost_class(50_000, "JPY", SortRules(cost_thresholds={"JPY": (10_000, 100_000)})) == "medium"
    # thresholds given by the caller replace the packs': EUR 50 000 is medium here, medium too by the packs
    assert cost_class(12_000, "EUR", SortRules(cost_thresholds={"EUR": (10_000, 100_000)}, pack_thresholds={})) == "medium"


def test_preliminary_sort_default_rules_each_with_its_reason():
    o = options(
        investment=[0.0, 50_000, 50_000, 500_000, 500_000, 2_000_000, 2_000_000, 10_000],
        annual_savings=[5_000.0, 80_000, 20_000, 200_000, 100_000, 250_000, 150_000, -100],
    )
    o.loc[7, "mandatory"] = True
    s = preliminary_sort(o, ENT)
    # payback: -, 0.625, 2.5, 2.5, 5, 8, 13.3, never
    assert list(s["cost_class"]) == ["no", "low", "low", "medium", "medium", "high", "high", "low"]
    assert list(s["sort_class"]) == [
        "implement_now",  # no cost, payback 0
        "implement_now",  # low cost, 0.625 yr
        "study",  # low cost but 2.5 yr
        "study",  # medium cost, 2.5 yr within the 3 yr norm
        "rejected",  # medium cost, 5 yr above the 3 yr norm
        "study",  # high cost, 8 yr within 10
        "rejected",  # high cost, 13.3 yr above 10
        "mandatory",
    ]
    assert s.loc[4, "sort_reason"] == "pre-tax simple payback 5 yr above the 3 yr norm for medium cost"
    assert s.loc[1, "sort_reason"] == "low cost, positive net savings, pre-tax simple payback 0.625 yr under 1 yr"
    assert s.loc[0, "sort_reason"] == "no cost, positive net savings, pre-tax simple payback immediate (no investment)"
    assert s.loc[3, "sort_reason"] == "needs study: medium cost, pre-tax simple payback 2.5 yr"
    assert "required by law" in s.loc[7, "sort_reason"]


def test_vetoes_feasibility_floor_budget_and_no_payback():
    o = options(investment=[1_000.0, 1_000, 300_000, 5_000], annual_savings=[10_000.0, 10_000, 400_000, -1.0])
    o["technical_feasibility"] = [2.0, 8.0, 8.0, 8.0]
    rules = SortRules(min_technical_feasibility=4, budget={"E1": 200_000}, reject_no_payback=True)
    s = preliminary_sort(o, ENT, rules)
    assert list(s["sort_class"]) == ["rejected", "implement_now", "rejected", "rejected"]
    assert s.loc[0, "sort_reason"] == "technical feasibility 2 below the floor 4"
    assert s.loc[2, "sort_reason"] == "investment 3e+05 above the budget 2e+05"
    assert "payback never happens" in s.loc[3, "sort_reason"]


def test_sort_uses_the_appraisal_payback_where_present():
    o = options(investment=[50_000.0], annual_savings=[100_000.0])
    o["simple_payback_years"] = [4.0]  # after tax and support, e.g.
    s = preliminary_sort(o, ENT)
    assert s.loc[0, "sort_class"] == "rejected"
    assert s.loc[0, "sort_reason"].startswith("simple payback 4 yr above the 3 yr norm")


def test_fallback_payback_by_hand():
    o = options(investment=[1000.0, 1000, 0, 1000], annual_savings=[600.0, 300, 10, 100])
    o["annual_cost_change"] = [100.0, 300, 0, np.nan]
    pb = simple_payback_pretax(o)
    # 1000 / (600 - 100) = 2; net 0 -> never; zero investment -> 0; missing cost change = 0 -> 10
    np.testing.assert_allclose(pb.to_numpy(), [2.0, np.nan, 0.0, 10.0])
    assert pb.name == FALLBACK_PAYBACK


def test_elf_reduction_by_hand():
    # ELF = (600 - 500) / 500 = 0.2; avoiding 25 t of waste -> (575 - 500) / 500 = 0.15: cut 0.05
    o = options(investment=[1.0, 1.0], annual_savings=[1.0, 1.0])
    o["waste_avoided_t"] = [25.0, np.nan]
    cut = elf_reduction(o, ENT)
    assert cut.iloc[0] == pytest.approx((600 - 500) / 500 - (600 - 25 - 500) / 500)
    assert np.isnan(cut.iloc[1])
    assert elf_reduction(o, None).isna().all()


def test_hierarchy_score_prevention_first_from_category_or_own_value():
    o = options(investment=[1.0] * 4, annual_savings=[1.0] * 4)
    o["category"] = ["good_housekeeping", "end_of_pipe", "onsite_recovery", "end_of_pipe"]
    o["hierarchy"] = [None, None, None, "recover_heat"]
    assert list(hierarchy_score(o)) == [4.0, 1.0, 3.0, 2.0]


def test_default_profile_on_raw_import_data_uses_the_fallback_payback():
    o = add_derived_columns(options(investment=[10.0, 20.0], annual_savings=[5.0, 5.0]), ENT)
    crit, notes = resolve_profile(o)
    assert [c.column for c in crit] == [FALLBACK_PAYBACK, "net_annual_savings", "investment"]
    assert sum(c.weight for c in crit) == pytest.approx(1.0)
    assert any("environmental effect" in n for n in notes)


def test_default_profile_with_appraisal_and_environment_weights_by_hand():
    o = options(investment=[10.0, 20.0], annual_savings=[5.0, 5.0])
    o["simple_payback_years"] = [2.0, 4.0]
    o["co2e_avoided_t"] = [1.0, 2.0]
    o["energy_saved_mwh"] = [3.0, np.nan]
    o["technical_feasibility"] = [5.0, 7.0]
    crit, _ = resolve_profile(add_derived_columns(o, None).assign(hierarchy_score=np.nan), "handbook")
    w = {c.column: c.weight for c in crit}
    # handbook profile, groups present: environment 0.35 (energy, co2 -> 0.175 each), payback 0.175 (finance's,
    # not the fallback), investment 0.175, feasibility 0.15; total 0.85
    assert w == pytest.approx({"energy_saved_mwh": 0.175 / 0.85, "co2e_avoided_t": 0.175 / 0.85,
                               "simple_payback_years": 0.175 / 0.85, "investment": 0.175 / 0.85,
                               "technical_feasibility": 0.15 / 0.85})


def test_profiles_are_editable_and_unknown_names_are_refused():
    o = options(investment=[10.0, 20.0], annual_savings=[5.0, 5.0])
    crit, _ = resolve_profile(o, [Group("cost", 2.0, ("investment",)), Group("savings", 6.0, ("annual_savings",))])
    assert [(c.column, c.direction, c.weight) for c in crit] == [("investment", "min", 0.25), ("annual_savings", "max", 0.75)]
    with pytest.raises(ValueError, match="unknown weight profile 'nope'"):
        resolve_profile(o, "nope")


def test_weights_shown_normalised():
    crit = normalise_weights([Criterion("a", "max", 2), Criterion("b", "min", 6)])
    assert [c.weight for c in crit] == [0.25, 0.75]
    with pytest.raises(ValueError):
        normalise_weights([Criterion("a", "max", 0)])


def test_default_profile_weights_as_documented():
    o = options(investment=[10.0, 20.0], annual_savings=[5.0, 5.0])
    for col, vals in {"energy_saved_mwh": [1.0, 2.0], "technical_feasibility": [3.0, 6.0], "implementability": [4.0, 5.0]}.items():
        o[col] = vals
    crit, _ = resolve_profile(add_derived_columns(o, None).assign(hierarchy_score=np.nan))
    w = {c.column: c.weight for c in crit}
    # UNEP/UNIDO: technical, economic and environmental merit a third each; economics split over
    # payback, net value (net yearly savings without an appraisal) and investment
    assert w == pytest.approx({"energy_saved_mwh": 1 / 3, FALLBACK_PAYBACK: 1 / 9, "net_annual_savings": 1 / 9,
                               "investment": 1 / 9, "technical_feasibility": 1 / 6, "implementability": 1 / 6})
    env = w["energy_saved_mwh"]
    assert env == pytest.approx(w[FALLBACK_PAYBACK] + w["net_annual_savings"] + w["investment"])  # as much as economics


def test_default_profile_prefers_the_appraisal_npv_as_net_value():
    o = options(investment=[10.0, 20.0], annual_savings=[5.0, 5.0]).assign(npv=[3.0, -1.0])
    crit, _ = resolve_profile(add_derived_columns(o, None))
    assert "npv" in {c.column for c in crit} and "net_annual_savings" not in {c.column for c in crit}

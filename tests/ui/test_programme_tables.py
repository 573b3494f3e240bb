"""Programme page tables (ui.programme_tables): words and units, and the same figures as the library."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from programme.budget import run_programme
from programme.uptake import DecisionRule
from ui.programme_tables import budget_by_year, parameter_label, per_option_table

NAMES = {"NL-EIA-2024": "Energy investment allowance", "DK-ERHVERVSPULJEN-2024": "Erhvervspuljen"}


@pytest.mark.parametrize("name,want", [
    ("NL-EIA-2024.rate.value", "Energy investment allowance: rate, share of the eligible cost [/1]"),
    ("NL-EIA-2024.caps.investment_per_year",
     "Energy investment allowance: largest eligible investment per enterprise and year [EUR]"),
    ("DK-ERHVERVSPULJEN-2024.rate.terms.intensity.share_by_size.medium",
     "Erhvervspuljen: term 'intensity': share of the eligible cost for medium enterprises [/1]"),
    ("DK-ERHVERVSPULJEN-2024.rate.terms.premium.per_t_co2.per_unit",
     "Erhvervspuljen: term 'premium' (per t co2): amount per unit saved per year [EUR/unit]"),
    ("DK-ERHVERVSPULJEN-2024.something.new", "Erhvervspuljen: something.new"),
    ("OTHER.rate.value", "OTHER.rate.value"),
])
def test_parameter_labels_say_the_rule_the_meaning_and_the_unit(name, want):
    assert parameter_label(name, NAMES, "EUR") == want


def _result():
    # CA-ECOENERGY, tax 0: a 25 % grant 25,000 on I 100,000 (S 40,000, 10,000 MWh); paid at t = 0
    opts = pd.DataFrame({"enterprise_id": ["A", "A"], "option_id": ["a", "b"], "title": ["a", "b"],
                         "category": "equipment_modification", "investment": [100_000.0, 120_000.0],
                         "annual_savings": [40_000.0, 45_000.0], "annual_cost_change": 0.0, "lifetime_years": 10,
                         "salvage_value": 0.0, "eligible_investment": [100_000.0, 120_000.0], "energy_saved_mwh": 10_000.0,
                         "other_grants": 0.0, "mandatory": False, "excludes": ["b", ""]})
    ents = pd.DataFrame({"enterprise_id": ["A"], "name": ["A"], "jurisdiction": ["none"], "size_class": ["medium"],
                         "tax_rate": [0.0], "discount_rate": [0.08], "tax_capacity": [True]})
    return run_programme(opts, ents, "CA-ECOENERGY", on_date=date(2010, 6, 1), rule=DecisionRule("payback", payback_limit=3))


def test_budget_by_year_sums_the_library_table_and_names_units():
    r = _result()
    t = budget_by_year(r.by_year_instrument, "CAD")
    # a: payback (100,000 - 25,000) / 40,000 = 1.875; b: (120,000 - 30,000) / 45,000 = 2.0 -> a, 25,000
    assert t["Outlay [CAD]"].sum() == pytest.approx(r.summary["total_outlay"]) == pytest.approx(25_000)
    assert t["Outlay if every eligible option took it up [CAD]"].sum() == pytest.approx(55_000)
    inst = [c for c in t.columns if c.startswith("Outlay: ")]
    assert inst == ["Outlay: CA-ECOENERGY-RETROFIT [CAD]"]
    assert t[inst].sum(axis=1).tolist() == pytest.approx(t["Outlay [CAD]"].tolist())
    assert t["Year"].tolist() == [2010] and t["Years after the investment [yr]"].tolist() == [0]
    assert list(budget_by_year(r.by_year_instrument.iloc[:0], "CAD").columns)[:2] == ["Year", "Years after the investment [yr]"]


def test_per_option_table_in_words_and_per_cent():
    r = _result()
    t = per_option_table(r.by_option, "CAD").set_index("Option")
    assert t.loc["a", "Uptake probability with support [%]"] == 100.0
    assert t.loc["b", "Uptake probability with support [%]"] == 0.0
    assert t.loc["b", "Not taken up: the alternative taken instead"] == "a"
    assert t.loc["a", "Support if taken up [CAD]"] == pytest.approx(25_000)
    assert "IRR with support [%]" in t.columns and "p_with" not in t.columns


PARAM_NAMES = ["US-48C-2023.eligibility.thresholds.ghg_reduction_share", "US-48C-2023.rate.values.yes",
         "US-BONUS-2025.depreciation.first_year_share", "US-X.rate.value", "US-X.caps.per_project"]
PARAM_RULE = {n: n.split(".")[0] for n in PARAM_NAMES}


@pytest.mark.parametrize(("supporting", "want"), [
    ({"US-BONUS-2025"}, "US-BONUS-2025.depreciation.first_year_share"),  # no rate of its own: any parameter of it
    ({"US-X"}, "US-X.rate.value"),  # a rate of a supporting rule before its other parameters
    ({"US-X", "US-BONUS-2025"}, "US-X.rate.value"),
    (set(), "US-X.rate.value"),  # none supports: the first rate (.rate or .rate.value), as before
])
def test_the_page_compares_first_a_parameter_of_a_rule_that_supports_the_options(supporting, want):
    from ui.programme_tables import default_parameter

    assert default_parameter(PARAM_NAMES, supporting, PARAM_RULE) == want
    no_rate = PARAM_NAMES[:3]  # none supports and no .rate: the first parameter, as before
    assert default_parameter(no_rate, set(), PARAM_RULE) == no_rate[0]


@pytest.mark.parametrize(("value", "high", "want"), [
    (0.3, float("inf"), 0.6), (0.3, 0.5, 0.15), (1.0, 1.0, 0.5), (0.5, 1.0, 1.0), (0.0, float("inf"), 1.0),
    (0.0, 0.4, 0.4), (25_000.0, float("inf"), 50_000.0),
])
def test_scenario_b_starts_at_twice_the_pack_value_or_half_where_twice_passes_the_bound(value, high, want):
    from ui.programme_tables import scenario_b_default

    assert scenario_b_default(value, high) == want

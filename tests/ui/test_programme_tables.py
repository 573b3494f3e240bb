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

"""Programme and Portfolio pages with the demo dairy's exclusive boilers (DK-05, DK-06)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from programme.budget import run_programme
from programme.uptake import DecisionRule
from store.db import cursor
from store.io import load_table
from ui import charts
from ui.programme_tables import budget_by_year


def _frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_programme_page_budget_by_year_table_download_and_alternatives(app, seeded_db):
    at = app("programme")
    at.selectbox(key="programme_pack").select("DK").run()
    at.selectbox(key="rule_kind").select("npv").run()
    assert not at.exception
    assert at.download_button(key="download_budget-0").label.startswith("Download budget by year (CSV)")
    table = _frame(at, "Years after the investment [yr]")
    # one number, one source: the page's table is the library's run (the sidebar date is today) by year
    cur = cursor(seeded_db)
    opts = load_table(cur, "options", "dk_dairy")
    ents = load_table(cur, "enterprises")
    ents = ents[ents["enterprise_id"] == "dk_dairy"].reset_index(drop=True)
    scenario = at.selectbox(key="scenario_param").value
    value = at.number_input(key=f"value_a-{scenario}").value
    r = run_programme(opts, ents, "DK", params={scenario: value}, on_date=date.today(), rule=DecisionRule("npv"))
    want = budget_by_year(r.by_year_instrument, "DKK")
    assert table["Outlay [DKK]"].sum() == pytest.approx(want["Outlay [DKK]"].sum())
    assert r.by_option.set_index("option_id").loc["DK-06", "alternative_to"] == "DK-05"
    # the parameter is shown in words with its unit
    label = at.selectbox(key="scenario_param").format_func(scenario)
    assert label.endswith("]") and not label.startswith(scenario)


def test_portfolio_mac_caption_names_the_alternative(app):
    at = app("portfolio")
    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    at.selectbox(key="mac_effect@dk_dairy").select("co2e_avoided_t").run()
    assert not at.exception
    text = " ".join(c.value for c in at.caption)
    assert "Alternatives are not added" in text and "is an alternative to" in text


def test_mac_chart_draws_alternatives_grey_and_names_them_in_the_tooltip():
    mac = pd.DataFrame({"option_id": ["A", "B"], "abatement": [10.0, 4.0], "mac": [-20.0, 35.0],
                        "cum_abatement_start": [0.0, 0.0], "cum_abatement_end": [10.0, 4.0],
                        "alternative_to": [None, "A"]})
    spec = charts.mac_curve_chart(mac, "EUR", "t CO2e").to_dict()
    enc = spec["encoding"]
    assert enc["color"]["scale"]["domain"][-1] == charts.ALTERNATIVE
    assert any(t.get("title") == "Alternative to (not added)" for t in enc["tooltip"])
    data = next(iter(spec["datasets"].values()))
    assert [d["saves money"] for d in data] == ["saves money", charts.ALTERNATIVE]
    plain = charts.mac_curve_chart(mac.drop(columns="alternative_to"), "EUR", "t CO2e").to_dict()
    assert charts.ALTERNATIVE not in plain["encoding"]["color"]["scale"]["domain"]

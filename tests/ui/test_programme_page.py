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


def test_a_compared_parameter_whose_rule_supports_no_option_is_said_so(app):
    """Nothing silent: US § 48C supports none of the demo electroplating shop's options, so the two
    scenarios of its parameter are the same table; the page says so, and not for a rule that applies.
    The page opens on a rule that applies (the pack's first parameter is § 48C's)."""
    at = app("programme")
    at.selectbox(key="programme_pack").select("US").run()
    chosen = at.multiselect(key="programme_enterprises-US")
    chosen.select(chosen.options[0]).run()
    param = at.selectbox(key="scenario_param")
    assert not param.value.startswith("US-48C-2023.") and any("48C" in n for n in param.options)
    assert not [i.value for i in at.info if "so A and B are the same" in i.value]
    summary = _frame(at, "measure").set_index("measure")
    assert not summary.iloc[:, 0].equals(summary.iloc[:, 1])  # the default's two scenarios differ
    s48c = next(n for n in param.options if "48C" in n)
    at.selectbox(key="scenario_param").select(s48c).run()
    assert not at.exception and at.selectbox(key="scenario_param").value.startswith("US-48C-2023.")
    notes = [i.value for i in at.info if "US-48C-2023" in i.value]
    assert notes and "so A and B are the same" in notes[0]
    summary = _frame(at, "measure").set_index("measure")
    assert summary.iloc[:, 0].equals(summary.iloc[:, 1])  # what the note says


@pytest.mark.parametrize(("value", "unit", "text"), [
    (-2.553308675601329e-09, "cur", "0"), (-0.4, "cur", "0"), (-0.6, "cur", "-1"), (1234567.4, "cur", "1,234,567"),
    (-1e-12, "%", "0.0%"), (-0.0004, "%", "0.0%"), (-0.0006, "%", "-0.1%"), (0.6515521536965175, "%", "65.2%"),
    (-1e-9, "cur/t", "0.00"), (-0.005, "cur/t", "-0.01"), (3.0, "options", "3"), (None, "cur", "–"), (float("nan"), "%", "–"),
])
def test_summary_figures_as_text_without_a_minus_on_zero(value, unit, text):
    from ui.programme_tables import summary_text

    assert summary_text(value, unit) == text

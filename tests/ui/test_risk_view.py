"""The Appraisal page's risk section shows the figures of ``cpscreen risk`` for the option."""

from __future__ import annotations

from datetime import date

import pytest

from finance.risk import risk
from store.db import cursor
from store.io import load_table


def test_risk_section_shows_the_library_figures_and_follows_the_spread(app, seeded_db):
    at = app("appraisal")
    on = date(2026, 6, 30)
    at.sidebar.date_input(key="on_date").set_value(on).run()
    at.selectbox(key="appraisal_option@nl_plating").select("NL-02").run()
    assert not at.exception
    cur = cursor(seeded_db)
    opts = load_table(cur, "options", "nl_plating")
    lib = risk(opts, load_table(cur, "enterprises"), on, draws=1000, seed=0, discount_rate=0.08).set_index("option_id")
    shown = {m.label: m.value for m in at.metric}
    assert shown["Probability of a loss (NPV < 0)"] == f"{lib.loc['NL-02', 'prob_npv_negative']:.1%}"
    assert shown["NPV P50 [EUR]"] == f"{lib.loc['NL-02', 'npv_p50']:,.0f}"
    p90 = shown["NPV P90 [EUR]"]
    at.slider(key="risk_spread-nl_plating-annual_savings").set_value(60).run()
    assert not at.exception
    wider = {m.label: m.value for m in at.metric}
    assert float(wider["NPV P90 [EUR]"].replace(",", "")) > float(p90.replace(",", ""))
    assert any("share of the NPV variance [%]" in d.value.columns for d in at.dataframe)

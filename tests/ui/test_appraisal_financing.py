"""Appraisal page with debt and inflation: the equity figures and the DSCR beside the project's."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from finance.option_detail import appraise_in_context
from store.db import cursor
from store.io import load_table

DAY = date(2025, 6, 1)


def test_equity_figures_dscr_and_nominal_flows_are_shown(app, seeded_db):
    cur = cursor(seeded_db)
    cur.execute("UPDATE options SET debt_share = 0.6, debt_rate = 0.05, debt_term_years = 6 "
                "WHERE enterprise_id = 'nl_plating' AND option_id = 'NL-02'")
    cur.execute("UPDATE enterprises SET inflation = 0.02 WHERE enterprise_id = 'nl_plating'")
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(DAY).run()
    at.sidebar.selectbox(key="enterprise_id").select("nl_plating").run()
    at.selectbox(key="appraisal_option@nl_plating").select("NL-02").run()
    assert not at.exception
    ents = load_table(cur, "enterprises")
    rate = float(ents.set_index("enterprise_id").loc["nl_plating", "discount_rate"])
    res = appraise_in_context(load_table(cur, "options", "nl_plating"), ents, DAY, "NL-02",
                              enterprise_id="nl_plating", discount_rate=rate)
    shown = {m.label: m.value for m in at.metric}
    assert shown["Equity NPV [EUR]"] == f"{res.equity['equity_npv']:,.0f}"
    assert shown["Minimum DSCR"] == f"{res.equity['min_dscr']:.3f}"
    assert res.inflation == pytest.approx(0.02)
    with_s = next(d.value for d in at.dataframe if "Equity cash flow [EUR]" in d.value.columns)
    np.testing.assert_allclose(with_s["Equity cash flow [EUR]"], res.flows["equity"], rtol=1e-9, atol=1e-6)
    at.toggle(key="nominal_flows@nl_plating").set_value(True).run()
    assert not at.exception
    nominal = next(d.value for d in at.dataframe if "Net cash flow, nominal [EUR]" in d.value.columns)
    np.testing.assert_allclose(nominal["Net cash flow, nominal [EUR]"], res.flows["net"] * 1.02 ** res.flows["t"], rtol=1e-12)


def test_an_option_without_debt_shows_no_equity_block(app, seeded_db):
    at = app("appraisal")
    at.sidebar.selectbox(key="enterprise_id").select("nl_plating").run()
    assert not at.exception
    assert not any(m.label.startswith("Equity") for m in at.metric)
    assert not any("Equity cash flow [EUR]" in d.value.columns for d in at.dataframe)

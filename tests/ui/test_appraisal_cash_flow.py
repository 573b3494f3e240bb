"""Appraisal page: the inputs used and the cash flow year by year, equal to the page's own metrics."""

from __future__ import annotations

from datetime import date

import numpy as np

from finance.appraise import appraise_option
from store.db import cursor
from store.io import load_table

DAY = date(2025, 6, 1)


def _frame(at, key):
    """The page's table: inputs used, cash flow with support, or without (AppTest does not give keys)."""
    def kind(cols) -> str:
        if "from" in cols and "input" in cols:
            return "cash_flow_inputs"
        if "Net cash flow [EUR]" in cols:
            return "cash_flow_with" if "Support: change in net cash flow [EUR]" in cols else "cash_flow_without"
        return ""

    return next(d.value for d in at.dataframe if kind(set(d.value.columns)) == key)


def test_cash_flow_table_sums_to_the_npv_the_page_shows_with_and_without_support(app, seeded_db):
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(DAY).run()
    at.selectbox(key="appraisal_option").select("NL-07").run()
    assert not at.exception
    cur = cursor(seeded_db)
    opts = load_table(cur, "options", "nl_plating").set_index("option_id")
    ent = load_table(cur, "enterprises").set_index("enterprise_id").loc["nl_plating"].to_dict() | {"enterprise_id": "nl_plating"}
    res = appraise_option(opts.loc["NL-07"].to_dict() | {"option_id": "NL-07"}, ent, DAY, discount_rate=0.08)
    with_s, without_s = _frame(at, "cash_flow_with"), _frame(at, "cash_flow_without")
    life = int(opts.loc["NL-07", "lifetime_years"])
    assert with_s["Year"].tolist() == list(range(life + 1)) == without_s["Year"].tolist()
    # the scalar path behind the metrics and the batch path behind the table agree line by line
    np.testing.assert_allclose(with_s["Net cash flow [EUR]"], res.flows["net"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(without_s["Net cash flow [EUR]"], res.flows_no_support["net"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(with_s["Discounted net cash flow [EUR]"].sum(), res.metrics["npv"], rtol=1e-9)
    np.testing.assert_allclose(without_s["Discounted net cash flow [EUR]"].sum(), res.metrics_no_support["npv"], rtol=1e-9)
    np.testing.assert_allclose(with_s["Tax depreciation [EUR]"], res.flows["depreciation"], rtol=1e-9, atol=1e-6)
    items = [c for c in with_s.columns if c.startswith("Support item ")]
    assert items and all(c.endswith("[EUR]") for c in items)
    np.testing.assert_allclose(with_s[items].sum(axis=1), with_s["Support: change in net cash flow [EUR]"], atol=1e-6)
    assert all(c == "Year" or c.endswith("]") for c in with_s.columns)  # a unit in every header
    inputs = _frame(at, "cash_flow_inputs").set_index("input")
    assert inputs.loc["Income tax rate [%]", "value"] == f"{res.tax_rate:.2%}"
    assert "pack NL" in inputs.loc["Income tax rate [%]", "from"]
    assert inputs.loc["Investment [EUR]", "value"] == f"{opts.loc['NL-07', 'investment']:,.0f}"
    buttons = at.get("download_button")
    assert any("cash flow" in b.proto.label.lower() for b in buttons)


def test_cash_flow_follows_the_discount_rate_field(app):
    at = app("appraisal")
    at.selectbox(key="appraisal_option").select("NL-02").run()
    at.number_input(key="discount_rate").set_value(12.0).run()
    assert not at.exception
    table = _frame(at, "cash_flow_with")
    np.testing.assert_allclose(table["Discount factor [/1]"], 1.12 ** -table["Year"].astype(float), rtol=1e-12)
    npv = float(next(m.value for m in at.metric if m.label.startswith("NPV with support")).replace(",", ""))
    assert abs(table["Discounted net cash flow [EUR]"].sum() - npv) < 1.0  # the metric is rounded to whole units

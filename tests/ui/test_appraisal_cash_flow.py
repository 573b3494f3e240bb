"""Appraisal page: the inputs used and the cash flow year by year, equal to the page's own metrics."""

from __future__ import annotations

from datetime import date

import numpy as np
from pandas.testing import assert_frame_equal

from finance.option_detail import appraise_in_context
from store.db import cursor
from store.io import load_table

DAY = date(2025, 6, 1)


def kind_of(frame, currency="EUR") -> str:
    """Which of the page's tables ``frame`` is: inputs used, cash flow with support, or without (AppTest gives no keys)."""
    cols = set(frame.columns)
    if "from" in cols and "input" in cols:
        return "cash_flow_inputs"
    if f"Net cash flow [{currency}]" in cols:
        return "cash_flow_with" if f"Support: change in net cash flow [{currency}]" in cols else "cash_flow_without"
    return ""


def _frame(at, key, currency="EUR"):
    """The page's table: inputs used, cash flow with support, or without."""
    return next(d.value for d in at.dataframe if kind_of(d.value, currency) == key)


#: options with support of each kind the demo packs give (CN credit + holiday, DK grant, NL deduction)
OPTIONS = {"cn_dyeworks": ("CN-01",), "dk_dairy": ("DK-05",), "nl_plating": ("NL-07",)}


def test_cash_flow_table_equals_the_pages_own_figures_with_and_without_support(app, seeded_db):
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(DAY).run()
    cur = cursor(seeded_db)
    ents = load_table(cur, "enterprises").set_index("enterprise_id")
    for eid, oids in OPTIONS.items():
        at.sidebar.selectbox(key="enterprise_id").select(eid).run()
        rate = float(ents.loc[eid, "discount_rate"])
        at.number_input(key=f"discount_rate@{eid}").set_value(round(rate * 100, 2)).run()
        currency = ents.loc[eid, "currency"]
        opts = load_table(cur, "options", eid)
        for oid in oids:
            at.selectbox(key=f"appraisal_option@{eid}").select(oid).run()
            assert not at.exception
            # the page's metrics come from the scalar path with the enterprise's items
            res = appraise_in_context(opts, ents.reset_index(), DAY, oid, enterprise_id=eid, discount_rate=rate)
            # the tabs are lazy: only the open one's table is built (first 'With support', then 'Without support')
            with_s = _frame(at, "cash_flow_with", currency)
            assert not any(kind_of(d.value, currency) == "cash_flow_without" for d in at.dataframe)
            at.session_state["cash_flow_tab"] = "Without support"
            at.run()
            without_s = _frame(at, "cash_flow_without", currency)
            assert not any(kind_of(d.value, currency) == "cash_flow_with" for d in at.dataframe)
            at.session_state["cash_flow_tab"] = "With support"
            at.run()
            assert_frame_equal(_frame(at, "cash_flow_with", currency), with_s)
            life = int(opts.set_index("option_id").loc[oid, "lifetime_years"])
            assert with_s["Year"].tolist() == list(range(life + 1)) == without_s["Year"].tolist()
            # the scalar path behind the metrics and the batch path behind the table agree line by line
            np.testing.assert_allclose(with_s[f"Net cash flow [{currency}]"], res.flows["net"], rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(without_s[f"Net cash flow [{currency}]"], res.flows_no_support["net"], rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(with_s[f"Tax depreciation [{currency}]"], res.flows["depreciation"], rtol=1e-9, atol=1e-6)
            np.testing.assert_allclose(with_s[f"Discounted net cash flow [{currency}]"].sum(), res.metrics["npv"], rtol=1e-9)
            np.testing.assert_allclose(without_s[f"Discounted net cash flow [{currency}]"].sum(), res.metrics_no_support["npv"],
                                       rtol=1e-9)
            items = [c for c in with_s.columns if c.startswith("Support item ")]
            assert len(items) == len(res.items) and all(c.endswith(f"[{currency}]") for c in items)
            np.testing.assert_allclose(with_s[items].sum(axis=1), with_s[f"Support: change in net cash flow [{currency}]"],
                                       atol=1e-6)
            assert all(c == "Year" or c.endswith("]") for c in with_s.columns)  # a unit in every header
            inputs = _frame(at, "cash_flow_inputs", currency).set_index("input")
            assert inputs.loc["Income tax rate [%]", "value"] == f"{res.tax_rate:.2%}"
            assert f"pack {res.pack}" in inputs.loc["Income tax rate [%]", "from"]
            investment = opts.set_index("option_id").loc[oid, "investment"]
            assert inputs.loc[f"Investment [{currency}]", "value"] == f"{investment:,.0f}"
            assert any("cash flow" in b.proto.label.lower() for b in at.get("download_button"))


def test_cash_flow_follows_the_discount_rate_field(app):
    at = app("appraisal")
    at.selectbox(key="appraisal_option@nl_plating").select("NL-02").run()
    at.number_input(key="discount_rate@nl_plating").set_value(12.0).run()
    assert not at.exception
    table = _frame(at, "cash_flow_with")
    np.testing.assert_allclose(table["Discount factor [/1]"], 1.12 ** -table["Year"].astype(float), rtol=1e-12)
    npv = float(next(m.value for m in at.metric if m.label.startswith("NPV with support")).replace(",", ""))
    assert abs(table["Discounted net cash flow [EUR]"].sum() - npv) < 1.0  # the metric is rounded to whole units

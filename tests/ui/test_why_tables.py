"""'Why, and why not' on the Appraisal and Programme pages: the library's explanation, shown as is."""

from __future__ import annotations

from datetime import date

import pandas as pd

from finance.explain import explain_appraisal
from store.db import cursor
from store.io import load_table


def _frame(at, key: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if d.key == key) if any(d.key == key for d in at.dataframe) else \
        next(d.value for d in at.dataframe if {"reason", "applies"} <= set(d.value.columns))


def test_appraisal_why_table_is_the_library_explanation(app, seeded_db):
    at = app("appraisal")
    day = date(2026, 6, 1)
    at.sidebar.date_input(key="on_date").set_value(day).run()
    at.selectbox(key="appraisal_option@nl_plating").select("NL-03").run()
    assert not at.exception
    why = _frame(at, "why_table")
    cur = cursor(seeded_db)
    opts = load_table(cur, "options", "nl_plating")
    ents = load_table(cur, "enterprises")
    lib = explain_appraisal(opts, ents, day, discount_rate=0.08)
    lib = lib[lib["option_id"] == "NL-03"]
    assert list(why["reason"]) == list(lib["reason"])
    assert list(why["NPV effect [EUR]"]) == list(lib["npv_effect"])
    mia = why[why["rule"].str.startswith("NL-MIA-2025")].iloc[0]
    assert mia["applies"] == "no" and mia["reason"].startswith("excluded by NL-EIA-2024")


def test_appraisal_why_table_names_a_missing_attribute(app):
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(date(2026, 6, 1)).run()
    at.selectbox(key="appraisal_option@nl_plating").select("NL-06").run()
    assert not at.exception
    why = _frame(at, "why_table")
    assert why["reason"].str.contains("attribute mia_tier missing").any()


def test_programme_per_option_reasons(app):
    at = app("programme")
    at.sidebar.date_input(key="on_date").set_value(date(2026, 6, 1)).run()
    at.selectbox(key="programme_pack").select("NL").run()
    assert not at.exception
    assert "why_option" not in [s.key for s in at.selectbox]  # collapsed: not built
    at.session_state["programme_per_option"] = True  # the user opens the section: built only then
    at.run()
    at.selectbox(key="why_option").select("nl_plating / NL-03").run()
    assert not at.exception
    why = _frame(at, "why_programme")
    assert set(why["rule_id"]) == {"NL-EIA-2024", "NL-MIA-2025", "NL-VAMIL-2025"}
    assert why.set_index("rule_id").loc["NL-MIA-2025", "reason"].startswith("excluded by NL-EIA-2024")

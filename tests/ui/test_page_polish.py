"""What a user trips over, fixed after looking at every page: each fix has a test that fails without it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from finance.appraise import appraise
from screening.criteria import Criterion
from screening.rank import rank_options
from store.db import cursor
from store.io import load_table
from ui.widgets import md_text


def _frame(at, column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_home_links_every_page(app):
    at = app()
    assert not at.exception
    links = {p.label for p in at.get("page_link")}
    assert links == {"Options", "Screening", "Appraisal", "Portfolio", "Programme", "Policies", "Report"}


def test_screening_flip_points_say_never_not_none(app):
    at = app("screening")
    flips = _frame(at, "raise by [/1]")
    assert not flips.isna().any().any() and "None" not in flips.to_numpy()
    assert "never" in set(flips["raise by [/1]"])  # the demo plater's payback weight never flips the top
    top = next(m.value for m in at.metric if m.label == "Top-ranked option")
    assert f"leaves {md_text(top)} on top" in _captions(at)


def test_screening_says_when_a_sort_group_is_empty_and_uses_readable_criterion_names(app):
    at = app("screening")
    at.sidebar.selectbox[0].select("dk_dairy").run()  # every dairy option needs study (cpscreen rank says so too)
    assert not at.exception
    assert "**Rejected** (0)" in " ".join(m.value for m in at.markdown)
    assert "No option in this group." in _captions(at)
    labels = {s.label for s in at.slider if s.key and s.key.startswith("w-")}
    assert "Energy saved [%]" in labels and "Environmental load factor reduction [%]" in labels
    assert not any("_" in label for label in labels)


def test_screening_top_option_shows_its_full_title(app, seeded_db):
    at = app("screening")
    top = next(m.value for m in at.metric if m.label == "Top-ranked option")
    title = load_table(cursor(seeded_db), "options", "nl_plating").set_index("option_id").loc[top, "title"]
    assert f"**{md_text(title)}**" in [m.value for m in at.markdown]  # escaped: user text is never markup


def test_programme_opens_at_the_sidebar_enterprise_s_pack(app):
    at = app("programme")
    assert at.selectbox(key="programme_pack").value == "NL"  # the first enterprise is the Dutch plater
    at = app()  # a new session that picks the dairy before opening the page
    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    at.switch_page("ui/pages/programme.py").run()
    assert not at.exception
    assert at.selectbox(key="programme_pack").value == "DK"


def test_portfolio_score_uses_the_screening_weights(app, seeded_db):
    at = app("screening")
    for s in at.slider:
        if s.key and s.key.startswith("w-default-"):
            s.set_value(100.0 if s.key.startswith("w-default-water_saved_m3@") else 0.0)
    at.run()
    at.switch_page("ui/pages/portfolio.py").run()
    at.radio(key="objective@nl_plating").set_value("score").run()
    assert not at.exception
    assert "Screening page's weights" in at.radio(key="objective@nl_plating").format_func("score")
    cur = cursor(seeded_db)
    opts, ents = load_table(cur, "options", "nl_plating"), load_table(cur, "enterprises")
    metrics = appraise(opts, ents, date.today())[["option_id", "npv", "irr", "npv_ratio", "simple_payback_years",
                                                   "discounted_payback_years"]]
    table = rank_options(opts.merge(metrics, on="option_id"), ents, criteria=[
        Criterion(c, "min" if c in ("investment", "simple_payback_years") else "max", 1.0 if c == "water_saved_m3" else 0.0)
        for c in ("energy_saved_mwh", "co2e_avoided_t", "waste_avoided_t", "water_saved_m3", "elf_reduction",
                  "hierarchy_score", "simple_payback_years", "investment", "technical_feasibility", "implementability")]).table
    chosen = _frame(at, "selected")
    chosen = set(chosen.loc[chosen["selected"].astype(bool), "option_id"])
    scores = table.set_index("option_id")["score"].fillna(0)
    default = rank_options(opts.merge(metrics, on="option_id"), ents).table.set_index("option_id")["score"].fillna(0)
    summed = float(next(m.value for m in at.metric if m.label == "Summed score [/1]"))
    assert summed == pytest.approx(float(scores[list(chosen)].sum()), abs=1e-3)
    assert abs(summed - float(default[list(chosen)].sum())) > 0.01  # the test tells the weights apart
    assert "Score from the Screening page: profile 'default', method wsm" in _captions(at)


def test_options_money_columns_are_labelled_with_the_currency(app):
    at = app("options")
    cfg = at.data_editor[0].proto.columns  # JSON column config
    assert "investment [EUR]" in cfg and "[cur.]" not in cfg


def test_appraisal_says_which_tornado_rows_have_no_bar(app):
    at = app("appraisal")
    at.selectbox(key="appraisal_option@nl_plating").select("NL-01").run()  # no investment, no support
    assert not at.exception
    text = _captions(at)
    assert "No bar for investment, support" in text
    assert "No investment: the NPV ratio and the benefit-cost ratio" in text


@pytest.fixture
def empty_app(tmp_path, monkeypatch):
    """The app on a new, empty database."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from store.db import close_all

    root = Path(__file__).resolve().parents[2]

    monkeypatch.setenv("CPSCREEN_DB", str(tmp_path / "empty.duckdb"))
    monkeypatch.chdir(root)
    st.cache_data.clear()

    def run(page: str) -> AppTest:
        at = AppTest.from_file(str(root / "app.py"), default_timeout=30)
        at.run()
        at.switch_page(f"ui/pages/{page}.py")
        at.run()
        return at

    yield run
    close_all()
    st.cache_data.clear()


def test_an_empty_database_offers_templates_and_the_demo_data(empty_app, tmp_path):
    at = empty_app("options")
    assert not at.exception
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Template: enterprises (CSV)", "Template: options (CSV)"} <= labels
    at.button(key="load_demo").click().run()
    assert not at.exception
    assert at.success and at.success[0].value.startswith("Loaded the demo data: 3 enterprise(s)")
    assert len(at.data_editor[0].value) > 0  # the sidebar's first enterprise, with its options


def test_programme_reaches_its_own_jurisdiction_and_warns_about_others(app):
    at = app("programme")
    assert at.multiselect(key="programme_enterprises-NL").value == ["nl_plating"]
    assert not at.warning
    at.multiselect(key="programme_enterprises-NL").select("dk_dairy").run()
    assert not at.exception
    assert any("DK" in w.value and "as EUR" in w.value for w in at.warning)
    at.selectbox(key="programme_pack").select("US").run()  # no US enterprise in the demo data
    assert not at.exception
    assert any("No enterprise of jurisdiction US" in i.value for i in at.info)

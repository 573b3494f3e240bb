"""Options page's suggestions from real plants and the Screening page's two rankings side by side.

Checked against the library (screening.suggest, screening.rank with profile 'observed') on the
same stored data: one number, one source.
"""

from __future__ import annotations

from screening.rank import rank_options
from screening.suggest import suggest
from store.db import cursor
from store.io import load_table


def _frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_options_page_suggestions_match_the_library_and_add_a_proposed_typical_option(app, seeded_db):
    at = app("options", timeout=120)
    assert not at.exception
    cur = cursor(seeded_db)
    ent = load_table(cur, "enterprises").set_index("enterprise_id").loc["nl_plating"].to_dict() | {"enterprise_id": "nl_plating"}
    shown = _frame(at, "group")
    lib = suggest(ent, top=10)
    assert list(shown["arc_code"]) == list(lib["arc_code"])
    assert shown["median_investment"].tolist() == lib["median_investment"].tolist()
    assert any("converted from USD at 1 USD = " in c.value and "EUR" in c.value for c in at.caption)
    before = len(load_table(cur, "options", "nl_plating"))
    at.button(key="suggest_add").click().run()
    assert not at.exception
    after = load_table(cur, "options", "nl_plating")
    assert len(after) == before + 1
    new = after[after["option_id"] == f"IAC-{lib.loc[0, 'arc_code']}-1"].iloc[0]
    assert new["status"] == "proposed" and "typical values" in new["title"]
    assert new["investment"] == lib.loc[0, "median_investment"]


def test_screening_shows_the_observed_ranking_beside_the_teams(app, seeded_db):
    at = app("screening", timeout=120)
    assert not at.exception
    assert not any("observed rank" in d.value.columns for d in at.dataframe)  # built only once opened
    at.session_state["observed_open"] = True
    at.run(timeout=120)
    assert not at.exception
    side = _frame(at, "observed rank")
    cur = cursor(seeded_db)
    opts, ents = load_table(cur, "options", "nl_plating"), load_table(cur, "enterprises")
    seen = rank_options(opts, ents, profile="observed").table.set_index("option_id")["rank"]
    assert side.set_index("option_id")["observed rank"].astype(int).to_dict() == seen.dropna().astype(int).to_dict()
    assert (side["ranks apart"] == side["observed rank"] - side["your rank"]).all()


def test_overview_shows_predicted_against_actual_from_the_library(app, seeded_db):
    from screening.implementation import predicted_vs_actual, totals

    cur = cursor(seeded_db)
    cur.execute("UPDATE options SET status = 'implemented', implemented_on = '2026-06-01', actual_investment = 9000, "
                "actual_annual_savings = 8000 WHERE option_id = 'NL-05'")
    at = app(timeout=120)
    assert not at.exception
    shown = _frame(at, "options")
    lib = totals(predicted_vs_actual(load_table(cur, "options"), load_table(cur, "enterprises")))
    assert shown["ratio"].tolist() == lib["ratio"].tolist()
    assert shown.set_index("figure").loc["investment", "ratio"] == 9000 / 8000  # NL-05: 8 000 EUR predicted
    assert shown.set_index("figure").loc["investment", "unit"] == "EUR"


def test_screening_page_ranks_by_profile_observed_when_chosen(app, seeded_db):
    at = app("screening", timeout=120)
    at.selectbox(key="weight_profile@nl_plating").set_value("observed").run()
    assert not at.exception
    cur = cursor(seeded_db)
    opts, ents = load_table(cur, "options", "nl_plating"), load_table(cur, "enterprises")
    top = rank_options(opts, ents, profile="observed").table.sort_values("rank").iloc[0]["option_id"]
    assert next(m.value for m in at.metric if m.label.startswith("Top-ranked option")) == top

"""Report page: it ranks with exactly what was last set on the Screening page, and says so."""

from __future__ import annotations

from datetime import date

from finance.appraise import appraise
from screening.criteria import Criterion
from screening.rank import rank_options
from store.db import cursor
from store.io import load_table


def _frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _open_preview(at) -> None:
    """Open the page's preview: a lazy section (ui.widgets.lazy_expander), built only once opened."""
    at.session_state["preview_open"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _about(at) -> dict[str, str]:
    about = _frame(at, "item")
    return dict(zip(about["item"], about["value"]))


def _expected_order(seeded_db, method: str, criteria: list[Criterion]) -> list[str]:
    cur = cursor(seeded_db)
    opts, ents = load_table(cur, "options", "nl_plating"), load_table(cur, "enterprises")
    metrics = appraise(opts, ents, date.today())[["option_id", "npv", "irr", "npv_ratio", "simple_payback_years",
                                                   "discounted_payback_years"]]
    table = rank_options(opts.merge(metrics, on="option_id"), ents, method=method, criteria=criteria).table
    return list(table.dropna(subset=["rank"]).sort_values("rank")["option_id"])


def test_report_follows_the_weights_and_method_set_on_screening(app, seeded_db):
    at = app("screening")
    at.selectbox(key="method@nl_plating").select("topsis").run()
    sliders = [s for s in at.slider if s.key and s.key.startswith("w-default-")]
    columns = [s.key.removeprefix("w-default-").removesuffix("@nl_plating") for s in sliders]
    assert "water_saved_m3" in columns and "implementability" in columns
    # three parts water saved, one part implementability, nothing else
    for s in sliders:
        s.set_value({"water_saved_m3": 75.0, "implementability": 25.0}.get(s.key.removeprefix("w-default-").removesuffix("@nl_plating"), 0.0))
    at.run()
    assert not at.exception

    at.switch_page("ui/pages/report.py").run()
    assert not at.exception, [e.value for e in at.exception]
    _open_preview(at)
    criteria_sheet = _frame(at, "weight [/1]").set_index("criterion")
    assert criteria_sheet.loc["water_saved_m3", "weight [/1]"] == 0.75
    assert criteria_sheet.loc["implementability", "weight [/1]"] == 0.25
    assert (criteria_sheet.drop(index=["water_saved_m3", "implementability"])["weight [/1]"] == 0).all()
    # the same ranking the library gives for these criteria and TOPSIS (not the default profile's)
    dirs = dict(zip(criteria_sheet.index, criteria_sheet["direction"]))
    expected = _expected_order(seeded_db, "topsis", [Criterion(c, dirs[c], w) for c, w in
                                                     zip(criteria_sheet.index, criteria_sheet["weight [/1]"])])
    ranking = _frame(at, "score direction")
    assert list(ranking["option_id"]) == expected
    assert expected != _expected_order(seeded_db, "wsm", None)  # the test can tell the two apart
    # said in the caption and in the report itself
    captions = " ".join(c.value for c in at.caption)
    assert "last set on the Screening page" in captions and "TOPSIS" in captions
    assert "Water saved (higher is better) 0.750" in captions
    about = _about(at)
    assert about["ranking"] == ("method topsis, profile 'default', weights as last set on the Screening page "
                                "(see the criteria sheet)")


def test_report_uses_the_default_profile_when_screening_was_not_opened(app, seeded_db):
    at = app("report")
    assert not at.exception
    _open_preview(at)
    assert "Screening page was not opened" in " ".join(c.value for c in at.caption)
    assert list(_frame(at, "score direction")["option_id"]) == _expected_order(seeded_db, "wsm", None)
    assert "profile 'default'" in _about(at)["ranking"]


def test_screening_restores_the_weights_after_a_visit_to_the_report(app):
    at = app("screening")
    at.slider(key="w-default-investment@nl_plating").set_value(90.0).run()
    at.switch_page("ui/pages/report.py").run()
    at.switch_page("ui/pages/screening.py").run()
    assert not at.exception
    assert at.slider(key="w-default-investment@nl_plating").value == 90.0


def test_report_preview_is_built_only_once_opened_and_shows_every_sheet(app):
    at = app("report")
    assert not at.exception
    assert len(at.dataframe) == 0  # collapsed: nothing of the preview is built nor sent to the browser
    sheets = next(m.value for m in at.markdown if m.value.startswith("**Sheets:**")).removeprefix("**Sheets:** ")
    names = [part.rsplit(" (", 1)[0] for part in sheets.split(", ")]
    _open_preview(at)
    assert [m.value.strip("*") for m in at.markdown if m.value.startswith("**") and not m.value.startswith("**Sheets")] == names
    assert len(at.dataframe) == len(names) and len(names) >= 4
    at.session_state["preview_open"] = False  # closed again: gone again
    at.run()
    assert not at.exception and len(at.dataframe) == 0

"""Options page: filters, validated edits (nothing saved until valid), upload, download."""

from __future__ import annotations

import pandas as pd

from store.db import cursor
from store.io import load_table, table_fingerprint
from ui.widgets import md_text


def _caption(at, start: str) -> str:
    return next(c.value for c in at.caption if c.value.startswith(start))


def _errors(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "reason" in d.value.columns)


def _edit(at, edits: dict, added: list | None = None):
    key = at.data_editor[0].key
    at.session_state[key] = {"edited_rows": edits, "added_rows": added or [], "deleted_rows": []}
    at.run()
    return at


def test_category_filter_narrows_the_table(app):
    at = app("options")
    before = len(at.data_editor[0].value)
    assert _caption(at, f"{before} of {before} option(s)")
    at.multiselect(key="filter_category@nl_plating").select("good_housekeeping").run()
    assert not at.exception
    after = at.data_editor[0].value
    assert 0 < len(after) < before
    assert set(after["category"]) == {"good_housekeeping"}


def test_bad_cell_is_explained_and_nothing_is_saved(app, seeded_db):
    at = app("options")
    before = table_fingerprint(cursor(seeded_db))
    first = at.data_editor[0].value["option_id"].iloc[0]
    _edit(at, {0: {"investment": -100.0, "lifetime_years": 80}})
    assert at.button(key="save_options").disabled is False
    at.button(key="save_options").click().run()
    assert not at.exception
    assert at.error and "Not saved: 2 bad cell(s)" in at.error[0].value
    errors = _errors(at)
    assert set(errors["column"]) == {"investment", "lifetime_years"}
    assert set(errors["option_id"]) == {first}
    assert "out of range" in " ".join(errors["reason"])
    assert table_fingerprint(cursor(seeded_db)) == before


def test_valid_edit_is_saved_and_shown_after_rerun(app, seeded_db):
    at = app("options")
    eid = at.sidebar.selectbox(key="enterprise_id").value
    first = at.data_editor[0].value["option_id"].iloc[0]
    _edit(at, {0: {"annual_savings": 12345.0}})
    at.button(key="save_options").click().run()
    assert not at.exception
    assert at.success and "Saved" in at.success[0].value
    stored = load_table(cursor(seeded_db), "options", eid).set_index("option_id")
    assert stored.loc[first, "annual_savings"] == 12345.0
    assert at.data_editor[0].value.set_index("option_id").loc[first, "annual_savings"] == 12345.0


def test_added_row_belongs_to_the_sidebar_enterprise(app, seeded_db):
    at = app("options")
    eid = at.sidebar.selectbox(key="enterprise_id").value
    n = len(at.data_editor[0].value)
    _edit(at, {}, [{"option_id": "NEW-1", "title": "Variable-speed drive on the rinse pump", "category": "equipment_modification",
                    "investment": 4000.0, "annual_savings": 1500.0, "lifetime_years": 10}])
    at.button(key="save_options").click().run()
    assert not at.exception and at.success
    stored = load_table(cursor(seeded_db), "options", eid)
    assert len(stored) == n + 1 and "NEW-1" in set(stored["option_id"])


def test_upload_imports_a_file_and_a_bad_file_imports_nothing(app, seeded_db):
    at = app("options")
    eid = at.sidebar.selectbox(key="enterprise_id").value
    good = pd.DataFrame([{"option_id": "UP-1", "enterprise_id": eid, "title": "Uploaded option", "category": "process_control",
                          "investment": 1000, "annual_savings": 800, "lifetime_years": 5}])
    at.file_uploader[0].upload("new_options.csv", good.to_csv(index=False).encode(), "text/csv")
    at.run()
    at.button(key="import_button").click().run()
    assert not at.exception
    assert at.success and "1 option(s)" in at.success[0].value
    assert "UP-1" in set(load_table(cursor(seeded_db), "options", eid)["option_id"])

    before = table_fingerprint(cursor(seeded_db))
    bad = good.assign(option_id="UP-2", category="magic")
    at.file_uploader[0].set_value(("bad.csv", bad.to_csv(index=False).encode(), "text/csv"))
    at.run()
    at.button(key="import_button").click().run()
    assert not at.exception
    assert at.error and "Nothing was imported" in at.error[0].value
    assert "unknown category" in " ".join(_errors(at)["reason"])
    assert table_fingerprint(cursor(seeded_db)) == before


def test_download_offers_each_format(app):
    """AppTest cannot read a download's bytes; tests/ui/test_widgets.py round-trips them."""
    at = app("options")
    for fmt in ("csv", "xlsx", "parquet"):
        at.selectbox(key="download_format").select(fmt).run()
        assert not at.exception
        assert at.download_button(key="download_options").label == f"Download nl_plating options ({fmt})"


def test_switching_enterprise_changes_the_table(app):
    at = app("options")
    sb = at.sidebar.selectbox(key="enterprise_id")
    assert set(at.data_editor[0].value["enterprise_id"]) == {"nl_plating"}
    other = "dk_dairy"
    sb.select(other).run()
    assert not at.exception
    assert set(at.data_editor[0].value["enterprise_id"]) == {other}


# --- deletion ---------------------------------------------------------------------------------

def test_delete_asks_first_then_removes_the_options_and_their_scores(app, seeded_db):
    at = app("options")
    eid = at.sidebar.selectbox(key="enterprise_id").value
    ids = list(at.data_editor[0].value["option_id"])
    gone = ids[:2]
    before = table_fingerprint(cursor(seeded_db))
    assert at.button(key="delete_button").disabled
    at.multiselect(key=f"delete_ids-{eid}").select(gone[0]).select(gone[1]).run()
    at.button(key="delete_button").click().run()
    assert not at.exception
    # asked, not done
    assert at.warning and f"Delete 2 option(s) of **{md_text(eid)}**" in at.warning[0].value
    assert table_fingerprint(cursor(seeded_db)) == before
    # the button stays where it was, disabled, above the question (nothing moves under the next click)
    assert at.button(key="delete_button").disabled
    keys = [b.key for b in at.button]
    assert keys.index("delete_button") < keys.index("delete_confirm") < keys.index("delete_cancel")
    at.button(key="delete_confirm").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.success and f"Deleted 2 option(s): {', '.join(map(md_text, gone))}" in at.success[0].value
    # the table refreshed, the selection is empty, the rows and their scores are gone
    assert list(at.data_editor[0].value["option_id"]) == ids[2:]
    assert at.multiselect(key=f"delete_ids-{eid}").value == []
    cur = cursor(seeded_db)
    left = set(load_table(cur, "options", eid)["option_id"])
    assert left == set(ids[2:])
    assert cur.execute("SELECT count(*) FROM assessor_scores WHERE enterprise_id = ? AND list_contains(?, option_id)",
                       [eid, gone]).fetchone()[0] == 0


def test_delete_cancel_and_a_changed_selection_delete_nothing(app, seeded_db):
    at = app("options")
    eid = at.sidebar.selectbox(key="enterprise_id").value
    first, second = list(at.data_editor[0].value["option_id"])[:2]
    before = table_fingerprint(cursor(seeded_db))
    at.multiselect(key=f"delete_ids-{eid}").select(first).run()
    at.button(key="delete_button").click().run()
    at.button(key="delete_cancel").click().run()
    assert not at.exception and not at.warning
    assert at.multiselect(key=f"delete_ids-{eid}").value == [first]
    # asked for one option, then the selection grew: the question is asked again, nothing deleted
    at.button(key="delete_button").click().run()
    at.multiselect(key=f"delete_ids-{eid}").select(second).run()
    assert not at.warning and not any(b.key == "delete_confirm" for b in at.button)
    assert table_fingerprint(cursor(seeded_db)) == before


def test_the_csv_templates_are_offered_with_data_stored_too(app):
    at = app("options")  # the demo data is stored
    assert not at.exception
    labels = {b.proto.label for b in at.get("download_button")}
    assert {"Template: enterprises (CSV)", "Template: options (CSV)"} <= labels
    at.sidebar.selectbox(key="enterprise_id").select("cn_dyeworks").run()
    assert {"Template: enterprises (CSV)", "Template: options (CSV)"} <= {b.proto.label for b in at.get("download_button")}

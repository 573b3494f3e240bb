"""User text is shown as text, written formula-safe, and a stale edit is refused with a message (issue 16).

Regression tests: a title carrying an ``<iframe>`` or a password ``<form>`` rendered as HTML on the
Screening page to every user of the enterprise; a formula-named extra column was live in the
Options download and the report workbook; two sessions editing the Options table lost B's edit.
"""

from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd

from store.db import cursor
from store.io import import_frames, load_table
from ui.report import html_report, workbook_bytes
from ui.widgets import frame_bytes, md_text

EVIL_TITLE = "<iframe src='https://evil.example'></iframe><form action='https://evil.example'><input type=password></form>"
FORMULA = '=HYPERLINK("https://evil.example","click")'


def _retitle_top_options(db_path, title: str) -> None:
    cur = cursor(db_path)
    opts = load_table(cur, "options", "nl_plating")
    import_frames(cur, options=opts.assign(title=title).drop(columns=["position"], errors="ignore"))


def test_md_text_escapes_markup_and_keeps_the_text():
    assert md_text("<iframe>") == "\\<iframe\\>"
    assert md_text("[x](javascript:alert(1))") == "\\[x\\]\\(javascript\\:alert\\(1\\)\\)"
    assert md_text("a\n# b") == "a \\# b"
    assert md_text("plain words") == "plain words"


def test_a_title_with_an_iframe_and_a_form_shows_as_text_on_the_screening_page(app, seeded_db):
    _retitle_top_options(seeded_db, EVIL_TITLE)
    at = app("screening", timeout=120)  # the page ranks and draws robustness: slow on a busy machine
    assert not at.exception, [e.value for e in at.exception]
    shown = [m for m in at.markdown if "iframe" in m.value]
    assert shown, "the title is shown"
    assert all(not m.proto.allow_html for m in at.markdown), "no markdown element renders HTML"
    assert all(not re.search(r"(?<!\\)<(iframe|form|input)", m.value) for m in shown), "every < is escaped"
    assert any(md_text(EVIL_TITLE) in m.value for m in shown)


def test_the_printable_report_escapes_every_user_string():
    frames = {"options": pd.DataFrame({"option_id": ["<b>O1</b>"], "title": [EVIL_TITLE], "<th>": ["x"]})}
    page = html_report(frames, "Report of <script>alert(1)</script>")
    assert "&lt;iframe" in page and "&lt;form" in page and "&lt;b&gt;O1" in page and "&lt;th&gt;" in page
    assert "<iframe" not in page and "<form" not in page and "<script>" not in page


def test_the_report_workbook_has_no_live_formula_in_cells_or_headers():
    frames = {"options": pd.DataFrame({FORMULA: ["＋1", " =2", "ok"], "n": [-1.0, 2.0, 3.0]})}
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(frames)))
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    ws = book["options"]
    assert ws["A1"].value == "'" + FORMULA and [ws["A2"].value, ws["A3"].value] == ["'＋1", "' =2"]
    assert ws["B2"].value == -1.0


def test_the_options_download_escapes_a_formula_header_in_csv_and_xlsx():
    frame = pd.DataFrame({"option_id": ["-O1"], FORMULA: ["@x"]})
    csv = pd.read_csv(io.BytesIO(frame_bytes(frame, "csv")), dtype=str)
    assert list(csv.columns) == ["'-O1"[:0] + "option_id", "'" + FORMULA] and csv.iloc[0].tolist() == ["'-O1", "'@x"]
    book = openpyxl.load_workbook(io.BytesIO(frame_bytes(frame, "xlsx")))
    assert all(c.data_type != "f" for row in book["options"].iter_rows() for c in row)
    assert book["options"]["B1"].value == "'" + FORMULA


# --- two sessions editing the Options table --------------------------------------------------------

def _edit(at, edits: dict):
    at.session_state[at.data_editor[0].key] = {"edited_rows": edits, "added_rows": [], "deleted_rows": []}
    at.run()
    return at


def test_a_save_based_on_a_stale_table_is_refused_with_what_changed_and_the_edit_kept(app, seeded_db):
    a, b = app("options"), app("options")  # two browser sessions on one database
    ids = list(a.data_editor[0].value["option_id"])
    eid = a.sidebar.selectbox(key="enterprise_id").value
    _edit(b, {1: {"annual_savings": 2222.0}})  # B starts an edit ...
    b_key = b.data_editor[0].key
    _edit(a, {0: {"annual_savings": 1111.0}})  # ... A edits another option and saves first
    a.button(key="save_options").click().run()
    assert not a.exception and a.success and "Saved" in a.success[0].value

    b.button(key="save_options").click().run()  # B saves on the table it opened
    assert not b.exception, [e.value for e in b.exception]
    stored = load_table(cursor(seeded_db), "options", eid).set_index("option_id")
    assert stored.at[ids[0], "annual_savings"] == 1111.0  # A's edit is not overwritten
    assert stored.at[ids[1], "annual_savings"] != 2222.0  # B's stale save stored nothing
    assert b.warning, "B is told"
    text = b.warning[0].value
    assert text.startswith("Someone saved these options since you opened them") and "Your edit is kept below" in text
    assert md_text(ids[0]) in text and "annual\\_savings" in text and "1111" in text
    # the edit is kept: the same editor (its key unchanged), still holding B's edited cell
    assert b.data_editor[0].key == b_key and b.session_state[b_key]["edited_rows"] == {1: {"annual_savings": 2222.0}}

    b.button(key="reapply_edit").click().run()  # B reapplies on the saved options and saves
    assert not b.exception and not b.warning
    table = b.data_editor[0].value.set_index("option_id")
    assert table.at[ids[0], "annual_savings"] == 1111.0 and table.at[ids[1], "annual_savings"] == 2222.0
    b.button(key="save_options").click().run()
    assert not b.exception and b.success
    stored = load_table(cursor(seeded_db), "options", eid).set_index("option_id")
    assert stored.at[ids[0], "annual_savings"] == 1111.0 and stored.at[ids[1], "annual_savings"] == 2222.0


def test_discarding_a_stale_edit_shows_the_saved_options(app, seeded_db):
    a, b = app("options"), app("options")
    ids = list(a.data_editor[0].value["option_id"])
    _edit(b, {1: {"title": "B's title"}})
    _edit(a, {1: {"title": "A's title"}})
    a.button(key="save_options").click().run()
    b.run()  # B's next rerun, before saving: already told, edit kept
    assert b.warning and "A\\'s title" in b.warning[0].value
    assert b.session_state[b.data_editor[0].key]["edited_rows"] == {1: {"title": "B's title"}}
    b.button(key="discard_edit").click().run()
    assert not b.exception and not b.warning and b.success and "discarded" in b.success[0].value
    assert b.data_editor[0].value.set_index("option_id").at[ids[1], "title"] == "A's title"


def test_a_session_without_unsaved_edits_just_shows_the_new_saved_options(app, seeded_db):
    a, b = app("options"), app("options")
    ids = list(a.data_editor[0].value["option_id"])
    _edit(a, {0: {"annual_savings": 4321.0}})
    a.button(key="save_options").click().run()
    b.run()
    assert not b.warning
    assert b.data_editor[0].value.set_index("option_id").at[ids[0], "annual_savings"] == 4321.0


def test_filters_are_held_while_an_edit_is_unsaved_and_discard_releases_them(app, seeded_db):
    """Changing a filter starts a new table: with an unsaved edit it would vanish without a word."""
    at = app("options")
    assert not at.multiselect(key="filter_category@nl_plating").disabled
    _edit(at, {0: {"annual_savings": 777.0}})
    assert at.multiselect(key="filter_category@nl_plating").disabled and at.multiselect(key="filter_status@nl_plating").disabled
    assert "Save or discard your edit first" in at.multiselect(key="filter_category@nl_plating").help
    at.button(key="discard_unsaved").click().run()
    assert not at.exception and at.success and "discarded" in at.success[0].value
    assert not at.multiselect(key="filter_category@nl_plating").disabled
    assert at.button(key="save_options").disabled  # nothing left to save

"""The report workbook and HTML (ui.report); the tornado's sensitivity is tested in tests/finance/test_sensitivity.py."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd

from screening.rank import rank_options
from store.io import load_scores, load_table
from ui.report import html_report, report_frames, workbook_bytes


def _demo(db_cur):
    from store.seed import DEMO_FILES
    from store.io import import_files

    import_files(db_cur, [str(p) for p in DEMO_FILES])
    return load_table(db_cur, "options", "dk_dairy"), load_table(db_cur, "enterprises")


def test_report_sheets_hold_the_library_results(db):
    opts, ents = _demo(db)
    frames = report_frames(opts, ents, "dk_dairy", date(2025, 6, 1), scores=load_scores(db, "dk_dairy"), n_draws=200)
    ranking = rank_options(opts, ents).table.dropna(subset=["rank"]).sort_values("rank")
    assert list(frames["ranking"]["option_id"]) == list(ranking["option_id"])
    assert {"about", "options", "preliminary sort", "robustness", "flip points", "assessor agreement"} <= set(frames)
    assert frames["robustness"]["share ranked first [/1]"].sum() == 1.0

    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(frames)))
    assert book.sheetnames == [k[:31] for k in frames]
    rows = list(book["ranking"].iter_rows(values_only=True))
    assert rows[1][1] == ranking.iloc[0]["option_id"]
    assert book["ranking"]["A1"].font.bold


def test_workbook_writes_formula_like_text_as_text():
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes({"x": pd.DataFrame({"t": ["=1+1", "ok"], "n": [-1.0, 2.0]})})))
    ws = book["x"]
    assert ws["A2"].value == "'=1+1" and ws["B2"].value == -1.0


def test_html_report_escapes_and_shows_every_table():
    page = html_report({"options": pd.DataFrame({"title": ["<script>x</script>"]}), "empty": pd.DataFrame()}, "R & D")
    assert "<script>x" not in page and "&lt;script&gt;" in page
    assert "<h2>Options</h2>" in page and "<h2>Empty</h2>" in page and "R &amp; D" in page

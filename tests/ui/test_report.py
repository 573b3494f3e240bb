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


# --- headers, units, rounding and text: one mapping for the workbook and the printed page ---------

import html as _html  # noqa: E402
import re  # noqa: E402

from finance.appraise import appraise  # noqa: E402
from ui.report_columns import ColumnSpec, column_spec, format_value, present, support_text  # noqa: E402


def _full_frames(db, eid="dk_dairy"):
    opts, ents = _demo(db)
    opts = load_table(db, "options", eid)
    return report_frames(opts, ents, eid, date(2025, 6, 1), scores=load_scores(db, eid),
                         appraisal=appraise(opts, ents, date(2025, 6, 1)), n_draws=200)


def test_support_items_read_as_one_line_of_text():
    items = [{"instrument_id": "NL-EIA-2024", "kind": "tax_deduction", "amount": 40000.0, "year": 1, "source": "RVO"},
             {"instrument_id": "NL-CP-GRANT", "kind": "grant", "amount": 12345.6, "year": 0, "unverified": True}]
    assert support_text(items, "EUR") == ("NL-EIA-2024 tax deduction 40,000 EUR (year 1); "
                                          "NL-CP-GRANT grant 12,346 EUR (year 0, unverified)")
    assert support_text([], "EUR") == ""


def test_figures_are_rounded_by_their_kind():
    assert format_value(15405.4724, column_spec("npv")) == "15,405"
    assert format_value(0.34123, column_spec("irr")) == "34.1"  # a fraction, printed in %
    assert format_value(float("nan"), column_spec("simple_payback_years")) == "never"
    assert format_value(None, column_spec("irr")) == "none"
    assert format_value(2.8449, column_spec("simple_payback_years_no_support")) == "2.8"
    assert format_value(-0.00004, column_spec("contribution investment")) == "0.000"  # no "-0.000"
    assert format_value(True, ColumnSpec("mandatory")) == "yes"


def test_every_numeric_column_says_its_unit_and_money_its_currency(db):
    frames = _full_frames(db)
    assert "appraisal" in frames and "MAC co2e" in frames
    for name, frame in frames.items():
        shown, specs = present(frame, "DKK")
        for raw, head, spec in zip(frame.columns, shown.columns, specs):
            numeric = pd.api.types.is_numeric_dtype(frame[raw]) and not pd.api.types.is_bool_dtype(frame[raw])
            if numeric and spec.kind != "count":  # a count (rank, number of assessors) has no unit
                assert re.search(r"\[[^\]]+\]$", head), f"{name}: {raw!r} -> {head!r} has no unit"
            if spec.kind == "money":
                assert "DKK" in head, f"{name}: {head!r} names no currency"
    assert present(frames["appraisal"], "DKK")[0].columns[:4].tolist() == ["enterprise_id", "option_id", "NPV [DKK]", "IRR [%]"]


def test_workbook_and_printed_page_use_the_same_headers_and_support_text(db):
    frames = _full_frames(db)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(frames)))  # currency from the about sheet
    page = html_report(frames, "r")
    printed = [_html.unescape(h.replace("<wbr>", "")) for h in re.findall(r"<th>(.*?)</th>", page)]
    for name in ("options", "appraisal", "ranking", "preliminary sort"):
        excel = [c.value for c in book[name][1]]
        assert "NPV [DKK]" in excel or name != "appraisal"
        assert set(excel) - {"enterprise_id"} <= set(printed), name
    appraisal = frames["appraisal"]
    with_items = appraisal[appraisal["support"].map(len) > 0].iloc[0]
    text = support_text(with_items["support"], "DKK")
    col = [c.value for c in book["appraisal"][1]].index("support items") + 1
    cells = [book["appraisal"].cell(row=r, column=col).value for r in range(2, len(appraisal) + 2)]
    assert text in cells and "{" not in text
    assert _html.escape(text).replace("_", "_<wbr>") in page


def test_printed_page_is_a4_and_escapes_ids_and_titles():
    frame = pd.DataFrame({"option_id": ["<i>X</i>"], "title": ["a & <b>b</b>"], "npv": [1234.5]})
    page = html_report({"appraisal": frame}, "T <script>")
    assert "@page{size:A4" in page and "table-layout:fixed" in page
    assert "<i>X" not in page and "<b>b" not in page and "<script>" not in page
    assert "&lt;i&gt;X&lt;/i&gt;" in page and "a &amp; &lt;b&gt;b&lt;/b&gt;" in page
    assert "<th>NPV [cur.]</th>" in page and ">1,234<" in page  # rounded to whole currency units

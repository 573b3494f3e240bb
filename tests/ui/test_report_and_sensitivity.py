"""The report workbook and HTML, and the tornado's one-at-a-time sensitivity."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd

from finance.appraise import appraise_option
from screening.rank import rank_options
from store.io import load_scores, load_table
from ui.report import html_report, report_frames, workbook_bytes
from ui.sensitivity import npv_sensitivity


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


def test_sensitivity_moves_npv_in_the_expected_directions(db):
    opts, ents = _demo(db)
    ent = ents.set_index("enterprise_id").loc["dk_dairy"].to_dict() | {"enterprise_id": "dk_dairy"}
    row = opts[opts["investment"] > 0].iloc[0]
    option = row.to_dict()
    base = appraise_option(option, ent, date(2025, 6, 1))
    sens = npv_sensitivity(option, ent, date(2025, 6, 1), base).set_index("input")
    # more investment lowers NPV, more savings raises it, a higher discount rate lowers a positive-flow NPV
    assert sens.loc["investment", "npv_high"] < base.metrics["npv"] < sens.loc["investment", "npv_low"]
    assert sens.loc["yearly savings", "npv_low"] < base.metrics["npv"] < sens.loc["yearly savings", "npv_high"]
    assert sens.loc["discount rate", "npv_high"] < sens.loc["discount rate", "npv_low"]
    # investment +20% is a hand-checkable shift when nothing else changes: a second appraisal agrees
    moved = appraise_option({**option, "investment": option["investment"] * 1.2,
                             "eligible_investment": min(option["eligible_investment"] * 1.2, option["investment"] * 1.2)},
                            ent, date(2025, 6, 1), discount_rate=base.discount_rate)
    assert sens.loc["investment", "npv_high"] == moved.metrics["npv"]
    # no support: the support row is flat at the base NPV
    if not base.items:
        assert sens.loc["support", "npv_low"] == sens.loc["support", "npv_high"]


def test_support_row_scales_the_items_and_reruns_the_same_cash_flow(db):
    opts, ents = _demo(db)
    ent = ents.set_index("enterprise_id").loc["dk_dairy"].to_dict() | {"enterprise_id": "dk_dairy"}
    with_items = [r.to_dict() for _, r in opts.iterrows()
                  if appraise_option(r.to_dict(), ent, date(2025, 6, 1)).items]
    assert with_items, "the demo dairy should get support in 2025"
    option = with_items[0]
    base = appraise_option(option, ent, date(2025, 6, 1))
    sens = npv_sensitivity(option, ent, date(2025, 6, 1), base).set_index("input")
    row = sens.loc["support"]
    total = sum(i.amount for i in base.items)
    assert row["low"] == 0.8 * total and row["high"] == 1.2 * total
    assert row["npv_low"] <= base.metrics["npv"] <= row["npv_high"]
    assert base.metrics_no_support["npv"] <= row["npv_low"]

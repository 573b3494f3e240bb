"""The report's implementation sheets (ui.report) against the library (screening.implementation) and
against the Overview page's section: one computation, three places that show it."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import openpyxl
import pytest

from screening.implementation import predicted_vs_actual, totals
from store.db import cursor
from store.io import load_table
from ui.report import html_report, report_frames, workbook_bytes


def _implement(cur) -> None:
    # NL-05 predicted 8 000 EUR investment and 9 500 EUR/yr savings (data/demo_options.csv)
    cur.execute("UPDATE options SET status = 'implemented', implemented_on = '2026-06-01', actual_investment = 9000, "
                "actual_annual_savings = 7600, actual_co2e_avoided_t = 3 WHERE option_id = 'NL-05'")


def _sheet(book, name):
    rows = list(book[name].iter_rows(values_only=True))
    return rows[0], rows[1:]


def test_implementation_sheets_hold_the_library_figures_and_the_overviews(app, seeded_db):
    cur = cursor(seeded_db)
    _implement(cur)
    opts, ents = load_table(cur, "options", "nl_plating"), load_table(cur, "enterprises")
    frames = report_frames(opts, ents, "nl_plating", date(2026, 6, 1), n_draws=50)
    lib = predicted_vs_actual(opts, ents)
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(frames)))
    head, rows = _sheet(book, "implementation")
    col = {h: j for j, h in enumerate(head)}
    assert "actual / predicted [/1]" in col and "enterprise_id" not in col
    by_fig = {r[col["figure"]]: r for r in rows}
    # by hand: 9 000 / 8 000, 7 600 / 9 500; NL-05 predicts no CO2e, so that ratio is missing and said why
    assert by_fig["investment"][col["actual / predicted [/1]"]] == pytest.approx(9000 / 8000)
    assert by_fig["yearly savings"][col["actual / predicted [/1]"]] == pytest.approx(0.8)
    assert by_fig["CO2e avoided"][col["actual / predicted [/1]"]] is None
    assert "no predicted CO2e avoided" in by_fig["CO2e avoided"][col["note"]]
    assert [r[col["actual / predicted [/1]"]] for r in rows] == [None if np.isnan(x) else x for x in lib["ratio"]]
    assert by_fig["investment"][col["unit"]] == "EUR"

    head, rows = _sheet(book, "implementation totals")
    tot = totals(lib)
    assert [r[head.index("actual / predicted [/1]")] for r in rows] == tot["ratio"].tolist()
    assert [r[head.index("options compared")] for r in rows] == tot["options"].tolist()

    at = app(timeout=120)  # the Overview's section: the same totals (only nl_plating has an implemented option)
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "options" in d.value.columns and "ratio" in d.value.columns)
    assert shown["ratio"].tolist() == [r[head.index("actual / predicted [/1]")] for r in rows]

    page = html_report(frames, "r")
    assert "<h2>Implementation totals</h2>" in page and "1.125" in page  # 9 000 / 8 000 rounded as a ratio


def test_no_implementation_sheet_without_implemented_options(db):
    from store.io import import_files
    from store.seed import DEMO_FILES

    import_files(db, [str(p) for p in DEMO_FILES])
    opts, ents = load_table(db, "options", "dk_dairy"), load_table(db, "enterprises")
    assert (opts["status"] != "implemented").all()
    frames = report_frames(opts, ents, "dk_dairy", date(2025, 6, 1), n_draws=50)
    assert "implementation" not in frames and "implementation totals" not in frames

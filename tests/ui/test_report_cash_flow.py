"""The report's cash flow sheet: one row per option and year, its discounted lines sum to the appraisal sheet's npv."""

from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd

from finance.appraise import appraise
from finance.cashflow_table import cash_flow_table
from store.io import import_files, load_table
from store.seed import DEMO_FILES
from ui.report import report_frames, workbook_bytes

DAY = date(2025, 6, 1)


def test_cash_flow_sheet_sums_to_the_appraisal_sheets_npv(db):
    import_files(db, [str(p) for p in DEMO_FILES])
    for eid, currency in (("dk_dairy", "DKK"), ("nl_plating", "EUR")):
        opts, ents = load_table(db, "options", eid), load_table(db, "enterprises")
        frames = report_frames(opts, ents, eid, DAY, appraisal=appraise(opts, ents, DAY), n_draws=50,
                               cash_flow=cash_flow_table(opts, ents, DAY))
        book = io.BytesIO(workbook_bytes(frames))
        sheet = pd.read_excel(book, sheet_name="cash flow")
        appraisal = pd.read_excel(book, sheet_name="appraisal").set_index("option_id")  # the report's headers (ui.report_columns)
        assert all(c in ("Enterprise", "Option", "Year") or c.endswith(("]",)) for c in sheet.columns)
        assert f"Discounted net cash flow [{currency}]" in sheet.columns
        sums = sheet.groupby("Option")[f"Discounted net cash flow [{currency}]"].sum()
        np.testing.assert_allclose(sums.reindex(appraisal.index), appraisal[f"NPV [{currency}]"], rtol=1e-9, atol=1e-6)
        sums0 = sheet.groupby("Option")[f"Discounted net cash flow without support [{currency}]"].sum()
        np.testing.assert_allclose(sums0.reindex(appraisal.index), appraisal[f"NPV without support [{currency}]"], rtol=1e-9, atol=1e-6)
        # one row per option and year 0..N
        life = opts.set_index("option_id")["lifetime_years"]
        counts = sheet.groupby("Option")["Year"].agg(["min", "max", "count"])
        assert (counts["min"] == 0).all() and (counts["max"] == life.reindex(counts.index)).all()
        assert (counts["count"] == life.reindex(counts.index) + 1).all()


def test_report_page_workbook_has_the_cash_flow_sheet(app):
    at = app("report")
    assert not at.exception
    sheets = next(m.value for m in at.markdown if m.value.startswith("**Sheets:**"))
    assert "cash flow (" in sheets

"""The same option's figures on the Appraisal page, in ``cpscreen appraise``, in ``cpscreen budget
--by option`` and in the Excel report (demo data): compared path with path."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest

from cli import main

#: options with support of each kind the demo packs give: CN credit + 3+3 holiday (+ expensing),
#: DK grant, NL EIA deduction
OPTIONS = {"cn_dyeworks": ("CN-01", "CN-02"), "dk_dairy": ("DK-05", "DK-06"), "nl_plating": ("NL-07", "NL-02")}
ON = date(2026, 6, 30)


def cli_json(capsys, *argv: str) -> list[dict]:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_page_cli_budget_and_report_show_one_npv(app, seeded_db, capsys):
    from store.db import cursor
    from store.io import load_table
    from ui.report import report_frames, workbook_bytes

    appraised = {r["option_id"]: r for r in cli_json(capsys, "appraise", "--date", ON.isoformat(), "--format", "json")}
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(ON).run()
    cur = cursor(seeded_db)
    ents = load_table(cur, "enterprises")
    for eid, oids in OPTIONS.items():
        pack = ents.set_index("enterprise_id").loc[eid, "jurisdiction"]
        budget = {r["option_id"]: r for r in cli_json(capsys, "budget", "--programme", pack, "--by", "option", "--rule", "npv",
                                                      "--date", ON.isoformat(), "--format", "json")}
        at.sidebar.selectbox(key="enterprise_id").select(eid).run()
        rate = ents.set_index("enterprise_id").loc[eid, "discount_rate"]
        at.number_input(key=f"discount_rate@{eid}").set_value(round(float(rate) * 100, 2)).run()
        for oid in oids:
            at.selectbox(key=f"appraisal_option@{eid}").select(oid).run()
            assert not at.exception
            rec = appraised[oid]
            shown = next(m.value for m in at.metric if m.label.startswith("NPV with support"))
            assert shown == f"{rec['npv']:,.0f}", (oid, shown, rec["npv"])
            assert budget[oid]["npv"] == pytest.approx(rec["npv"], rel=1e-12), oid
            assert budget[oid]["support_value"] == pytest.approx(rec["support_total"], rel=1e-9), oid
            if not rec["support"]:
                assert not any("source" in d.value.columns for d in at.dataframe)
                continue
            items = next(d.value for d in at.dataframe if "source" in d.value.columns)
            cur_code = ents.set_index("enterprise_id").loc[eid, "currency"]
            effects = items[f"NPV effect [{cur_code}]"].to_numpy(dtype=float)
            assert effects == pytest.approx([s["npv_effect"] for s in rec["support"]], rel=1e-9), oid
        opts = load_table(cur, "options", eid)
        from finance.appraise import appraise

        frames = report_frames(opts, ents, eid, ON, appraisal=appraise(opts, ents, ON), n_draws=50)
        sheet = pd.read_excel(io.BytesIO(workbook_bytes(frames)), sheet_name="appraisal")
        npv_col = next(c for c in sheet.columns if str(c).lower().startswith("npv") and "no" not in str(c).lower()
                       and "ratio" not in str(c).lower())
        for oid in oids:
            got = float(sheet.loc[sheet[sheet.columns[1]].astype(str) == oid, npv_col].iloc[0])
            assert got == pytest.approx(appraised[oid]["npv"], rel=1e-9), (oid, npv_col)

"""The Appraisal page's Total Cost Assessment section shows the figures ``cpscreen appraise`` gives
(``npv`` full view, ``npv_tier1`` conventional): one computation, two paths compared."""

from __future__ import annotations

import json
from datetime import date

from cli import main

ON = date(2026, 6, 30)
OPTION = ("option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years,"
          "tier2_annual_savings,tier3_liability_cost,tier3_probability,tier4_annual_benefit\n"
          "DK-TCA,dk_dairy,Closed-loop CIP with caustic recovery,onsite_recovery,80000,9000,10,3000,200000,0.02,1500\n")


def test_page_and_cli_show_the_same_conventional_and_full_npv(app, seeded_db, tmp_path, capsys):
    path = tmp_path / "tca_option.csv"
    path.write_text(OPTION)
    assert main(["import", str(path)]) == 0
    capsys.readouterr()
    assert main(["appraise", "--date", ON.isoformat(), "--format", "json"]) == 0
    rec = next(r for r in json.loads(capsys.readouterr().out) if r["option_id"] == "DK-TCA")
    assert rec["npv_tier1"] < 0 < rec["npv"] == rec["npv_full"]  # the hidden and liability costs turn it round
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(ON).run()
    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    at.selectbox(key="appraisal_option@dk_dairy").select("DK-TCA").run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    conventional = next(v for k, v in shown.items() if k.startswith("NPV, conventional view (tier I)"))
    full = next(v for k, v in shown.items() if k.startswith("NPV, full view (tiers I-IV)"))
    assert conventional == f"{rec['npv_tier1']:,.0f}" and full == f"{rec['npv']:,.0f}"
    tiers = next(d.value for d in at.dataframe if "tier" in d.value.columns)
    assert tiers["tier"].tolist() == ["I", "II", "III", "IV"]
    assert tiers.iloc[:, 2].tolist() == [9000.0, 3000.0, 0.02 * 200_000, 1500.0]
    assert tiers.iloc[:, 3].tolist()[0] == rec["npv_tier1"] or abs(tiers.iloc[0, 3] - rec["npv_tier1"]) < 1e-6
    assert abs(tiers.iloc[3, 3] - rec["npv"]) < 1e-6


def test_page_says_when_an_option_has_no_tier_lines(app):
    at = app("appraisal")
    assert not at.exception
    assert any("No tier II-IV lines" in c.value for c in at.caption)
    assert not any(m.label.startswith("NPV, conventional view") for m in at.metric)


def test_page_and_cli_show_the_same_load_factor(app, capsys):
    assert main(["appraise", "--date", ON.isoformat(), "--format", "json"]) == 0
    rec = next(r for r in json.loads(capsys.readouterr().out) if r["option_id"] == "DK-03")
    # demo dairy: 62,000 t in, 46,500 t sold; DK-03 avoids 13,500 t of waste
    assert rec["elf_before"] == (62_000 - 46_500) / 46_500
    assert abs(rec["elf_after"] - (62_000 - 13_500 - 46_500) / 46_500) < 1e-12
    at = app("appraisal")
    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    at.selectbox(key="appraisal_option@dk_dairy").select("DK-03").run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    assert shown["ELF of the site [t/t]"] == f"{rec['elf_before']:.3f}"
    assert shown["ELF after DK-03 [t/t]"] == f"{rec['elf_after']:.3f}"

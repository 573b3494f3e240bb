"""The official IAC workbook layout: the shared sample, counted and checked by hand."""

from __future__ import annotations

import pytest

from store.iac import arc_category, read_iac_workbook
from store.io import import_files, load_table, stored_counts


def test_iac_sample_imports_every_recommendation(db, iac_dir):
    report = import_files(db, [str(iac_dir / "SNE_IAC_Database.xlsx")])
    # README of the sample: 187 recommendations, 26 assessments
    assert (report.enterprises, report.options) == (26, 187)
    assert stored_counts(db)["options"] == 187
    assert any("4 summary row" in n for n in report.notes)
    opts = load_table(db, "options").set_index("option_id")
    # UC230101 (RECC row 2): IMPCOST blank; PSAVED 475.53 + SSAVED 2867.07 + TSAVED 20400 + QSAVED -4095.94
    r = opts.loc["UC230101"]
    assert r["investment"] == 0 and "no implementation cost" in r["iac_flag"]
    assert r["annual_savings"] == pytest.approx(475.53 + 2867.07 + 20400 - 4095.94)
    assert r["energy_saved_mwh"] == pytest.approx(9180 / 1000)  # EC 9,180 kWh
    assert (r["category"], r["status"], r["enterprise_id"]) == ("process_control", "rejected", "UC2301")  # ARC 2.3192, N
    # UC230102: IMPCOST 600; PSAVED 240.4 + SSAVED 280.04; ARC 2.4231 (air compressors)
    r = opts.loc["UC230102"]
    assert (r["investment"], r["category"]) == (600, "equipment_modification")
    assert r["annual_savings"] == pytest.approx(240.4 + 280.04)
    ents = load_table(db, "enterprises").set_index("enterprise_id")
    # UC2201: 230 employees -> large (>= 250 is large; 50..249 medium)
    assert ents.loc["UC2201", "size_class"] == "medium"
    assert ents.loc["UC2201", "jurisdiction"] == "US" and ents.loc["UC2201", "currency"] == "USD"


def test_rows_without_cost_or_savings_are_flagged_not_dropped(iac_dir):
    ent, opt, notes = read_iac_workbook(iac_dir / "SNE_IAC_Database.xlsx")
    import openpyxl

    ws = openpyxl.load_workbook(iac_dir / "SNE_IAC_Database.xlsx", read_only=True)["RECC"]
    rows = list(ws.iter_rows(values_only=True))
    head = list(rows[0])
    sid, cost = head.index("SUPERID"), head.index("IMPCOST")
    blank = [r[sid] for r in rows[1:] if r[sid] and r[cost] in (None, "")]
    no_cost = opt.loc[opt["iac_flag"].str.contains("no implementation cost"), "option_id"]
    assert sorted(no_cost) == sorted(blank) and len(blank) > 0
    assert (opt.loc[opt["option_id"].isin(blank), "investment"] == 0).all()
    assert len(opt) == 187


def test_fuller_arc_dictionary_gives_finer_titles(iac_dir):
    _, opt, _ = read_iac_workbook(iac_dir / "SNE_IAC_Database.xlsx", arc_dictionary=iac_dir / "arc_codes_v21_1.csv")
    assert all(t.endswith(f"(ARC {c})") for t, c in zip(opt["title"], opt["arc_code"]))
    # arc_codes_v21_1.csv: 2.4231 "Reduce the pressure of compressed air to the minimum required"
    assert opt.loc[opt["option_id"] == "UC230102", "title"].item().startswith("Reduce the pressure of compressed air")
    _, coarse, _ = read_iac_workbook(iac_dir / "SNE_IAC_Database.xlsx")
    assert coarse.loc[coarse["option_id"] == "UC230102", "title"].item() == "Air Compressors (ARC 2.4231)"  # the workbook sheet ARC_CODES


@pytest.mark.parametrize(
    "code, category, hierarchy",
    [("2.2414", "onsite_recovery", "recover_heat"), ("2.1311", "input_substitution", ""), ("3.3111", "end_of_pipe", "treat"),
     ("2.6218", "process_control", ""), ("4.131", "product_modification", ""), ("3.5212", "byproduct", "")],
)
def test_arc_codes_map_to_categories_by_longest_prefix(code, category, hierarchy):
    assert arc_category(code) == (category, hierarchy)

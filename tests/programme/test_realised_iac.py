"""Implementation tracking through the whole pipeline on the IAC rows marked implemented.

The shared IAC workbook (skipped with a reason where ../shared is absent; CPSCREEN_SHARED names
it elsewhere) is read by the IAC reader, the implemented recommendations (IMPSTATUS I) are given
actual figures and an implementation date, and both tables go through validation and import as
any user's file.  ``programme.realised`` (what ``cpscreen track`` and the Programme page show) is
then checked against a recomputation with plain pandas straight from the workbook's RECC sheet:
IMPCOST (blank or negative counts 0, as the reader documents) and the sum of PSAVED..QSAVED.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from programme.realised import realised_by_jurisdiction, realised_by_option
from store.iac import read_iac_workbook
from store.io import import_files, load_table


def _factors(ids: list[str]) -> tuple[dict[str, float], dict[str, float]]:
    """Actual / predicted of each implemented option, varied so that a wrong sum cannot hit the ratio by chance."""
    ids = sorted(ids)
    inv = {s: 0.8 + 0.1 * (k % 5) for k, s in enumerate(ids)}  # 0.8 .. 1.2
    sav = {s: 1.3 - 0.15 * (k % 4) for k, s in enumerate(ids)}  # 1.3 .. 0.85
    return inv, sav


def test_iac_implemented_rows_realised_against_predicted_by_plain_pandas(db, iac_dir, tmp_path, capsys):
    book = iac_dir / "SNE_IAC_Database.xlsx"
    ent, opt, _ = read_iac_workbook(book)
    done = opt["status"] == "implemented"
    inv, sav = _factors(list(opt.loc[done, "option_id"]))
    opt["implemented_on"] = np.where(done, "2024-06-30", None)
    opt["actual_investment"] = np.where(done, opt["investment"] * opt["option_id"].map(inv), np.nan)
    opt["actual_annual_savings"] = np.where(done, opt["annual_savings"] * opt["option_id"].map(sav), np.nan)
    ent.to_csv(tmp_path / "iac_enterprises.csv", index=False)
    opt.to_csv(tmp_path / "iac_options.csv", index=False)
    import_files(db, [str(tmp_path / "iac_enterprises.csv"), str(tmp_path / "iac_options.csv")])

    # plain pandas, from the workbook itself
    recc = pd.read_excel(book, sheet_name="RECC")
    recc = recc[recc["SUPERID"].notna() & recc["ID"].notna()]
    impl = recc[recc["IMPSTATUS"] == "I"].copy()
    impl["sid"] = impl["SUPERID"].astype(str)
    impl["pred_inv"] = pd.to_numeric(impl["IMPCOST"], errors="coerce").clip(lower=0).fillna(0.0)
    impl["pred_sav"] = impl[["PSAVED", "SSAVED", "TSAVED", "QSAVED"]].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1).fillna(0.0)
    impl["act_inv"] = impl["pred_inv"] * impl["sid"].map(inv)
    impl["act_sav"] = impl["pred_sav"] * impl["sid"].map(sav)
    assert len(impl) == 20 and len(inv) == 20  # counted in the sheet: 20 rows IMPSTATUS I, 6 of them without IMPCOST

    opts, ents = load_table(db, "options"), load_table(db, "enterprises")
    (row,) = realised_by_jurisdiction(opts, ents).to_dict(orient="records")
    assert (row["jurisdiction"], row["currency"], row["implemented"], row["with_actuals"]) == ("US", "USD", 20, 20)
    assert row["compared_investment"] == row["compared_annual_savings"] == 20
    assert row["predicted_investment"] == pytest.approx(impl["pred_inv"].sum())
    assert row["actual_investment"] == pytest.approx(impl["act_inv"].sum())
    assert row["ratio_investment"] == pytest.approx(impl["act_inv"].sum() / impl["pred_inv"].sum())
    assert row["ratio_annual_savings"] == pytest.approx(impl["act_sav"].sum() / impl["pred_sav"].sum())
    assert row["compared_co2e_avoided_t"] == 0 and np.isnan(row["ratio_co2e_avoided_t"])  # IAC records no CO2e

    per = realised_by_option(opts, ents).set_index("option_id")
    want = impl.set_index("sid")
    assert sorted(per.index) == sorted(want.index)
    zero = want.index[want["pred_inv"] == 0]  # blank IMPCOST: predicted 0, so no ratio, and the note says why
    assert len(zero) == 6 and per.loc[zero, "ratio_investment"].isna().all()
    assert all("predicted investment is 0" in n for n in per.loc[zero, "note"])
    live = want.index[want["pred_inv"] > 0]
    assert per.loc[live, "ratio_investment"].to_numpy() == pytest.approx(live.map(inv).to_numpy(dtype=float))
    assert (per["implemented_on"] == "2024-06-30").all()

    from cli import main  # the CLI prints the library's records

    assert main(["track", "--by", "jurisdiction", "--format", "json"]) == 0
    (rec,) = json.loads(capsys.readouterr().out)
    assert rec["ratio_investment"] == pytest.approx(row["ratio_investment"], rel=1e-12)
    assert rec["ratio_co2e_avoided_t"] is None


def test_track_refuses_an_unknown_jurisdiction_in_one_line(db, capsys):
    from cli import main
    from store.seed import DEMO_FILES

    import_files(db, [str(p) for p in DEMO_FILES])
    assert main(["track", "--jurisdiction", "XX"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["cpscreen: error: no stored enterprise has jurisdiction 'XX' (stored: CN, DK, NL)"]
    assert main(["track", "--format", "json"]) == 0  # nothing implemented in the demo data: no records, and a note
    out = capsys.readouterr()
    assert out.out.strip() in ("[]", "[\n]") and "no option is implemented" in out.err

"""scripts/build_iac_db.py: the national IAC tables through the workbook mapping and the store's import."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from store.iac import GAL_TO_M3, LB_TO_T, MMBTU_TO_MWH, iac_tables
ROOT = Path(__file__).resolve().parents[2]
IAC = Path(os.environ.get("CPSCREEN_SHARED") or ROOT.parent / "shared") / "data" / "iac"

pytestmark = pytest.mark.skipif(not (IAC / "iac_recommendations_primary.parquet").exists(),
                                reason=f"shared IAC tables not found at {IAC} (the repository's sibling folder ../shared)")


def _script():
    spec = importlib.util.spec_from_file_location("build_iac_db", ROOT / "scripts" / "build_iac_db.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_iac_db"] = mod
    spec.loader.exec_module(mod)
    return mod


def _expected(n_assess: int) -> pd.DataFrame:
    """The sample's recommendations that should be stored, computed apart in SQL on the parquet files."""
    s = pd.read_parquet(IAC / "iac_assessments_full.parquet", columns=["id", "employees"]).iloc[:n_assess]  # noqa: F841
    return duckdb.sql(f"""
        SELECT r.* FROM '{IAC / "iac_recommendations_primary.parquet"}' r JOIN s USING (id)
        WHERE r.impcost IS NOT NULL AND r.psaved IS NOT NULL AND s.employees IS NOT NULL
    """).df()


def test_sample_is_stored_with_the_workbook_mapping(tmp_path):
    db = tmp_path / "iac.duckdb"
    assert _script().main([str(db), "--iac", str(IAC), "--assessments", "300"]) == 0
    want = _expected(300)
    con = duckdb.connect(str(db), read_only=True)
    got = con.sql("SELECT option_id, enterprise_id, investment, annual_savings, energy_saved_mwh, waste_avoided_t, "
                  "water_saved_m3, lifetime_years, category, status, attributes->>'lifetime_assumed' AS assumed, "
                  "attributes->>'arc_code' AS arc FROM options").df()
    ents = con.sql("SELECT enterprise_id, jurisdiction, currency, size_class FROM enterprises").df()
    con.close()
    assert len(got) == len(want) > 1000
    assert set(ents["enterprise_id"]) == set(want["id"])  # one enterprise per assessment with options
    assert set(ents["jurisdiction"]) == {"US"} and set(ents["currency"]) == {"USD"}
    m = got.merge(want, left_on="option_id", right_on="superid", validate="1:1")
    assert (m["enterprise_id"] == m["id"]).all()
    np.testing.assert_allclose(m["investment"], m["impcost"].clip(lower=0))
    np.testing.assert_allclose(m["annual_savings"], m["psaved"])
    code = m["psourccode"].fillna("").str.strip()
    m["pconserved"] = m["pconserved"].fillna(0.0)  # a stream without an amount saves nothing
    mwh = np.where(code.isin(["EC", "E1"]), m["pconserved"] / 1000,
                   np.where(code.isin([f"E{i}" for i in range(2, 13)]), m["pconserved"] * MMBTU_TO_MWH, 0.0))
    np.testing.assert_allclose(m["energy_saved_mwh"], np.clip(mwh, 0, None), rtol=1e-6, atol=1e-6)
    t = np.where(code.isin(["W4", "W5", "W6"]), m["pconserved"] * LB_TO_T, 0.0)
    np.testing.assert_allclose(m["waste_avoided_t"], np.clip(t, 0, None), rtol=1e-6, atol=1e-6)
    m3 = np.where(code.isin(["W1", "W2", "W3"]), m["pconserved"] * GAL_TO_M3, 0.0)
    np.testing.assert_allclose(m["water_saved_m3"], np.clip(m3, 0, None), rtol=1e-6, atol=1e-6)
    assert (m["lifetime_years"] == 10).all() and (m["assumed"] == "yes").all()
    status = m["impstatus"].fillna("").map({"I": "implemented", "N": "rejected", "P": "study"}).fillna("proposed")
    assert (m["status"] == status).all()
    known = m["arc2_full_if_known"].notna()
    assert (m.loc[~known, "arc"].fillna("") == "").all() and m.loc[known, "arc"].notna().all()


def test_existing_database_is_not_overwritten(tmp_path, capsys):
    db = tmp_path / "iac.duckdb"
    db.write_bytes(b"keep me")
    assert _script().main([str(db), "--iac", str(IAC), "--assessments", "5"]) == 2
    assert db.read_bytes() == b"keep me"
    assert "--replace" in capsys.readouterr().err


def test_rising_waste_and_water_streams_are_clipped_and_flagged():
    # three streams: waste rises by 2000 lb, water falls by 100 gal, no ARC code
    recc = pd.DataFrame({"SUPERID": ["X0101"], "ID": ["X01"], "ARC2": [None], "IMPSTATUS": ["I"], "IMPCOST": [100.0],
                         "PSOURCCODE": ["W4"], "PCONSERVED": [-2000.0], "PSAVED": [50.0],
                         "SSOURCCODE": ["W1"], "SCONSERVED": [100.0], "SSAVED": [10.0]})
    assess = pd.DataFrame({"ID": ["X01"], "EMPLOYEES": [20]})
    errors: list = []
    ent, _, opt, _, _ = iac_tables({"ASSESS": (assess, np.array([2])), "RECC": (recc, np.array([2]))}, "hand", errors)
    assert not errors
    assert opt["waste_avoided_t"].iat[0] == 0.0
    assert opt["water_saved_m3"].iat[0] == pytest.approx(100 * 0.003785411784)
    assert opt["annual_savings"].iat[0] == 60.0
    flag = opt["iac_flag"].iat[0]
    assert "waste rises by 0.907185 t/yr" in flag  # 2000 lb x 0.45359237 kg/lb
    assert "no ARC code recorded" in flag and opt["category"].iat[0] == "good_housekeeping"
    assert opt["title"].iat[0] == "IAC recommendation (ARC code not recorded)"
    assert ent["size_class"].iat[0] == "small"


@pytest.mark.slow
def test_full_tables_build(tmp_path, capsys):
    db = tmp_path / "iac.duckdb"
    assert _script().main([str(db), "--iac", str(IAC)]) == 0
    out = capsys.readouterr().out
    con = duckdb.connect(str(db), read_only=True)
    n_opt, n_ent = con.sql("SELECT (SELECT count(*) FROM options), (SELECT count(*) FROM enterprises)").fetchone()
    con.close()
    assert n_opt == len(_expected(10**9)) and 140_000 < n_opt < 145_000
    assert 21_500 < n_ent < 22_100
    assert f"{n_opt:,} options" in out

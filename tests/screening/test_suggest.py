"""Suggestions from real plants (issue 15 item 1).

Checked against: a recomputation of the shipped aggregates straight from the shared IAC parquet
files with plain pandas (where ../shared is present); the USD conversion by hand at the ECB rates
of 2025-02-28; the sector mapping's documented examples; the CLI contract's record fields.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from screening.suggest import FIELDS, as_option, sic_major_groups, suggest, suggestion_table
from tests.conftest import IAC

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sector, expected", [
    ("NACE 25.61", ("34",)), ("25.61", ("34",)), ("NACE 10.51", ("20",)), ("NAICS 332813", ("34",)),
    ("332813", ("34",)), ("SIC 3471", ("34",)), ("NACE 26.11", ("36", "38")), ("NACE 33.12", ()), (None, ()), ("", ()),
])
def test_sector_to_sic_major_groups(sector, expected):
    assert sic_major_groups(sector) == expected


def test_dairy_gets_sector_and_size_suggestions_converted_by_hand():
    ent = {"enterprise_id": "dk_dairy", "size_class": "medium", "sector": "NACE 10.51", "currency": "DKK"}
    s = suggest(ent, top=5)
    assert list(s.columns[: len(FIELDS)]) == list(FIELDS)
    assert len(s) == 5 and (s["level"] == "sector_size").all() and (s["currency"] == "DKK").all()
    t = suggestion_table()
    row = t[(t["level"] == "sector_size") & (t["sic2"] == "20") & (t["size_class"] == "medium")
            & (t["arc_code"] == s.loc[0, "arc_code"])].iloc[0]
    dkk_per_usd = 7.4583 / 1.0411  # ECB 2025-02-28, units per EUR
    assert s.loc[0, "median_investment"] == pytest.approx(row["median_investment_usd"] * dkk_per_usd, rel=1e-12)
    assert s.loc[0, "median_annual_savings"] == pytest.approx(row["median_annual_savings_usd"] * dkk_per_usd, rel=1e-12)
    assert s.loc[0, "median_payback_years"] == row["median_payback_years"]  # a ratio: no conversion
    assert s["recommended"].is_monotonic_decreasing  # within one level, most recommended first


def test_unknown_sector_falls_back_to_all_plants_and_bad_input_is_named():
    s = suggest({"enterprise_id": "x", "size_class": "small", "sector": "NACE 33.12", "currency": "USD"}, top=3)
    assert (s["level"] == "all").all() and s.loc[0, "arc_code"] == "2.7142"  # lamps: the most recommended measure
    with pytest.raises(ValueError, match="--top must be at least 1"):
        suggest({"currency": "USD"}, top=0)
    with pytest.raises(ValueError, match="no exchange rate for currency 'JPY'"):
        suggest({"currency": "JPY"}, top=1)


def test_a_chosen_suggestion_is_a_proposed_option_flagged_as_typical():
    s = suggest({"enterprise_id": "nl", "size_class": "small", "sector": "NACE 25.61", "currency": "EUR"}, top=1).iloc[0]
    opt = as_option(s, "nl", "IAC-1")
    assert opt["status"] == "proposed" and "typical values" in opt["title"]
    assert opt["investment"] == pytest.approx(s["median_investment"]) and "replace with your own" in opt["typical_values"]
    from screening.schema import validate
    ent = pd.DataFrame([{"enterprise_id": "nl", "name": "n", "jurisdiction": "NL", "size_class": "small", "currency": "EUR"}])
    v = validate(ent, pd.DataFrame([opt]))  # a valid import-format row
    assert v.options.loc[0, "status"] == "proposed"


def test_cli_suggest_records():
    out = subprocess.run([sys.executable, "-m", "cli", "suggest", "--enterprise", "nl_plating", "--top", "3", "--format", "json",
                          "--enterprises", str(ROOT / "data" / "demo_enterprises.csv")], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    recs = json.loads(out.stdout)
    assert len(recs) == 3 and set(FIELDS) <= set(recs[0]) and recs[0]["currency"] == "EUR"
    bad = subprocess.run([sys.executable, "-m", "cli", "suggest", "--enterprise", "nope",
                          "--enterprises", str(ROOT / "data" / "demo_enterprises.csv")], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "unknown enterprise 'nope'" in bad.stderr and "Traceback" not in bad.stderr


def test_shipped_aggregates_equal_a_recomputation_from_the_shared_data():
    if not (IAC / "iac_recommendations_primary.parquet").exists():
        pytest.skip(f"shared IAC tables not found at {IAC} (set CPSCREEN_SHARED or place ../shared)")
    r = pd.read_parquet(IAC / "iac_recommendations_primary.parquet")
    a = pd.read_parquet(IAC / "iac_assessments_full.parquet", columns=["id", "sic", "employees"])
    full = r[r["arc2_full_if_known"].notna()].merge(a, on="id", how="left")
    assert len(full) == 11_995
    code = full["arc2_full_if_known"].map(lambda c: f"{float(c):.6f}".rstrip("0").rstrip("."))
    t = suggestion_table()
    # all plants, ARC 2.7142, by plain pandas
    lamps = full[code == "2.7142"]
    row = t[(t["level"] == "all") & (t["arc_code"] == "2.7142")].iloc[0]
    st = lamps["impstatus"].astype(str)
    assert row["recommended"] == len(lamps)
    assert row["implemented_share"] == pytest.approx((st == "I").sum() / st.isin(["I", "N"]).sum(), rel=1e-5)
    assert row["median_investment_usd"] == pytest.approx(lamps["impcost"].astype(float).median(), rel=1e-5)
    sav = lamps["psaved"].astype(float)
    assert row["median_annual_savings_usd"] == pytest.approx(sav.median(), rel=1e-5)
    pb = (lamps["impcost"].astype(float) / sav)[sav > 0]
    assert row["median_payback_years"] == pytest.approx(pb.median(), rel=1e-5)
    # one sector x size group: SIC 20, medium (50-249 employees)
    e = full["employees"].astype(float)
    grp = full[(code == "2.7142") & full["sic"].astype(str).str[:2].eq("20") & (e >= 50) & (e < 250)]
    row = t[(t["level"] == "sector_size") & (t["sic2"] == "20") & (t["size_class"] == "medium") & (t["arc_code"] == "2.7142")].iloc[0]
    assert row["recommended"] == len(grp)
    assert row["median_investment_usd"] == pytest.approx(grp["impcost"].astype(float).median(), rel=1e-5)
    # the shipped table has one row per level and code, nothing below 5 recommendations
    assert not t.duplicated(["level", "sic2", "size_class", "arc_code"]).any() and t["recommended"].min() >= 5
    assert np.isin(t["level"], ["sector_size", "sector", "all"]).all()

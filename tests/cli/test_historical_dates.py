"""The seed rules appraise on their own dates from the CLI (issue 10, item 6), and the CLI refuses
a parameter that changes nothing or a date with no tax rate in one line, exit 2 (item 7)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.cli.helpers import run


def test_nl_grant_on_1995_by_hand(seeded, capsys) -> None:
    code, out, err = run(capsys, "appraise", "--date", "1995-06-30", "--format", "json")
    assert code == 0, err
    recs = {r["option_id"]: r for r in json.loads(out)}
    r = recs["NL-02"]  # counter-current rinsing: investment 45,000, savings 20,000/yr, 12 years, 8 %
    assert [(s["instrument_id"], s["amount"]) for s in r["support"]] == [("NL-CP-GRANT", pytest.approx(0.15 * 45000))]
    # By hand, with the NL corporate rate in force in each year of the life (appraised 30 June 1995,
    # year t on 30 June 1995 + t): 35 % to 2001, 34.5 % 2002-2004, 31.5 % 2005, 29.6 % 2006, 25.5 %
    # 2007; the grant reduces the depreciation base.
    rates = [0.35] * 6 + [0.345] * 3 + [0.315, 0.296, 0.255]
    v = [1.08 ** -t for t in range(1, 13)]
    no_support = -45000 + sum((20000 - r * (20000 - 45000 / 12)) * d for r, d in zip(rates, v))
    with_grant = -45000 + 6750 + sum((20000 - r * (20000 - (45000 - 6750) / 12)) * d for r, d in zip(rates, v))
    assert r["npv_no_support"] == pytest.approx(no_support, rel=1e-9)
    assert r["npv"] == pytest.approx(with_grant, rel=1e-9)
    assert r["support_total"] == pytest.approx(6750 - sum(rt * 6750 / 12 * d for rt, d in zip(rates, v)), rel=1e-9)
    # with 35 % over the whole life the support was 5,266.34; the later, lower rates take less of the grant back
    assert r["support_total"] == pytest.approx(5314.27, abs=0.01)
    assert recs["NL-01"]["support"] == []  # good housekeeping is not eligible
    assert all(x["pack"] == "NL" for x in recs.values() if x["enterprise_id"] == "nl_plating")


def _files(tmp_path: Path, jurisdiction: str, size: str, options: list[dict]) -> list[str]:
    ent = tmp_path / "e.csv"
    opt = tmp_path / "o.csv"
    pd.DataFrame([{"enterprise_id": "e1", "name": "Historic firm", "jurisdiction": jurisdiction, "size_class": size,
                   "discount_rate": 0.08}]).to_csv(ent, index=False)
    rows = [{"option_id": f"o{i}", "enterprise_id": "e1", "title": f"option {i}", "annual_savings": 30000,
             "lifetime_years": 10, **o} for i, o in enumerate(options)]
    pd.DataFrame(rows).to_csv(opt, index=False)
    return ["--options", str(opt), "--enterprises", str(ent)]


@pytest.mark.parametrize(("jurisdiction", "day", "size", "option", "rule"), [
    ("DK", "1995-06-30", "medium", {"category": "technology_change", "investment": 100000, "project_type": "applied_research"},
     "DK-MBL-1991-CLEANTECH"),
    ("DE", "1985-06-30", "large", {"category": "end_of_pipe", "investment": 100000, "environmental_share": 0.8}, "DE-ESTG-7D"),
    ("FR", "1995-06-30", "large", {"category": "process_control", "investment": 100000, "project_type": "research"}, "FR-CP-HIST"),
    ("FR", "1995-06-30", "large", {"category": "process_control", "investment": 100000, "project_type": "demonstration"},
     "FR-CP-HIST"),
    ("UK", "2005-06-30", "medium", {"category": "equipment_modification", "investment": 100000, "energy_saved_mwh": 50},
     "UK-ECA-2001"),
])
def test_seed_rules_appraise_on_their_dates(tmp_path, capsys, jurisdiction, day, size, option, rule) -> None:
    code, out, err = run(capsys, "appraise", "--date", day, "--format", "json", *_files(tmp_path, jurisdiction, size, [option]))
    assert code == 0, err
    (r,) = json.loads(out)
    assert [s["instrument_id"] for s in r["support"]] == [rule]
    assert r["support_total"] > 0 and r["npv"] > r["npv_no_support"]


def test_de_7d_support_by_hand(tmp_path, capsys) -> None:
    # 60 % of 100,000 in year 1, then 10 % a year (years 2-5); straight line would be 10,000 a
    # year for 10 years.  Support = sum of the year's combined tax rate x the depreciation moved into
    # that year, discounted; the rate of year t is the one in force on 30 June 1985 + t (60 % to
    # 1989, then the compilation's yearly combined rates 1990-1995).
    option = {"category": "end_of_pipe", "investment": 100000, "environmental_share": 0.8}
    code, out, err = run(capsys, "appraise", "--date", "1985-06-30", "--format", "json", *_files(tmp_path, "DE", "large", [option]))
    assert code == 0, err
    (r,) = json.loads(out)
    fast = [60000, 10000, 10000, 10000, 10000] + [0] * 5
    slow = [10000] * 10
    rates = [0.60] * 4 + [0.545455, 0.5625, 0.581522, 0.565217, 0.521739, 0.551087]
    value = sum(rt * (f - s) / 1.08 ** t for t, (rt, f, s) in enumerate(zip(rates, fast, slow), start=1))
    assert r["support_total"] == pytest.approx(value, rel=1e-9)


def test_date_without_a_tax_rate_exits_2_naming_the_fix(seeded, tmp_path, capsys) -> None:
    code, out, err = run(capsys, "appraise", "--date", "1950-01-01")
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "cpscreen: error: enterprise 'nl_plating': pack NL has no corporate rate on 1950-01-01 "
        "(its schedule starts 1980-01-01): give the enterprise a tax_rate"]
    files = _files(tmp_path, "NL", "small", [{"category": "technology_change", "investment": 1000}])
    ent = Path(files[3])
    pd.read_csv(ent).assign(tax_rate=0.4).to_csv(ent, index=False)  # the fix the message names
    code, out, err = run(capsys, "appraise", "--date", "1950-01-01", "--format", "json", *files)
    assert code == 0, err
    assert json.loads(out)[0]["pack"] == "NL"


@pytest.mark.parametrize(("argv", "message"), [
    (["--date", "2026-12-01", "--param", "NL-CP-GRANT.rate=0.25"],
     "cpscreen: error: parameter NL-CP-GRANT.rate: rule NL-CP-GRANT is in force 1990-01-01 to 1999-12-31, "
     "not on 2026-12-01: pick an appraisal date within it (--date)"),
    (["--date", "1995-06-30", "--param", "NL-CP-GRANT.rate=0.5"],
     "cpscreen: error: parameter NL-CP-GRANT.rate = 0.5 is outside the range [0.15, 0.4]"),
    (["--date", "2005-06-30", "--param", "DK-MBL-55.rate.values.recycling_production=0.1"],
     "cpscreen: error: parameter DK-MBL-55.rate.values.recycling_production: DK-MBL-55 belongs to pack DK, "
     "not to programme NL, so it changes nothing"),
])
def test_budget_refuses_a_parameter_that_changes_nothing(seeded, capsys, argv, message) -> None:
    code, out, err = run(capsys, "budget", "--programme", "NL", "--by", "summary", *argv)
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [message]


def test_budget_parameter_in_force_changes_the_outlay(seeded, capsys) -> None:
    outlay = {}
    for rate in ("0.15", "0.30"):
        code, out, err = run(capsys, "budget", "--programme", "NL", "--date", "1995-06-30", "--param",
                             f"NL-CP-GRANT.rate={rate}", "--by", "summary", "--format", "json")
        assert code == 0, err
        outlay[rate] = json.loads(out)[0]["outlay_if_all"]
    # every eligible option's grant doubles with the rate: outlay if all take it up doubles
    assert outlay["0.30"] == pytest.approx(2 * outlay["0.15"]) and outlay["0.15"] > 0

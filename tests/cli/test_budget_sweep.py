"""``cpscreen budget --sweep NAME=V1,V2,...``: one run per value on one reading of the data and one appraisal
without support. One truth: each value's records are the records of ``--param NAME=V`` run on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import run

ROOT = Path(__file__).resolve().parents[2]
FILES = ("--options", str(ROOT / "data" / "demo_options.csv"), "--enterprises", str(ROOT / "data" / "demo_enterprises.csv"))
# the Dutch energy investment allowance, in force on this date, at three rates (the budget benchmark's scenarios)
BASE = ("budget", "--programme", "NL", "--all-jurisdictions", "--date", "2025-06-01", *FILES, "--format", "json")
PARAM, VALUES = "NL-EIA-2024.rate.value", ("0.3", "0.4", "0.45")


def records(capsys, *argv: str) -> list[dict]:
    code, out, err = run(capsys, *BASE, *argv)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("by", ["summary", "year", "instrument", "option"])
def test_each_value_gives_the_records_of_its_own_param_run(capsys, by):
    swept = records(capsys, "--by", by, "--sweep", f"{PARAM}={','.join(VALUES)}")
    alone = {v: records(capsys, "--by", by, "--param", f"{PARAM}={v}") for v in VALUES}
    assert len(swept) == sum(len(r) for r in alone.values())
    i = 0
    for v in VALUES:
        for rec in alone[v]:
            got = swept[i]
            i += 1
            assert list(got)[:2] == ["sweep_param", "sweep_value"]  # the added fields come first
            assert (got["sweep_param"], got["sweep_value"]) == (PARAM, float(v))
            assert {k: got[k] for k in rec} == rec and set(got) == {"sweep_param", "sweep_value", *rec}
    if by == "summary":  # the rate moves the outlay: the sweep is not three copies of one run
        outlays = [r["total_outlay"] for r in swept]
        assert outlays == sorted(outlays) and len(set(outlays)) == 3


def test_other_params_hold_in_every_run(capsys):
    other = "NL-MIA-2025.eligibility.min_investment=50000"  # moves the demo data's outlay (checked below)
    swept = records(capsys, "--by", "summary", "--param", other, "--sweep", f"{PARAM}=0.3,0.45")
    for rec, v in zip(swept, ("0.3", "0.45")):
        alone = records(capsys, "--by", "summary", "--param", other, "--param", f"{PARAM}={v}")[0]
        assert {k: rec[k] for k in alone} == alone
        without = records(capsys, "--by", "summary", "--param", f"{PARAM}={v}")[0]
        assert without["outlay_if_all"] != alone["outlay_if_all"]


def test_with_draws_each_value_gives_its_own_draws_run(capsys):
    draws = ("--by", "summary", "--draws", "40", "--seed", "3")
    swept = records(capsys, *draws, "--sweep", f"{PARAM}=0.3,0.45")
    for rec, v in zip(swept, ("0.3", "0.45")):
        alone = records(capsys, *draws, "--param", f"{PARAM}={v}")[0]
        assert {k: rec[k] for k in alone} == alone
    assert swept[0]["total_outlay_p50"] != swept[1]["total_outlay_p50"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--sweep", f"{PARAM}=0.3"], "one value"),
        (["--sweep", f"{PARAM}=0.3,0.3"], "repeats 0.3"),
        (["--sweep", f"{PARAM}=0.3,abc"], "NAME=NUMBER,NUMBER"),
        (["--sweep", "=0.3,0.4"], "NAME=NUMBER,NUMBER"),
        (["--sweep", f"{PARAM}=0.3,0.4", "--param", f"{PARAM}=0.2"], "sweep it or set it"),
        (["--sweep", f"{PARAM}=0.3,0.4", "--save-scenario", "x"], "--save-scenario stores one scenario"),
        (["--sweep", "NO-SUCH.rate=0.3,0.4"], "NO-SUCH"),
        (["--sweep", f"{PARAM}=0.3,-1"], PARAM),  # a value the parameter cannot take is refused before any work
    ],
)
def test_bad_sweeps_exit_2_with_one_line(capsys, argv, message):
    code, out, err = run(capsys, *BASE, *argv)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1, err

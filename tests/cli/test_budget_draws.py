"""``cpscreen budget --draws`` (DESIGN.md section 5): fields added to today's records, never renamed;
the same figures as the library; flags that would change nothing refused with one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main

ROOT = Path(__file__).resolve().parents[2]
FILES = ["--options", str(ROOT / "data" / "demo_options.csv"), "--enterprises", str(ROOT / "data" / "demo_enterprises.csv")]
BASE = ["budget", "--programme", "NL", "--date", "2026-06-01", *FILES, "--format", "json"]
ZERO = ["--spread", "investment=0%", "--spread", "annual_savings=0%", "--spread", "annual_cost_change=0%",
        "--spread", "lifetime_years=0%"]


def run(capsys, *argv: str) -> tuple[int, object, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if code == 0 and out.strip() else out), err


def test_without_spread_the_draws_are_todays_budget(capsys):
    code, today, _ = run(capsys, *BASE, "--by", "year")
    code2, drawn, _ = run(capsys, *BASE, "--by", "year", "--draws", "5", *ZERO)
    assert code == code2 == 0
    assert len(today) > 3
    # every field of today's records is kept, with the same values; the draws' fields added
    key = lambda r: (r["calendar_year"], r["instrument_id"], r["kind"])  # noqa: E731
    by_key = {key(r): r for r in drawn}
    for r in today:
        d = by_key[key(r)]
        assert {k: d[k] for k in r} == r
        for q in ("outlay_mean", "outlay_p10", "outlay_p50", "outlay_p90"):
            assert d[q] == pytest.approx(r["outlay"], rel=1e-12, abs=1e-9)
    _, s, _ = run(capsys, *BASE, "--by", "summary", "--draws", "5", *ZERO, "--envelope", "1000")
    s = s[0]
    assert s["total_outlay_p10"] == s["total_outlay_p50"] == s["total_outlay_p90"] == pytest.approx(s["total_outlay"])
    assert s["prob_over_envelope"] == 1.0 and "cost_per_t_co2e_p50" in s


def test_envelope_rationing_per_draw_and_in_distribution(capsys):
    args = [*BASE, "--draws", "8", "--seed", "3", "--rule", "payback:6", "--envelope", "3000", "--ration", "first-come"]
    code, draws, _ = run(capsys, *args, "--by", "draw")
    assert code == 0 and len(draws) == 8
    for d in draws:
        assert d["funded_outlay"] <= 3000 * (1 + 1e-12)
        assert d["over_envelope"] == (d["total_outlay"] > 3000)
    _, s, _ = run(capsys, *args, "--by", "summary")
    assert s[0]["ration"] == "first-come" and s[0]["funded_outlay_p90"] <= 3000 * (1 + 1e-12)
    assert s[0]["engine"].startswith("general (per-option figures")  # which path ran is said, never null
    _, opts, _ = run(capsys, *args, "--by", "option")
    assert all(0 <= o["share_left_out"] <= o["share_applied"] <= 1 for o in opts)


def test_logistic_rule_defaults_to_the_iac_curve(capsys):
    from cli import _rule
    from programme.uptake import IAC_UPTAKE_RULE

    assert _rule("logistic") == IAC_UPTAKE_RULE
    assert _rule("logistic:1.5:-0.4:log").transform == "log"
    code, s, _ = run(capsys, *BASE, "--by", "summary", "--rule", "logistic:2:-0.5", "--draws", "4")
    assert code == 0 and s[0]["draws"] == 4


@pytest.mark.parametrize("extra, message", [
    (["--envelope", "5"], "--envelope needs --draws"),
    (["--by", "draw"], "--by draw needs --draws"),
    (["--draws", "4", "--ration", "first-come"], "--ration needs --envelope"),
    (["--draws", "4", "--workers", "1", "--scheduler", "tcp://127.0.0.1:8786"], "not both"),
    (["--draws", "4", "--workers", "1", "--envelope", "9", "--ration", "npv-ratio"], "in one process"),
    (["--draws", "4", "--workers", "1", "--by", "option"], "--by option needs every draw"),
    (["--draws", "1"], "draws is 1"),
    (["--draws", "4", "--spread", "salvage_value=5%"], "salvage_value"),
    (["--rule", "logistic:1"], "logistic[:INTERCEPT:SLOPE"),
])
def test_flags_that_change_nothing_or_are_bad_exit_2_with_one_line(capsys, extra, message):
    code, out, err = run(capsys, *BASE, *extra)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_threshold_spread_draws_each_enterprises_payback_limit(capsys, tmp_path):
    from tests.programme.test_mc_columnar import frames

    opts, ents = frames(n_ent=6, per=4)
    opts.to_csv(tmp_path / "o.csv", index=False)
    ents.to_csv(tmp_path / "e.csv", index=False)
    base = ["budget", "--programme", "CA-ECOENERGY", "--date", "2010-06-01", "--options", str(tmp_path / "o.csv"),
            "--enterprises", str(tmp_path / "e.csv"), "--all-jurisdictions", "--format", "json", "--by", "summary", "--draws", "20",
            "--seed", "4"]
    code, fixed, _ = run(capsys, *base)
    code0, zero, _ = run(capsys, *base, "--threshold-spread", "0%")
    code1, wide, _ = run(capsys, *base, "--threshold-spread", "60%")
    assert code == code0 == code1 == 0
    assert fixed[0]["engine"] == "columnar" and zero == fixed  # a zero spread is the fixed limit
    assert wide[0]["total_outlay_p50"] != fixed[0]["total_outlay_p50"]
    assert {k: wide[0][k] for k in ("total_outlay", "uptake_with_support")} == \
        {k: fixed[0][k] for k in ("total_outlay", "uptake_with_support")}  # today's figures are kept


@pytest.mark.parametrize("extra, message", [
    (["--threshold-spread", "30%"], "--threshold-spread needs --draws"),
    (["--draws", "4", "--threshold-spread", "30%"], "a threshold spread needs the columnar engine, which cannot run"),
    (["--draws", "4", "--threshold-spread", "30%", "--envelope", "9", "--ration", "first-come"], "an in-process --ration"),
    (["--draws", "4", "--threshold-spread", "x"], "expected a share"),
    (["--draws", "4", "--threshold-spread", "150%"], "above 100 % the payback limit's low end would be negative"),
    (["--draws", "4", "--spread", "lifetime_years=120%"], "above 100 % a life is at least 1 year"),
])
def test_threshold_spread_that_cannot_apply_exits_2_with_one_line(capsys, extra, message):
    code, out, err = run(capsys, *BASE, *extra)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_param_whose_rule_supports_no_option_is_noted_and_the_records_are_those_without_it(capsys):
    """Nothing silent: § 48C supports none of the demo options, so its --param changes nothing here; the
    budget says so on stderr and gives the records it gives without the --param. A rule that applies
    (the EIA) gets no note."""
    us = ["budget", "--programme", "US", "--all-jurisdictions", "--date", "2026-06-01", *FILES, "--format", "json",
          "--by", "summary"]
    code, plain, err = run(capsys, *us)
    assert code == 0 and "note:" not in err
    code, given, err = run(capsys, *us, "--param", "US-48C-2023.rate.values.yes=0.4")
    assert code == 0
    assert err.count("note: rule US-48C-2023 supports none of these options") == 1
    assert {k: v for k, v in given[0].items() if k != "scenario"} == {k: v for k, v in plain[0].items() if k != "scenario"}
    code, _, err = run(capsys, *BASE, "--by", "summary", "--param", "NL-EIA-2024.rate.value=0.4")
    assert code == 0 and "note:" not in err
    # a ceiling gives no item of its own: its parameter is never taken for a rule without items
    code, _, err = run(capsys, *BASE, "--by", "summary", "--param", "EU-GBER2023-38.intensity.base=0.5")
    assert code == 0 and "note:" not in err

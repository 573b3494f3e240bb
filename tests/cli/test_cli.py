"""The CLI contract (DESIGN.md section 5): names, records, nulls, exit status 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.cli.helpers import run

ROOT = Path(__file__).resolve().parents[2]
ENT, OPT = ROOT / "data" / "demo_enterprises.csv", ROOT / "data" / "demo_options.csv"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["frob"], "invalid choice"),
        (["import", "/no/such/file.csv"], "no such file"),
        (["appraise", "--date", "2026-13-01"], "expected a date"),
        (["appraise", "--discount-rate", "abc"], "expected a rate"),
        (["rank", "--criteria", "nope:max:1"], "nope"),
        (["rank", "--criteria", "investment:up:1"], "direction"),
        (["rank", "--method", "electre"], "invalid choice"),
        (["policies", "show", "XX"], "XX"),
        (["budget", "--programme", "NL", "--param", "rate"], "NAME=NUMBER"),
        (["budget", "--programme", "NL", "--param", "NO-SUCH.rate=0.2"], "NO-SUCH"),
        (["budget", "--programme", "NL:nosuch"], "unknown scenario"),
        (["budget", "--programme", "US", "--param", "US-BONUS-2025.depreciation.first_year_share=2"], "at most 1 (100 %)"),
        (["list", "--enterprise", "nobody"], "unknown enterprise"),
        (["list", "--options", str(OPT)], "go together"),
    ],
)
def test_bad_input_exits_2_with_one_line(seeded, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert message.lower() in err.lower()


def test_bad_file_names_row_column_and_reason_and_stores_nothing(seeded, tmp_path, capsys):
    from store.io import table_fingerprint

    before = table_fingerprint(seeded)
    bad = tmp_path / "o.csv"
    bad.write_text("option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years\nX1,dk_dairy,A,good_housekeeping,ten,1,5\n")
    code, _, err = run(capsys, "import", str(bad))
    assert code == 2 and "o.csv: options row 2, column 'investment': value 'ten' expected a number" in err
    assert table_fingerprint(seeded) == before


def test_appraise_records_follow_the_contract(seeded, capsys):
    code, out, _ = run(capsys, "appraise", "--date", "2026-06-30", "--format", "json")
    assert code == 0
    recs = json.loads(out)
    assert len(recs) == 23
    need = {"enterprise_id", "option_id", "npv", "irr", "mirr", "simple_payback_years", "discounted_payback_years",
            "npv_ratio", "support_total", "pack", "pack_version", "support"}
    need |= {f"{m}_no_support" for m in ("npv", "irr", "simple_payback_years")}
    assert need <= set(recs[0])
    nl01 = next(r for r in recs if r["option_id"] == "NL-01")  # zero investment: no IRR -> null
    assert nl01["irr"] is None and nl01["pack"] == "NL"
    supported = [r for r in recs if r["support"]]
    assert supported and all({"instrument_id", "kind", "amount", "year", "source"} <= set(i) for r in supported for i in r["support"])
    # results are written back with the pack version
    from store.results import load_appraisals

    stored = load_appraisals(seeded)
    assert len(stored) == 23 and stored["pack_version"].notna().any()


def test_no_support_headline_equals_the_no_support_columns(seeded, capsys):
    _, out, _ = run(capsys, "appraise", "--no-support", "--format", "json", "--date", "2026-06-30")
    for r in json.loads(out):
        assert r["npv"] == r["npv_no_support"] and r["support_total"] == 0 and r["support"] == []


def test_files_work_without_storing(db, capsys):
    code, out, _ = run(capsys, "list", "--options", str(OPT), "--enterprises", str(ENT), "--format", "json")
    assert code == 0 and len(json.loads(out)) == 23
    assert db.execute("SELECT count(*) FROM options").fetchone()[0] == 0


def test_rank_gives_untied_ranks_and_wsm_contributions(seeded, capsys):
    code, out, _ = run(capsys, "rank", "--format", "json")
    recs = json.loads(out)
    ranked = [r["rank"] for r in recs if r["rank"] is not None]
    assert sorted(ranked) == list(range(1, len(ranked) + 1))
    assert all(r["contributions"] for r in recs if r["rank"] is not None)
    code, out, _ = run(capsys, "rank", "--method", "vikor", "--criteria", "npv:max:1,investment:min:1", "--top", "3", "--format", "json")
    recs = json.loads(out)
    assert len(recs) == 3 and recs[0]["score_direction"] == "lower_is_better"


def test_budget_scenario_round_trip(seeded, capsys):
    # on a date the rule is in force (a parameter of a rule not in force is refused: it would change nothing)
    code, out, _ = run(capsys, "budget", "--programme", "NL", "--date", "1995-06-30", "--param", "NL-CP-GRANT.rate=0.3",
                       "--save-scenario", "s30", "--by", "summary", "--format", "json")
    assert code == 0
    direct = json.loads(out)
    code, out, _ = run(capsys, "budget", "--programme", "NL:s30", "--date", "1995-06-30", "--by", "summary", "--format", "json")
    strip = lambda recs: [{k: v for k, v in r.items() if k != "scenario"} for r in recs]
    assert strip(json.loads(out)) == strip(direct) and json.loads(out)[0]["scenario"] == "s30"


def test_budget_present_value_at_the_government_rate_given(seeded, capsys):
    by_year = {}
    for rate in ("0", "0.05"):
        code, out, _ = run(capsys, "budget", "--programme", "NL", "--by", "year", "--format", "json",
                           "--government-discount-rate", rate)
        assert code == 0
        by_year[rate] = json.loads(out)
    assert by_year["0"], "the NL programme has outlay on the demo data"
    for r0, r5 in zip(by_year["0"], by_year["0.05"]):
        assert (r0["t"], r0["instrument_id"]) == (r5["t"], r5["instrument_id"])
        assert r0["pv_cost"] == pytest.approx(r0["outlay"], rel=1e-12)  # no discounting at 0
        assert r5["pv_cost"] == pytest.approx(r5["outlay"] / 1.05 ** r5["t"], rel=1e-12)  # hand: t-year factor


def test_budget_reaches_the_pack_jurisdiction_unless_told_otherwise(seeded, capsys):
    # demo data: 7 options of the Dutch plating shop, 16 of the Danish and Chinese enterprises
    code, out, _ = run(capsys, "budget", "--programme", "NL", "--by", "summary", "--format", "json")
    assert code == 0 and json.loads(out)[0]["options"] == 7
    code, out, _ = run(capsys, "budget", "--programme", "NL", "--by", "summary", "--format", "json", "--all-jurisdictions")
    assert code == 0 and json.loads(out)[0]["options"] == 23
    code, _, err = run(capsys, "budget", "--programme", "US")
    assert code == 2 and "no enterprise in jurisdiction US" in err and len(err.strip().splitlines()) == 1


def test_policies_list_and_show(db, capsys):
    code, out, _ = run(capsys, "policies", "list", "--format", "json")
    codes = {r["code"] for r in json.loads(out)}
    assert {"NL", "DK", "DE", "FR", "UK", "CN", "US", "EU"} <= codes
    code, out, _ = run(capsys, "policies", "show", "CN", "--format", "csv")
    assert code == 0 and "CN-HOLIDAY-3-3" in out


def test_console_script_prints_help_for_every_command():
    exe = Path(sys.executable).with_name("cpscreen")
    for cmd in ("import", "export", "list", "appraise", "rank", "budget", "policies"):
        r = subprocess.run([str(exe), cmd, "--help"], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "usage: cpscreen" in r.stdout, cmd


def test_timing_only_support_costs_nothing_nominally_and_gives_no_ratios(db, tmp_path, capsys):
    """US bonus depreciation moves tax forward: year 1 forgone, later years repaid, nominal total 0.

    Hand check: investment 100,000 over 10 years, 100 % bonus in 2026 at 21 %: year 1 tax forgone
    = 21 % x (100,000 - 10,000) = 18,900; years 2..10 each pay back 21 % x 10,000 = 2,100.
    """
    e = tmp_path / "e.csv"
    e.write_text("enterprise_id,name,jurisdiction,size_class\nUS1,Plant,US,medium\n")
    o = tmp_path / "o.csv"
    o.write_text("option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years\n"
                 "A,US1,VSD on fans,equipment_modification,100000,30000,10\n")
    code, out, err = run(capsys, "budget", "--programme", "US", "--date", "2026-06-30", "--options", str(o), "--enterprises", str(e), "--format", "json")
    assert code == 0, err
    years = json.loads(out)
    by_t = {}
    for r in years:
        by_t[r["t"]] = by_t.get(r["t"], 0.0) + r["outlay_if_all"]
    assert by_t[1] == pytest.approx(18_900, rel=1e-9)
    assert all(by_t[t] == pytest.approx(-2_100, rel=1e-9) for t in range(2, 11))
    code, out, _ = run(capsys, "budget", "--programme", "US", "--date", "2026-06-30", "--options", str(o), "--enterprises", str(e), "--by", "summary", "--format", "json")
    s = json.loads(out)[0]
    assert s["total_outlay"] == 0.0 and s["leverage"] is None and s["deadweight_share"] is None


def test_timing_only_support_if_all_took_it_up_is_zero_not_its_float_residue(db, tmp_path, capsys):
    """The same bonus depreciation on amounts whose yearly tax forgone and repaid do not cancel exactly in floating
    point: the summary's outlay_if_all is 0 (nothing is spent over the lives), as total_outlay is, not +-1e-12."""
    e = tmp_path / "e.csv"
    e.write_text("enterprise_id,name,jurisdiction,size_class\nUS1,Plant,US,medium\n")
    o = tmp_path / "o.csv"
    o.write_text("option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years\n"
                 + "".join(f"{k},US1,Motor {k},equipment_modification,{inv},{inv / 3:.2f},{life}\n"
                           for k, (inv, life) in enumerate([(123457, 13), (98765.43, 7), (33333.33, 11), (77777.7, 9)])))
    code, out, err = run(capsys, "budget", "--programme", "US", "--date", "2026-06-30", "--options", str(o),
                         "--enterprises", str(e), "--format", "json")
    assert code == 0, err
    years = json.loads(out)
    assert max(abs(r["outlay_if_all"]) for r in years) > 1_000  # tax forgone and repaid, year by year
    code, out, _ = run(capsys, "budget", "--programme", "US", "--date", "2026-06-30", "--options", str(o),
                       "--enterprises", str(e), "--by", "summary", "--format", "json")
    s = json.loads(out)[0]
    assert s["outlay_if_all"] == 0.0 and s["total_outlay"] == 0.0
    assert s["pv_cost"] > 0  # its true cost: the interest on the tax deferred


CASH_FLOW_FIELDS = ["enterprise_id", "option_id", "year", "savings", "cost_change", "depreciation", "tax_deductions",
                    "taxable_profit", "tax", "support", "net_cash_flow", "cumulative_net_cash_flow", "discount_factor",
                    "discounted_net_cash_flow", "net_cash_flow_no_support"]


def test_appraise_cash_flow_lines_follow_the_contract_and_sum_to_the_npv(seeded, capsys):
    import math

    code, out, err = run(capsys, "appraise", "--cash-flow", "--date", "2026-06-30", "--format", "json")
    assert code == 0, err
    lines = json.loads(out)
    assert list(lines[0])[:len(CASH_FLOW_FIELDS)] == CASH_FLOW_FIELDS  # the contract's fields, in its order
    _, out, _ = run(capsys, "appraise", "--date", "2026-06-30", "--format", "json")
    metrics = {(r["enterprise_id"], r["option_id"]): r for r in json.loads(out)}
    _, out, _ = run(capsys, "list", "--format", "json")
    life = {(r["enterprise_id"], r["option_id"]): r["lifetime_years"] for r in json.loads(out)}
    by: dict = {}
    for r in lines:
        by.setdefault((r["enterprise_id"], r["option_id"]), []).append(r)
    assert set(by) == set(metrics) == set(life)
    supported = 0
    for key, rows in by.items():
        assert [r["year"] for r in rows] == list(range(life[key] + 1))
        running = 0.0
        for r in rows:
            running += r["net_cash_flow"]
            assert math.isclose(r["cumulative_net_cash_flow"], running, rel_tol=1e-12, abs_tol=1e-6)
            assert math.isclose(r["discount_factor"], rows[1]["discount_factor"] ** r["year"], rel_tol=1e-12)  # (1+r)**-t
            assert math.isclose(r["net_cash_flow"], r["net_cash_flow_no_support"] + r["support"], rel_tol=1e-9, abs_tol=1e-6)
            assert math.isclose(sum(i["cash"] for i in r["support_items"]), r["support"], rel_tol=1e-9, abs_tol=1e-6)
        npv = sum(r["discounted_net_cash_flow"] for r in rows)
        npv0 = sum(r["net_cash_flow_no_support"] * r["discount_factor"] for r in rows)
        assert math.isclose(npv, metrics[key]["npv"], rel_tol=1e-6, abs_tol=1e-6), key
        assert math.isclose(npv0, metrics[key]["npv_no_support"], rel_tol=1e-6, abs_tol=1e-6), key
        supported += any(r["support"] != 0 for r in rows)
    assert supported  # the demo data has options whose support changes the cash flow


def test_appraise_cash_flow_without_support_and_as_csv(seeded, capsys):
    import csv
    import io

    code, out, _ = run(capsys, "appraise", "--cash-flow", "--no-support", "--date", "2026-06-30", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert all(r["support"] == 0 and r["net_cash_flow"] == r["net_cash_flow_no_support"] for r in rows)
    code, out, _ = run(capsys, "appraise", "--cash-flow", "--date", "2026-06-30", "--format", "csv", "--discount-rate", "0.1")
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert list(table[0])[:len(CASH_FLOW_FIELDS)] == CASH_FLOW_FIELDS and len(table) == len(rows)
    second = next(r for r in table if r["year"] == "2")
    assert abs(float(second["discount_factor"]) - 1 / 1.1 ** 2) < 1e-12


# ----------------------------------------------------------------------------- appraise --explain


def test_appraise_explain_json_records_with_reasons(capsys):
    code, out, err = run(capsys, "appraise", "--explain", "--options", str(OPT), "--enterprises", str(ENT),
                         "--date", "2026-06-01", "--format", "json")
    assert code == 0, err
    recs = json.loads(out)
    assert recs and all({"enterprise_id", "option_id", "rule_id", "applies", "amount", "npv_effect", "reason"} <= set(r) for r in recs)
    by = {(r["option_id"], r["rule_id"]): r for r in recs}
    mia = by[("NL-03", "NL-MIA-2025")]  # a rule that does not apply, with its reason
    assert mia["applies"] is False and mia["amount"] == 0 and mia["npv_effect"] == 0
    assert mia["reason"].startswith("excluded by NL-EIA-2024")
    missing = by[("NL-06", "NL-MIA-2025")]
    assert "attribute mia_tier missing" in missing["reason"] and "I, II, III" in missing["reason"]
    applies = by[("NL-02", "NL-MIA-2025")]
    assert applies["applies"] is True and applies["amount"] == pytest.approx(0.27 * 45_000)  # tier III, 27 %
    assert applies["reason"].startswith("mia_tier III: 27 %")


def test_appraise_explain_csv_says_why_and_why_not(capsys):
    code, out, err = run(capsys, "appraise", "--explain", "--options", str(OPT), "--enterprises", str(ENT),
                         "--date", "2026-06-01", "--enterprise", "dk_dairy", "--format", "csv")
    assert code == 0, err
    import csv
    import io

    rows = {r["option_id"]: r for r in csv.DictReader(io.StringIO(out))}
    assert set(rows) == {f"DK-0{i}" for i in range(1, 8)}  # one rule in force, one record per option
    assert next(iter(rows.values())).keys() >= {"enterprise_id", "option_id", "rule_id", "applies", "amount", "npv_effect", "reason"}
    assert rows["DK-03"]["applies"].lower() == "false" and float(rows["DK-03"]["npv_effect"]) == 0.0
    assert "none of energy_saved_mwh, co2e_avoided_t is above 0" in rows["DK-03"]["reason"]
    # premium max(0.10 x 150,000 kWh, 500 x 30.3 t) x 10 yr = 151,500 DKK < 40 % x 450,000
    assert float(rows["DK-01"]["amount"]) == pytest.approx(151_500.0)
    assert "lowest-of term 'premium' bound" in rows["DK-01"]["reason"]


def test_appraise_explain_refuses_unknown_project_type_with_exit_2(capsys, tmp_path):
    opt = tmp_path / "opt.csv"
    opt.write_text(OPT.read_text().replace(",recycling_production,", ",recycling,"))
    code, out, err = run(capsys, "appraise", "--explain", "--options", str(opt), "--enterprises", str(ENT), "--format", "json")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert "project_type" in err and "recycling_production" in err and "row 11" in err  # header = row 1, DK-03 on line 11


def test_appraise_explain_names_a_missing_project_type(capsys):
    # 2010: the DK §§ 54-55 grants are in force and rate by project_type
    code, out, err = run(capsys, "appraise", "--explain", "--options", str(OPT), "--enterprises", str(ENT),
                         "--date", "2010-06-01", "--enterprise", "dk_dairy", "--format", "json")
    assert code == 0, err
    by = {(r["option_id"], r["rule_id"]): r for r in json.loads(out)}
    dk01 = by[("DK-01", "DK-MBL-54-RESEARCH")]
    assert dk01["applies"] is False and dk01["amount"] == 0
    assert dk01["reason"].startswith("attribute project_type missing: needed by DK-MBL-54-RESEARCH (allowed: industrial_research")
    dk03 = by[("DK-03", "DK-MBL-55")]  # recycling_production 25 % + 10 points (medium) of 2,400,000 DKK
    assert dk03["applies"] is True and dk03["amount"] == pytest.approx(0.35 * 2_400_000)
def test_rank_draws_give_the_robustness_of_the_screening_page(seeded, capsys):
    from screening.rank import rank_options, robustness_report
    from store.io import load_table

    code, out, _ = run(capsys, "rank", "--enterprise", "dk_dairy", "--draws", "200", "--seed", "3", "--format", "json")
    assert code == 0
    recs = [r for r in json.loads(out) if r["rank"] is not None]
    assert sum(r["share_first"] for r in recs) == pytest.approx(1.0)  # one option is first in every draw
    assert sum(r["share_top_3"] for r in recs) == pytest.approx(3.0)
    # the same figures as the page's robustness_report on the same ranking (criteria without appraisal metrics)
    code, out, _ = run(capsys, "rank", "--enterprise", "dk_dairy", "--criteria", "investment:min:1,co2e_avoided_t:max:2",
                       "--draws", "200", "--seed", "3", "--format", "json")
    got = {r["option_id"]: r["share_first"] for r in json.loads(out) if r["rank"] is not None}
    opts = load_table(seeded, "options", "dk_dairy")
    ranking = rank_options(opts, load_table(seeded, "enterprises"), criteria="investment:min:1,co2e_avoided_t:max:2")
    acc = robustness_report(ranking, n_draws=200, seed=3)["acceptability"]
    assert got == dict(zip(acc["option_id"], acc["share_first"]))
    code, _, err = run(capsys, "rank", "--draws", "0")
    assert code == 2 and "--draws must be a positive integer" in err


def test_rank_input_draws_add_fields_with_the_screening_pages_computation(seeded, capsys):
    from datetime import date

    from finance.risk import simulate
    from screening.input_robustness import criterion_draws, input_acceptability
    from screening.rank import rank_options
    from store.io import load_table

    crit = "investment:min:1,co2e_avoided_t:max:2,annual_savings:max:1"
    code, out, _ = run(capsys, "rank", "--enterprise", "dk_dairy", "--criteria", crit, "--input-draws", "50",
                       "--seed", "2", "--date", "2026-06-30", "--format", "json")
    assert code == 0
    recs = [r for r in json.loads(out) if r["rank"] is not None]
    assert {"share_first_inputs", "share_top_3_inputs", "rank", "score"} <= set(recs[0])  # added, nothing renamed
    assert sum(r["share_first_inputs"] for r in recs) == pytest.approx(1.0)
    # the same figures as the library path the Screening page takes
    opts = load_table(seeded, "options", "dk_dairy")
    ents = load_table(seeded, "enterprises")
    sim = simulate(opts, ents, date(2026, 6, 30), draws=50, seed=2)
    d = criterion_draws({"npv": sim.npv}, sim.inputs, {c: opts[c].to_numpy(dtype=float) for c in ("investment",)})
    ranking = rank_options(opts, ents, criteria=crit)
    ranked = ~opts["mandatory"].fillna(False).astype(bool).to_numpy() if "mandatory" in opts else np.ones(len(opts), bool)
    acc = input_acceptability(ranking.prepared, "wsm", None, {c: v[ranked] for c, v in d.items()})
    want = dict(zip(ranking.prepared.keys["option_id"], acc.first))
    assert {r["option_id"]: r["share_first_inputs"] for r in recs} == want
    code, _, err = run(capsys, "rank", "--input-draws", "1")
    assert code == 2 and "--input-draws must be a whole number >= 2" in err

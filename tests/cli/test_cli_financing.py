"""``cpscreen appraise`` with debt: equity fields on the records, debt lines on --cash-flow, bad terms exit 2."""

from __future__ import annotations

import json
import math

import pandas as pd

from cli import main

ENT = {"enterprise_id": "e1", "name": "E", "jurisdiction": "none", "size_class": "small", "tax_rate": 0.25,
       "discount_rate": 0.07, "inflation": 0.02}
OPT = {"enterprise_id": "e1", "title": "t", "category": "process_control", "investment": 80000,
       "annual_savings": 15000, "lifetime_years": 10}


def _files(tmp_path, **debt):
    ents, opts = tmp_path / "e.csv", tmp_path / "o.csv"
    pd.DataFrame([ENT]).to_csv(ents, index=False)
    pd.DataFrame([{**OPT, "option_id": "debt", **debt}, {**OPT, "option_id": "plain"}]).to_csv(opts, index=False)
    return ["--options", str(opts), "--enterprises", str(ents)]


def test_records_gain_equity_fields_null_without_debt(tmp_path, capsys):
    files = _files(tmp_path, debt_share=0.5, debt_rate=0.06, debt_term_years=6, debt_repayment="linear")
    assert main(["appraise", *files, "--date", "2026-06-30", "--format", "json"]) == 0
    recs = {r["option_id"]: r for r in json.loads(capsys.readouterr().out)}
    for key in ("equity_npv", "equity_irr", "equity_payback_years", "min_dscr"):
        assert isinstance(recs["debt"][key], float) and recs["plain"][key] is None
    assert main(["appraise", *files, "--date", "2026-06-30", "--cash-flow", "--format", "json"]) == 0
    lines = json.loads(capsys.readouterr().out)
    mine = [r for r in lines if r["option_id"] == "debt"]
    assert all(r["interest"] is None and r["equity_cash_flow"] is None for r in lines if r["option_id"] == "plain")
    assert sum(r["principal"] for r in mine) < 40000  # real: nominal repayments of 40,000 deflated by 2 %/yr
    equity_npv = sum(r["equity_cash_flow"] * r["discount_factor"] for r in mine)
    assert math.isclose(equity_npv, recs["debt"]["equity_npv"], rel_tol=1e-9)


def test_debt_share_without_its_rate_exits_2_naming_the_field(tmp_path, capsys):
    files = _files(tmp_path, debt_share=0.5, debt_term_years=6)
    assert main(["appraise", *files, "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "debt_rate" in err and "Traceback" not in err

"""``cpscreen risk``: the contract's fields, the same figures as the library, reproducible by seed."""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.cli.helpers import run
from finance.risk import RISK_COLUMNS, risk


def test_risk_records_follow_the_contract_and_the_library(seeded, capsys):
    argv = ("risk", "--enterprise", "dk_dairy", "--draws", "200", "--seed", "4", "--spread", "annual_savings=10%",
            "--date", "2026-06-30", "--format", "json")
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    recs = json.loads(out)
    assert [list(r)[: len(RISK_COLUMNS)] for r in recs][0] == list(RISK_COLUMNS)
    from store.io import load_table

    opts = load_table(seeded, "options", "dk_dairy")
    lib = risk(opts, load_table(seeded, "enterprises"), date(2026, 6, 30), draws=200, seed=4,
               spreads={"annual_savings": 0.10}).set_index("option_id")
    for r in recs:
        assert r["draws"] == 200
        assert r["npv_p10"] <= r["npv_p50"] <= r["npv_p90"]
        assert r["npv_mean"] == pytest.approx(lib.loc[r["option_id"], "npv_mean"], rel=1e-12)
        assert 0 <= r["prob_npv_negative"] <= 1
        assert sum(v for v in r["drivers"].values() if v is not None) == pytest.approx(1.0)
    code2, out2, _ = run(capsys, *argv)
    assert code2 == 0 and json.loads(out2) == recs  # the same seed, the same figures


@pytest.mark.parametrize("argv, message", [
    (["risk", "--spread", "title=10%"], "title"),
    (["risk", "--spread", "annual_savings"], "COLUMN=P%"),
    (["risk", "--draws", "1"], "draws"),
    (["risk", "--spread", "investment=150%"], "above 100 % an investment cannot be negative"),
])
def test_risk_bad_input_exits_2_with_one_line(seeded, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err

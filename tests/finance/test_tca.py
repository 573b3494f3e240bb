"""Total Cost Assessment tiers (finance.tca): the full and the conventional NPV against hand sums.

Hand case: investment 10,000, tier I savings 2,000/yr over 5 years, straight-line depreciation
2,000/yr, tax 25 % with tax capacity, discount rate 10 %.  Tier II 500/yr of hidden costs avoided,
tier III a 20,000 liability with a 10 %/yr probability (expected 2,000/yr, an annuity), tier IV
300/yr of less tangible benefits.  After-tax yearly flow = savings x (1 - 0.25) + 0.25 x 2,000.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance import tca
from finance.appraise import appraise
from finance.cashflow_table import cash_flow_table
from finance.option_detail import appraise_option

DAY = date(2026, 6, 1)
AF = (1 - 1.1 ** -5) / 0.1  # annuity factor, 5 years at 10 %: 3.790786769...
ENT = {"enterprise_id": "E1", "name": "Plant", "jurisdiction": "none", "size_class": "small",
       "tax_rate": 0.25, "discount_rate": 0.10, "tax_capacity": "yes"}
BASE = {"enterprise_id": "E1", "option_id": "O1", "title": "Solvent recovery", "category": "onsite_recovery",
        "investment": 10_000.0, "annual_savings": 2_000.0, "lifetime_years": 5}
TIERS = {"tier2_annual_savings": 500.0, "tier3_liability_cost": 20_000.0, "tier3_probability": 0.10,
         "tier4_annual_benefit": 300.0}


def _appraise(options: list[dict]) -> pd.DataFrame:
    return appraise(pd.DataFrame(options), pd.DataFrame([ENT]), DAY)


def test_full_and_conventional_npv_equal_the_hand_calculation():
    rec = _appraise([{**BASE, **TIERS}]).iloc[0]
    tier1 = -10_000 + (2_000 * 0.75 + 0.25 * 2_000) * AF                      # 2,000/yr after tax
    full = -10_000 + ((2_000 + 500 + 0.10 * 20_000 + 300) * 0.75 + 0.25 * 2_000) * AF  # 4,100/yr
    assert tier1 == pytest.approx(-2418.42646, abs=1e-4)
    assert full == pytest.approx(5542.22575, abs=1e-4)
    assert rec["npv_tier1"] == pytest.approx(tier1, rel=1e-12)
    assert rec["npv_full"] == pytest.approx(full, rel=1e-12)
    assert rec["npv"] == rec["npv_full"]  # npv is the full view


def test_each_tier_adds_its_own_after_tax_annuity():
    amounts = tca.tier_amounts(pd.DataFrame([TIERS]))
    assert amounts.iloc[0].to_dict() == {"tier2": 500.0, "tier3": 2_000.0, "tier4": 300.0}
    recs = _appraise([{**BASE, **{k: v for k, v in TIERS.items() if k.startswith(f"tier{k_}")}, "option_id": f"O{k_}"}
                      for k_ in (2, 3, 4)])
    gain = recs["npv"] - recs["npv_tier1"]
    assert gain.tolist() == pytest.approx([500 * 0.75 * AF, 2_000 * 0.75 * AF, 300 * 0.75 * AF], rel=1e-12)


def test_no_tier_lines_leave_npv_bit_for_bit():
    plain = _appraise([BASE])
    empty = _appraise([{**BASE, **{k: np.nan for k in TIERS}}])
    for rec in (plain.iloc[0], empty.iloc[0]):
        assert rec["npv_full"] == rec["npv"] and rec["npv_tier1"] == rec["npv"]
    assert empty.iloc[0]["npv"] == plain.iloc[0]["npv"]
    assert plain.iloc[0]["npv"] == -10_000 + 2_000 * AF or plain.iloc[0]["npv"] == pytest.approx(-10_000 + 2_000 * AF)
    # an option without tiers beside one with them keeps its npv exactly
    mixed = _appraise([BASE, {**BASE, **TIERS, "option_id": "O2"}])
    assert mixed.iloc[0]["npv"] == plain.iloc[0]["npv"] and mixed.iloc[0]["npv_tier1"] == plain.iloc[0]["npv"]


def test_detail_and_cash_flow_table_carry_the_same_full_view():
    opt = {**BASE, **TIERS}
    rec = _appraise([opt]).iloc[0]
    detail = appraise_option(opt, ENT, DAY)
    assert detail.metrics["npv"] == pytest.approx(rec["npv"], rel=1e-12)
    assert detail.npv_tier1 == pytest.approx(rec["npv_tier1"], rel=1e-12)
    cft = cash_flow_table(pd.DataFrame([opt]), pd.DataFrame([ENT]), DAY)
    assert cft.lines["discounted_net_cash_flow"].sum() == pytest.approx(rec["npv"], rel=1e-12)


@pytest.mark.parametrize(("given", "field"), [
    ({"tier3_liability_cost": 1_000.0}, "tier3_probability"),
    ({"tier3_probability": 0.2}, "tier3_liability_cost"),
    ({"tier3_probability": 1.5, "tier3_liability_cost": 1.0}, "tier3_probability"),
    ({"tier3_probability": 0.5, "tier3_liability_cost": -1.0}, "tier3_liability_cost"),
])
def test_bad_tier_lines_name_the_row_and_field(given, field):
    with pytest.raises(ValueError, match=f"options row 0: field '{field}'"):
        _appraise([{**BASE, **given}])
    with pytest.raises(ValueError, match=f"option 'O1': field '{field}'"):
        appraise_option({**BASE, **given}, ENT, DAY)


def test_cli_records_carry_both_views_with_and_without_support(tmp_path, capsys):
    import json

    from cli import main

    opts, ents = tmp_path / "options.csv", tmp_path / "enterprises.csv"
    pd.DataFrame([{**BASE, **TIERS}]).to_csv(opts, index=False)
    pd.DataFrame([ENT]).to_csv(ents, index=False)
    args = ["appraise", "--options", str(opts), "--enterprises", str(ents), "--date", DAY.isoformat(), "--format", "json"]
    assert main(args) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    assert rec["npv_tier1"] == pytest.approx(-10_000 + 2_000 * AF, rel=1e-12)
    assert rec["npv"] == rec["npv_full"] == pytest.approx(-10_000 + 4_100 * AF, rel=1e-12)
    assert main(args + ["--no-support"]) == 0
    rec = json.loads(capsys.readouterr().out)[0]
    assert rec["npv"] == rec["npv_full"] and rec["npv_tier1"] == rec["npv_tier1_no_support"]
    bad = pd.DataFrame([{**BASE, "tier3_liability_cost": 5_000.0}])
    bad.to_csv(opts, index=False)
    assert main(args) == 2
    assert "tier3_probability" in capsys.readouterr().err


def test_rank_takes_either_view_as_a_criterion(tmp_path, capsys):
    import json

    from cli import main

    opts, ents = tmp_path / "options.csv", tmp_path / "enterprises.csv"
    # O1: better conventionally (tier I 2,500/yr, no tiers); O2: tier I 2,000/yr but 2,800/yr of tiers II-IV
    pd.DataFrame([{**BASE, "annual_savings": 2_500.0}, {**BASE, **TIERS, "option_id": "O2"}]).to_csv(opts, index=False)
    pd.DataFrame([ENT]).to_csv(ents, index=False)
    base = ["rank", "--options", str(opts), "--enterprises", str(ents), "--date", DAY.isoformat(), "--format", "json"]
    for crit, first in (("npv_tier1:max:1", "O1"), ("npv:max:1", "O2"), ("npv_full:max:1", "O2")):
        assert main(base + ["--criteria", crit]) == 0
        ranked = sorted(json.loads(capsys.readouterr().out), key=lambda r: r["rank"])
        assert ranked[0]["option_id"] == first, crit

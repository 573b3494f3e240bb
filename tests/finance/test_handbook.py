"""The audit handbook's form (D = I/Y, F = (P - D)(1 - t) + D, N = I/F) is a special case of the model."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from finance.cashflow import cash_flow
from finance.handbook import handbook_appraisal
from finance.metrics import metrics
from policies.items import SupportItem

CASES = yaml.safe_load((Path(__file__).resolve().parents[1] / "cases" / "finance" / "handbook.yaml").read_text(encoding="utf-8"))


def test_issue_example_by_hand():
    h = handbook_appraisal(investment=150, annual_profit=40, tax_rate=0.30, depreciation_years=10, discount_rate=0.05)
    assert h.depreciation == pytest.approx(15.0)
    assert h.cash_flow == pytest.approx(32.5)  # (40 - 15) * 0.7 + 15
    assert h.payback_years == pytest.approx(4.615, abs=5e-4)  # 150 / 32.5
    # NPV by hand: annuity factor (1 - 1.05**-10) / 0.05 = 7.721735; 32.5 * 7.721735 - 150 = 100.956
    annuity = (1 - 1.05 ** -10) / 0.05
    assert annuity == pytest.approx(7.721735, abs=1e-6)
    assert h.npv == pytest.approx(32.5 * annuity - 150)
    assert h.npv == pytest.approx(100.956, abs=5e-4)
    assert h.npvr == pytest.approx(h.npv / 150)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["source"][:30])
def test_handbook_equals_general_model(case):
    h = handbook_appraisal(case["investment"], case["annual_profit"], case["tax_rate"], case["depreciation_years"],
                           case["discount_rate"], subsidy=case["subsidy"])
    for field, key, tol in (("depreciation", "D", 1e-9), ("cash_flow", "F", 1e-9), ("payback_years", "N", 5e-4),
                            ("npv", "NPV", 5e-4), ("npvr", "NPVR", 5e-6)):
        assert getattr(h, field) == pytest.approx(case[key], abs=tol)
    option = {"investment": case["investment"], "annual_savings": case["annual_profit"],
              "lifetime_years": case["depreciation_years"]}
    items = []
    if case["subsidy"]:  # the handbook's subsidy: paid up front, not taxed, reduces the depreciable base
        items = [SupportItem("SUB", "subsidy", "grant", case["subsidy"], 0, "CN", "1996-01-01", "handbook",
                             reduces_depreciation_base=True)]
    cf = cash_flow(option, case["tax_rate"], items, discount_rate=case["discount_rate"])
    m = metrics(cf, case["discount_rate"])
    assert cf["depreciation"].iloc[1:].tolist() == pytest.approx([h.depreciation] * case["depreciation_years"])
    assert cf["net"].iloc[1:].tolist() == pytest.approx([h.cash_flow] * case["depreciation_years"])
    assert m["simple_payback_years"] == pytest.approx(h.payback_years, rel=1e-12)
    assert m["npv"] == pytest.approx(h.npv, rel=1e-12)
    assert m["npv_ratio"] == pytest.approx(h.npvr, rel=1e-12)
    assert m["irr"] == pytest.approx(h.irr, rel=1e-10)

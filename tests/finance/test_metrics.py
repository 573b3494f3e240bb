"""Metrics against Microsoft Excel's help examples and numpy-financial's docstring examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest
import yaml

from finance.metrics import (
    PaybackBasis, benefit_cost_ratio, cost_per_unit, equivalent_annual_value, irr, metrics, mirr, npv, payback,
)

CASES = Path(__file__).resolve().parents[1] / "cases" / "finance"
EXCEL = yaml.safe_load((CASES / "excel_npv_irr_mirr.yaml").read_text(encoding="utf-8"))
NPF = yaml.safe_load((CASES / "numpy_financial_docstrings.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", [c for c in EXCEL["npv"] if "excel_npv" in c], ids=lambda c: c["source"][-30:])
def test_excel_npv_discounts_the_first_value_so_it_is_ours_divided_by_one_plus_r(case):
    ours = npv(case["rate"], case["values"])
    assert ours / (1 + case["rate"]) == pytest.approx(case["excel_npv"], abs=0.005)
    assert ours != pytest.approx(case["excel_npv"], abs=1.0)  # the conventions really differ
    # Excel's flows start one period ahead: prepend a zero at t = 0 and the two agree
    assert npv(case["rate"], [0.0] + case["values"]) == pytest.approx(case["excel_npv"], abs=0.005)


@pytest.mark.parametrize("case", [c for c in EXCEL["npv"] if "initial" in c], ids=lambda c: str(c["excel_npv_plus_initial"]))
def test_excel_npv_plus_initial_investment_equals_our_npv_with_t0(case):
    assert npv(case["rate"], [case["initial"]] + case["values"]) == pytest.approx(case["excel_npv_plus_initial"], abs=0.005)


@pytest.mark.parametrize("case", EXCEL["irr"], ids=lambda c: str(c["irr"]))
def test_excel_irr_examples(case):
    got = irr(case["values"])
    assert got.reason == ""
    assert got.value == pytest.approx(case["irr"], abs=case["tolerance"])
    assert npv(got.value, case["values"]) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.parametrize("case", EXCEL["mirr"], ids=lambda c: str(c["mirr"]))
def test_excel_mirr_examples(case):
    assert mirr(case["values"], case["finance_rate"], case["reinvest_rate"]) == pytest.approx(case["mirr"], abs=case["tolerance"])


def test_numpy_financial_npv_docstring():
    case = NPF["npv"][0]
    assert npv(case["rate"], case["values"]) == pytest.approx(case["npv"], abs=5e-6)


@pytest.mark.parametrize("case", NPF["irr"], ids=lambda c: str(c["values"]))
def test_numpy_financial_irr_docstring_and_refusal_of_several_roots(case):
    got = irr(case["values"])
    assert round(npf.irr(case["values"]), 5) == pytest.approx(case["irr"], abs=1e-5)  # the docstring holds
    if case["unique"]:
        assert round(got.value, 5) == pytest.approx(case["irr"], abs=1e-5)
    else:
        assert math.isnan(got.value) and "several IRRs" in got.reason
        for root in case["roots"]:  # every listed root really is an IRR, and the reason names it
            lo, hi = npv(root - 1e-5, case["values"]), npv(root + 1e-5, case["values"])
            assert lo * hi < 0, f"no NPV root near {root}"
            assert f"{root:.6g}" in got.reason


def test_irr_without_sign_change_is_nan_with_reason():
    got = irr([100.0, 10.0, 10.0])
    assert math.isnan(got.value) and "no sign change" in got.reason
    got = irr([-100.0, -10.0])
    assert math.isnan(got.value) and "no sign change" in got.reason


def test_irr_two_sign_changes_without_real_root_is_nan_with_reason():
    # -100 + 250x - 200x^2 has discriminant 62500 - 80000 < 0: no real IRR at all
    got = irr([-100.0, 250.0, -200.0])
    assert math.isnan(got.value) and "no IRR" in got.reason


def test_payback_interpolates_within_the_year_and_is_none_when_never_reached():
    assert payback([-100, 30, 30, 30, 30]) == pytest.approx(3 + 10 / 30)
    assert payback([-100, 30, 30]) is None
    assert payback([0, 5]) == 0.0
    assert payback([-100, 100]) == pytest.approx(1.0)


def test_equivalent_annual_value_and_cost_per_unit_by_hand():
    # EAV of NPV 1000 over 10 years at 8%: 1000 * 0.08 / (1 - 1.08**-10) = 149.0295
    eav = equivalent_annual_value(1000.0, 0.08, 10)
    assert eav == pytest.approx(1000 * 0.08 / (1 - 1.08 ** -10))
    assert eav == pytest.approx(149.0295, abs=1e-4)
    assert equivalent_annual_value(1000.0, 0.0, 10) == 100.0
    # a saving of 149.03/yr on 50 t CO2e/yr is a cost of -2.98 per tonne
    assert cost_per_unit(eav, 50.0) == pytest.approx(-149.0295 / 50, abs=1e-4)
    assert math.isnan(cost_per_unit(eav, 0.0))


def test_benefit_cost_ratio_by_hand():
    # PV benefits 110/1.1 + 121/1.21 = 200, PV costs 100 -> 2
    assert benefit_cost_ratio(0.1, [-100, 110, 121]) == pytest.approx(2.0)
    assert math.isnan(benefit_cost_ratio(0.1, [0, 1]))


def test_metrics_record_the_payback_basis_and_read_its_column():
    flows = pd.DataFrame({"net": [-100.0, 40, 40, 40], "pre_tax_net": [-100.0, 50, 50, 50],
                          "investment": [-100.0, 0, 0, 0], "grants": [0.0, 0, 0, 0]})
    after = metrics(flows, 0.0)
    pre = metrics(flows, 0.0, basis=PaybackBasis("pre_tax"))
    assert after["simple_payback_years"] == pytest.approx(2.5)
    assert pre["simple_payback_years"] == pytest.approx(2.0)
    assert after["payback_basis"] == "after_tax+support" and pre["payback_basis"] == "pre_tax+support"
    with pytest.raises(ValueError, match="PaybackBasis.tax"):
        PaybackBasis("gross")  # type: ignore[arg-type]


def test_mirr_matches_numpy_financial_on_random_flows():
    rng = np.random.default_rng(3)
    for _ in range(200):
        v = rng.uniform(-100, 100, rng.integers(2, 20))
        want = npf.mirr(v, 0.07, 0.05)
        got = mirr(v, 0.07, 0.05)
        assert (math.isnan(want) and math.isnan(got)) or got == pytest.approx(want, rel=1e-12)

"""Cash flow of one option: a hand calculation for each support kind (every figure written out)."""

from __future__ import annotations

import pytest

from finance.cashflow import CASH_FLOW_COLUMNS, cash_flow
from finance.metrics import metrics, npv
from policies.items import SupportItem

# Base case: I = 1000, savings 300/yr, 5 years, tax 25 %, straight-line depreciation 200/yr:
# taxable profit 100, tax 25, net 275/yr.
OPTION = {"investment": 1000.0, "annual_savings": 300.0, "lifetime_years": 5}
TAX = 0.25


def item(kind, amount, year=0, **kw):
    return SupportItem(f"T-{kind}", kind, kind, amount, year, "XX", "2026-01-01", "hand calculation", **kw)


def net(cf):
    return cf["net"].round(9).tolist()


def test_columns_and_no_support_by_hand():
    cf = cash_flow(OPTION, TAX, discount_rate=0.10)
    assert tuple(cf.columns) == CASH_FLOW_COLUMNS
    assert net(cf) == [-1000, 275, 275, 275, 275, 275]
    assert cf["depreciation"].tolist() == pytest.approx([0, 200, 200, 200, 200, 200])
    assert cf["tax"].tolist() == pytest.approx([0, -25, -25, -25, -25, -25])
    # discounted at 10 %: 275 * 3.790787 - 1000 = 42.466
    assert cf["discounted_cumulative"].iloc[-1] == pytest.approx(275 * (1 - 1.1 ** -5) / 0.1 - 1000)
    assert cf["cumulative"].tolist() == pytest.approx([-1000, -725, -450, -175, 100, 375])


def test_grant_not_taxable_keeps_depreciation():
    cf = cash_flow(OPTION, TAX, [item("grant", 200.0)])
    assert net(cf) == [-800, 275, 275, 275, 275, 275]
    assert metrics(cf, 0.1)["npv_ratio"] == pytest.approx((275 * (1 - 1.1 ** -5) / 0.1 - 800) / 800)


def test_taxable_grant_is_taxed_when_received():
    # taxable profit at t = 0 is the grant 200: tax 50
    cf = cash_flow(OPTION, TAX, [item("grant", 200.0, taxable=True)])
    assert net(cf) == [-850, 275, 275, 275, 275, 275]


def test_grant_reducing_the_base_lowers_depreciation():
    # base 800 -> depreciation 160, taxable 140, tax 35, net 265
    cf = cash_flow(OPTION, TAX, [item("grant", 200.0, reduces_depreciation_base=True)])
    assert net(cf) == [-800, 265, 265, 265, 265, 265]


def test_spread_grant():
    cf = cash_flow(OPTION, TAX, [item("grant", 300.0, year=1, spread_years=3)])
    assert net(cf) == [-1000, 375, 375, 375, 275, 275]


def test_deduction_with_and_without_tax_capacity():
    # deduction 450 in year 1: taxable 300 - 200 - 450 = -350
    ded = [item("tax_deduction", 450.0, year=1)]
    with_cap = cash_flow(OPTION, TAX, ded)
    assert net(with_cap) == [-1000, 387.5, 275, 275, 275, 275]  # tax saving 0.25 * 350 in year 1
    # without capacity the 350 loss is set against profits of 100 in years 2..5: 100, 100, 100, 50
    no_cap = cash_flow(OPTION, TAX, ded, tax_capacity=False)
    assert net(no_cap) == [-1000, 300, 300, 300, 300, 287.5]
    assert sum(net(no_cap)) == pytest.approx(sum(net(with_cap)))  # same tax, later
    # with a 2-year loss carry-forward limit only years 2 and 3 absorb it
    limited = cash_flow(OPTION, TAX, ded, tax_capacity=False, loss_carry_forward_years=2)
    assert net(limited) == [-1000, 300, 300, 300, 275, 275]


def test_tax_credit_carried_forward_without_capacity_then_lost():
    credit = [item("tax_credit", 80.0, year=1, carry_forward_years=2)]
    cap = cash_flow(OPTION, TAX, credit)
    assert net(cap) == [-1000, 355, 275, 275, 275, 275]
    # no capacity: tax payable 25/yr; credit usable in years 1..3: 25 + 25 + 25, the last 5 lost
    no_cap = cash_flow(OPTION, TAX, credit, tax_capacity=False)
    assert no_cap["credits"].tolist() == pytest.approx([0, 25, 25, 25, 0, 0])
    assert net(no_cap) == [-1000, 300, 300, 300, 275, 275]
    unlimited = cash_flow(OPTION, TAX, [item("tax_credit", 80.0, year=1)], tax_capacity=False)
    assert unlimited["credits"].tolist() == pytest.approx([0, 25, 25, 25, 5, 0])


def test_accelerated_depreciation_same_total_tax_earlier():
    # 75 % in year 1, the rest straight over the 4 remaining years (62.5 each)
    acc = cash_flow(OPTION, TAX, [item("depreciation", 1000.0, year=1, first_year_share=0.75)])
    assert acc["depreciation"].tolist() == pytest.approx([0, 750, 62.5, 62.5, 62.5, 62.5])
    # year 1: taxable -450 -> +112.5; years 2..5: taxable 237.5 -> tax 59.375
    assert net(acc) == [-1000, 412.5, 240.625, 240.625, 240.625, 240.625]
    assert sum(acc["tax"]) == pytest.approx(-125.0)
    fixed = cash_flow(OPTION, TAX, [item("depreciation", 1000.0, year=1, first_year_share=0.75, later_share=0.5)])
    assert fixed["depreciation"].tolist() == pytest.approx([0, 750, 250, 0, 0, 0])


def test_china_three_plus_three_holiday():
    # 8 years, depreciation 100/yr, taxable 200/yr at 25 %: tax 0, 0, 0, 25, 25, 25, 50, 50
    option = {"investment": 800.0, "annual_savings": 300.0, "lifetime_years": 8}
    cf = cash_flow(option, TAX, [item("tax_holiday", 0.0, year=1, exempt_years=3, reduced_years=3, reduced_factor=0.5)])
    assert cf["tax_rate"].tolist() == pytest.approx([0.25, 0, 0, 0, 0.125, 0.125, 0.125, 0.25, 0.25])
    assert net(cf) == [-800, 300, 300, 300, 275, 275, 275, 250, 250]


def test_soft_loan_annuity_and_its_value():
    # 600 at 2 % over 5 years: payment 600 * 0.02 / (1 - 1.02**-5) = 127.2950
    pay = 600 * 0.02 / (1 - 1.02 ** -5)
    assert pay == pytest.approx(127.2950, abs=1e-4)
    cf = cash_flow(OPTION, TAX, [item("soft_loan", 600.0, loan_rate=0.02, loan_years=5)])
    assert cf["loan"].tolist() == pytest.approx([600, -pay, -pay, -pay, -pay, -pay])
    assert net(cf) == pytest.approx([-400] + [275 - pay] * 5)
    # value to the enterprise at 8 %: 600 - pay * (1 - 1.08**-5) / 0.08 = 91.75
    value = npv(0.08, cf["net"]) - npv(0.08, cash_flow(OPTION, TAX)["net"])
    assert value == pytest.approx(600 - pay * (1 - 1.08 ** -5) / 0.08)
    assert value == pytest.approx(91.75, abs=0.01)


def test_soft_loan_longer_than_life_is_repaid_at_the_end():
    option = {**OPTION, "lifetime_years": 3}
    cf = cash_flow(option, TAX, [item("soft_loan", 600.0, loan_rate=0.02, loan_years=5)])
    pay = 600 * 0.02 / (1 - 1.02 ** -5)
    balance = 600 * 1.02 ** 3 - pay * (1.02 ** 3 - 1) / 0.02  # outstanding after 3 payments
    assert cf["loan"].tolist() == pytest.approx([600, -pay, -pay, -pay - balance])
    assert npv(0.02, cf["loan"]) == pytest.approx(0.0, abs=1e-9)  # at its own rate the loan is worth 0


def test_salvage_is_taxed_in_full_at_the_end():
    cf = cash_flow({**OPTION, "salvage_value": 100.0}, TAX)
    # year 5: taxable 100 + 100 = 200, tax 50, net 300 + 100 - 50 = 350
    assert net(cf) == [-1000, 275, 275, 275, 275, 350]


def test_depreciation_longer_than_life_writes_off_the_rest_at_the_end():
    cf = cash_flow({**OPTION, "depreciation_years": 10}, TAX)
    assert cf["depreciation"].tolist() == pytest.approx([0, 100, 100, 100, 100, 600])
    assert net(cf) == [-1000, 250, 250, 250, 250, 375]


def test_bad_input_names_the_field():
    with pytest.raises(ValueError, match="'lifetime_years'"):
        cash_flow({**OPTION, "lifetime_years": 0}, TAX)
    with pytest.raises(ValueError, match="'investment' is required"):
        cash_flow({"annual_savings": 1.0, "lifetime_years": 3}, TAX)
    with pytest.raises(ValueError, match="beyond the option's life"):
        cash_flow(OPTION, TAX, [item("grant", 1.0, year=4, spread_years=3)])
    with pytest.raises(ValueError, match="tax_rate"):
        cash_flow(OPTION, 1.5)

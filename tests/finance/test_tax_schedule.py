"""Tax that changes over the life and depreciation by asset class, through every appraisal path, against hand calculations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance.appraise import appraise
from finance.batch import batch_appraise
from finance.batch_flows import batch_cash_flows
from finance.cashflow import cash_flow
from finance.cashflow_table import batch_lines, cash_flow_table
from finance.option_detail import appraise_option
from finance.valuation import item_values
from programme.outlay import outlay_table
from tests.finance.random_cases import item_table, random_items, random_options

# DE combined rate by year of an option appraised on 1 June 2026 (pack DE: KSt 15 % to 2027, then
# 14, 13, 12, 11, 10 %; x 1.055 solidarity surcharge + 14 % trade tax)
DE_2026 = [0.29825, 0.29825, 0.2877, 0.27715, 0.2666, 0.25605, 0.2455, 0.2455, 0.2455]

ENTERPRISES = pd.DataFrame({"enterprise_id": ["de", "us"], "name": ["a", "b"], "jurisdiction": ["DE", "US"],
                            "size_class": ["large", "large"], "discount_rate": [0.08, 0.08]})


def one(enterprise: str, **fields) -> pd.DataFrame:
    base = {"enterprise_id": enterprise, "option_id": "o", "title": "t", "category": "good_housekeeping",
            "investment": 1000.0, "annual_savings": 300.0, "lifetime_years": 8}
    base.update(fields)
    return pd.DataFrame([base])


def test_the_de_rate_cuts_of_2028_32_reach_the_npv_by_hand():
    # investment 1000, savings 300/yr, 8 years straight line (125/yr): taxable 175/yr; tax of year t
    # at the rate in force in 2026 + t; r = 8 %
    r = appraise(one("de"), ENTERPRISES, date(2026, 6, 1))
    want = -1000 + sum((300 - DE_2026[t] * 175) / 1.08 ** t for t in range(1, 9))
    assert r["npv_no_support"].iloc[0] == pytest.approx(want, rel=1e-12)
    flat = -1000 + sum((300 - 0.29825 * 175) / 1.08 ** t for t in range(1, 9))
    assert want - flat == pytest.approx(sum((0.29825 - DE_2026[t]) * 175 / 1.08 ** t for t in range(1, 9)))
    assert want > flat  # the cuts raise the after-tax value
    # the scalar path (the Appraisal page) and the line table give the same figures
    detail = appraise_option(one("de").iloc[0].to_dict(), ENTERPRISES.iloc[0].to_dict(), date(2026, 6, 1))
    np.testing.assert_allclose(detail.flows["tax_rate"], DE_2026, rtol=0, atol=0)
    assert detail.metrics_no_support["npv"] == pytest.approx(want, rel=1e-12)
    table = cash_flow_table(one("de"), ENTERPRISES, date(2026, 6, 1))
    lines = table.lines
    np.testing.assert_array_equal(lines["tax_rate"].to_numpy(), DE_2026)
    assert lines["discounted_net_cash_flow"].sum() == pytest.approx(r["npv"].iloc[0], rel=1e-12)
    np.testing.assert_allclose(lines["tax"].to_numpy()[1:], np.array(DE_2026[1:]) * 175, rtol=1e-12)


def test_a_constant_schedule_gives_todays_results_bit_for_bit():
    rng = np.random.default_rng(7)
    options = random_options(rng, 80)
    items = random_items(rng, options)
    support = item_table(items)
    tax = rng.uniform(0, 0.4, len(options))
    cap = rng.uniform(size=len(options)) < 0.5
    width = int(options["lifetime_years"].max()) + 1
    flat = np.repeat(tax[:, None], width, axis=1)
    plain = batch_appraise(options, tax, 0.07, cap, support, loss_carry_forward_years=4)
    same = batch_appraise(options, tax, 0.07, cap, support, loss_carry_forward_years=4, tax_rate_by_year=flat,
                          depreciation_schedule=np.full((len(options), width), np.nan))
    pd.testing.assert_frame_equal(plain, same, check_exact=True)
    a = batch_lines(options, tax, cap, support, loss_carry_forward_years=4)
    b = batch_lines(options, tax, cap, support, loss_carry_forward_years=4, tax_rate_by_year=flat)
    for name in ("net", "tax", "taxable_profit", "depreciation", "tax_rate"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    va = item_values(options, tax, 0.07, cap, support, by_year=True)
    vb = item_values(options, tax, 0.07, cap, support, by_year=True, tax_rate_by_year=flat)
    np.testing.assert_array_equal(va.by_year, vb.by_year)


@pytest.mark.parametrize("seed, capacity", [(3, True), (4, False)])
def test_kernel_lines_and_scalar_agree_with_changing_rates_and_class_schedules(seed, capacity):
    rng = np.random.default_rng(seed)
    options = random_options(rng, 50)
    items = random_items(rng, options)
    n = len(options)
    width = int(options["lifetime_years"].max()) + 1
    rates = rng.uniform(0.1, 0.4, (n, width))
    # half the options on a declining balance of 25 % a year, the rest straight line
    dep = np.where((np.arange(n) % 2 == 0)[:, None], 1 - 0.75 ** np.arange(width)[None, :], np.nan)
    kw = dict(tax_rate_by_year=rates, depreciation_schedule=dep, loss_carry_forward_years=5)
    lines = batch_lines(options, rates[:, 0], capacity, item_table(items), **kw)
    flows = batch_cash_flows(options, rates[:, 0], capacity, item_table(items), **kw)
    np.testing.assert_array_equal(lines.net, flows.net)  # one engine
    for i, (opt, its) in enumerate(zip(options.to_dict("records"), items)):
        cf = cash_flow(opt, rates[i], its, capacity, discount_rate=0.05, loss_carry_forward_years=5,
                       depreciation_schedule=dep[i])
        end = len(cf)
        for name, want in (("net", cf["net"]), ("depreciation", cf["depreciation"]), ("tax_rate", cf["tax_rate"]),
                           ("taxable_profit", cf["taxable_profit"])):
            np.testing.assert_allclose(getattr(lines, name)[i][:end], want.to_numpy(), rtol=1e-9, atol=1e-7,
                                       err_msg=f"row {i} {name}")


def test_macrs_reaches_the_cash_flow_and_beats_straight_line_by_hand():
    # US, 2024, 3-year property, 4-year life: depreciation 333.30, 444.50, 148.10, 74.10 (table A-1);
    # tax 21 %, r = 8 %; net_t = 500 - 0.21 (500 - D_t) = 395 + 0.21 D_t
    on = date(2024, 6, 1)
    macrs = appraise(one("us", annual_savings=500.0, lifetime_years=4, asset_class="macrs_3"), ENTERPRISES, on)
    straight = appraise(one("us", annual_savings=500.0, lifetime_years=4), ENTERPRISES, on)
    assert macrs["support_total"].iloc[0] == 0 and macrs["support"].iloc[0] == []
    d = [333.30, 444.50, 148.10, 74.10]
    want = -1000 + sum((395 + 0.21 * d[t - 1]) / 1.08 ** t for t in range(1, 5))
    assert macrs["npv"].iloc[0] == pytest.approx(want, rel=1e-12)
    sl = -1000 + sum((395 + 0.21 * 250) / 1.08 ** t for t in range(1, 5))
    assert straight["npv"].iloc[0] == pytest.approx(sl, rel=1e-12)
    assert macrs["npv"].iloc[0] > straight["npv"].iloc[0]
    table = cash_flow_table(one("us", annual_savings=500.0, lifetime_years=4, asset_class="macrs_3"), ENTERPRISES, on)
    np.testing.assert_allclose(table.lines["depreciation"].to_numpy(), [0.0] + d, rtol=1e-12)
    # a life shorter than the table: the book value left is written off at t = N
    short = cash_flow_table(one("us", annual_savings=500.0, lifetime_years=3, asset_class="macrs_3"), ENTERPRISES, on)
    np.testing.assert_allclose(short.lines["depreciation"].to_numpy(), [0.0, 333.3, 444.5, 222.2], rtol=1e-12)


@pytest.mark.parametrize("asset_class", ["macrs_5", "macrs_7", "macrs_10"])
def test_macrs_npv_above_straight_line_of_the_same_life(asset_class):
    years = int(asset_class.split("_")[1]) + 1
    on = date(2024, 6, 1)
    a = appraise(one("us", lifetime_years=years, asset_class=asset_class), ENTERPRISES, on)["npv"].iloc[0]
    b = appraise(one("us", lifetime_years=years), ENTERPRISES, on)["npv"].iloc[0]
    assert a > b


def test_tax_forgone_is_costed_at_the_rate_of_its_year():
    # a deduction of 1000 in year 2 (2028 for an option appraised in 2026) saves 1000 x 28.77 %
    opts = one("de").drop(columns=["enterprise_id", "option_id", "title", "category"])
    support = pd.DataFrame({"row": [0], "instrument_id": ["X"], "kind": ["tax_deduction"], "amount": [1000.0],
                            "year": [2]})
    rates = np.array([DE_2026])
    out = outlay_table(support, opts, np.array([0.29825]), tax_rate_by_year=rates)
    assert out["t"].tolist() == [2]
    assert out["outlay"].iloc[0] == pytest.approx(1000 * 0.2877, rel=1e-12)
    flat = outlay_table(support, opts, np.array([0.29825]))
    assert flat["outlay"].iloc[0] == pytest.approx(1000 * 0.29825, rel=1e-12)


def test_bad_year_arrays_are_refused_naming_the_row():
    opts = one("de").drop(columns=["enterprise_id", "option_id", "title", "category"])
    with pytest.raises(ValueError, match=r"tax_rate_by_year: expected shape \(1, >= 9\)"):
        batch_cash_flows(opts, 0.3, tax_rate_by_year=np.full((1, 5), 0.3))
    with pytest.raises(ValueError, match=r"options row 0: field 'tax_rate_by_year' must hold rates in 0..1"):
        batch_cash_flows(opts, 0.3, tax_rate_by_year=np.full((1, 9), 1.5))
    with pytest.raises(ValueError, match=r"tax_rate by year needs 9 values"):
        cash_flow(opts.iloc[0].to_dict(), [0.3] * 4)


def test_the_tornado_support_row_uses_the_same_rates_and_schedule_as_the_appraisal():
    from finance.sensitivity import npv_sensitivity

    # DE, appraised 2026: the grant of EEW module 1 (small firm, cross-cutting technology) on a
    # declining-balance asset; the support row re-runs the base cash flow and must find the base NPV
    option = one("de", category="equipment_modification", asset_class="movable_declining_balance", investment=100000.0,
                 annual_savings=30000.0, energy_saved_mwh=50.0).iloc[0].to_dict()
    enterprise = {**ENTERPRISES.iloc[0].to_dict(), "size_class": "small"}
    base = appraise_option(option, enterprise, date(2026, 6, 1))
    assert [i.instrument_id for i in base.items] == ["DE-EEW-M1-2024"]  # 25 % grant, reduces the base
    assert base.tax_rate_by_year is not None and base.depreciation_schedule is not None
    table = npv_sensitivity(option, enterprise, date(2026, 6, 1), base)
    row = table[table["input"] == "support"].iloc[0]
    assert not np.isnan(row["npv_low"]) and row["npv_low"] < base.metrics["npv"] < row["npv_high"]


def test_the_inputs_say_when_the_rate_changes_over_the_life():
    table = cash_flow_table(pd.concat([one("de"), one("us", option_id="p")], ignore_index=True), ENTERPRISES,
                            date(2026, 6, 1))
    src = table.inputs["tax_rate_source"].tolist()
    assert src[0].endswith("the rate changes over the life: each year's rate is in the tax_rate line")
    assert "changes" not in src[1]

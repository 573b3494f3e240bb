"""The cash flow line by line (finance.cashflow_table) against the scalar model and hand calculations."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance.appraise import appraise
from finance.cashflow import cash_flow
from finance.cashflow_table import CONTRACT_COLUMNS, LINE_COLUMNS, batch_lines, cash_flow_table
from finance.valuation import item_values
from policies.items import SupportItem
from tests.finance.random_cases import item_table, random_items, random_options

DAY = date(2026, 6, 30)


@pytest.mark.parametrize("seed, capacity, loss_years", [(1, True, None), (2, False, None), (3, False, 3)])
def test_every_line_equals_the_scalar_cash_flow_on_random_options_with_every_support_kind(seed, capacity, loss_years):
    rng = np.random.default_rng(seed)
    options = random_options(rng, 60)
    items = random_items(rng, options)
    tax = rng.uniform(0, 0.4, len(options))
    got = batch_lines(options, tax, capacity, item_table(items), loss_carry_forward_years=loss_years)
    for i, (opt, its) in enumerate(zip(options.to_dict("records"), items)):
        cf = cash_flow(opt, tax[i], its, capacity, discount_rate=0.05, loss_carry_forward_years=loss_years)
        end = len(cf)
        assert got.life[i] + 1 == end
        expect = {
            "savings": cf["savings"], "cost_change": -cf["cost_change"], "depreciation": cf["depreciation"],
            "tax_deductions": cf["deductions"], "taxable_profit": cf["taxable_profit"], "tax_rate": cf["tax_rate"],
            "tax": -(cf["tax"] + cf["credits"]), "support_paid": cf["grants"] + cf["loan"], "salvage": cf["salvage"],
            "investment": -cf["investment"], "net": cf["net"],
        }
        for name, want in expect.items():
            line = getattr(got, name)[i]
            np.testing.assert_allclose(line[:end], want.to_numpy(), rtol=1e-9, atol=1e-7, err_msg=f"row {i} {name}")
            assert not line[end:].any(), f"row {i} {name} beyond the life"
        # the accounting identity of the table
        lhs = -got.investment[i] + got.savings[i] - got.cost_change[i] - got.tax[i] + got.support_paid[i] + got.salvage[i]
        np.testing.assert_allclose(lhs, got.net[i], rtol=1e-12, atol=1e-7)


def _one(**extra):
    base = {"enterprise_id": "e", "option_id": "A", "investment": 100_000.0, "annual_savings": 30_000.0,
            "annual_cost_change": 5_000.0, "lifetime_years": 5}
    return pd.DataFrame([base | extra])


def test_hand_calculated_table_without_support():
    # I = 100,000, savings 30,000/yr, cost change 5,000/yr, 5 years, straight line, tax 25 %, r = 10 %.
    # Depreciation 100,000 / 5 = 20,000/yr; taxable profit 30,000 - 5,000 - 20,000 = 5,000;
    # tax 25 % x 5,000 = 1,250; net 30,000 - 5,000 - 1,250 = 23,750 in years 1..5, -100,000 at t = 0.
    got = batch_lines(_one(), 0.25, True)
    np.testing.assert_allclose(got.savings[0], [0, 30_000, 30_000, 30_000, 30_000, 30_000], atol=1e-6)
    np.testing.assert_allclose(got.cost_change[0], [0, 5_000, 5_000, 5_000, 5_000, 5_000], atol=1e-6)
    np.testing.assert_allclose(got.depreciation[0], [0, 20_000, 20_000, 20_000, 20_000, 20_000], atol=1e-6)
    np.testing.assert_allclose(got.tax_deductions[0], [0, 0, 0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(got.taxable_profit[0], [0, 5_000, 5_000, 5_000, 5_000, 5_000], atol=1e-6)
    np.testing.assert_allclose(got.tax[0], [0, 1_250, 1_250, 1_250, 1_250, 1_250], atol=1e-6)
    np.testing.assert_allclose(got.support_paid[0], [0, 0, 0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(got.net[0], [-100_000, 23_750, 23_750, 23_750, 23_750, 23_750], atol=1e-6)
    # discounted at 10 %: 23,750 / 1.1**t; the sum is the NPV, 23,750 x 3.7907868 - 100,000 = -9,968.81
    factors = [1, 1 / 1.1, 1 / 1.21, 1 / 1.331, 1 / 1.4641, 1 / 1.61051]
    ents = pd.DataFrame([{"enterprise_id": "e", "jurisdiction": "none", "size_class": "small", "tax_rate": 0.25,
                          "discount_rate": 0.10}])
    table = cash_flow_table(_one(), ents, DAY)
    lines = table.lines
    assert list(lines.columns) == list(LINE_COLUMNS) and list(lines.columns[:len(CONTRACT_COLUMNS)]) == list(CONTRACT_COLUMNS)
    assert lines["year"].tolist() == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose(lines["discount_factor"], factors, rtol=1e-12)
    np.testing.assert_allclose(lines["cumulative_net_cash_flow"], [-100_000, -76_250, -52_500, -28_750, -5_000, 18_750])
    np.testing.assert_allclose(lines["discounted_net_cash_flow"].sum(), -9_968.81, atol=0.01)
    assert (lines["support"] == 0).all() and (lines["net_cash_flow_no_support"] == lines["net_cash_flow"]).all()
    inputs = table.inputs.iloc[0]
    assert inputs["tax_rate_source"].startswith("enterprise override") and inputs["tax_rate"] == 0.25
    assert inputs["discount_rate_source"] == "the enterprise's discount_rate" and inputs["eligible_investment"] == 100_000


def test_hand_calculated_grant_and_tax_deduction_each_items_cash():
    # The option above with a 20,000 grant at t = 0 that reduces the depreciable base, then a
    # 40,000 tax deduction in year 1 (tax capacity: the saving is realised in the year).
    # Lines: depreciation (100,000 - 20,000) / 5 = 16,000; taxable year 1: 30,000 - 5,000 - 16,000
    # - 40,000 = -31,000, tax -7,750 (a saving); years 2..5: 9,000, tax 2,250.
    # Net: t0 -100,000 + 20,000 = -80,000; year 1: 25,000 + 7,750 = 32,750; years 2..5: 22,750.
    # Grant's cash: +20,000 at t0, and -1,000 a year (4,000 less depreciation x 25 %) in years 1..5.
    # Deduction's cash: 40,000 x 25 % = 10,000 in year 1.  Sum = support = net - 23,750 (no support).
    items = [SupportItem(instrument_id="G", name="grant", kind="grant", amount=20_000.0, year=0, pack="XX",
                         pack_version="2026-01-01", source="test", reduces_depreciation_base=True),
             SupportItem(instrument_id="D", name="deduction", kind="tax_deduction", amount=40_000.0, year=1, pack="XX",
                         pack_version="2026-01-01", source="test")]
    table = item_table([items])
    got = batch_lines(_one(), 0.25, True, table)
    np.testing.assert_allclose(got.depreciation[0], [0, 16_000, 16_000, 16_000, 16_000, 16_000], atol=1e-6)
    np.testing.assert_allclose(got.tax_deductions[0], [0, 40_000, 0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(got.taxable_profit[0], [0, -31_000, 9_000, 9_000, 9_000, 9_000], atol=1e-6)
    np.testing.assert_allclose(got.tax[0], [0, -7_750, 2_250, 2_250, 2_250, 2_250], atol=1e-6)
    np.testing.assert_allclose(got.support_paid[0], [20_000, 0, 0, 0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(got.net[0], [-80_000, 32_750, 22_750, 22_750, 22_750, 22_750], atol=1e-6)
    cash = item_values(_one(), 0.25, 0.10, True, table, by_year=True).by_year
    np.testing.assert_allclose(cash[0], [20_000, -1_000, -1_000, -1_000, -1_000, -1_000])
    np.testing.assert_allclose(cash[1], [0, 10_000, 0, 0, 0, 0])
    np.testing.assert_allclose(cash.sum(axis=0), np.array([-80_000, 32_750, 22_750, 22_750, 22_750, 22_750])
                               - np.array([-100_000, 23_750, 23_750, 23_750, 23_750, 23_750]))


@pytest.fixture(scope="module")
def demo():
    from screening.schema import validate
    from tests.conftest import DATA

    v = validate(pd.read_csv(DATA / "demo_enterprises.csv"), pd.read_csv(DATA / "demo_options.csv"))
    return v.options, v.enterprises


def test_demo_lines_sum_to_the_appraisal_npv_with_and_without_support(demo):
    options, enterprises = demo
    table = cash_flow_table(options, enterprises, DAY)
    res = appraise(options, enterprises, DAY)
    by = table.lines.groupby(["enterprise_id", "option_id"], sort=False)
    merged = res.set_index(["enterprise_id", "option_id"]).join(by[["discounted_net_cash_flow",
                                                                    "discounted_net_cash_flow_no_support"]].sum())
    np.testing.assert_allclose(merged["discounted_net_cash_flow"], merged["npv"], rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(merged["discounted_net_cash_flow_no_support"], merged["npv_no_support"], rtol=1e-9, atol=1e-6)
    support_pv = (table.lines["support"] * table.lines["discount_factor"]).groupby(
        [table.lines["enterprise_id"], table.lines["option_id"]], sort=False).sum()
    np.testing.assert_allclose(support_pv.to_numpy(), res["support_total"].to_numpy(), rtol=1e-9, atol=1e-6)
    # items' cash adds up to the support line, option by option and year by year
    items = table.items.groupby(["enterprise_id", "option_id", "year"])["cash"].sum()
    lines = table.lines.set_index(["enterprise_id", "option_id", "year"])["support"]
    np.testing.assert_allclose(items.reindex(lines.index, fill_value=0.0), lines, rtol=1e-9, atol=1e-6)
    assert (table.items["cash"] != 0).any()
    # each item's discounted cash is the npv_effect cpscreen appraise lists for it
    factor = table.lines.set_index(["enterprise_id", "option_id", "year"])["discount_factor"]
    keys = pd.MultiIndex.from_frame(table.items[["enterprise_id", "option_id", "year"]])
    items = table.items.assign(pv=table.items["cash"].to_numpy() * factor.reindex(keys).to_numpy())
    pv = items.groupby(["enterprise_id", "option_id", "instrument_id"])["pv"].sum()
    listed = {(r.enterprise_id, r.option_id, i["instrument_id"]): i["npv_effect"]
              for r in res.itertuples() for i in r.support}
    assert listed and set(listed) == set(pv.index)
    np.testing.assert_allclose([pv[k] for k in listed], list(listed.values()), rtol=1e-9, atol=1e-6)
    # no support: with = without
    plain = table.lines_no_support
    assert (plain["support"] == 0).all() and np.allclose(plain["net_cash_flow"], table.lines["net_cash_flow_no_support"])
    # inputs name each option's pack rule or override
    assert len(table.inputs) == len(options)
    assert table.inputs["tax_rate_source"].str.contains("pack |override|jurisdiction none").all()


def test_given_discount_rate_is_named_as_the_source(demo):
    options, enterprises = demo
    table = cash_flow_table(options.head(2), enterprises, DAY, discount_rate=0.05, with_support=False)
    assert (table.inputs["discount_rate"] == 0.05).all()
    assert (table.inputs["discount_rate_source"] == "given for this appraisal").all()
    assert table.items.empty and (table.lines["support"] == 0).all()

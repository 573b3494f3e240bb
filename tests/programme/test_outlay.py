"""Public outlay per item and period: hand values, and the enterprise's cash flow as a second method."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pandas as pd
import pytest

from finance.cashflow import cash_flow
from policies.items import ITEM_COLUMNS, SupportItem
from programme.outlay import outlay_table

OPTION = {"investment": 10_000.0, "annual_savings": 3_000.0, "annual_cost_change": 200.0,
          "lifetime_years": 6, "depreciation_years": 5, "salvage_value": 500.0}


def item(**kw) -> SupportItem:
    base = dict(instrument_id="X", name="x", kind="grant", amount=0.0, year=0, pack="T", pack_version="2026-01-01", source="test")
    base.update(kw)
    return SupportItem(**base)


def table(items: list[SupportItem], row: int = 0) -> pd.DataFrame:
    recs = [{"row": row, **it.as_record()} for it in items]
    return pd.DataFrame(recs, columns=list(ITEM_COLUMNS))


def schedule(out: pd.DataFrame, life: int) -> np.ndarray:
    v = np.zeros(life + 1)
    np.add.at(v, out["t"].to_numpy(), out["outlay"].to_numpy())
    return v


def test_grant_spread_and_deduction_by_hand():
    items = [item(kind="grant", amount=3000.0, year=1, spread_years=3, instrument_id="G"),
             item(kind="tax_deduction", amount=4000.0, year=1, instrument_id="D"),
             item(kind="tax_credit", amount=700.0, year=2, instrument_id="C")]
    out = outlay_table(table(items), pd.DataFrame([OPTION]), np.array([0.25]))
    g = out[out.instrument_id == "G"]
    assert g["t"].tolist() == [1, 2, 3] and g["outlay"].tolist() == [1000.0] * 3
    assert out[out.instrument_id == "D"][["t", "outlay"]].values.tolist() == [[1, 1000.0]]  # 4000 x 25%
    assert out[out.instrument_id == "C"][["t", "outlay"]].values.tolist() == [[2, 700.0]]


def test_item_beyond_life_is_refused():
    with pytest.raises(ValueError, match="beyond the option's life of 6"):
        outlay_table(table([item(amount=1.0, year=5, spread_years=3)]), pd.DataFrame([OPTION]), np.array([0.2]))


@pytest.mark.parametrize("it", [
    item(kind="tax_deduction", amount=4000.0, year=1, spread_years=2),
    item(kind="depreciation", amount=10_000.0, year=1, first_year_share=0.6, later_share=0.1),
    item(kind="depreciation", amount=10_000.0, year=1, first_year_share=1.0),
    item(kind="tax_holiday", amount=0.0, year=1, exempt_years=3, reduced_years=3, reduced_factor=0.5),
])
def test_tax_expenditure_equals_tax_forgone_in_the_cash_flow(it):
    rate = 0.25
    out = outlay_table(table([it]), pd.DataFrame([OPTION]), np.array([rate]))
    with_item = cash_flow(OPTION, rate, [it], True)
    without = cash_flow(OPTION, rate, [], True)
    expected = (with_item["tax"] + with_item["credits"] - without["tax"] - without["credits"]).to_numpy()
    assert schedule(out, 6) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("years", [3, 10])
def test_soft_loan_cash_view_matches_the_enterprise_loan_flows(years):
    it = item(kind="soft_loan", amount=5000.0, year=0, loan_rate=0.02, loan_years=years)
    out = outlay_table(table([it]), pd.DataFrame([OPTION]), np.array([0.25]))
    assert schedule(out, 6) == pytest.approx(cash_flow(OPTION, 0.25, [it], True)["loan"].to_numpy(), abs=1e-9)


def test_rows_map_to_their_options():
    opts = pd.DataFrame([OPTION, {**OPTION, "lifetime_years": 2}])
    t = pd.concat([table([item(kind="tax_deduction", amount=100.0, year=1)], row=1)])
    out = outlay_table(t, opts, np.array([0.1, 0.3]))
    assert out[["row", "t", "outlay"]].values.tolist() == [[1, 1, 30.0]]


@pytest.mark.parametrize("years, start, inflation", [(3, 0, 0.0), (10, 0, 0.0), (4, 2, 0.03), (10, 1, 0.02)])
def test_soft_loan_lines_are_financings_schedule(years, start, inflation):
    """Second method: finance.financing.loan_flows (the one amortisation), with the option's inflation."""
    from finance.financing import loan_flows

    it = item(kind="soft_loan", amount=5000.0, year=start, loan_rate=0.04, loan_years=years)
    opt = pd.DataFrame([{**OPTION, "inflation": inflation}])
    out = outlay_table(table([it]), opt, np.array([0.25]))
    expected = loan_flows(5000.0, 0.04, years, start, 6, inflation)
    assert schedule(out, 6) == pytest.approx(expected, rel=1e-12, abs=1e-9)
    if inflation == 0.0 and start == 0:  # annuity by hand: payment P r / (1 - (1 + r)^-m)
        pay = 5000.0 * 0.04 / (1 - 1.04 ** -years)
        assert schedule(out, 6)[1] == pytest.approx(-pay, rel=1e-12)


def test_soft_loan_without_a_term_is_refused_by_name():
    it = item(kind="soft_loan", amount=5000.0, year=0, loan_rate=0.04, loan_years=0)
    with pytest.raises(ValueError, match="support row 0.*loan_years"):
        outlay_table(table([it]), pd.DataFrame([OPTION]), np.array([0.25]))


def test_net_with_shortcut_gives_the_item_values_outlay_bit_for_bit(monkeypatch):
    """An option's only tax item read from net_with - net_without is what item_values gives; options with
    several items still go through item_values; the table's order is kept."""
    from finance.batch_flows import batch_cash_flows

    rng = np.random.default_rng(5)
    n = 40
    opts = pd.DataFrame({"investment": rng.uniform(1e4, 1e5, n), "annual_savings": rng.uniform(-2e3, 3e4, n),
                         "annual_cost_change": rng.uniform(0, 1e3, n), "lifetime_years": rng.integers(2, 12, n),
                         "salvage_value": 0.0})
    tax, cap = rng.uniform(0.1, 0.3, n), rng.random(n) < 0.5
    loss = np.where(rng.random(n) < 0.5, 3.0, np.nan)
    recs = []
    for r in range(n):
        if r % 5 == 0:
            continue  # no items
        recs.append({"row": r, **item(kind="tax_deduction", amount=float(rng.uniform(1e3, 5e4)), year=1, instrument_id="D").as_record()})
        if r % 3 == 0:  # a second item: valued by item_values, marginally, in table order
            recs.append({"row": r, **item(kind="grant", amount=2000.0, year=0, instrument_id="G", taxable=True).as_record()})
        if r % 4 == 0:
            recs.append({"row": r, **item(kind="tax_credit", amount=500.0, year=2, instrument_id="C").as_record()})
    sup = pd.DataFrame(recs, columns=list(ITEM_COLUMNS))
    net0 = batch_cash_flows(opts, tax, cap, None, loss_carry_forward_years=loss).net
    net1 = batch_cash_flows(opts, tax, cap, sup, loss_carry_forward_years=loss).net
    kw = dict(tax_capacity=cap, loss_carry_forward_years=loss, net_without=net0)
    ref = outlay_table(sup, opts, tax, **kw)
    got = outlay_table(sup, opts, tax, net_with=net1, **kw)
    pd.testing.assert_frame_equal(got, ref, check_exact=True)
    assert set(ref["instrument_id"]) == {"D", "G", "C"} and len(ref) > n

    # the tax-forgone kernels on several threads, each a span of the items: the same table
    import programme.outlay as outlay

    monkeypatch.setattr(outlay, "_SPAN_ITEMS", 4)
    monkeypatch.setattr(outlay, "WORKERS", 3)
    pd.testing.assert_frame_equal(outlay_table(sup, opts, tax, net_with=net1, **kw), got, check_exact=True)
    pd.testing.assert_frame_equal(outlay_table(sup, opts, tax, **kw), ref, check_exact=True)

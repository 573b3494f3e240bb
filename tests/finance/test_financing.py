"""Debt and inflation (issue 12 items 1-2) against closed forms, a hand calculation and the scalar path."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from finance.appraise import appraise_table
from finance.batch import batch_appraise
from finance.batch_flows import batch_cash_flows
from finance.cashflow import cash_flow
from finance.cashflow_table import cash_flow_table
from finance.equity import equity_appraise, equity_flows
from finance.financing import amortise, annuity_payment, debt_terms, loan_flows
from finance.metrics import npv
from finance.option_detail import appraise_option
from tests.finance.random_cases import item_table, random_items, random_options

I, S, N, R = 100_000.0, 18_000.0, 12, 0.07


def schedule(p: float, r: float, n: int, life: int, linear: bool = False) -> tuple[np.ndarray, np.ndarray]:
    interest, repaid = np.zeros(life + 1), np.zeros(life + 1)
    amortise(p, r, n, 0, life, linear, interest, repaid)
    return interest, repaid


def annuity_factor(r: float, n: int) -> float:
    return (1 - (1 + r) ** -n) / r


def test_retscreen_debt_payment_by_hand():
    # RETScreen textbook (2005) p. 60: D = C f_d i_d / (1 - (1 + i_d)^-N').  C = 100,000, f_d = 70 %,
    # i_d = 6 %, N' = 10: 1.06^10 = 1.7908476965, 1.06^-10 = 0.5583947769, 1 - it = 0.4416052231,
    # D = 70,000 x 0.06 / 0.4416052231 = 9,510.7571 a year, 95,107.57 in all.
    interest, repaid = schedule(70_000.0, 0.06, 10, 15)
    service = interest + repaid
    assert service[1:11] == pytest.approx(9510.7571, abs=5e-4)
    assert service[11:].sum() == 0 and service[1:].sum() == pytest.approx(95_107.57, abs=0.01)
    assert interest[1] == pytest.approx(4200.0) and repaid.sum() == pytest.approx(70_000.0, rel=1e-12)


@pytest.mark.parametrize("p, r, n", [(50_000.0, 0.045, 7), (1_234.5, 0.0, 4), (9e5, 0.12, 25)])
def test_annuity_payment_closed_form(p, r, n):
    interest, repaid = schedule(p, r, n, n)
    pay = p / n if r == 0 else p * r / (1 - (1 + r) ** -n)
    assert (interest + repaid)[1:] == pytest.approx(np.full(n, pay), rel=1e-11)
    assert annuity_payment(p, r, n) == pytest.approx(pay, rel=1e-15)
    assert repaid.sum() == pytest.approx(p, rel=1e-12)


@pytest.mark.parametrize("p, r, n", [(60_000.0, 0.05, 8), (1e6, 0.09, 30)])
def test_linear_repayment_interest_sum_closed_form(p, r, n):
    interest, repaid = schedule(p, r, n, n + 3, linear=True)
    assert repaid[1:n + 1] == pytest.approx(np.full(n, p / n), rel=1e-12) and repaid[n + 1:].sum() == 0
    # interest on P(n - t + 1)/n in year t: sum = P r (n + 1) / 2
    assert interest.sum() == pytest.approx(p * r * (n + 1) / 2, rel=1e-12)


def test_term_beyond_the_life_is_repaid_at_the_end_of_life():
    # 10-year annuity on a 4-year life: year 4 repays the balance after 3 payments,
    # B3 = P (1 + r)^3 - pay ((1 + r)^3 - 1) / r (its regular principal and the balloon)
    p, r = 10_000.0, 0.05
    interest, repaid = schedule(p, r, 10, 4)
    pay = annuity_payment(p, r, 10)
    b3 = p * (1 + r) ** 3 - pay * ((1 + r) ** 3 - 1) / r
    assert repaid[4] == pytest.approx(b3, rel=1e-12) and interest[4] == pytest.approx(b3 * r, rel=1e-12)
    assert repaid.sum() == pytest.approx(p, rel=1e-12)


def _option(**kw):
    return {"investment": I, "annual_savings": S, "lifetime_years": N, **kw}


@pytest.mark.parametrize("how", ["annuity", "linear"])
@pytest.mark.parametrize("share, term", [(0.6, 8), (1.0, 12), (0.3, 20)])
def test_no_tax_and_debt_rate_equal_discount_rate_leave_the_npv_unchanged(how, share, term):
    rng = np.random.default_rng(5)
    opts = random_options(rng, 40).assign(debt_share=share, debt_rate=R, debt_term_years=term, debt_repayment=how)
    support = item_table(random_items(rng, opts))
    project = batch_appraise(opts, 0.0, R, True, support)["npv"].to_numpy()
    equity = equity_appraise(opts, 0.0, R, True, support)
    has = opts["investment"].to_numpy() > 0
    assert equity["equity_npv"].to_numpy()[has] == pytest.approx(project[has], rel=1e-9, abs=1e-6)
    one = cash_flow(_option(debt_share=share, debt_rate=R, debt_term_years=term, debt_repayment=how), 0.0,
                    discount_rate=R)
    assert npv(R, one["equity"]) == pytest.approx(npv(R, one["net"]), rel=1e-12)


def test_interest_tax_shield_closed_form_linear_debt():
    # tax capacity, debt at the discount rate, linear: equity NPV - NPV = tau sum_t r P (m - t + 1)/m v^t
    tau, share, m = 0.25, 0.5, 6
    p = share * I
    opt = _option(debt_share=share, debt_rate=R, debt_term_years=m, debt_repayment="linear")
    shield = tau * sum(R * p * (m - t + 1) / m * (1 + R) ** -t for t in range(1, m + 1))
    frame = pd.DataFrame([opt])
    got = equity_appraise(frame, tau, R, True)["equity_npv"].iloc[0] - batch_appraise(frame, tau, R, True)["npv"].iloc[0]
    assert got == pytest.approx(shield, rel=1e-10)
    flows = cash_flow(opt, tau, discount_rate=R)
    assert npv(R, flows["equity"]) - npv(R, flows["net"]) == pytest.approx(shield, rel=1e-10)


def test_interest_shield_at_the_rate_in_force_each_year():
    # a tax rate that changes over the life: the shield of year t is tau_t x interest_t
    share, m = 0.5, 6
    p = share * I
    rates = np.array([0.3] * 4 + [0.15] * (N - 3))
    opt = _option(debt_share=share, debt_rate=R, debt_term_years=m, debt_repayment="linear")
    shield = sum(rates[t] * R * p * (m - t + 1) / m * (1 + R) ** -t for t in range(1, m + 1))
    frame = pd.DataFrame([opt])
    kw = dict(tax_rate_by_year=rates[None, :])
    got = equity_appraise(frame, 0.3, R, True, **kw)["equity_npv"].iloc[0] - batch_appraise(frame, 0.3, R, True, **kw)["npv"].iloc[0]
    assert got == pytest.approx(shield, rel=1e-10)
    flows = cash_flow(opt, rates, discount_rate=R)
    assert npv(R, flows["equity"]) - npv(R, flows["net"]) == pytest.approx(shield, rel=1e-10)


def test_dscr_by_hand():
    # no tax, constant savings 18,000, annuity of 60,000 at 5 % over 8 years: pay = 60,000 x 0.05 /
    # (1 - 1.05^-8) = 9,283.31; DSCR = 18,000 / 9,283.31 = 1.93896 in years 1..8, none after
    opt = _option(debt_share=0.6, debt_rate=0.05, debt_term_years=8)
    flows = cash_flow(opt, 0.0, discount_rate=R)
    assert flows["dscr"].iloc[1:9].to_numpy() == pytest.approx(np.full(8, 1.93896), abs=5e-6)
    assert flows["dscr"].iloc[9:].isna().all() and np.isnan(flows["dscr"].iloc[0])
    e = equity_flows(pd.DataFrame([opt]), 0.0)
    assert e.min_dscr[0] == pytest.approx(1.93896, abs=5e-6)
    assert flows["equity"].iloc[0] == -0.4 * I


def test_depreciation_shield_erodes_with_inflation_closed_form():
    # straight line over L with capacity: the real shield is tau I/L sum (1+i)^-t (1+r)^-t = tau I/L a(r', L),
    # r' = (1 + r)(1 + i) - 1; flows and discount rate otherwise real and unchanged
    tau, infl = 0.3, 0.04
    frame = pd.DataFrame([_option()])
    base = batch_appraise(frame, tau, R, True)["npv"].iloc[0]
    inflated = batch_appraise(frame.assign(inflation=infl), tau, R, True)["npv"].iloc[0]
    r2 = (1 + R) * (1 + infl) - 1
    loss = tau * I / N * (annuity_factor(R, N) - annuity_factor(r2, N))
    assert base - inflated == pytest.approx(loss, rel=1e-10)
    scalar = npv(R, cash_flow(_option(inflation=infl), tau, discount_rate=R)["net"])
    assert scalar == pytest.approx(inflated, rel=1e-12)


def test_nominal_debt_at_the_nominal_discount_rate_leaves_the_untaxed_npv_unchanged():
    # loan payments are nominal: with (1 + d) = (1 + r)(1 + i) the deflated debt flows are worth 0 at r
    infl = 0.03
    d = (1 + R) * (1 + infl) - 1
    opt = _option(debt_share=0.7, debt_rate=d, debt_term_years=9, inflation=infl)
    frame = pd.DataFrame([opt])
    assert equity_appraise(frame, 0.0, R)["equity_npv"].iloc[0] == pytest.approx(
        batch_appraise(frame, 0.0, R)["npv"].iloc[0], rel=1e-10)
    # soft loans are deflated the same way: their real flows are worth 0 at the nominal rate
    assert npv(R, loan_flows(5_000.0, d, 6, 0, 10, infl)) == pytest.approx(0.0, abs=1e-9)


def test_batch_kernel_equals_scalar_path_on_random_cases():
    rng = np.random.default_rng(2026)
    n = 120
    opts = random_options(rng, n)
    has = rng.random(n) < 0.7
    opts["debt_share"] = np.where(has, rng.uniform(0, 1, n), np.nan)
    opts["debt_rate"] = np.where(has, rng.uniform(0, 0.12, n), np.nan)
    opts["debt_term_years"] = np.where(has, rng.integers(1, 31, n), np.nan)
    opts["debt_repayment"] = np.where(rng.random(n) < 0.5, "linear", "annuity")
    opts["inflation"] = np.where(rng.random(n) < 0.6, rng.uniform(-0.02, 0.08, n), 0.0)
    items = random_items(rng, opts)
    support = item_table(items)
    tax = rng.uniform(0, 0.4, n)
    cap = rng.random(n) < 0.5
    loss = np.where(rng.random(n) < 0.5, np.nan, rng.integers(1, 6, n).astype(float))
    # the tax rate in force in each year and asset-class depreciation schedules (NaN rows: straight line)
    width = int(opts["lifetime_years"].max()) + 1
    by_year = np.where(rng.random((n, 1)) < 0.5, tax[:, None], rng.uniform(0, 0.4, (n, width)))
    steps = rng.uniform(0, 1, (n, width))
    steps[:, 0] = 0
    dep = np.where(rng.random((n, 1)) < 0.5, np.nan, np.minimum(np.cumsum(steps, axis=1) / 4, 1.0))
    years = dict(tax_rate_by_year=by_year, depreciation_schedule=dep)
    flows = batch_cash_flows(opts, tax, cap, support, loss_carry_forward_years=loss, **years)
    eq = equity_flows(opts, tax, cap, support, loss_carry_forward_years=loss, **years)
    pos = {int(r): k for k, r in enumerate(eq.rows)}
    checked = 0
    for i in range(n):
        lf = None if np.isnan(loss[i]) else int(loss[i])
        one = cash_flow(opts.iloc[i].to_dict(), by_year[i], items[i], bool(cap[i]), discount_rate=R,
                        loss_carry_forward_years=lf, depreciation_schedule=dep[i])
        life = len(one)
        assert flows.net[i, :life] == pytest.approx(one["net"].to_numpy(), rel=1e-9, abs=1e-6)
        if i in pos:
            k = pos[i]
            assert eq.equity[k, :life] == pytest.approx(one["equity"].to_numpy(), rel=1e-9, abs=1e-6)
            assert eq.interest[k, :life] == pytest.approx(one["interest"].to_numpy(), rel=1e-9, abs=1e-9)
            np.testing.assert_allclose(eq.dscr[k, :life], one["dscr"].to_numpy(), rtol=1e-9, atol=1e-9)
            checked += 1
        else:
            assert one["equity"].isna().all()
    assert checked > 50


def _frames(**debt):
    ents = pd.DataFrame([{"enterprise_id": "e", "name": "E", "jurisdiction": "none", "size_class": "small",
                          "tax_rate": 0.25, "discount_rate": R, "inflation": 0.02}])
    opts = pd.DataFrame([
        {"option_id": "a", "enterprise_id": "e", "title": "A", "category": "process_control", **_option(), **debt},
        {"option_id": "b", "enterprise_id": "e", "title": "B", "category": "process_control", **_option()},
    ])
    return opts, ents


def test_appraise_records_cash_flow_lines_and_the_option_detail_agree():
    opts, ents = _frames(debt_share=0.5, debt_rate=0.06, debt_term_years=7)
    on = date(2026, 6, 30)
    res, _ = appraise_table(opts, ents, on)
    table = cash_flow_table(opts, ents, on)
    detail = appraise_option(opts.iloc[0].to_dict(), ents.iloc[0].to_dict(), on)
    assert np.isnan(res[["equity_npv", "equity_irr", "equity_payback_years", "min_dscr"]].iloc[1]).all()
    assert res["equity_npv"].iloc[0] == pytest.approx(detail.equity["equity_npv"], rel=1e-9)
    assert res["equity_irr"].iloc[0] == pytest.approx(detail.equity["equity_irr"], rel=1e-9)
    assert res["equity_payback_years"].iloc[0] == pytest.approx(detail.equity["equity_payback_years"], rel=1e-9)
    assert res["min_dscr"].iloc[0] == pytest.approx(detail.equity["min_dscr"], rel=1e-9)
    lines = table.lines[table.lines["option_id"] == "a"]
    disc = lines["discount_factor"].to_numpy()
    assert (lines["equity_cash_flow"].to_numpy() * disc).sum() == pytest.approx(res["equity_npv"].iloc[0], rel=1e-12)
    # the lines are the kernel's flows, bit for bit
    eq = equity_flows(opts.assign(inflation=0.02), 0.25, True)
    assert np.array_equal(lines["equity_cash_flow"].to_numpy(), eq.equity[0, :N + 1])
    assert np.array_equal(lines["interest"].to_numpy(), eq.interest[0, :N + 1])
    assert table.lines[table.lines["option_id"] == "b"][["interest", "principal", "equity_cash_flow"]].isna().all().all()
    # inflation reached the project flow: the depreciation line stays nominal, taxable profit uses it deflated
    assert res["npv"].iloc[1] < appraise_table(opts, ents.assign(inflation=0.0), on)[0]["npv"].iloc[1]
    row = lines.iloc[3]
    assert row["taxable_profit"] == pytest.approx(row["savings"] - row["depreciation"] * 1.02 ** -3, rel=1e-12)


@pytest.mark.parametrize("fields, message", [
    ({"debt_share": 0.5, "debt_term_years": 5}, "debt_rate"),
    ({"debt_share": 0.5, "debt_rate": 0.05}, "debt_term_years"),
    ({"debt_rate": 0.05, "debt_term_years": 5}, "debt_share"),
    ({"debt_share": 1.5, "debt_rate": 0.05, "debt_term_years": 5}, "debt_share"),
    ({"debt_share": 0.5, "debt_rate": 0.05, "debt_term_years": 2.5}, "debt_term_years"),
    ({"debt_share": 0.5, "debt_rate": 0.05, "debt_term_years": 5, "debt_repayment": "bullet"}, "debt_repayment"),
])
def test_bad_debt_terms_are_refused_by_name(fields, message):
    with pytest.raises(ValueError, match=message):
        debt_terms(pd.DataFrame([_option(**fields)]))
    with pytest.raises(ValueError, match=message):
        cash_flow(_option(**fields), 0.2)


def test_risk_draws_use_the_enterprises_inflation_as_appraise_does():
    from finance.risk import UNCERTAIN_INPUTS, simulate

    opts, ents = _frames()
    on = date(2026, 6, 30)  # no spread: every draw is the appraisal itself
    sim = simulate(opts, ents, on, draws=4, seed=1, spreads=dict.fromkeys(UNCERTAIN_INPUTS, 0.0))
    npv_appraise = appraise_table(opts, ents, on)[0]["npv"].to_numpy()
    assert sim.npv[:, 0] == pytest.approx(npv_appraise, rel=1e-9)


def test_equity_is_skipped_only_where_no_option_can_have_debt(monkeypatch):
    # the validator fills debt_repayment with its default: with no share, rate or term the equity
    # pass reads no debt terms at all (every row 'no debt'); a repayment outside the allowed ones is
    # still refused
    import finance.equity as equity

    opts = random_options(np.random.default_rng(5), 30)
    with monkeypatch.context() as m:
        m.setattr(equity, "debt_terms", lambda _: pytest.fail("debt terms read on options without debt"))
        for how in ("annuity", " Linear ", "", None):
            e = equity_flows(opts.assign(debt_repayment=how), 0.25)
            assert e.rows.size == 0
            res = equity_appraise(opts.assign(debt_repayment=how), 0.25, 0.08)
            assert res["equity_npv"].isna().all() and (res["equity_irr_reason"] == "no debt").all()
    with pytest.raises(ValueError, match="options row 7: field 'debt_repayment' must be one of"):
        equity_flows(opts.assign(debt_repayment=["annuity"] * 7 + ["bullet"] + ["annuity"] * 22), 0.25)
    with_debt = opts.assign(debt_repayment="annuity", debt_share=np.where(np.arange(30) == 3, 0.5, np.nan),
                            debt_rate=np.where(np.arange(30) == 3, 0.05, np.nan),
                            debt_term_years=np.where(np.arange(30) == 3, 5.0, np.nan))
    assert equity_flows(with_debt, 0.25).rows.tolist() == [3]

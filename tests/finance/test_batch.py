"""Batch appraisal equals the scalar cash_flow + metrics path; vectorised IRR equals numpy-financial."""

from __future__ import annotations

import math

import numpy as np
import numpy_financial as npf
import pandas as pd
import pytest

from finance.batch import BATCH_COLUMNS, batch_appraise
from finance.batch_flows import batch_cash_flows
from finance.batch_metrics import batch_irr
from finance.cashflow import cash_flow
from finance.metrics import PaybackBasis, irr, metrics
from tests.finance.random_cases import item_table, random_items, random_options


def _scalar(options, items, tax, rate, cap, basis, loss_years):
    rows = []
    for i in range(len(options)):
        o = options.iloc[i].to_dict()
        cf = cash_flow(o, tax[i], items[i], bool(cap[i]), discount_rate=rate[i], loss_carry_forward_years=loss_years)
        cf0 = cash_flow(o, tax[i], (), bool(cap[i]), discount_rate=rate[i], loss_carry_forward_years=loss_years)
        m = metrics(cf, rate[i], payback_flows=cf0, basis=basis)
        m["support_total"] = m["npv"] - metrics(cf0, rate[i])["npv"]
        m["net"] = cf["net"].to_numpy()
        rows.append(m)
    return rows


@pytest.mark.parametrize("seed, loss_years, basis", [
    (1, None, PaybackBasis()),
    (2, 3, PaybackBasis()),
    (3, None, PaybackBasis("pre_tax", True)),
    (4, 5, PaybackBasis("after_tax", False)),
])
def test_batch_equals_scalar_path_on_random_options_with_every_support_kind(seed, loss_years, basis):
    rng = np.random.default_rng(seed)
    n = 300
    options = random_options(rng, n)
    items = random_items(rng, options)
    kinds = {it.kind for its in items for it in its}
    assert kinds == {"grant", "tax_deduction", "tax_credit", "depreciation", "tax_holiday", "soft_loan"}
    tax = rng.uniform(0, 0.4, n)
    rate = rng.uniform(0, 0.15, n)
    cap = rng.random(n) < 0.5
    got = batch_appraise(options, tax, rate, cap, item_table(items), payback_basis=basis,
                         loss_carry_forward_years=loss_years)
    assert list(got.columns[: len(BATCH_COLUMNS)]) == list(BATCH_COLUMNS)
    flows = batch_cash_flows(options, tax, cap, item_table(items), loss_carry_forward_years=loss_years)
    want = _scalar(options, items, tax, rate, cap, basis, loss_years)
    for i, w in enumerate(want):
        life = int(options["lifetime_years"].iloc[i])
        np.testing.assert_allclose(flows.net[i, : life + 1], w["net"], rtol=1e-9, atol=1e-7, err_msg=f"row {i}")
        assert not flows.net[i, life + 1:].any()
        g = got.iloc[i]
        for col in ("npv", "mirr", "npv_ratio", "benefit_cost_ratio", "equivalent_annual_value", "support_total"):
            np.testing.assert_allclose(g[col], w[col], rtol=1e-8, atol=1e-6, err_msg=f"row {i} {col}")
        for col in ("simple_payback_years", "discounted_payback_years"):
            if w[col] is None:
                assert math.isnan(g[col]), f"row {i} {col}: batch {g[col]} scalar never"
            else:
                np.testing.assert_allclose(g[col], w[col], rtol=1e-9, atol=1e-9, err_msg=f"row {i} {col}")
        assert math.isnan(g["irr"]) == math.isnan(w["irr"]), f"row {i}: {g['irr_reason']!r} vs {w['irr_reason']!r}"
        if not math.isnan(w["irr"]):
            np.testing.assert_allclose(g["irr"], w["irr"], rtol=1e-7, atol=1e-9, err_msg=f"row {i} irr")
        assert g["irr_reason"] == w["irr_reason"]
    assert (got["payback_basis"] == basis.label).all()


def test_batch_irr_matches_numpy_financial_on_random_conventional_flows():
    rng = np.random.default_rng(7)
    n, width = 2000, 31
    life = rng.integers(1, width, n)
    flows = rng.uniform(-20, 120, (n, width)).clip(0, None)
    flows[:, 0] = -rng.uniform(1, 1000, n)
    flows[np.arange(width)[None, :] > life[:, None]] = 0.0
    got, reason = batch_irr(flows)
    for i in range(n):
        if (flows[i, 1:] > 0).any():
            want = npf.irr(flows[i, : life[i] + 1])
            assert reason[i] == ""
            np.testing.assert_allclose(got[i], want, rtol=1e-8, atol=1e-10, err_msg=f"row {i}")
        else:
            assert math.isnan(got[i]) and "no sign change" in reason[i]


def test_batch_irr_refuses_several_roots_where_numpy_financial_picks_one():
    flows = np.array([[-100, 100, 0, -7, 0], [-5, 10.5, 1, -8, 1], [-100, 39, 59, 55, 20], [100, 10, 10, 0, 0]], float)
    got, reason = batch_irr(flows)
    assert math.isnan(got[0]) and "several IRRs" in reason[0]
    assert math.isnan(got[1]) and "several IRRs" in reason[1]
    assert npf.irr(flows[0, :4]) == pytest.approx(-0.0833, abs=1e-4)  # one of two roots, silently
    assert got[2] == pytest.approx(0.28095, abs=1e-5)
    assert math.isnan(got[3]) and "no sign change" in reason[3]


def test_batch_refuses_bad_rows_naming_row_and_field():
    options = pd.DataFrame({"investment": [10.0, -1.0], "annual_savings": [1.0, 1.0], "lifetime_years": [5, 5]})
    with pytest.raises(ValueError, match=r"options row 1: field 'investment'"):
        batch_appraise(options, 0.2, 0.08)
    options = pd.DataFrame({"investment": [10.0], "annual_savings": [1.0], "lifetime_years": [2.5]})
    with pytest.raises(ValueError, match=r"row 0: field 'lifetime_years'"):
        batch_appraise(options, 0.2, 0.08)
    options = pd.DataFrame({"investment": [10.0], "annual_savings": [1.0], "lifetime_years": [3]})
    late = pd.DataFrame([{"row": 0, "kind": "grant", "amount": 1.0, "year": 4}])
    with pytest.raises(ValueError, match=r"support table row 0: grant falls in years 4..4, beyond"):
        batch_appraise(options, 0.2, 0.08, True, late)


def test_empty_support_table_gives_zero_support_and_same_result_as_none():
    rng = np.random.default_rng(5)
    options = random_options(rng, 50)
    a = batch_appraise(options, 0.25, 0.08, True, item_table([[] for _ in range(50)]))
    b = batch_appraise(options, 0.25, 0.08, True, None)
    pd.testing.assert_frame_equal(a, b)
    assert (a["support_total"] == 0).all()


def test_results_do_not_depend_on_blocks_or_threads():
    rng = np.random.default_rng(11)
    n = 400
    options = random_options(rng, n)
    table = item_table(random_items(rng, options))
    tax, rate, cap = rng.uniform(0, 0.4, n), rng.uniform(0, 0.15, n), rng.random(n) < 0.5
    one = batch_appraise(options, tax, rate, cap, table)
    many = batch_appraise(options, tax, rate, cap, table, chunk_rows=37, workers=2)
    pd.testing.assert_frame_equal(one, many)


def test_batch_irr_equals_scalar_on_flows_with_several_sign_changes():
    rng = np.random.default_rng(13)
    n, width = 3000, 12
    flows = rng.normal(0, 100, (n, width))
    flows[:, 0] = -np.abs(flows[:, 0]) - 50
    got, reason = batch_irr(flows)
    kinds = set()
    for i in range(n):
        want = irr(flows[i])
        kinds.add(want.reason.split(" (")[0].split(":")[0])
        assert math.isnan(got[i]) == math.isnan(want.value), (i, reason[i], want.reason)
        if not math.isnan(want.value):
            np.testing.assert_allclose(got[i], want.value, rtol=1e-7, atol=1e-9)
        assert reason[i] == want.reason
    assert {"", "several IRRs", "no IRR"} <= kinds


def test_mirr_with_own_finance_and_reinvest_rates_equals_numpy_financial():
    rng = np.random.default_rng(17)
    n = 200
    options = random_options(rng, n)
    tax, rate = rng.uniform(0, 0.4, n), rng.uniform(0, 0.15, n)
    got = batch_appraise(options, tax, rate, True, None, finance_rate=0.06, reinvest_rate=0.11)
    flows = batch_cash_flows(options, tax, True, None)
    checked = 0
    for i in range(n):
        v = flows.net[i, : int(options["lifetime_years"].iloc[i]) + 1]
        want = npf.mirr(v, 0.06, 0.11)
        if math.isnan(want):
            assert math.isnan(got["mirr"].iloc[i])
            continue
        np.testing.assert_allclose(got["mirr"].iloc[i], want, rtol=1e-10, err_msg=f"row {i}")
        checked += 1
    assert checked > n // 2


def test_irr_at_the_bracket_ends_and_outside_it():
    # hand-made flows: r = 9999 is IRR_MAX-adjacent, -0.99999 lies below IRR_MIN = -0.9999
    inside = [-1.0, 5000.0]  # IRR = 4999
    outside_high = [-1.0, 20000.0]  # IRR = 19999 > IRR_MAX
    outside_low = [-1.0, 0.00001]  # IRR = -0.99999 < IRR_MIN
    got, reason = batch_irr(np.array([inside, outside_high, outside_low]))
    np.testing.assert_allclose(got[0], 4999.0, rtol=1e-12)
    assert reason[0] == ""
    assert math.isnan(got[1]) and reason[1] == "IRR outside [-0.9999, 10000.0]"
    assert math.isnan(got[2]) and reason[2] == "IRR outside [-0.9999, 10000.0]"


def test_each_compiled_kernel_keeps_one_signature_whatever_the_input_form():
    """Read-only pandas views, scalars, broadcast rates, empty support: one compiled form each.

    A second signature would mean a second compilation (seconds) in every fresh process.
    """
    from finance import kernels
    from finance.batch import warm_up

    assert warm_up() >= 0  # the start script's warm-up takes the same path as real calls
    rng = np.random.default_rng(19)
    n = 60
    options = random_options(rng, n)
    table = item_table(random_items(rng, options))
    tax = pd.Series(rng.uniform(0, 0.4, n)).to_numpy()  # read-only under pandas copy-on-write
    batch_appraise(options, tax, 0.08, True, table)
    batch_appraise(options, 0.25, rng.uniform(0, 0.1, n), rng.random(n) < 0.5, None, loss_carry_forward_years=3)
    batch_appraise(options, tax, 0.08, False, table, payback_basis=PaybackBasis("pre_tax", False),
                   finance_rate=0.05, reinvest_rate=0.1, chunk_rows=7, workers=2)
    batch_irr(rng.normal(0, 1, (20, 6)))
    batch_irr(np.asfortranarray(rng.normal(0, 1, (20, 6))).astype(np.float32))
    for kernel in (kernels.cash_flow_rows, kernels.discounted_rows, kernels.npv_rows, kernels.irr_rows):
        assert len(kernel.signatures) == 1, (kernel.__name__, kernel.signatures)


@pytest.mark.parametrize("basis", [PaybackBasis(), PaybackBasis("pre_tax", True), PaybackBasis("after_tax", False)])
def test_pass_with_support_reusing_the_pass_without_gives_the_full_pass_bit_for_bit(basis):
    """batch_columns(without=...) appraises only the rows with items and takes the others' figures
    and the NPV without support from the pass without: every column equals the full pass's, bit
    for bit, and net_out holds the same flows as batch_cash_flows on the rows it computed."""
    from finance.batch import batch_columns

    rng = np.random.default_rng(23)
    n = 300
    options = random_options(rng, n).assign(co2e_avoided_t=rng.uniform(0, 50, n))
    items = random_items(rng, options)
    table = item_table(items)
    tax, rate, cap = rng.uniform(0, 0.4, n), rng.uniform(-0.05, 0.15, n), rng.random(n) < 0.5
    kw = dict(payback_basis=basis, loss_carry_forward_years=4, chunk_rows=29, workers=2)
    plain = batch_columns(options, tax, rate, cap, None, **kw)
    width = int(options["lifetime_years"].max()) + 1
    net = np.zeros((n, width))
    reused = batch_columns(options, tax, rate, cap, table, without=plain, net_out=net, **kw)
    full = batch_columns(options, tax, rate, cap, table, **kw)
    assert list(reused) == list(full)
    for name in full:
        if full[name].dtype == object:
            assert list(reused[name]) == list(full[name]), name
        else:
            np.testing.assert_array_equal(reused[name].view(np.int64), full[name].view(np.int64), err_msg=name)
    with_items = np.array([bool(x) for x in items])
    assert with_items.any() and (~with_items).any()
    flows = batch_cash_flows(options, tax, cap, table, loss_carry_forward_years=4).net
    np.testing.assert_array_equal(net[with_items], flows[with_items])
    pd.testing.assert_frame_equal(batch_appraise(options, tax, rate, cap, table, **kw), pd.DataFrame(full))


def test_filled_is_np_full_with_one_object_per_array():
    from finance.batch_arrays import filled

    for value in ("after_tax, with support", "", None, 1.5):
        a, b = filled(5, value), np.full(5, value, dtype=object)
        assert a.dtype == object and a.shape == (5,) and a.tolist() == b.tolist()
        assert all(x is value for x in a)  # the one object, not a copy per cell
    assert filled(0, "x").shape == (0,)


def test_net_out_of_the_pass_over_all_rows_holds_every_flow_and_changes_no_figure():
    """The kernel writes the blocks as wide as net_out straight into its rows, the narrower blocks
    are copied: either way net_out holds batch_cash_flows' flows and the figures are bit for bit
    those of the pass without net_out."""
    from finance.batch import batch_columns

    rng = np.random.default_rng(31)
    n = 200
    options = random_options(rng, n)
    life = np.where(np.arange(n) < 100, rng.integers(1, 6, n), rng.integers(1, 21, n))  # narrow blocks first
    life[150] = 20
    options = options.assign(lifetime_years=life, depreciation_years=np.minimum(options["depreciation_years"], life))
    items = random_items(rng, options)
    table = item_table(items)
    tax, rate, cap = rng.uniform(0, 0.4, n), rng.uniform(-0.05, 0.15, n), rng.random(n) < 0.5
    for support in (None, table):
        kw = dict(loss_carry_forward_years=4, chunk_rows=25, workers=2)
        net = np.zeros((n, 21))
        got = batch_columns(options, tax, rate, cap, support, net_out=net, **kw)
        ref = batch_columns(options, tax, rate, cap, support, **kw)
        for name in ref:
            if ref[name].dtype == object:
                assert list(got[name]) == list(ref[name]), name
            else:
                np.testing.assert_array_equal(got[name].view(np.int64), ref[name].view(np.int64), err_msg=name)
        np.testing.assert_array_equal(net, batch_cash_flows(options, tax, cap, support, loss_carry_forward_years=4).net)

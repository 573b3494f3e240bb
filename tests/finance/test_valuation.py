"""Each support item's cash value and NPV effect (finance.valuation) against hand calculations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from finance.batch import batch_appraise
from finance.valuation import item_values
from policies.items import ITEM_COLUMNS, SupportItem

# I = 1,000,000; savings 400,000/yr; 10 years; straight line 100,000/yr; tax 25 %:
# taxable profit 300,000/yr, tax 75,000/yr.
OPTION = {"investment": 1_000_000.0, "annual_savings": 400_000.0, "lifetime_years": 10}
TAX, RATE = 0.25, 0.10


def annuity(r: float, n: int) -> float:
    return (1 - (1 + r) ** -n) / r


def table(items: list[SupportItem], row: int = 0) -> pd.DataFrame:
    frame = pd.DataFrame([it.as_record() for it in items])
    frame.insert(0, "row", row)
    return frame[list(ITEM_COLUMNS)]


def item(kind: str, amount: float = 0.0, year: int = 1, **kw: object) -> SupportItem:
    return SupportItem(instrument_id=f"T-{kind}", name=kind, kind=kind, amount=amount, year=year, pack="T",
                       pack_version="2025-01-01", source="test", **kw)  # type: ignore[arg-type]


HOLIDAY = item("tax_holiday", exempt_years=3, reduced_years=3, reduced_factor=0.5)


def test_tax_holiday_is_worth_the_tax_it_removes():
    v = item_values(pd.DataFrame([OPTION]), TAX, RATE, True, table([HOLIDAY]), by_year=True)
    # years 1-3: all 75,000 of tax removed; years 4-6: half of it
    assert v.cash_value[0] == pytest.approx(3 * 75_000 + 3 * 37_500)
    assert v.npv_effect[0] == pytest.approx(75_000 * annuity(RATE, 3) + 37_500 * (annuity(RATE, 6) - annuity(RATE, 3)))
    assert v.by_year[0, :8] == pytest.approx([0, 75_000, 75_000, 75_000, 37_500, 37_500, 37_500, 0])


def test_deduction_in_an_exempt_year_saves_no_tax():
    deduction = item("tax_deduction", amount=400_000.0, year=1)
    v = item_values(pd.DataFrame([OPTION]), TAX, RATE, True, table([HOLIDAY, deduction]))
    assert v.cash_value[1] == pytest.approx(0.0, abs=1e-6)
    # the other order: the deduction saves 100,000 in year 1; the holiday then removes a tax saving of
    # 25,000 in year 1 (taxable profit -100,000 at factor 0) instead of 75,000 of tax
    w = item_values(pd.DataFrame([OPTION]), TAX, RATE, True, table([deduction, HOLIDAY]))
    assert w.cash_value[0] == pytest.approx(100_000.0)
    assert w.cash_value[1] == pytest.approx(-25_000 + 2 * 75_000 + 3 * 37_500)
    # attribution order changes the split, never the total
    assert v.npv_effect.sum() == pytest.approx(w.npv_effect.sum())


def test_taxable_grant_is_worth_its_face_less_the_tax():
    grant = item("grant", amount=200_000.0, year=0, taxable=True)
    v = item_values(pd.DataFrame([OPTION]), TAX, RATE, True, table([grant]))
    assert v.cash_value[0] == pytest.approx(200_000 * (1 - TAX))  # taxed at t = 0 (taxable grant in year 0)
    assert v.npv_effect[0] == pytest.approx(200_000 * (1 - TAX))


def test_soft_loan_npv_effect_is_the_interest_saved():
    # 500,000 at 0 % over 5 years against a 10 % discount rate: 100,000 a year repaid
    loan = item("soft_loan", amount=500_000.0, year=0, loan_rate=0.0, loan_years=5)
    v = item_values(pd.DataFrame([OPTION]), TAX, RATE, True, table([loan]))
    assert v.cash_value[0] == pytest.approx(0.0, abs=1e-6)
    assert v.npv_effect[0] == pytest.approx(500_000 - 100_000 * annuity(RATE, 5))


def test_item_effects_add_up_to_support_total_on_random_options():
    rng = np.random.default_rng(7)
    n = 60
    opts = pd.DataFrame({
        "investment": rng.uniform(1e4, 1e6, n), "annual_savings": rng.uniform(-1e4, 3e5, n),
        "annual_cost_change": rng.uniform(0, 2e4, n), "lifetime_years": rng.integers(3, 20, n),
        "salvage_value": rng.uniform(0, 1e4, n),
    })
    tax = rng.uniform(0, 0.35, n)
    rate = rng.uniform(0.02, 0.15, n)
    cap = rng.random(n) < 0.6
    rows = []
    for i in range(n):
        chosen = [item("grant", amount=float(opts.investment[i]) * 0.2, year=0, taxable=bool(i % 2)),
                  item("tax_deduction", amount=float(opts.investment[i]) * 0.4, year=1),
                  item("tax_credit", amount=float(opts.investment[i]) * 0.1, year=1, carry_forward_years=5),
                  HOLIDAY,
                  item("depreciation", amount=float(opts.investment[i]), first_year_share=1.0)]
        pick = rng.permutation(len(chosen))[: rng.integers(0, len(chosen) + 1)]
        for k in pick:
            rows.append(table([chosen[k]], row=i))
    support = pd.concat(rows, ignore_index=True)
    v = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=7)
    # the flows without support handed in (a programme's baseline) give the same values, bit for bit
    from finance.batch_flows import batch_cash_flows

    net0 = batch_cash_flows(opts, tax, cap, None, loss_carry_forward_years=np.full(n, 7.0)).net
    w = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=7, by_year=True, net_without=net0)
    u = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=7, by_year=True)
    np.testing.assert_array_equal(w.npv_effect, v.npv_effect)
    np.testing.assert_array_equal(w.cash_value, u.cash_value)
    np.testing.assert_array_equal(w.by_year, u.by_year)
    # the supported batch pass collects those flows of the rows with items (blocks of 7 options,
    # narrower than the widest life): the same flows there, zeros elsewhere, the same values
    out = np.zeros_like(net0)
    batch_appraise(opts, tax, rate, cap, support, loss_carry_forward_years=7, chunk_rows=7, workers=2,
                   net_without_out=out)
    have = np.unique(support["row"].to_numpy(dtype=np.int64))
    np.testing.assert_array_equal(out[have], net0[have])
    assert not out[np.setdiff1d(np.arange(n), have)].any()
    b = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=7, by_year=True, net_without=out)
    np.testing.assert_array_equal(b.npv_effect, v.npv_effect)
    np.testing.assert_array_equal(b.by_year, u.by_year)
    total = batch_appraise(opts, tax, rate, cap, support, loss_carry_forward_years=7)["support_total"].to_numpy()
    per_option = np.bincount(support["row"].to_numpy(dtype=np.int64), weights=v.npv_effect, minlength=n)
    assert per_option == pytest.approx(total, rel=1e-9, abs=1e-6)


def _case_with_flows(seed: int, n: int, **kw):
    """Random options and items with the flows of the passes without and with all items (finance.batch's
    net_out), as appraise_columns hands them to item_values; ``kw`` goes to both batch_columns calls."""
    from finance.batch import batch_columns
    from tests.finance.random_cases import item_table, random_items, random_options

    rng = np.random.default_rng(seed)
    opts = random_options(rng, n)
    support = item_table(random_items(rng, opts))
    tax, rate, cap = rng.uniform(0, 0.35, n), rng.uniform(0.0, 0.15, n), rng.random(n) < 0.6
    width = int(opts["lifetime_years"].max()) + 1
    net0, net1 = np.zeros((n, width)), np.zeros((n, width))
    plain = batch_columns(opts, tax, rate, cap, None, net_out=net0, **kw)
    batch_columns(opts, tax, rate, cap, support, without=plain, net_out=net1, **kw)
    return opts, support, tax, rate, cap, net0, net1


@pytest.mark.parametrize("sum_block", [16384, 7])
def test_flows_with_all_items_handed_in_give_the_same_values_bit_for_bit(sum_block, monkeypatch):
    """net_with (the supported pass's flows, finance.batch.batch_columns' net_out) replaces the last
    item's flow; the values equal those built item by item, in any block size and thread count."""
    import finance.valuation as valuation

    opts, support, tax, rate, cap, net0, net1 = _case_with_flows(11, 90, loss_carry_forward_years=5, chunk_rows=8, workers=2)
    u = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=5, by_year=True)
    monkeypatch.setattr(valuation, "_SUM_BLOCK", sum_block)  # blocks of options for the sums: the same values
    w = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=5, by_year=True, net_without=net0,
                    net_with=net1, workers=2)
    v = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=5, by_year=True)
    np.testing.assert_array_equal(v.by_year, u.by_year)
    np.testing.assert_array_equal(w.cash_value, u.cash_value)
    np.testing.assert_array_equal(w.npv_effect, u.npv_effect)
    np.testing.assert_array_equal(w.by_year, u.by_year)
    assert (np.bincount(support["row"].to_numpy(dtype=np.int64), minlength=len(opts)) > 1).any()  # options of several items


def test_threaded_flows_are_the_one_thread_flows(monkeypatch):
    """The valuation's flows built over blocks on two threads equal one call's (row by row)."""
    import finance.valuation as valuation
    from tests.finance.random_cases import item_table, random_items, random_options

    rng = np.random.default_rng(12)
    opts = random_options(rng, 70)
    support = item_table(random_items(rng, opts))
    one = item_values(opts, 0.25, 0.08, False, support, by_year=True)
    monkeypatch.setattr(valuation, "_BLOCK", 6)
    two = item_values(opts, 0.25, 0.08, False, support, by_year=True, workers=2)
    np.testing.assert_array_equal(two.by_year, one.by_year)
    np.testing.assert_array_equal(two.npv_effect, one.npv_effect)


def test_sums_over_blocks_on_two_threads_are_the_one_thread_sums(monkeypatch):
    """The changes and their sums taken block by block on two threads (each block writes its own
    items' cells) equal one thread's over one block, bit for bit, with and without the given flows."""
    import finance.valuation as valuation

    opts, support, tax, rate, cap, net0, net1 = _case_with_flows(13, 120, workers=1)
    one = item_values(opts, tax, rate, cap, support, by_year=True, workers=1)
    one_given = item_values(opts, tax, rate, cap, support, by_year=True, net_without=net0, net_with=net1, workers=1)
    monkeypatch.setattr(valuation, "_SUM_BLOCK", 5)
    calls = []
    spans = valuation.run_spans
    monkeypatch.setattr(valuation, "run_spans", lambda run, s, w: (calls.append((len(s), w)), spans(run, s, w)))
    two = item_values(opts, tax, rate, cap, support, by_year=True, workers=2)
    two_given = item_values(opts, tax, rate, cap, support, by_year=True, net_without=net0, net_with=net1, workers=2)
    assert any(k > 1 and w == 2 for k, w in calls)  # several blocks, two threads
    for a, b in ((two, one), (two_given, one_given)):
        np.testing.assert_array_equal(a.cash_value, b.cash_value)
        np.testing.assert_array_equal(a.npv_effect, b.npv_effect)
        np.testing.assert_array_equal(a.by_year, b.by_year)


def test_items_in_any_table_order_keep_their_values_and_the_given_arrays_change_nothing():
    """A table not grouped by option (shuffled here; the engine's table is grouped already) values
    each item as the grouped table does, bit for bit; the validated item arrays handed in
    (finance.batch_arrays._support_arrays, as appraise does) give the same values as the table."""
    from finance.batch_arrays import _support_arrays, option_arrays
    from tests.finance.random_cases import item_table, random_items, random_options

    rng = np.random.default_rng(13)
    n = 80
    opts = random_options(rng, n)
    support = item_table(random_items(rng, opts))
    tax, rate, cap = rng.uniform(0, 0.35, n), rng.uniform(0.0, 0.15, n), rng.random(n) < 0.6
    assert (np.diff(support["row"].to_numpy()) >= 0).all() and support["row"].duplicated().any()
    grouped = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=5, by_year=True)
    shuffled = support.iloc[rng.permutation(len(support))].reset_index(drop=True)
    got = item_values(opts, tax, rate, cap, shuffled, loss_carry_forward_years=5, by_year=True)
    # grouped by a stable sort (each option's items in the shuffled table's order), valued again
    restore = np.argsort(shuffled["row"].to_numpy(), kind="stable")
    again = item_values(opts, tax, rate, cap, shuffled.iloc[restore].reset_index(drop=True),
                        loss_carry_forward_years=5, by_year=True)
    np.testing.assert_array_equal(got.npv_effect[restore], again.npv_effect)
    np.testing.assert_array_equal(got.cash_value[restore], again.cash_value)
    np.testing.assert_array_equal(got.by_year[restore], again.by_year)
    arrays = _support_arrays(support, n, option_arrays(opts)["lifetime_years"])
    given = item_values(opts, tax, rate, cap, support, loss_carry_forward_years=5, by_year=True, support_arrays=arrays)
    np.testing.assert_array_equal(given.npv_effect, grouped.npv_effect)
    np.testing.assert_array_equal(given.by_year, grouped.by_year)

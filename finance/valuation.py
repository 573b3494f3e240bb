"""What each support item is worth: its cash value and NPV effect, year by year, from the cash-flow engine.

A support item's value is not always its nominal ``amount``: a tax holiday carries amount 0 and is
worth the tax it removes; a deduction is worth the tax it saves (nothing in a year the holiday
already exempts); a taxable grant is worth less than its face; a soft loan is worth the interest it
saves.  Every path that shows or costs an item (the Appraisal page, ``cpscreen appraise``, the
programme's outlay) reads its value from here, computed by the same cash-flow engine as the
metrics (:func:`finance.batch_flows.batch_cash_flows`, compiled kernels).

Attribution
-----------
Items of one option interact (a deduction in a holiday year saves no tax), so an item's value is
its *marginal* effect in the order of the support table (the pack's rule order, which is also the
engine's stacking order): with items 1..k of an option, the change of the after-tax net cash flow
between the option with items 1..k-1 and with items 1..k,

    delta_k(t) = net(t; items 1..k) - net(t; items 1..k-1)    [currency], t = 0..N.

The deltas telescope, so an option's item values add up exactly to its total:
sum_k npv_effect_k = NPV with support - NPV without = ``support_total`` of :mod:`finance.appraise`.

* ``cash_value`` = sum_t delta_k(t): the undiscounted money the item brings the enterprise over
  the life [currency] (a grant: its face, net of tax if taxable; a tax item: the tax not paid; a
  soft loan: principal received less repayments, i.e. minus the interest paid).
* ``npv_effect`` = sum_t delta_k(t) / (1 + r)^t at the option's discount rate [currency] (t = 0
  undiscounted, DESIGN.md section 3).
* ``by_year`` (optional) = delta_k(t) per period: for an item whose value is tax not paid
  (deduction, credit, accelerated depreciation, holiday) it is the tax forgone by the treasury in
  that period, which :mod:`programme.outlay` costs.

References
----------
.. [1] DESIGN.md section 3 (cash-flow model and conventions), :mod:`finance.cashflow`.
.. [2] OECD, "Tax Expenditures in OECD Countries", 2010, ch. 1: revenue forgone = the tax the
   taxpayer does not pay because of the provision, other provisions given.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance.batch import run_spans
from finance.batch_arrays import _support_arrays, option_arrays, year_arrays
from finance.batch_flows import _flows, block_flows

__all__ = ["ItemValues", "item_values"]


@dataclass(frozen=True)
class ItemValues:
    """Values of the rows of a long support table, position-aligned with it.

    Attributes
    ----------
    cash_value : ndarray, shape (m,)
        Undiscounted change of the option's after-tax net cash flow over its life. [currency]
    npv_effect : ndarray, shape (m,)
        Discounted change at the option's discount rate. [currency]
    by_year : ndarray, shape (m, T) or None
        Change in each period t = 0..T-1 (zero beyond the option's life), when asked for. [currency]
    """

    cash_value: np.ndarray
    npv_effect: np.ndarray
    by_year: np.ndarray | None = None


def item_values(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike,
    support: pd.DataFrame,
    *,
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    by_year: bool = False,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
    net_without: np.ndarray | None = None,
    net_with: np.ndarray | None = None,
    arrays: dict[str, np.ndarray] | None = None,
    workers: int = 1,
    support_arrays: dict[str, np.ndarray] | None = None,
) -> ItemValues:
    """Cash value and NPV effect of every support item, by marginal attribution in table order.

    Parameters
    ----------
    options : DataFrame
        Validated options; position i is ``row`` i of ``support``.
    tax_rate : array_like, shape (n,) or scalar
        Income tax rate per option. [/1]
    discount_rate : array_like, shape (n,) or scalar
        Discount rate per option. [/1 per yr]
    tax_capacity : array_like of bool, shape (n,) or scalar
        Whether other profits absorb losses and credits in the year.
    support : DataFrame
        Long support table (:data:`policies.items.ITEM_COLUMNS`), possibly empty.
    loss_carry_forward_years : int, None or array_like of shape (n,)
        Loss carry-forward limit without tax capacity (None/NaN = no limit). [yr]
    by_year : bool
        Also return the per-period changes.
    tax_rate_by_year, depreciation_schedule : ndarray, shape (n, >= max life + 1), optional
        Tax rate in force in each year [/1] and cumulative depreciation share [/1] per option
        (:func:`finance.batch_flows.batch_cash_flows`); a tax item is then worth the tax it saves at
        the rate of the year it saves it.
    net_without : ndarray, shape (n, >= max life + 1), optional
        Net flows of every option without support, as :func:`finance.batch_flows.batch_cash_flows`
        gives them for the same inputs (e.g. a programme's baseline): reused instead of computed
        again (the same kernel on the same rows, so the values are the same). [currency]
    net_with : ndarray, shape (n, >= max life + 1), optional
        Net flows of the options that have items with all their items (other rows not read), as
        :func:`finance.batch.batch_columns` gives them (``net_out``): the flow after each option's
        last item is read from here instead of computed again. [currency]
    arrays : dict of str -> ndarray, optional
        :func:`finance.batch_arrays.option_arrays` of ``options``, where the caller has them already.
    workers : int
        Threads building the flows (the compiled kernel releases the GIL); results do not depend on it.
    support_arrays : dict of str -> ndarray, optional
        :func:`finance.batch_arrays._support_arrays` of ``support``, where the caller has them already.

    Returns
    -------
    ItemValues
        Aligned with the rows of ``support`` (its order, not its index).

    Raises
    ------
    ValueError
        As :func:`finance.batch_flows.batch_cash_flows` does, naming the row and field.
    """
    arr = option_arrays(options) if arrays is None else arrays
    n = len(options)
    m = len(support)
    life = arr["lifetime_years"]
    width = int(life.max()) + 1 if n else 1
    cash = np.zeros(m)
    npv = np.zeros(m)
    years = np.zeros((m, width)) if by_year else None
    if m == 0:
        return ItemValues(cash, npv, years)
    tax = np.broadcast_to(np.asarray(tax_rate, dtype=float), (n,))
    disc = np.broadcast_to(np.asarray(discount_rate, dtype=float), (n,))
    capacity = np.broadcast_to(np.asarray(tax_capacity, dtype=bool), (n,))
    loss = np.broadcast_to(np.asarray(np.nan if loss_carry_forward_years is None else loss_carry_forward_years,
                                      dtype=float), (n,))
    sup = _support_arrays(support, n, life) if support_arrays is None else support_arrays
    rate_year, dep_cum = year_arrays(tax_rate_by_year, depreciation_schedule, life)
    if rate_year is not None:
        rate_year = rate_year[:, :width]
    if dep_cum is not None:
        dep_cum = dep_cum[:, :width]

    def rows_of(values: np.ndarray | None, have: np.ndarray) -> np.ndarray | None:
        return None if values is None else values[have]

    # items grouped by option (a stable sort keeps the table order within an option; the engine's
    # table is grouped already); `pos` maps each sorted item back to its row of the table
    if m > 1 and not bool(np.all(sup["row"][1:] >= sup["row"][:-1])):
        pos = np.argsort(sup["row"], kind="stable")
        sup = {name: v[pos] for name, v in sup.items()}
    else:
        pos = np.arange(m)
    rows = sup["row"]
    # each option's run of items: its first item and how many (the offsets searchsorted would give)
    first = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    counts = np.diff(np.append(first, m))
    starts = np.repeat(first, counts)
    rank = np.arange(m) - starts  # position of each item within its option
    # the option's last item: the flow with items 1..k is then the flow with all items (net_with)
    last = (np.repeat(counts, counts) == rank + 1) if net_with is not None else None
    prev: np.ndarray | None = None  # net flows with the items of rank < k, of the options in `prev_rows`
    prev_rows: np.ndarray | None = None
    for k in range(int(rank.max()) + 1):
        items = np.flatnonzero(rank == k)  # sorted by row: one item per option that has a k-th item
        have = rows[items]
        base_all = None  # the flows before the k-th item, where they must be built
        if prev is None and net_without is None:
            base_all = _flows_in(workers, {name: v[have] for name, v in arr.items()}, tax[have], capacity[have], {},
                                 loss[have], width, rate_year=rows_of(rate_year, have), dep_cum=rows_of(dep_cum, have))
        done = np.zeros(have.size, dtype=bool) if last is None else last[items]
        calc = have[~done]  # options with an item after the k-th, or all without net_with
        computed = np.empty((0, width))
        if calc.size:
            # the items of rank <= k of those options, still grouped by option: offsets per option
            keep = (rank <= k) & np.isin(rows, calc) if (k or calc.size < have.size) else rank <= k
            picked = np.flatnonzero(keep)  # once, then a gather per column (not a mask scan each)
            sub = {name: v[picked] for name, v in sup.items()}
            bounds = np.searchsorted(sub["row"], np.append(calc, n))
            computed = _flows_in(workers, {name: v[calc] for name, v in arr.items()}, tax[calc], capacity[calc], sub,
                                 loss[calc], width, bounds=bounds, rate_year=rows_of(rate_year, calc),
                                 dep_cum=rows_of(dep_cum, calc))
        from_calc = np.cumsum(~done) - 1  # row of `computed` of each option not done
        t = np.arange(width, dtype=float)

        # the changes and their sums block by block of options (row by row: the same values; the
        # temporaries stay a block's size); blocks write their own items' cells, so ``workers``
        # threads take them at once (numpy's gathers, exp and sums release the GIL): the same values
        def sums(lo: int, hi: int) -> None:
            h = have[lo:hi]
            if base_all is not None:
                base = base_all[lo:hi].copy()
            elif prev is None:
                base = _rows(net_without, h, width)
            else:
                base = prev[np.searchsorted(prev_rows, h)]
            d = done[lo:hi]
            if d.any():
                assert net_with is not None
                net = _rows(net_with, h, width)  # the rows not done are overwritten next
                todo = np.flatnonzero(~d)
                net[todo] = computed[from_calc[lo + todo]]
            else:
                net = computed[from_calc[lo:hi]]
            delta = np.subtract(net, base, out=base)  # base is a copy: reuse it
            at = pos[items[lo:hi]]
            cash[at] = delta.sum(axis=1)
            if years is not None:
                years[at] = delta
            # discount factors (1 + r)**-t as exp(-t ln(1 + r)): t x (-ln(1 + r)) is -(t ln(1 + r)) exactly
            factor = np.multiply.outer(-np.log1p(disc[h]), t)
            np.exp(factor, out=factor)
            npv[at] = np.multiply(delta, factor, out=factor).sum(axis=1)

        run_spans(sums, [(lo, min(lo + _SUM_BLOCK, have.size)) for lo in range(0, have.size, _SUM_BLOCK)], workers)
        prev, prev_rows = computed, calc
    return ItemValues(cash, npv, years)


def _rows(values: np.ndarray, rows: np.ndarray, width: int) -> np.ndarray:
    """``values[rows, :width]`` as a new array (a row gather first: numpy's mixed indexing is slower)."""
    values = np.asarray(values)
    out = np.take(values, rows, axis=0)
    return out if values.shape[1] == width else np.ascontiguousarray(out[:, :width])


def _flows_in(workers: int, part: dict[str, np.ndarray], tax: np.ndarray, capacity: np.ndarray,
              sup: dict[str, np.ndarray], loss: np.ndarray, width: int, bounds: np.ndarray | None = None, *,
              rate_year: np.ndarray | None, dep_cum: np.ndarray | None) -> np.ndarray:
    """Net flows (m, width) of :func:`finance.batch_flows._flows`, built by ``workers`` threads over
    blocks of rows (each row's flow depends on that row's data only: the same values)."""
    m = tax.size
    if workers <= 1 or m < 2 * _BLOCK:
        return _flows(part, tax, capacity, sup, loss, width, bounds, rate_year=rate_year, dep_cum=dep_cum).net
    net = np.empty((m, width))

    def run(lo: int, hi: int) -> None:
        net[lo:hi] = block_flows(part, tax, capacity, sup, bounds, loss, lo, hi, width,
                                 rate_year=rate_year, dep_cum=dep_cum).net

    run_spans(run, [(lo, min(lo + _BLOCK, m)) for lo in range(0, m, _BLOCK)], workers)
    return net


#: Rows per block of :func:`_flows_in`.
_BLOCK = 65536

#: Options per block of the changes and their sums in :func:`item_values`.
_SUM_BLOCK = 16384

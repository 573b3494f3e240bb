"""Batch appraisal of many options in one pass: the same model as :mod:`finance.cashflow`.

Options arrive as numpy arrays and their cash flows are held as 2-D arrays (options x (max life
+ 1)), zero beyond each option's life.  Validation, grouping of support items by option
(:mod:`finance.batch_arrays`) and the result table are numpy and pandas; the loops over options
run compiled, with the GIL released, in :mod:`finance.kernels` (cash flows,
:mod:`finance.batch_flows`; discounted sums and paybacks, IRR, :mod:`finance.batch_metrics`).
This module runs them block by block on one or more threads (:func:`run_spans`) and assembles
the columns; :func:`warm_up` (``python -m finance.batch``) compiles the kernels ahead of use.

Conventions are those of :mod:`finance.cashflow` and :mod:`finance.metrics` (flows at period ends,
t = 0 undiscounted as in ``numpy_financial.npv``; amounts [currency], rates [/1], years [yr]).

``support_total`` is the present value of the support to the enterprise: NPV with support minus
NPV of the same option without support, at the option's discount rate [currency].

References
----------
.. [1] numpy-financial ``npv``, ``irr``, ``mirr`` (the per-option reference in the tests).
.. [2] Microsoft Excel help, "NPV function", "IRR function".
.. [3] UNEP/UNIDO (1991) and the Chinese cleaner production audit handbook (1996), see
   :mod:`finance.handbook`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance import kernels
from finance.batch_arrays import _by_row, _c, _check, _support_arrays, filled, option_arrays, year_arrays
from finance.batch_flows import BatchFlows, _flows
from finance.batch_metrics import _metrics
from finance.metrics import PaybackBasis, cost_per_unit
from policies.items import SUPPORT_KINDS

#: Result columns of :func:`batch_appraise` (DESIGN.md section 5 names).
BATCH_COLUMNS: tuple[str, ...] = (
    "npv", "irr", "mirr", "simple_payback_years", "discounted_payback_years", "npv_ratio",
    "benefit_cost_ratio", "equivalent_annual_value", "support_total", "irr_reason",
)

#: Environmental columns -> name of the cost-per-unit column added where present.
UNIT_COLUMNS: dict[str, str] = {
    "co2e_avoided_t": "cost_per_t_co2e",
    "waste_avoided_t": "cost_per_t_waste",
    "energy_saved_mwh": "cost_per_mwh",
}


def run_spans(run: Callable[[int, int], None], spans: Sequence[tuple[int, int]], workers: int) -> None:
    """``run(lo, hi)`` for every span: on ``workers`` threads where there are several spans (the
    compiled kernels and numpy release the GIL), else in order on this thread.  Each span writes
    its own rows, so results do not depend on ``workers``; the first exception is raised."""
    if workers > 1 and len(spans) > 1:
        with ThreadPoolExecutor(max_workers=min(workers, len(spans))) as pool:
            list(pool.map(lambda span: run(*span), spans))
    else:
        for span in spans:
            run(*span)


def batch_appraise(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    payback_basis: PaybackBasis = PaybackBasis(),
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    finance_rate: float | None = None,
    reinvest_rate: float | None = None,
    chunk_rows: int = 16384,
    workers: int = 1,
    support_total: bool = True,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
    net_without_out: np.ndarray | None = None,
) -> pd.DataFrame:
    """Appraise every option in one pass (compiled row kernels, block by block).

    Parameters
    ----------
    options : DataFrame
        Validated options (DESIGN.md section 2); position i is ``row`` i of ``support``.
    tax_rate : array_like, shape (n,) or scalar
        Income tax rate per option. [/1]
    discount_rate : array_like, shape (n,) or scalar
        Discount rate per option. [/1 per yr]
    tax_capacity : array_like of bool, shape (n,) or scalar
        Whether the enterprise absorbs tax losses and credits in the year.
    support : DataFrame, optional
        Long support table (:data:`policies.items.ITEM_COLUMNS`), possibly empty.
    payback_basis : PaybackBasis
        Flows payback is measured on; recorded in column ``payback_basis``.
    loss_carry_forward_years : int, None or array_like of shape (n,)
        Loss carry-forward limit without tax capacity (None/NaN = no limit). [yr]
    finance_rate, reinvest_rate : float, optional
        MIRR rates [/1]; default the discount rate.
    chunk_rows : int
        Options per block (consecutive options; each block's arrays are as wide as its longest
        life). Results do not depend on it.
    workers : int
        Threads working on blocks at once (the compiled kernels release the GIL).
    support_total : bool
        Also appraise the supported rows without support for ``support_total`` (False: NaN there,
        one cash-flow pass less, for callers that need only the figures with support).
    tax_rate_by_year, depreciation_schedule : ndarray, shape (n, >= max life + 1), optional
        Tax rate in force in each year [/1] and cumulative depreciation share [/1] per option, as
        for :func:`finance.batch_flows.batch_cash_flows`.
    net_without_out : ndarray, shape (n, >= max life + 1), optional
        Zero-filled array that receives the net flows without support of the rows that have
        support items (the flows ``support_total`` is measured on, zero past each life; other rows
        untouched), for :func:`finance.valuation.item_values`' ``net_without``. [currency]

    Returns
    -------
    DataFrame
        Index as ``options``; columns :data:`BATCH_COLUMNS`, ``payback_basis`` and, where the
        options carry the environmental columns, :data:`UNIT_COLUMNS` [currency/unit].
        ``support_total`` = NPV with support - NPV without [currency].  Paybacks are NaN where
        never reached (null in JSON).

    References
    ----------
    .. [1] numpy-financial; Microsoft Excel NPV/IRR help; UNEP/UNIDO (1991); Chinese cleaner
       production audit handbook (1996).
    """
    cols = batch_columns(options, tax_rate, discount_rate, tax_capacity, support, payback_basis=payback_basis,
                         loss_carry_forward_years=loss_carry_forward_years, finance_rate=finance_rate,
                         reinvest_rate=reinvest_rate, chunk_rows=chunk_rows, workers=workers,
                         support_total=support_total, tax_rate_by_year=tax_rate_by_year,
                         depreciation_schedule=depreciation_schedule, net_without_out=net_without_out)
    result = pd.DataFrame(cols)
    result.index = options.index
    return result


def batch_columns(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    payback_basis: PaybackBasis = PaybackBasis(),
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    finance_rate: float | None = None,
    reinvest_rate: float | None = None,
    chunk_rows: int = 16384,
    workers: int = 1,
    support_total: bool = True,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
    net_without_out: np.ndarray | None = None,
    net_out: np.ndarray | None = None,
    without: dict[str, np.ndarray] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
    support_arrays: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """:func:`batch_appraise` as a dict of columns (in the frame's order), with flows to reuse.

    Parameters are those of :func:`batch_appraise`, and

    net_out : ndarray, shape (n, >= max life + 1), optional
        Zero-filled array that receives every computed row's net flow (with the support given,
        zero past each life). [currency]
    without : dict of str -> ndarray, optional
        This function's result for the same options and inputs without support (e.g. the
        previous call).  With a payback measured with support, only the rows that have support
        items are appraised; the others take their figures from ``without`` (the same kernels on
        the same rows: the same values), and ``support_total`` is measured against its ``npv``
        (the same flows and sums :func:`finance.kernels.npv_rows` would give).  ``net_without_out``
        is then not filled (``net_out`` of the call without support holds those flows) and
        ``net_out``'s rows without items stay zero.
    arrays : dict of str -> ndarray, optional
        :func:`finance.batch_arrays.option_arrays` of ``options``, where the caller has them already.
    support_arrays : dict of str -> ndarray, optional
        :func:`finance.batch_arrays._support_arrays` of ``support`` (validated, not changed here), where the caller
        has them already (e.g. for :func:`finance.valuation.item_values` too).

    Returns
    -------
    dict of str -> ndarray
        Columns :data:`BATCH_COLUMNS`, ``payback_basis`` and the :data:`UNIT_COLUMNS` present.
    """
    arr = option_arrays(options) if arrays is None else arrays
    n = len(options)
    tax = np.broadcast_to(np.asarray(tax_rate, dtype=float), (n,))
    _check(~((tax >= 0) & (tax <= 1)), "tax_rate", "must be in 0..1", tax)
    disc = np.broadcast_to(np.asarray(discount_rate, dtype=float), (n,))
    _check(~(disc > -1), "discount_rate", "must be > -1", disc)
    capacity = np.broadcast_to(np.asarray(tax_capacity, dtype=bool), (n,))
    loss = np.broadcast_to(np.asarray(np.nan if loss_carry_forward_years is None else loss_carry_forward_years,
                                      dtype=float), (n,))
    sup = _support_arrays(support, n, arr["lifetime_years"]) if support_arrays is None else support_arrays
    rate_year, dep_cum = year_arrays(tax_rate_by_year, depreciation_schedule, arr["lifetime_years"])
    # blocks of consecutive options (the kernels stop at each option's life, so mixing lives costs
    # no work); support items grouped by option so that each block takes a contiguous slice
    if sup:
        sup = _by_row(sup)
        bounds = np.searchsorted(sup["row"], np.arange(n + 1))
    else:
        bounds = np.zeros(n + 1, dtype=np.int64)
    reuse = without is not None and payback_basis.with_support and support_total
    if reuse:
        assert without is not None
        cols = {c: np.array(without[c], dtype=float) for c in BATCH_COLUMNS if c != "irr_reason"}
        cols["support_total"] = np.zeros(n)
        reasons = np.array(without["irr_reason"], dtype=object)
        place = np.flatnonzero(np.diff(bounds))  # the rows with items: only these change
        if place.size:
            pick = place if place.size < n else None
            part = arr if pick is None else {k: v[pick] for k, v in arr.items()}
            def rows(x: np.ndarray | None) -> np.ndarray | None:
                return x if x is None or pick is None else x[pick]

            # the rows with items hold all the items, in order: row j's are bounds[place[j]]..
            _run_blocks(part, rows(tax), rows(disc), rows(capacity), rows(loss), sup,  # type: ignore[arg-type]
                        np.append(bounds[place], bounds[n]), rows(rate_year), rows(dep_cum), cols, reasons, place,
                        payback_basis, finance_rate, reinvest_rate, chunk_rows, workers,
                        npv_without=rows(np.asarray(without["npv"], dtype=float)), net_out=net_out,
                        support_total=True)
    else:
        cols = {c: np.empty(n) for c in BATCH_COLUMNS if c != "irr_reason"}
        reasons = np.empty(n, dtype=object)
        _run_blocks(arr, tax, disc, capacity, loss, sup, bounds, rate_year, dep_cum, cols, reasons, None,
                    payback_basis, finance_rate, reinvest_rate, chunk_rows, workers, npv_without=None,
                    net_out=net_out, support_total=support_total, net_without_out=net_without_out)
    result: dict[str, np.ndarray] = {c: (reasons if c == "irr_reason" else cols[c]) for c in BATCH_COLUMNS}
    result["payback_basis"] = filled(n, payback_basis.label)
    for col, name in UNIT_COLUMNS.items():
        if col in options.columns:
            units = pd.to_numeric(options[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            result[name] = cost_per_unit(result["equivalent_annual_value"], units)
    return result


def _run_blocks(arr: dict[str, np.ndarray], tax: np.ndarray, disc: np.ndarray, capacity: np.ndarray,
                loss: np.ndarray, sup: dict[str, np.ndarray], bounds: np.ndarray, rate_year: np.ndarray | None,
                dep_cum: np.ndarray | None, cols: dict[str, np.ndarray], reasons: np.ndarray,
                place: np.ndarray | None, payback_basis: PaybackBasis, finance_rate: float | None,
                reinvest_rate: float | None, chunk_rows: int, workers: int, *, npv_without: np.ndarray | None,
                net_out: np.ndarray | None, support_total: bool, net_without_out: np.ndarray | None = None) -> None:
    """The block loop of :func:`batch_columns` over m rows (``place``: their positions among the
    options, None = all, in order); results go to ``cols`` and ``reasons`` at those positions.

    ``npv_without`` (m,): the rows' NPV without support, given instead of computed (every row then
    has items); ``bounds`` (m + 1): row i's items are ``bounds[i]..bounds[i+1]-1`` of ``sup``.
    """
    m = arr["investment"].size

    def rows_of(values: np.ndarray | None, lo: int, hi: int, pick: np.ndarray | None = None) -> np.ndarray | None:
        if values is None:
            return None
        part = values[lo:hi]
        return part if pick is None else part[pick]

    def run(lo: int, hi: int) -> None:
        part = {k: v[lo:hi] for k, v in arr.items()}
        a, b = bounds[lo], bounds[hi]
        chunk_sup = {k: v[a:b] for k, v in sup.items()} if b > a else {}
        # the block's flows as wide as its longest life; where that is net_out's width and the rows
        # are consecutive, the kernel writes them straight into net_out's rows (no copy)
        direct = (net_out is not None and place is None and hi > lo
                  and int(part["lifetime_years"].max()) + 1 == net_out.shape[1] and net_out.flags.c_contiguous
                  and net_out.dtype == np.float64)
        flows = _flows(part, tax[lo:hi], capacity[lo:hi], chunk_sup, loss[lo:hi], bounds=bounds[lo:hi + 1] - a,
                       rate_year=rows_of(rate_year, lo, hi), dep_cum=rows_of(dep_cum, lo, hi),
                       net=net_out[lo:hi] if direct else None)  # type: ignore[index]
        at = slice(lo, hi) if place is None else place[lo:hi]
        if net_out is not None and not direct:  # a row scatter where the widths agree (numpy's mixed indexing is slower)
            if flows.net.shape[1] == net_out.shape[1]:
                net_out[at] = flows.net
            else:
                net_out[at, :flows.net.shape[1]] = flows.net
        res_support = np.zeros(hi - lo)
        base = flows
        if chunk_sup and npv_without is None and (support_total or not payback_basis.with_support):
            # flows without support differ only on the rows that have support items: build those
            # rows alone (every row's flow depends on that row's data only)
            rows = np.flatnonzero(np.diff(bounds[lo:hi + 1]))
            width = flows.net.shape[1]
            sub = _flows({k: v[rows] for k, v in part.items()}, tax[lo:hi][rows], capacity[lo:hi][rows], {},
                         loss[lo:hi][rows], width, rate_year=rows_of(rate_year, lo, hi, rows),
                         dep_cum=rows_of(dep_cum, lo, hi, rows))
            if net_without_out is not None:
                net_without_out[lo + rows, :width] = sub.net
            if not payback_basis.with_support:  # payback is measured without support: whole matrices
                net0, pre0 = flows.net.copy(), flows.pre_tax_net.copy()
                net0[rows], pre0[rows] = sub.net, sub.pre_tax_net
                base = BatchFlows(net=net0, pre_tax_net=pre0, life=flows.life, investment=flows.investment,
                                  upfront_grants=np.zeros(hi - lo))
        res = _metrics(flows, disc[lo:hi], base, payback_basis, finance_rate, reinvest_rate)
        if not support_total:
            res_support[:] = np.nan
        elif npv_without is not None:
            res_support = res["npv"] - npv_without[lo:hi]
        elif chunk_sup:
            npv0 = np.empty(rows.size)
            kernels.npv_rows(_c(sub.net), _c(disc[lo:hi][rows]), _c(sub.life, np.int64), npv0)
            res_support[rows] = res["npv"][rows] - npv0
        res["support_total"] = res_support
        for c in cols:
            cols[c][at] = res[c]
        reasons[at] = res["irr_reason"]

    run_spans(run, [(lo, min(lo + chunk_rows, m)) for lo in range(0, m, chunk_rows)], workers)


def warm_up() -> float:
    """Compile the kernels (or load them from numba's on-disk cache) on two tiny options. [s]

    Called by ``scripts/run.sh`` before the app starts, so that the first appraisal in a fresh
    checkout does not wait for the compiler.  The inputs take the same path as real calls (support
    items of every kind, an enterprise without tax capacity), so the signatures compiled are the
    ones used later.  Returns the seconds it took.
    """
    import time

    start = time.perf_counter()
    options = pd.DataFrame({"investment": [1000.0, 500.0], "annual_savings": [300.0, -20.0],
                            "lifetime_years": [6, 4], "savings_escalation": [0.02, 0.0]})
    kinds = list(SUPPORT_KINDS)
    support = pd.DataFrame({
        "row": [0] * len(kinds) + [1], "kind": kinds + ["tax_credit"], "amount": [100.0] * len(kinds) + [50.0],
        "year": [0, 1, 1, 0, 0, 0, 1], "first_year_share": [np.nan, np.nan, np.nan, 0.5, np.nan, np.nan, np.nan],
        "exempt_years": [0, 0, 0, 0, 2, 0, 0], "loan_rate": [0, 0, 0, 0, 0, 0.02, 0],
        "loan_years": [0, 0, 0, 0, 0, 3, 0], "carry_forward_years": [np.nan] * 6 + [5.0],
    })
    batch_appraise(options, 0.25, 0.08, np.array([True, False]), support)
    from finance.equity import equity_appraise  # the equity flow's kernels (debt, deflator) too

    equity_appraise(options.assign(debt_share=0.5, debt_rate=0.05, debt_term_years=3, inflation=0.02), 0.25, 0.08,
                    np.array([True, False]), support)
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"cpscreen: numerical kernels ready in {warm_up():.1f} s")

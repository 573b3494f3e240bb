"""The programme's view of appraisal: metrics of many options with a support table.

One entry point, :func:`appraise_metrics`, returns the metrics the decision rules read (NPV, IRR,
simple payback after tax, with the support given) for every option, given a long support table,
in one vectorised pass of ``finance.batch``.  :func:`flows_and_metrics` gives the programme's
budget the same metrics with the net flows (which it reuses for the outlay), block by block of
options on the machine's cores.

References
----------
.. [1] DESIGN.md section 3 (finance conventions), implemented in ``finance.cashflow`` and
   ``finance.metrics``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from finance.appraise import WORKERS
from finance.batch import run_spans
from finance.batch_arrays import _by_row, _check, _support_arrays, option_arrays, year_arrays
from finance.batch_flows import batch_cash_flows, block_flows
from finance.batch_metrics import batch_irr, batch_metrics
from policies.items import ITEM_COLUMNS, SupportItem

__all__ = ["METRICS", "appraise_metrics", "grant_rows", "empty_support", "payback_years", "payback_from_cumulative",
           "cumulative_payback", "decision_metrics", "discounted_sums", "flows_and_metrics"]

#: Columns returned by :func:`appraise_metrics`.
METRICS: tuple[str, ...] = ("npv", "irr", "simple_payback_years")

def empty_support() -> pd.DataFrame:
    """An empty long support table with :data:`policies.items.ITEM_COLUMNS`."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})


def grant_rows(rows: np.ndarray, amounts: np.ndarray, *, instrument_id: str = "INVERSION-GRANT",
               taxable: bool = False, reduces_depreciation_base: bool = False) -> pd.DataFrame:
    """Support rows for a hypothetical up-front grant of ``amounts`` to the options at ``rows``.

    Parameters
    ----------
    rows : numpy.ndarray
        Option positions.
    amounts : numpy.ndarray
        Grant per option, paid at t = 0. [currency]
    instrument_id : str
        Id given to the rows.
    taxable, reduces_depreciation_base : bool
        Tax treatment of the grant (see :mod:`policies.items`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`policies.items.ITEM_COLUMNS`.
    """
    n = len(rows)
    template = SupportItem(instrument_id=instrument_id, name="grant to reach the target", kind="grant",
                           amount=0.0, year=0, pack="", pack_version="", source="programme.inversion",
                           taxable=taxable, reduces_depreciation_base=reduces_depreciation_base).as_record()
    data: dict[str, object] = {k: [v] * n if v is None or isinstance(v, str) else np.full(n, v) for k, v in template.items()}
    data["row"] = np.asarray(rows, dtype=np.int64)
    data["amount"] = np.asarray(amounts, dtype=float)
    return pd.DataFrame(data, columns=list(ITEM_COLUMNS))


def appraise_metrics(
    options: pd.DataFrame,
    support: pd.DataFrame,
    tax_rate: np.ndarray,
    *,
    discount_rate: np.ndarray | None = None,
    tax_capacity: np.ndarray | None = None,
    loss_carry_forward_years: np.ndarray | None = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
) -> pd.DataFrame:
    """NPV, IRR and simple payback of every option with the given support.

    Parameters
    ----------
    options : pandas.DataFrame
        Validated options (DESIGN.md section 2), position-aligned with the other arguments.
    support : pandas.DataFrame
        Long support table (``row`` = option position).
    tax_rate : numpy.ndarray
        Tax rate per option. [/1]
    discount_rate : numpy.ndarray, optional
        Per option [/1]; default the options' ``discount_rate`` column, else 0.08.
    tax_capacity : numpy.ndarray, optional
        Per option (bool); default the options' ``tax_capacity`` column, else True.
    loss_carry_forward_years : numpy.ndarray, optional
        The regime's loss carry-forward limit without tax capacity, NaN = none. [yr]
    tax_rate_by_year, depreciation_schedule : numpy.ndarray, shape (n, >= max life + 1), optional
        The tax rate in force in each year [/1] and the cumulative depreciation share [/1] per
        option, as :class:`finance.inputs.AppraisalInputs` resolves them (``inputs.years()``);
        the options' ``inflation`` column (:func:`finance.inputs.with_inflation`) is read from
        the rows.  With them the metrics are the appraisal's (``cpscreen appraise``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`METRICS` (``npv`` [currency], ``irr`` [/1] NaN where none,
        ``simple_payback_years`` [yr] NaN where never), index 0..n-1.
    """
    n = len(options)
    opt = options.reset_index(drop=True)
    if discount_rate is None:
        discount_rate = (pd.to_numeric(opt["discount_rate"], errors="coerce").fillna(0.08).to_numpy(dtype=float)
                         if "discount_rate" in opt.columns else np.full(n, 0.08))
    if tax_capacity is None:
        tax_capacity = (opt["tax_capacity"].fillna(True).astype(bool).to_numpy()
                        if "tax_capacity" in opt.columns else np.ones(n, dtype=bool))
    flows = batch_cash_flows(opt, np.asarray(tax_rate, dtype=float), np.asarray(tax_capacity, dtype=bool),
                             support if support is not None and len(support) else None,
                             loss_carry_forward_years=loss_carry_forward_years, tax_rate_by_year=tax_rate_by_year,
                             depreciation_schedule=depreciation_schedule)
    m = batch_metrics(flows, np.asarray(discount_rate, dtype=float))
    return m[list(METRICS)].reset_index(drop=True)


def payback_years(net: np.ndarray, life: np.ndarray) -> np.ndarray:
    """Simple payback of each row of a cash-flow matrix (DESIGN.md section 3). [yr]

    The first period t <= life whose cumulative flow C_t is non-negative, interpolated within it:
    t - 1 + (-C_{t-1}) / v_t; 0 where C_0 >= 0; NaN where never reached within the life.

    Parameters
    ----------
    net : numpy.ndarray, shape (n, T)
        Net cash flow per period, zero beyond each life. [currency]
    life : numpy.ndarray, shape (n,)
        Life N per option. [yr]

    Returns
    -------
    numpy.ndarray
        [yr]; NaN = never.

    References
    ----------
    ``finance.metrics.payback`` (the scalar definition this reproduces).
    """
    return cumulative_payback(net, life, keep_cumulative=False)[1]


def cumulative_payback(net: np.ndarray, life: np.ndarray, *, keep_cumulative: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """The cumulative flows C_t = v_0 + ... + v_t of each row and its simple payback, in one pass.

    C_t is summed in period order (the numbers of ``np.cumsum(net, axis=1)``); the payback is
    :func:`payback_from_cumulative`'s.  One compiled pass over the rows instead of numpy's
    row-wise cumulative sum, which is slow on short rows.

    Parameters
    ----------
    net : numpy.ndarray, shape (n, T)
        Net cash flow per period. [currency]
    life : numpy.ndarray, shape (n,)
        Life N per option. [yr]
    keep_cumulative : bool
        Return C (n, T); else None (not held in memory).

    Returns
    -------
    cum : numpy.ndarray, shape (n, T), or None
        [currency]
    payback : numpy.ndarray, shape (n,)
        [yr]; NaN = never.
    """
    net = np.require(net, dtype=float, requirements=["C"])
    n, width = net.shape
    cum = np.empty((n, width)) if keep_cumulative else np.empty((0, 0))
    out = np.empty(n)
    _cum_payback_rows(net, _lives(life, n), cum, keep_cumulative, out)
    return (cum if keep_cumulative else None), out


def payback_from_cumulative(cum: np.ndarray, life: np.ndarray) -> np.ndarray:
    """:func:`payback_years` from the cumulative flows C_t (v_t = C_t - C_{t-1}). [yr]"""
    cum = np.require(cum, dtype=float, requirements=["C"])
    out = np.empty(cum.shape[0])
    _payback_rows(cum, _lives(life, cum.shape[0]), out)
    return out


def _lives(life: np.ndarray, n: int) -> np.ndarray:
    """Lives as int64 for the kernels: the last period t with t <= life. [yr]"""
    return np.require(np.floor(np.broadcast_to(np.asarray(life, dtype=float), (n,))), dtype=np.int64,
                      requirements=["C"])


@njit(cache=True, nogil=True, error_model="numpy")
def _payback_row(c: np.ndarray, life: int) -> float:  # pragma: no cover - compiled
    """Payback of one row of cumulative flows: the first t <= life with C_t >= 0, interpolated."""
    last = min(life, c.size - 1)
    for t in range(last + 1):
        if c[t] >= 0:
            if t == 0:
                return 0.0
            prev = c[t - 1]
            return (t - 1) + (-prev) / (c[t] - prev)
    return np.nan


@njit(cache=True, nogil=True, error_model="numpy")
def _payback_rows(cum: np.ndarray, life: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    for i in range(cum.shape[0]):
        out[i] = _payback_row(cum[i], life[i])


@njit(cache=True, nogil=True, error_model="numpy")
def _cum_payback_rows(net: np.ndarray, life: np.ndarray, cum: np.ndarray, keep: bool,
                      out: np.ndarray) -> None:  # pragma: no cover - compiled
    n, width = net.shape
    row = np.empty(width)
    for i in range(n):
        s = 0.0
        for t in range(width):
            s += net[i, t]
            row[t] = s
        if keep:
            cum[i, :] = row
        out[i] = _payback_row(row, life[i])


#: Rows per block of the discounted sum in :func:`decision_metrics` (the factors of a block stay
#: in cache; each row's sum is the same whatever the block).
_NPV_BLOCK: int = 4096


def decision_metrics(net: np.ndarray, life: np.ndarray, discount_rate: np.ndarray, *, with_irr: bool,
                     cum: np.ndarray | None = None) -> pd.DataFrame:
    """NPV, simple payback and (optionally) IRR of a cash-flow matrix, vectorised.

    Only what the decision rules read: the IRR (the costliest metric) is computed only when asked,
    with ``finance.batch_metrics.batch_irr``; otherwise the ``irr`` column is absent.

    Parameters
    ----------
    net : numpy.ndarray, shape (n, T)
        Net cash flows (``finance.batch_flows.BatchFlows.net``). [currency]
    life : numpy.ndarray, shape (n,)
        [yr]
    discount_rate : numpy.ndarray, shape (n,)
        [/1]
    with_irr : bool
    cum : numpy.ndarray, shape (n, T), optional
        ``np.cumsum(net, axis=1)`` when the caller already has it (not computed again). [currency]

    Returns
    -------
    pandas.DataFrame
        ``npv`` [currency], ``simple_payback_years`` [yr] (NaN = never), and ``irr`` [/1] if asked.
    """
    payback = payback_years(net, life) if cum is None else payback_from_cumulative(cum, life)
    out = {"npv": discounted_sums(net, discount_rate), "simple_payback_years": payback}
    if with_irr:
        out["irr"] = batch_irr(net)[0]
    return pd.DataFrame(out)


def discounted_sums(net: np.ndarray, discount_rate: np.ndarray) -> np.ndarray:
    """NPV of each row: sum_t v_t (1 + r)^-t, t = 0 undiscounted (DESIGN.md section 3). [currency]

    A handful of distinct rates over many rows: each rate's factors are computed once, then
    gathered block by block (the same numbers as computing them row by row, without a factor
    matrix the size of ``net``).
    """
    r = np.asarray(discount_rate, dtype=float)
    rates, which = np.unique(r, return_inverse=True)
    table = np.exp(-np.arange(net.shape[1])[None, :] * np.log1p(rates)[:, None])
    which = which.reshape(-1)
    n = net.shape[0]
    npv = np.empty(n)
    for lo in range(0, n, _NPV_BLOCK):
        hi = min(lo + _NPV_BLOCK, n)
        npv[lo:hi] = np.einsum("ij,ij->i", net[lo:hi], table[which[lo:hi]])
    return npv


#: Options per block of :func:`flows_and_metrics` (a block's flows stay small enough to be reused
#: memory, not fresh pages; results do not depend on it).
FLOW_BLOCK_ROWS: int = 65536


def flows_and_metrics(
    options: pd.DataFrame,
    tax_rate: np.ndarray,
    tax_capacity: np.ndarray,
    discount_rate: np.ndarray,
    support: pd.DataFrame | None = None,
    *,
    loss_carry_forward_years: np.ndarray | None = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
    with_irr: bool = False,
    block_rows: int = FLOW_BLOCK_ROWS,
    workers: int | None = None,
    arrays: dict[str, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Net flows and :func:`decision_metrics` of every option, block by block of options.

    The options and the support items are read and checked once, over all options (the checks and
    messages of :func:`finance.batch_flows.batch_cash_flows`, rows numbered in ``options``); then each
    block of consecutive options goes through the compiled cash-flow kernel on its slice of those
    arrays (every option's flows depend on its own row and items only, so a block's rows are the
    rows of one pass over all options: the same numbers) and its payback and NPV are taken while
    its flows are in cache; the blocks run on ``workers`` threads (the kernels release the GIL, and
    a block runs no pandas).  Only the net flows of all options are held: the pre-tax flows, the
    cumulative flows and the discount factors exist one block at a time.

    Parameters
    ----------
    options : pandas.DataFrame
        Validated options, position i = ``row`` i of ``support``.
    tax_rate, tax_capacity, discount_rate : numpy.ndarray, shape (n,)
        Per option [/1], [bool], [/1].
    support : pandas.DataFrame, optional
        Long support table (``row`` = option position), possibly empty.
    loss_carry_forward_years : numpy.ndarray, optional
        Per option, NaN = no limit. [yr]
    tax_rate_by_year, depreciation_schedule : numpy.ndarray, shape (n, >= max life + 1), optional
        As for :func:`finance.batch_flows.batch_cash_flows`.
    with_irr : bool
        Add the ``irr`` column (:func:`decision_metrics`).
    block_rows : int
        Options per block.
    workers : int, optional
        Threads; default ``finance.appraise.WORKERS`` (the machine's cores, at most 8).
    arrays : dict of str -> numpy.ndarray, optional
        :func:`finance.batch_arrays.option_arrays` of ``options``, where the caller has them already
        (``programme.baseline.Baseline.arrays``); read, not changed.

    Returns
    -------
    net : numpy.ndarray, shape (n, max life + 1)
        After-tax net flows, zero beyond each life. [currency]
    life : numpy.ndarray of int, shape (n,)
        [yr]
    metrics : pandas.DataFrame
        As :func:`decision_metrics` of ``net`` (the same numbers).

    Raises
    ------
    ValueError
        As :func:`finance.batch_flows.batch_cash_flows` over all options (rows numbered in ``options``).
    """
    opt = options.reset_index(drop=True)
    n = len(opt)
    # the checks of batch_cash_flows, in its order, once over all options
    arr = option_arrays(opt) if arrays is None else arrays
    tax = np.broadcast_to(np.asarray(tax_rate, dtype=float), (n,))
    _check(~((tax >= 0) & (tax <= 1)), "tax_rate", "must be in 0..1", tax)
    cap = np.broadcast_to(np.asarray(tax_capacity, dtype=bool), (n,))
    disc = np.broadcast_to(np.asarray(discount_rate, dtype=float), (n,))
    sup = _support_arrays(support if support is not None and len(support) else None, n, arr["lifetime_years"])
    loss = np.broadcast_to(np.asarray(np.nan if loss_carry_forward_years is None else loss_carry_forward_years,
                                      dtype=float), (n,))
    rate_year, dep_cum = year_arrays(tax_rate_by_year, depreciation_schedule, arr["lifetime_years"])
    if sup:
        sup = _by_row(sup)  # grouped by option, the table order kept within one
        bounds = np.searchsorted(sup["row"], np.arange(n + 1))
    else:
        bounds = np.zeros(n + 1, dtype=np.int64)
    spans = [(lo, min(lo + block_rows, n)) for lo in range(0, n, block_rows)]
    width = int(arr["lifetime_years"].max()) + 1 if n else 1
    life_all = np.empty(n, dtype=np.int64)
    net = np.empty((n, width))
    npv = np.empty(n)
    payback = np.empty(n)
    # each distinct rate's factors once (a hash of the rates, not a sort; the same factors per row)
    which, rates = pd.factorize(disc, use_na_sentinel=False)
    table = np.exp(-np.arange(width)[None, :] * np.log1p(np.asarray(rates, dtype=float))[:, None])

    def run(lo: int, hi: int) -> None:
        flows = block_flows(arr, tax, cap, sup, bounds, loss, lo, hi, rate_year=rate_year, dep_cum=dep_cum)
        w = flows.net.shape[1]
        life_all[lo:hi] = flows.life
        net[lo:hi, :w] = flows.net
        net[lo:hi, w:] = 0.0
        del flows
        _payback_rows_of_net(net[lo:hi], life_all[lo:hi], payback[lo:hi])
        for a in range(lo, hi, _NPV_BLOCK):
            b = min(a + _NPV_BLOCK, hi)
            npv[a:b] = np.einsum("ij,ij->i", net[a:b], table[which[a:b]])

    run_spans(run, spans, WORKERS if workers is None else workers)
    out = {"npv": npv, "simple_payback_years": payback}
    if with_irr:
        out["irr"] = batch_irr(net)[0]
    return net, life_all, pd.DataFrame(out)


def _payback_rows_of_net(net: np.ndarray, life: np.ndarray, out: np.ndarray) -> None:
    """:func:`payback_years` of ``net`` into ``out`` (no cumulative matrix kept)."""
    _cum_payback_rows(np.require(net, dtype=float, requirements=["C"]), _lives(life, net.shape[0]), np.empty((0, 0)), False, out)

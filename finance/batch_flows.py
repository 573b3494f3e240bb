"""Cash flows of many options at once: the model of :mod:`finance.cashflow` as 2-D arrays.

Options arrive as validated numpy arrays (:mod:`finance.batch_arrays`) and their cash flows are
held as 2-D arrays (options x (max life + 1)), zero beyond each option's life.  The loop over
options runs compiled, with the GIL released, in :func:`finance.kernels.cash_flow_rows`; no
Python code runs per option.

Conventions are those of :mod:`finance.cashflow` (flows at period ends; amounts [currency],
rates [/1], years [yr]).

References
----------
.. [1] UNEP/UNIDO (1991) and the Chinese cleaner production audit handbook (1996), see
   :mod:`finance.handbook`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance import kernels
from finance.batch_arrays import _by_row, _c, _check, _support_arrays, option_arrays, year_arrays

@dataclass
class BatchFlows:
    """Cash flows of n options over T = max life + 1 periods (zero beyond each life).

    Attributes
    ----------
    net, pre_tax_net : ndarray, shape (n, T)
        After-tax and pre-tax net cash flow. [currency]
    life : ndarray of int, shape (n,)
        N per option. [yr]
    investment : ndarray, shape (n,)
        Investment at t = 0 (positive). [currency]
    upfront_grants : ndarray, shape (n,)
        Grants paid at t = 0. [currency]
    """

    net: np.ndarray
    pre_tax_net: np.ndarray
    life: np.ndarray
    investment: np.ndarray
    upfront_grants: np.ndarray


def batch_cash_flows(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
) -> BatchFlows:
    """After-tax cash flows of all options as a 2-D array (model of :func:`finance.cashflow.cash_flow`).

    Parameters
    ----------
    options : DataFrame
        Validated options (DESIGN.md section 2 columns). Row position = ``row`` of ``support``.
    tax_rate : array_like, shape (n,) or scalar
        Income tax rate per option. [/1]
    tax_capacity : array_like of bool, shape (n,) or scalar
        Whether other profits absorb losses and credits in the year.
    support : DataFrame, optional
        Long support table with columns :data:`policies.items.ITEM_COLUMNS`; may be empty.
    loss_carry_forward_years : int, None or array_like of shape (n,)
        Loss carry-forward limit without tax capacity (None or NaN = no limit), one value for
        all options or one per option. [yr]
    tax_rate_by_year : ndarray, shape (n, >= max life + 1), optional
        The tax rate in force in each year t of each option's life [/1], where it changes (a
        pack's schedule, :func:`policies.schedules.tax_rates_by_year`); None = ``tax_rate`` in
        every year.
    depreciation_schedule : ndarray, shape (n, >= max life + 1), optional
        Cumulative tax depreciation share at the end of each year t [/1] (an asset class's
        schedule, :func:`policies.schedules.depreciation_schedules`); a row with NaN in column 0
        = straight line over ``depreciation_years``; None = straight line for all.

    Returns
    -------
    BatchFlows
    """
    arr = option_arrays(options)
    n = len(options)
    rate = np.broadcast_to(np.asarray(tax_rate, dtype=float), (n,))
    _check(~((rate >= 0) & (rate <= 1)), "tax_rate", "must be in 0..1", rate)
    capacity = np.broadcast_to(np.asarray(tax_capacity, dtype=bool), (n,))
    sup = _support_arrays(support, n, arr["lifetime_years"])
    loss = np.broadcast_to(np.asarray(np.nan if loss_carry_forward_years is None else loss_carry_forward_years,
                                      dtype=float), (n,))
    years = year_arrays(tax_rate_by_year, depreciation_schedule, arr["lifetime_years"])
    return _flows(arr, rate, capacity, sup, loss, rate_year=years[0], dep_cum=years[1])


def _flows(arr: dict[str, np.ndarray], rate: np.ndarray, capacity: np.ndarray, sup: dict[str, np.ndarray],
           loss_limit: np.ndarray, width: int | None = None, bounds: np.ndarray | None = None, *,
           rate_year: np.ndarray | None = None, dep_cum: np.ndarray | None = None,
           debt: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, net: np.ndarray | None = None) -> BatchFlows:
    """Kernel of :func:`batch_cash_flows` on validated arrays (``width`` >= max life + 1 if given).

    ``rate_year`` and ``dep_cum`` are the rows' (n, >= max life + 1) tax rates by year and
    cumulative depreciation shares (checked by :func:`finance.batch_arrays.year_arrays`), None = not used.

    The row loop runs compiled (:func:`finance.kernels.cash_flow_rows`).  Items are grouped by row
    here (a stable sort keeps their order within a row), unless ``bounds`` (n + 1 offsets: row i's
    items are ``bounds[i]..bounds[i+1]-1``) says they already are; ``sup["row"]`` is then not read.
    ``debt``: the drawdown (n,), interest and principal repaid (n, width), real, of
    :func:`finance.financing.debt_rows`, for the equity flow.  ``net``: a C-contiguous, writeable
    (n, width) array the kernel writes the net flows into (e.g. rows of the caller's output),
    instead of a new one.
    """
    n = arr["investment"].size
    life = _c(arr["lifetime_years"], np.int64)
    if width is None:
        width = int(life.max()) + 1 if n else 1
    if sup:
        if bounds is None:
            sup = _by_row(sup)
            bounds = np.searchsorted(sup["row"], np.arange(n + 1))
        items = {k: _c(sup[k], _ITEM_DTYPES.get(k, float)) for k in _KERNEL_ITEMS}
    else:
        bounds = np.zeros(n + 1, dtype=np.int64)
        items = {k: np.zeros(0, dtype=_ITEM_DTYPES.get(k, float)) for k in _KERNEL_ITEMS}
    if net is None:
        net = np.empty((n, width))
    elif net.shape != (n, width) or not (net.flags.c_contiguous and net.flags.writeable) or net.dtype != np.float64:
        raise ValueError(f"_flows: net must be a writeable C-contiguous float64 ({n}, {width}) array")
    pre_tax = np.empty((n, width))
    upfront = np.empty(n)
    as_float = {k: _c(arr[k]) for k in ("investment", "annual_savings", "annual_cost_change", "salvage_value",
                                         "savings_escalation", "cost_escalation")}
    kernels.cash_flow_rows(
        as_float["investment"], as_float["annual_savings"], as_float["annual_cost_change"], as_float["salvage_value"],
        as_float["savings_escalation"], as_float["cost_escalation"],
        life, _c(arr["depreciation_years"], np.int64), _c(rate), _c(capacity, np.bool_),
        _c(np.where(np.isnan(loss_limit), np.inf, loss_limit)), _c(bounds, np.int64),
        *(items[k] for k in _KERNEL_ITEMS), net, pre_tax, upfront,
        _NO_YEARS if rate_year is None else _c(rate_year), _NO_YEARS if dep_cum is None else _c(dep_cum),
        _c(arr["inflation"]) if "inflation" in arr else np.zeros(n),
        *((_c(debt[0]), _c(debt[1]), _c(debt[2])) if debt is not None
          else (np.zeros(0), np.zeros((0, 0)), np.zeros((0, 0)))))
    return BatchFlows(net=net, pre_tax_net=pre_tax, life=life, investment=arr["investment"], upfront_grants=upfront)


#: Item columns handed to :func:`finance.kernels.cash_flow_rows`, in its argument order (float64
#: where not named in ``_ITEM_DTYPES``).
_KERNEL_ITEMS: tuple[str, ...] = (
    "kind_code", "amount", "year", "spread_years", "taxable", "reduces_depreciation_base", "first_year_share",
    "later_share", "exempt_years", "reduced_years", "reduced_factor", "carry_forward_years", "loan_rate",
    "loan_years",
)
_ITEM_DTYPES: dict[str, type] = {"kind_code": np.int8, "year": np.int64, "spread_years": np.int64}

#: The kernel's empty (0, 0) year array: no tax-rate schedule, no depreciation schedule.
_NO_YEARS: np.ndarray = np.zeros((0, 0))


def block_flows(arr: dict[str, np.ndarray], tax: np.ndarray, capacity: np.ndarray, sup: dict[str, np.ndarray],
                bounds: np.ndarray | None, loss: np.ndarray, lo: int, hi: int, width: int | None = None, *,
                rate_year: np.ndarray | None = None, dep_cum: np.ndarray | None = None,
                net: np.ndarray | None = None) -> BatchFlows:
    """:func:`_flows` of rows ``lo..hi-1`` of validated arrays: ``sup`` grouped by row, row i's
    items ``bounds[i]..bounds[i+1]-1`` (``bounds`` may be None only where there are no items);
    the block's slices of every per-row argument, its items renumbered from the block's first."""
    a, b = (int(bounds[lo]), int(bounds[hi])) if sup and bounds is not None else (0, 0)
    if sup and bounds is None:
        raise ValueError("block_flows: items need their bounds")
    chunk = {k: v[a:b] for k, v in sup.items()} if b > a else {}
    return _flows({k: v[lo:hi] for k, v in arr.items()}, tax[lo:hi], capacity[lo:hi], chunk, loss[lo:hi], width,
                  bounds[lo:hi + 1] - a if chunk else None,
                  rate_year=None if rate_year is None else rate_year[lo:hi],
                  dep_cum=None if dep_cum is None else dep_cum[lo:hi], net=net)

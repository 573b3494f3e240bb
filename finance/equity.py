"""Equity cash flow of the options with debt, in one pass of the compiled kernel.

The model is :mod:`finance.financing`'s: the cash-flow kernel (:func:`finance.kernels.cash_flow_rows`)
runs again on the options that have debt, with the debt's real cash (drawdown, interest,
principal) and its interest as a deduction from taxable profit, so that the interest's tax effect
follows the pack's regime (rate of the year, holidays, loss and credit carry-forward) exactly as
the other lines.  The scalar :func:`finance.cashflow.cash_flow` computes the same flow (column
``equity``); the tests hold the two together.

Conventions of :mod:`finance.metrics`: t = 0 undiscounted; IRR NaN with a reason where undefined;
payback NaN (null) where never reached.  Options without debt get NaN (null) in every column.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance import kernels
from finance.batch_arrays import _c, _support_arrays, filled, option_arrays, year_arrays
from finance.batch_flows import _flows
from finance.batch_metrics import batch_irr
from finance.financing import DEBT_FIELDS, REPAYMENTS, debt_rows, debt_terms, dscr
from finance.metrics import irr, npv, payback

#: Columns of :func:`equity_appraise` (the first four are the ``cpscreen appraise`` contract's).
EQUITY_COLUMNS: tuple[str, ...] = ("equity_npv", "equity_irr", "equity_payback_years", "min_dscr", "equity_irr_reason")


@dataclass(frozen=True)
class EquityFlows:
    """Equity lines of the k options with debt, over T = their longest life + 1 periods.

    Attributes
    ----------
    rows : ndarray of int, shape (k,)
        Positions of these options among the options given.
    life : ndarray of int, shape (k,)
        [yr]
    equity : ndarray, shape (k, T)
        Equity cash flow (after tax, real). [currency]
    interest, principal : ndarray, shape (k, T)
        Interest paid and principal repaid, deflated to real terms. [currency]
    dscr : ndarray, shape (k, T)
        Debt service coverage per year, NaN without debt service. [/1]
    min_dscr : ndarray, shape (k,)
        [/1]
    """

    rows: np.ndarray
    life: np.ndarray
    equity: np.ndarray
    interest: np.ndarray
    principal: np.ndarray
    dscr: np.ndarray
    min_dscr: np.ndarray


def _any_debt(options: pd.DataFrame) -> bool:
    """False where no option can have debt: the share, rate and term absent or blank, and every
    ``debt_repayment`` (the validator fills in its default, ``annuity``) one of :data:`REPAYMENTS`
    (``debt_terms`` then finds no debt and nothing to refuse, so skipping it changes no result)."""
    if any(name in options.columns and options[name].notna().any() for name in DEBT_FIELDS if name != "debt_repayment"):
        return True
    if "debt_repayment" not in options.columns:
        return False
    # each distinct value read as debt_terms reads it (blank or missing = annuity): a handful to look at
    distinct = pd.unique(options["debt_repayment"].to_numpy(dtype=object))
    return any(not pd.isna(v) and (str(v).strip().lower() or "annuity") not in REPAYMENTS for v in distinct)


def equity_flows(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
) -> EquityFlows:
    """Equity cash flows of the options that have debt (parameters of :func:`finance.batch_flows.batch_cash_flows`,
    with the tax rate in force in each year and the asset classes' depreciation schedules).

    Returns
    -------
    EquityFlows
    """
    n = len(options)
    if not _any_debt(options):  # nothing to build: skip the support and option arrays (same result, no cost)
        empty = np.empty((0, 1))
        return EquityFlows(rows=np.empty(0, dtype=np.int64), life=np.empty(0, dtype=np.int64), equity=empty,
                           interest=empty, principal=empty, dscr=empty, min_dscr=np.empty(0))
    arr = option_arrays(options)
    terms = debt_terms(options)
    rows = np.flatnonzero(terms["has_debt"])
    tax = np.broadcast_to(np.asarray(tax_rate, dtype=float), (n,))
    capacity = np.broadcast_to(np.asarray(tax_capacity, dtype=bool), (n,))
    loss = np.broadcast_to(np.asarray(np.nan if loss_carry_forward_years is None else loss_carry_forward_years,
                                      dtype=float), (n,))
    sup = _support_arrays(support, n, arr["lifetime_years"])
    rate_year, dep_cum = year_arrays(tax_rate_by_year, depreciation_schedule, arr["lifetime_years"])
    part = {k: v[rows] for k, v in arr.items()}
    life = _c(part["lifetime_years"], np.int64)
    width = int(life.max()) + 1 if rows.size else 1
    if sup:  # the items of these rows, renumbered to their position among them
        keep = np.isin(sup["row"], rows)
        sup = {k: v[keep] for k, v in sup.items()}
        sup["row"] = np.searchsorted(rows, sup["row"]).astype(np.int64)
        if not keep.any():
            sup = {}
    draw, interest, principal = np.empty(rows.size), np.empty((rows.size, width)), np.empty((rows.size, width))
    debt_rows(_c(part["investment"]), _c(terms["share"][rows]), _c(terms["rate"][rows]),
              _c(terms["term"][rows], np.int64), _c(terms["linear"][rows], np.bool_), life,
              _c(part["inflation"]), draw, interest, principal)
    flows = _flows(part, tax[rows], capacity[rows], sup, loss[rows], width, debt=(draw, interest, principal),
                   rate_year=None if rate_year is None else rate_year[rows],
                   dep_cum=None if dep_cum is None else dep_cum[rows])
    per_year, minimum = dscr(flows.net, interest, principal, life)
    return EquityFlows(rows=rows, life=life, equity=flows.net, interest=interest, principal=principal,
                       dscr=per_year, min_dscr=minimum)


def equity_metrics(flows: EquityFlows, discount_rate: npt.ArrayLike, n: int) -> pd.DataFrame:
    """:data:`EQUITY_COLUMNS` for n options from their equity flows (NaN for options without debt).

    Parameters
    ----------
    flows : EquityFlows
    discount_rate : array_like, shape (n,) or scalar
        [/1 per yr]
    n : int
        Number of options ``flows.rows`` index into.
    """
    return pd.DataFrame(_metric_columns(flows, discount_rate, n), columns=list(EQUITY_COLUMNS))


def _metric_columns(flows: EquityFlows, discount_rate: npt.ArrayLike, n: int) -> dict[str, np.ndarray]:
    """:func:`equity_metrics` as a dict of columns."""
    out = {c: np.full(n, np.nan) for c in EQUITY_COLUMNS if c != "equity_irr_reason"}
    reason = filled(n, "no debt")
    k = flows.rows.size
    if k:
        r = _c(np.broadcast_to(np.asarray(discount_rate, dtype=float), (n,))[flows.rows])
        sums = np.empty((k, 7))
        net = _c(flows.equity)
        kernels.discounted_rows(net, net, flows.life, r, r, r, sums)
        irr, why = batch_irr(net)
        out["equity_npv"][flows.rows] = sums[:, 0]
        out["equity_payback_years"][flows.rows] = sums[:, 5]
        out["equity_irr"][flows.rows] = irr
        out["min_dscr"][flows.rows] = flows.min_dscr
        reason[flows.rows] = why
    return {**out, "equity_irr_reason": reason}


def equity_appraise(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
) -> pd.DataFrame:
    """Equity NPV, IRR, payback and minimum DSCR of every option (NaN without debt).

    Parameters are those of :func:`finance.batch.batch_appraise`.

    Returns
    -------
    DataFrame
        Index as ``options``; columns :data:`EQUITY_COLUMNS`: ``equity_npv`` [currency],
        ``equity_irr`` [/1], ``equity_payback_years`` [yr] (NaN = never), ``min_dscr`` [/1],
        ``equity_irr_reason`` ('' where defined, 'no debt' without debt).
    """
    out = pd.DataFrame(equity_columns(options, tax_rate, discount_rate, tax_capacity, support,
                                      loss_carry_forward_years=loss_carry_forward_years,
                                      tax_rate_by_year=tax_rate_by_year, depreciation_schedule=depreciation_schedule),
                       columns=list(EQUITY_COLUMNS))
    out.index = options.index
    return out


def equity_columns(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    discount_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """:func:`equity_appraise` as a dict of columns :data:`EQUITY_COLUMNS` (no frame built)."""
    flows = equity_flows(options, tax_rate, tax_capacity, support, loss_carry_forward_years=loss_carry_forward_years,
                         tax_rate_by_year=tax_rate_by_year, depreciation_schedule=depreciation_schedule)
    return _metric_columns(flows, discount_rate, len(options))


def option_equity(flows: pd.DataFrame, rate: float) -> dict[str, Any]:
    """Equity figures of one option's scalar cash flow (:func:`finance.cashflow.cash_flow`'s
    ``equity`` and ``dscr`` columns) at ``rate`` [/1 per yr]: :data:`EQUITY_COLUMNS`, payback None
    where never reached, NaN and reason 'no debt' without debt."""
    eq = flows["equity"].to_numpy(dtype=float)
    if np.isnan(eq).all():
        return {"equity_npv": math.nan, "equity_irr": math.nan, "equity_payback_years": None,
                "min_dscr": math.nan, "equity_irr_reason": "no debt"}
    r = irr(eq)
    cover = flows["dscr"].to_numpy(dtype=float)
    return {"equity_npv": npv(rate, eq), "equity_irr": r.value, "equity_payback_years": payback(eq),
            "min_dscr": float(np.nanmin(cover)) if (~np.isnan(cover)).any() else math.nan,
            "equity_irr_reason": r.reason}

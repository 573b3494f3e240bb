"""Debt: one amortisation for the option's own loan and the packs' soft loans; equity figures.

Model (issue 12, item 2)
------------------------
* An option may be financed in part by debt: option fields ``debt_share`` s [/1] (of the
  investment), ``debt_rate`` d [/1 per yr, nominal: the loan contract's rate], ``debt_term_years``
  m [yr] and ``debt_repayment`` (``annuity``, the default, or ``linear``).  The principal
  P = s x investment is drawn at t = 0 (RETScreen's debt = debt ratio x initial costs [1]).
* :func:`amortise` is the one repayment schedule: in years start+1..start+m the interest on the
  balance outstanding, balance x d, and the principal repaid, either the annuity's
  pay - interest with pay = P d / (1 - (1 + d)**-m) [1, 2] or P / m (linear).  Whatever is still
  outstanding at t = N (a term longer than the life) is repaid at t = N.  The packs' soft loans
  (``soft_loan`` items, :mod:`policies.items`) run on the same function (annuity).
* Loan payments are nominal: with the enterprise's ``inflation`` i they are deflated by
  (1 + i)**-t into the model's real terms (:mod:`finance.inflation`); with i = 0 they are as is.
* The project cash flow (``npv``, ``irr``, ...) is the unlevered one and does not change.  The
  *equity* cash flow is the project's plus the drawdown, minus interest and principal, with the
  interest deducted from taxable profit under the pack's regime: the same tax step (rate of the
  year, tax holidays, loss and credit carry-forward without tax capacity) as every other line,
  since the kernel runs again with the debt lines (:func:`finance.equity.equity_appraise`).
* Equity figures: ``equity_npv`` at the option's discount rate, ``equity_irr``,
  ``equity_payback_years`` (simple payback of the equity flow), and per year the debt service
  coverage ratio DSCR_t = (equity_t + service_t) / service_t, the cash available for debt service
  after tax over the debt service, in the years with debt service; ``min_dscr`` its minimum.

References
----------
.. [1] RETScreen International (2005), Clean Energy Project Analysis: RETScreen Engineering & Cases
   Textbook, "Introduction to clean energy project analysis", pp. 57-65: debt = debt ratio x
   total initial cost; yearly debt payment D = C f_d i_d / (1 - (1 + i_d)**-N'), N' the debt term.
.. [2] numpy-financial ``pmt``: ``pmt = -pv r / (1 - (1 + r)**-n)``.
.. [3] Brealey, Myers and Allen, Principles of Corporate Finance, chapter 19 (flow to equity;
   interest tax shield); project finance's debt service coverage ratio, e.g. Yescombe, E. R.
   (2014), Principles of Project Finance, 2nd ed., section 12.3.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numba import njit

from finance.inflation import deflator
from screening.schema import DEBT_REPAYMENTS

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}

#: Ways to repay the option's debt (``debt_repayment``).
REPAYMENTS: tuple[str, ...] = DEBT_REPAYMENTS

#: Option fields of the debt model.
DEBT_FIELDS: tuple[str, ...] = ("debt_share", "debt_rate", "debt_term_years", "debt_repayment")


def annuity_payment(principal: float, rate: float, years: int) -> float:
    """Level yearly payment that repays ``principal`` over ``years`` at ``rate``.

    Parameters
    ----------
    principal : float
        Loan principal. [currency]
    rate : float
        Loan interest rate. [/1 per yr]
    years : int
        Number of yearly payments. [yr]

    Returns
    -------
    float
        Payment per year: P r / (1 - (1 + r)**-n), P / n at r = 0. [currency/yr]

    References
    ----------
    .. [1] numpy-financial ``pmt``; RETScreen textbook (2005) p. 60, debt payments.
    """
    if years < 1:
        raise ValueError(f"loan_years must be >= 1, got {years}")
    if rate == 0:
        return principal / years
    return principal * rate / (1.0 - (1.0 + rate) ** -years)


@njit(**_JIT)
def amortise(principal: float, rate: float, years: int, start: int, life: int, linear: bool,
             interest: np.ndarray, repaid: np.ndarray) -> None:  # pragma: no cover - compiled
    """Add a loan's interest and principal repaid in t = start+1..life into ``interest``, ``repaid``.

    Annuity (``linear`` False): pay = P r / (1 - (1 + r)**-years) (P / years at r = 0), interest =
    balance x r, repaid = pay - interest; linear: repaid = P / years.  Payments stop after
    ``years``; the balance outstanding at t = life is repaid then.  [currency]
    """
    if principal == 0.0:
        return
    if linear:
        pay = principal / years
    elif rate == 0.0:
        pay = principal / years
    else:
        pay = principal * rate / (1.0 - (1.0 + rate) ** -years)
    balance = principal
    last = min(start + years, life)
    for t in range(start + 1, last + 1):
        owed = balance * rate
        back = pay if linear else pay - owed
        if t == start + years:  # the last payment clears the balance (no rounding residue)
            back = balance
        interest[t] += owed
        repaid[t] += back
        balance -= back
    if start + years > life:
        repaid[life] += balance


def loan_flows(principal: float, rate: float, years: int, start: int, life: int,
               inflation: float = 0.0) -> np.ndarray:
    """Cash flows of a soft loan over t = 0..life (principal in +, interest and repayments -).

    Principal is received at ``start``; annuity payments (:func:`amortise`) fall in
    start+1..start+years; whatever is outstanding at t = life is repaid then (balloon).  Nominal
    payments deflated by (1 + ``inflation``)**-t. [currency]
    """
    flows = np.zeros(life + 1)
    if principal == 0:
        return flows
    if start > life:
        raise ValueError(f"soft loan received in year {start}, after the option's life {life}")
    if years < 1:
        raise ValueError(f"loan_years must be >= 1, got {years}")
    interest = np.zeros(life + 1)
    repaid = np.zeros(life + 1)
    amortise(float(principal), float(rate), int(years), int(start), int(life), False, interest, repaid)
    d = np.empty(life + 1)
    deflator(float(inflation), life + 1, d)
    flows[start] += principal * d[start]
    return flows - (interest + repaid) * d


def _cell(option: Mapping[str, Any], name: str) -> Any:
    v = option.get(name)
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def debt_terms(options: pd.DataFrame) -> dict[str, np.ndarray]:
    """Validated debt fields of every option.

    Returns
    -------
    dict
        ``share`` [/1] (0 without debt), ``rate`` [/1 per yr], ``term`` [yr] (int),
        ``linear`` (bool), ``has_debt`` (bool: share > 0 and a positive investment).

    Raises
    ------
    ValueError
        Naming the first bad row, the field and the reason: a share outside 0..1, a rate outside
        0..1, a term not an integer 1..50, a repayment not in :data:`REPAYMENTS`, a debt share
        without rate or term (a missing input), or debt terms without a debt share (a field that
        would change nothing).
    """
    n = len(options)

    def col(name: str) -> np.ndarray:
        if name not in options.columns:
            return np.full(n, np.nan)
        values = pd.to_numeric(options[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        if np.isnan(values).any():  # text that is not a number (blank text counts as missing)
            raw = options[name].to_numpy(dtype=object)
            for i in np.flatnonzero(np.isnan(values) & pd.notna(raw)):
                if str(raw[i]).strip() not in ("", "nan"):
                    raise ValueError(f"options row {int(i)}: field {name!r} must be a number, got {raw[i]!r}")
        return values

    share, rate, term = col("debt_share"), col("debt_rate"), col("debt_term_years")
    if "debt_repayment" in options.columns:
        how = options["debt_repayment"].astype(object).where(options["debt_repayment"].notna(), "annuity")
        how = how.astype(str).str.strip().str.lower().replace("", "annuity").to_numpy(dtype=object)
    else:
        how = np.full(n, "annuity", dtype=object)
    given = ~np.isnan(share)

    def fail(mask: np.ndarray, name: str, reason: str, values: np.ndarray) -> None:
        if mask.any():
            i = int(np.flatnonzero(mask)[0])
            raise ValueError(f"options row {i}: field {name!r} {reason}, got {values[i]!r}")

    fail(given & ~((share >= 0) & (share <= 1)), "debt_share", "must be in 0..1", share)
    fail(~np.isin(how, REPAYMENTS), "debt_repayment", f"must be one of {REPAYMENTS}", how)
    on = given & (share > 0)
    fail(on & np.isnan(rate), "debt_rate", "is missing: a debt_share > 0 needs the loan's rate", rate)
    fail(on & np.isnan(term), "debt_term_years", "is missing: a debt_share > 0 needs the loan's term", term)
    fail(on & ~((rate >= 0) & (rate <= 1)), "debt_rate", "must be in 0..1", rate)
    fail(on & ~((term >= 1) & (term <= 50) & (term == np.round(np.nan_to_num(term)))), "debt_term_years",
         "must be an integer 1..50", term)
    stray = ~given & (~np.isnan(rate) | ~np.isnan(term))
    fail(stray, "debt_share", "is missing while debt_rate or debt_term_years is given (they would change nothing)",
         share)
    investment = pd.to_numeric(options["investment"], errors="coerce").to_numpy(dtype=float, na_value=np.nan) \
        if "investment" in options.columns else np.zeros(n)
    share = np.where(on, share, 0.0)
    return {"share": share, "rate": np.where(on, rate, 0.0), "term": np.where(on, term, 1).astype(np.int64),
            "linear": how == "linear", "has_debt": on & (np.nan_to_num(investment) > 0)}


def option_debt(option: Mapping[str, Any], where: str = "option") -> dict[str, Any] | None:
    """Debt terms of one option (None without debt); the checks of :func:`debt_terms`."""
    frame = pd.DataFrame([{k: _cell(option, k) for k in DEBT_FIELDS + ("investment",)}])
    try:
        terms = debt_terms(frame)
    except ValueError as exc:
        raise ValueError(f"{where}: {str(exc).removeprefix('options row 0: ')}") from exc
    if not terms["has_debt"][0]:
        return None
    return {"share": float(terms["share"][0]), "rate": float(terms["rate"][0]), "term": int(terms["term"][0]),
            "linear": bool(terms["linear"][0])}


@njit(**_JIT)
def debt_rows(investment: np.ndarray, share: np.ndarray, rate: np.ndarray, term: np.ndarray, linear: np.ndarray,
              life: np.ndarray, inflation: np.ndarray, draw: np.ndarray, interest: np.ndarray,
              repaid: np.ndarray) -> None:  # pragma: no cover - compiled
    """Debt lines of every row in real terms: ``draw`` (n,), ``interest`` and ``repaid`` (n, T).

    P = share x investment is drawn at t = 0 (``draw``); :func:`amortise` gives the nominal
    interest and principal repaid, deflated here by (1 + inflation)**-t.  Zero beyond each life.
    These are the lines the cash-flow kernel adds for the equity flow
    (:func:`finance.kernels.cash_flow_rows`: cash draw - interest - repaid, interest deducted).
    """
    n, width = interest.shape
    d = np.empty(width)
    for i in range(n):
        interest[i, :] = 0.0
        repaid[i, :] = 0.0
        draw[i] = share[i] * investment[i]
        end = life[i] + 1
        amortise(draw[i], rate[i], term[i], 0, life[i], linear[i], interest[i], repaid[i])
        if inflation[i] != 0.0:
            deflator(inflation[i], end, d)
            for t in range(1, end):
                interest[i, t] *= d[t]
                repaid[i, t] *= d[t]


@njit(**_JIT)
def _dscr_rows(equity: np.ndarray, interest: np.ndarray, repaid: np.ndarray, life: np.ndarray,
               per_year: np.ndarray, minimum: np.ndarray) -> None:  # pragma: no cover - compiled
    n, width = equity.shape
    for i in range(n):
        low = np.inf
        per_year[i, 0] = np.nan
        for t in range(1, width):
            service = interest[i, t] + repaid[i, t]
            if t <= life[i] and service > 0:
                v = (equity[i, t] + service) / service
                per_year[i, t] = v
                low = min(low, v)
            else:
                per_year[i, t] = np.nan
        minimum[i] = low if np.isfinite(low) else np.nan


def dscr(equity: np.ndarray, interest: np.ndarray, repaid: np.ndarray,
         life: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """DSCR per year and its minimum: (equity_t + service_t) / service_t where service_t > 0.

    Parameters
    ----------
    equity, interest, repaid : ndarray, shape (n, T)
        Equity cash flow, interest and principal repaid, all real. [currency]
    life : ndarray of int, shape (n,)
        [yr]

    Returns
    -------
    per_year : ndarray, shape (n, T)
        NaN in years without debt service (t = 0 always) and beyond the life. [/1]
    minimum : ndarray, shape (n,)
        NaN where no year has debt service. [/1]
    """
    per_year = np.empty(equity.shape)
    minimum = np.empty(equity.shape[0])
    _dscr_rows(np.ascontiguousarray(equity), np.ascontiguousarray(interest), np.ascontiguousarray(repaid),
               np.ascontiguousarray(life, dtype=np.int64), per_year, minimum)
    return per_year, minimum

"""Investment metrics of one cash flow series v_0..v_N (flows at period ends, t = 0 undiscounted).

Conventions
-----------
* ``npv(r, v) = sum_t v_t / (1 + r)**t`` (numpy-financial convention).  Excel's ``NPV(r, v_0..v_N)``
  discounts v_0 by one period, so ``Excel NPV = npv / (1 + r)``; Excel's own help adds the t = 0
  value outside ``NPV()`` to get our figure.
* ``irr``: the rate r > -1 with npv(r) = 0, only where that root is unique.  Where the flows have no
  sign change, or several roots exist, the result is NaN with a reason (numpy-financial and Excel
  return one of several roots silently).  Roots are searched in r in [-0.9999, 10 000].
* Payback [yr]: the period in which the cumulative flow first turns non-negative, interpolated
  linearly within that period: ``t - 1 + (-C_{t-1}) / v_t``.  0 where C_0 >= 0; None where never
  reached within the life.  For constant yearly flows F after an investment I this is I / F, the
  audit handbook's N.  Which flows are used (after or before tax, with or without support) is a
  :class:`PaybackBasis` that results record.
* ``npv_ratio = NPV / net investment`` with net investment = investment - grants paid at t = 0
  [/1]; NaN where the net investment is <= 0.
* ``benefit_cost_ratio`` = PV of the positive net flows / PV of the negative net flows [/1]; NaN
  where no flow is negative.
* ``equivalent_annual_value = NPV * r / (1 - (1 + r)**-N)`` (NPV / N at r = 0) [currency/yr].
* ``cost_per_unit = -EAV / units per year`` [currency/unit]: negative values are net savings per
  unit (the marginal abatement cost curve convention).
* ``mirr``: numpy-financial's definition, ``(FV+ / PV-)**(1/N) * (1 + reinvest) - 1``.

References
----------
.. [1] numpy-financial ``npv``, ``irr`` and ``mirr``, https://numpy.org/numpy-financial/
.. [2] Microsoft, "NPV function" and "IRR function" (Excel help).
.. [3] Norstrom, C. J. (1972), "A sufficient condition for a unique nonnegative internal rate of
   return", J. Financial and Quantitative Analysis 7(3); Descartes' rule of signs bounds the
   number of roots in x = 1 / (1 + r) > 0 by the number of sign changes.
.. [4] UNEP/UNIDO (1991) Audit and Reduction Manual; Chinese cleaner production audit handbook
   (1996): N = I / F, NPVR = NPV / I.
.. [5] McKinsey & Company (2009), "Pathways to a Low-Carbon Economy": abatement cost = annualised
   cost per tonne CO2e avoided, negative = saving.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

#: Search interval of IRR. [/1]
IRR_MIN, IRR_MAX = -0.9999, 1.0e4
#: Flows smaller than this fraction of the largest |flow| count as zero when counting sign changes.
SIGN_TOLERANCE = 1e-10


@dataclass(frozen=True)
class PaybackBasis:
    """Which flows payback is measured on.

    Attributes
    ----------
    tax : {"after_tax", "pre_tax"}
        After tax (``net``, default) or before tax (``pre_tax_net``: no income tax, no credits).
    with_support : bool
        Whether support (grants, tax incentives, loans) is included (default True).
    """

    tax: Literal["after_tax", "pre_tax"] = "after_tax"
    with_support: bool = True

    def __post_init__(self) -> None:
        if self.tax not in ("after_tax", "pre_tax"):
            raise ValueError(f"PaybackBasis.tax must be 'after_tax' or 'pre_tax', got {self.tax!r}")

    @property
    def label(self) -> str:
        """Short label recorded with results, e.g. ``"after_tax+support"``."""
        return f"{self.tax}{'+support' if self.with_support else '-support'}"

    @property
    def column(self) -> str:
        """Cash-flow column the basis reads."""
        return "net" if self.tax == "after_tax" else "pre_tax_net"


def npv(rate: float, values: Sequence[float] | np.ndarray) -> float:
    """Net present value, t = 0 undiscounted. [currency]

    Parameters
    ----------
    rate : float
        Discount rate per period. [/1]
    values : sequence of float
        Flows v_0..v_N at period ends. [currency]

    References
    ----------
    .. [1] numpy-financial ``npv``.
    """
    v = np.asarray(values, dtype=float)
    return float(np.sum(v * (1.0 + rate) ** -np.arange(v.size, dtype=float)))


def sign_changes(values: Sequence[float] | np.ndarray) -> int:
    """Number of sign changes in the flows, zeros (below a relative tolerance) skipped. [/1]"""
    v = np.asarray(values, dtype=float)
    scale = np.max(np.abs(v)) if v.size else 0.0
    s = np.sign(np.where(np.abs(v) > SIGN_TOLERANCE * scale, v, 0.0))
    s = s[s != 0]
    return int(np.count_nonzero(s[1:] != s[:-1]))


@dataclass(frozen=True)
class IrrResult:
    """IRR [/1] and, where it is NaN, the reason."""

    value: float
    reason: str = ""


def irr(values: Sequence[float] | np.ndarray) -> IrrResult:
    """Internal rate of return where it exists and is unique, else NaN with a reason.

    The roots of ``sum_t v_t x**t`` in x = 1 / (1 + r) > 0 are found as polynomial roots
    (``numpy.roots``), polished by Newton's method; the result is the single root in
    [IRR_MIN, IRR_MAX].

    Parameters
    ----------
    values : sequence of float
        Flows v_0..v_N at period ends. [currency]

    Returns
    -------
    IrrResult
        ``value`` [/1 per period] and ``reason`` ('' where the IRR is defined).

    References
    ----------
    .. [1] numpy-financial ``irr`` (which returns one of several roots without warning).
    .. [2] Descartes' rule of signs: one sign change implies exactly one root x > 0.
    """
    v = np.asarray(values, dtype=float)
    changes = sign_changes(v)
    if changes == 0:
        return IrrResult(math.nan, "no sign change in the cash flow: no IRR")
    clean = np.where(np.abs(v) > SIGN_TOLERANCE * np.max(np.abs(v)), v, 0.0)  # as counted above
    nz = np.flatnonzero(clean)
    lo, hi = nz[0], nz[-1]
    coeffs = clean[lo:hi + 1]
    roots = np.roots(coeffs[::-1]) if coeffs.size > 1 else np.array([])
    real = roots[np.abs(roots.imag) <= 1e-7 * np.maximum(1.0, np.abs(roots))].real
    xmin, xmax = 1.0 / (1.0 + IRR_MAX), 1.0 / (1.0 + IRR_MIN)
    cand = []
    rejected = 0
    for x in real:
        if x <= 0:
            continue
        x = _polish(v, float(x))  # on the flows as given
        size = float(np.sum(np.abs(v) * x ** np.arange(v.size)))
        if not abs(float(np.polynomial.polynomial.polyval(x, v))) <= 1e-9 * size:
            rejected += 1  # not a root of the flows to working precision
            continue
        if xmin <= x <= xmax and not any(abs(x - c) <= 1e-9 * max(1.0, c) for c in cand):
            cand.append(x)
    if not cand:
        if rejected:
            return IrrResult(math.nan, "no IRR to working precision: the flows span too many orders of magnitude")
        if changes == 1:
            return IrrResult(math.nan, f"IRR outside [{IRR_MIN}, {IRR_MAX}]")
        return IrrResult(math.nan, "no IRR: the NPV has no root for r > -1")
    if len(cand) > 1 and changes == 1:  # Descartes: exactly one root; drop numerical ghosts
        p = np.polynomial.polynomial
        cand = [min(cand, key=lambda x: abs(p.polyval(x, v)))]
    if len(cand) > 1:
        rates = ", ".join(f"{1.0 / x - 1.0:.6g}" for x in sorted(cand, reverse=True))
        return IrrResult(math.nan, f"several IRRs ({rates}): IRR not unique")
    return IrrResult(float(1.0 / cand[0] - 1.0))


def _polish(coeffs: np.ndarray, x: float) -> float:
    """A few Newton steps on sum c_k x**k."""
    p = np.polynomial.polynomial
    d = p.polyder(coeffs)
    for _ in range(8):
        f, df = p.polyval(x, coeffs), p.polyval(x, d)
        if df == 0 or not math.isfinite(f / df):
            break
        step = f / df
        if not 0 < x - step:
            break
        x -= step
        if abs(step) <= 1e-15 * abs(x):
            break
    return x


def mirr(values: Sequence[float] | np.ndarray, finance_rate: float, reinvest_rate: float) -> float:
    """Modified IRR [/1]; NaN without both a positive and a negative flow.

    References
    ----------
    .. [1] numpy-financial ``mirr``.
    """
    v = np.asarray(values, dtype=float)
    pos, neg = v > 0, v < 0
    if not (pos.any() and neg.any()) or v.size < 2:
        return math.nan
    numer = abs(npv(reinvest_rate, v * pos))
    denom = abs(npv(finance_rate, v * neg))
    return float((numer / denom) ** (1.0 / (v.size - 1)) * (1.0 + reinvest_rate) - 1.0)


def payback(values: Sequence[float] | np.ndarray) -> float | None:
    """Period in which the cumulative flow first turns non-negative, interpolated. [yr]

    Returns 0.0 where v_0 >= 0 and None where the cumulative flow stays negative.
    For discounted payback pass the discounted flows.
    """
    v = np.asarray(values, dtype=float)
    cum = np.cumsum(v)
    if cum[0] >= 0:
        return 0.0
    hit = np.flatnonzero(cum >= 0)
    if hit.size == 0:
        return None
    t = int(hit[0])
    return float(t - 1 + (-cum[t - 1]) / v[t])


def equivalent_annual_value(npv_value: float, rate: float, years: int) -> float:
    """NPV spread as a level yearly amount over ``years`` at ``rate``. [currency/yr]

    References
    ----------
    .. [1] Capital recovery factor r / (1 - (1 + r)**-N); numpy-financial ``pmt`` with fv = 0.
    """
    if years < 1:
        raise ValueError(f"years must be >= 1, got {years}")
    if rate == 0:
        return npv_value / years
    return npv_value * rate / -math.expm1(-years * math.log1p(rate))


def cost_per_unit(eav: float | np.ndarray, units_per_year: float | np.ndarray) -> float | np.ndarray:
    """Annualised cost per unit avoided, ``-EAV / units`` [currency/unit]; negative = saving.

    NaN where the yearly units are 0, negative or missing.
    """
    u = np.asarray(units_per_year, dtype=float)
    e = np.asarray(eav, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(u > 0, -e / np.where(u > 0, u, 1.0), np.nan)
    return float(out) if out.ndim == 0 else out


def benefit_cost_ratio(rate: float, values: Sequence[float] | np.ndarray) -> float:
    """PV of positive flows / PV of negative flows [/1]; NaN without a negative flow."""
    v = np.asarray(values, dtype=float)
    d = v * (1.0 + rate) ** -np.arange(v.size, dtype=float)
    cost = -d[d < 0].sum()
    with np.errstate(over="ignore"):
        return float(d[d > 0].sum() / cost) if cost > 0 else math.nan


#: Metric names returned by :func:`metrics`, in order (the CLI columns of DESIGN.md section 5).
METRIC_COLUMNS: tuple[str, ...] = (
    "npv", "irr", "mirr", "simple_payback_years", "discounted_payback_years", "npv_ratio",
    "benefit_cost_ratio", "equivalent_annual_value", "irr_reason",
)


def metrics(
    flows: pd.DataFrame,
    discount_rate: float,
    *,
    payback_flows: pd.DataFrame | None = None,
    basis: PaybackBasis = PaybackBasis(),
    finance_rate: float | None = None,
    reinvest_rate: float | None = None,
) -> dict[str, float | str | None]:
    """All metrics of one cash-flow table from :func:`finance.cashflow.cash_flow`.

    Parameters
    ----------
    flows : DataFrame
        Cash-flow table (columns ``net``, ``investment``, ``grants``, ``pre_tax_net``). [currency]
    discount_rate : float
        Discount rate. [/1 per yr]
    payback_flows : DataFrame, optional
        Table to measure payback on when ``basis.with_support`` is False (the no-support table).
    basis : PaybackBasis
        Payback basis; recorded in the result as ``payback_basis``.
    finance_rate, reinvest_rate : float, optional
        MIRR rates [/1]; default the discount rate.

    Returns
    -------
    dict
        :data:`METRIC_COLUMNS` plus ``payback_basis``. NPV [currency], IRR/MIRR [/1], paybacks [yr]
        (None if never), ratios [/1], EAV [currency/yr].
    """
    v = flows["net"].to_numpy(dtype=float)
    n_years = v.size - 1
    value = npv(discount_rate, v)
    r = irr(v)
    pb_table = flows if basis.with_support or payback_flows is None else payback_flows
    pv = pb_table[basis.column].to_numpy(dtype=float)
    t = np.arange(pv.size, dtype=float)
    net_investment = float(-flows["investment"].iloc[0] - flows["grants"].iloc[0])
    fr = discount_rate if finance_rate is None else finance_rate
    rr = discount_rate if reinvest_rate is None else reinvest_rate
    return {
        "npv": value,
        "irr": r.value,
        "mirr": mirr(v, fr, rr),
        "simple_payback_years": payback(pv),
        "discounted_payback_years": payback(pv * (1.0 + discount_rate) ** -t),
        "npv_ratio": value / net_investment if net_investment > 0 else math.nan,
        "benefit_cost_ratio": benefit_cost_ratio(discount_rate, v),
        "equivalent_annual_value": equivalent_annual_value(value, discount_rate, n_years),
        "irr_reason": r.reason,
        "payback_basis": basis.label,
    }

"""Metrics of many options' cash flows at once: NPV, IRR, MIRR, paybacks, ratios, EAV.

The definitions are those of :mod:`finance.metrics` (t = 0 undiscounted as in
``numpy_financial.npv``; payback NaN where never reached); the loops over options (discounted
sums and paybacks, IRR) run compiled, with the GIL released, in :mod:`finance.kernels`.  No Python
code runs per option, except the exact polynomial-root IRR (:func:`finance.metrics.irr`) for the
rare rows whose root counting cannot be decided (near-double roots).

IRR: one sign change -> safeguarded Halley iteration on h(u) = ln|L| - ln|E| (late and early parts
of the NPV polynomial, u = ln(1/(1+r))), which has exactly one zero by Descartes' rule of signs;
several sign changes -> roots counted by branch and bound, then polished (see
:mod:`finance.kernels`).  Rows with several roots get NaN and the list of roots as the reason.

References
----------
.. [1] numpy-financial ``npv``, ``irr``, ``mirr`` (the per-option reference in the tests).
.. [2] Microsoft Excel help, "NPV function", "IRR function".
.. [3] Press, W. H. et al. (2007), Numerical Recipes, 3rd ed., sections 9.4 (Newton-Raphson
   safeguarded by bisection, ``rtsafe``) and 9.4.2 (Halley's method).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance import kernels
from finance.batch_arrays import _c, _check, filled
from finance.batch_flows import BatchFlows
from finance.metrics import IRR_MAX, IRR_MIN, PaybackBasis, irr

def batch_irr(values: np.ndarray, *, max_iter: int = 200, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """IRR of every row of ``values`` (flows t = 0..T-1, zero-padded), NaN with a reason where undefined.

    One sign change: safeguarded Newton on the log ratio of the late and early parts; several:
    branch-and-bound root counting, then the roots polished (:mod:`finance.kernels`).  Rows the
    root counting cannot decide (near-double roots) get the exact polynomial roots of
    :func:`finance.metrics.irr`.

    Parameters
    ----------
    values : ndarray, shape (n, T)
        Cash flows. [currency]
    max_iter, tol : int, float
        Newton iterations at most and the step in u = ln(1/(1+r)) below which a row is done.

    Returns
    -------
    irr : ndarray, shape (n,)
        [/1 per period]
    reason : ndarray of str, shape (n,)
        '' where the IRR is defined.

    References
    ----------
    .. [1] Descartes' rule of signs; Numerical Recipes ``rtsafe``; numpy-financial ``irr``.
    """
    values = _c(values)
    n, width = values.shape
    out = np.full(n, np.nan)
    reason = filled(n, "")
    if n == 0:
        return out, reason
    code = np.zeros(n, dtype=np.int8)
    roots = np.empty((n, max(width, 1)))
    kernels.irr_rows(values, out, code, roots, max_iter, tol)
    reason[code == kernels.NO_SIGN_CHANGE] = "no sign change in the cash flow: no IRR"
    reason[code == kernels.NO_ROOT] = "no IRR: the NPV has no root for r > -1"
    reason[code == kernels.OUTSIDE] = f"IRR outside [{IRR_MIN}, {IRR_MAX}]"
    for i in np.flatnonzero(code == kernels.SEVERAL):  # string formatting only, for the rare rows
        found = roots[i][~np.isnan(roots[i])]
        reason[i] = f"several IRRs ({', '.join(f'{r:.6g}' for r in np.sort(found))}): IRR not unique"
    for i in np.flatnonzero((code == kernels.UNDECIDED) | (code == kernels.UNRESOLVED)):
        res = irr(values[i])  # near-double roots: exact polynomial roots
        out[i], reason[i] = res.value, res.reason
    return out, reason


def batch_metrics(
    flows: BatchFlows,
    discount_rate: npt.ArrayLike,
    *,
    payback_flows: BatchFlows | None = None,
    basis: PaybackBasis = PaybackBasis(),
    finance_rate: float | None = None,
    reinvest_rate: float | None = None,
) -> pd.DataFrame:
    """All metrics of every option's cash flow (see :mod:`finance.metrics` for definitions).

    Parameters
    ----------
    flows : BatchFlows
        From :func:`finance.batch_flows.batch_cash_flows`.
    discount_rate : array_like, shape (n,) or scalar
        [/1 per yr]
    payback_flows : BatchFlows, optional
        Flows to measure payback on when ``basis.with_support`` is False.
    basis : PaybackBasis
        Payback basis.
    finance_rate, reinvest_rate : float, optional
        MIRR rates [/1]; default the discount rate.

    Returns
    -------
    DataFrame
        Columns :data:`finance.batch.BATCH_COLUMNS` without ``support_total``; payback NaN = never reached.
    """
    n = flows.net.shape[0]
    r = np.broadcast_to(np.asarray(discount_rate, dtype=float), (n,))
    _check(~(r > -1), "discount_rate", "must be > -1", r)
    return pd.DataFrame(_metrics(flows, r, payback_flows, basis, finance_rate, reinvest_rate))


def _metrics(flows: BatchFlows, r: np.ndarray, payback_flows: BatchFlows | None, basis: PaybackBasis,
             finance_rate: float | None, reinvest_rate: float | None) -> dict[str, np.ndarray]:
    """Kernel of :func:`batch_metrics`: the row loops run compiled in :mod:`finance.kernels`."""
    net = _c(flows.net)
    n = net.shape[0]
    life = _c(flows.life, np.int64)
    r = _c(r)
    fr = r if finance_rate is None else np.full(n, float(finance_rate))
    rr = r if reinvest_rate is None else np.full(n, float(reinvest_rate))
    pb = flows if basis.with_support or payback_flows is None else payback_flows
    pb_values = _c(pb.net if basis.tax == "after_tax" else pb.pre_tax_net)
    sums = np.empty((n, 7))
    kernels.discounted_rows(net, pb_values, life, r, rr, fr, sums)
    value, gain, cost, pv_pos, pv_neg, simple, discounted = sums.T
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        mirr = np.where((pv_pos > 0) & (pv_neg > 0), (pv_pos / pv_neg) ** (1.0 / life) * (1.0 + rr) - 1.0, np.nan)
        bcr = np.where(cost > 0, gain / cost, np.nan)
        net_inv = flows.investment - flows.upfront_grants
        npv_ratio = np.where(net_inv > 0, value / net_inv, np.nan)
        crf = np.where(r == 0, 1.0 / life, r / -np.expm1(-life * np.log1p(r)))
    rate_of_return, reason = batch_irr(net)
    return {
        "npv": value.copy(),
        "irr": rate_of_return,
        "mirr": mirr,
        "simple_payback_years": simple.copy(),
        "discounted_payback_years": discounted.copy(),
        "npv_ratio": npv_ratio,
        "benefit_cost_ratio": bcr,
        "equivalent_annual_value": value * crf,
        "irr_reason": reason,
    }

"""Robustness of a ranking to uncertain inputs: how often each option ranks first (and in the top k)
when its inputs are drawn over their ranges, beside the weight robustness of
:mod:`screening.robustness`.

The draws come from elsewhere (``finance.risk.simulate``: each option's investment, savings,
cost change and lifetime drawn, and every draw appraised, giving its NPV, IRR and payback); this
module only re-ranks.  In each draw the criteria that carry an uncertainty take that draw's
values, every other criterion keeps its value, and the options are ranked with the ranking's own
method, scaling, weights and tie order (:func:`screening.mcda.evaluate` on the draw's matrix), so
a draw with no spread gives exactly the ranking shown.  A draw's gap (an IRR that does not exist,
a payback never reached) gets that draw's worst value of the criterion, as :func:`prepare` treats
a gap.  The share of draws in which an option ranks first is SMAA's rank acceptability [1]_ with
the uncertainty in the criteria values instead of the weights.

References
----------
.. [1] Lahdelma, R., Hokkanen, J., Salminen, P. (1998). SMAA - Stochastic multiobjective
   acceptability analysis. European Journal of Operational Research 106(1), 137-143.
.. [2] Natural Resources Canada, RETScreen Expert Help, "Risk analysis" (the inputs drawn over
   their ranges).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from screening.criteria import FALLBACK_PAYBACK
from screening.mcda import Prepared, evaluate

#: Criteria columns a risk simulation can vary, and from what (the names of ``finance.risk.Draws``:
#: its metrics and its drawn inputs).  ``simple_payback_pretax_years`` and ``net_annual_savings``
#: are the derived columns of :func:`screening.criteria.add_derived_columns`, from the drawn inputs.
UNCERTAIN_CRITERIA: tuple[str, ...] = ("npv", "irr", "simple_payback_years", "investment", "annual_savings",
                                       "annual_cost_change", "lifetime_years", FALLBACK_PAYBACK, "net_annual_savings")


@dataclass
class InputAcceptability:
    """Rank acceptability of each option under input uncertainty.

    Attributes
    ----------
    first : ndarray, shape (n,)
        Share of draws in which the option ranks first. [/1]
    top_k : ndarray, shape (n,)
        Share of draws in which it ranks within the top ``k``. [/1]
    k, n_draws : int
    varied : list of str
        Criteria that took drawn values.
    fixed : list of str
        Criteria that kept their values (no draws of them).
    """

    first: np.ndarray
    top_k: np.ndarray
    k: int
    n_draws: int
    varied: list[str] = field(default_factory=list)
    fixed: list[str] = field(default_factory=list)


def criterion_draws(metrics: Mapping[str, np.ndarray], inputs: Mapping[str, np.ndarray],
                    base: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The drawn value of every criterion a risk simulation can vary (:data:`UNCERTAIN_CRITERIA`).

    Parameters
    ----------
    metrics : Mapping[str, ndarray]
        ``npv`` [currency], ``irr`` [/1] and ``simple_payback_years`` [yr] per option and draw,
        shape (n, D) (NaN: no IRR, never pays back).
    inputs : Mapping[str, ndarray]
        The drawn inputs that vary (``investment`` [currency], ``annual_savings``,
        ``annual_cost_change`` [currency/yr], ``lifetime_years`` [yr]), shape (n, D).
    base : Mapping[str, ndarray]
        The options' own values of those inputs, shape (n,), for the derived columns where an
        input is not drawn (``annual_cost_change`` missing counts as 0).

    Returns
    -------
    dict of str -> ndarray
        Shape (n, D) each: the metrics, the drawn inputs, and the derived pre-tax payback
        ``investment / (annual_savings - annual_cost_change)`` [yr] (NaN where the net saving is not
        positive, as :func:`screening.criteria.simple_payback_pretax`) and ``net_annual_savings``.
    """
    out = {k: np.asarray(v, dtype=float) for k, v in metrics.items()}
    out.update({k: np.asarray(v, dtype=float) for k, v in inputs.items()})
    shape = next(iter(out.values())).shape

    def value(name: str) -> np.ndarray:
        if name in inputs:
            return np.asarray(inputs[name], dtype=float)
        v = np.asarray(base[name], dtype=float) if name in base else np.zeros(shape[0])
        if name == "annual_cost_change":
            v = np.where(np.isnan(v), 0.0, v)
        return np.broadcast_to(v[:, None], shape)

    if {"investment", "annual_savings", "annual_cost_change"} & set(inputs):
        net = value("annual_savings") - value("annual_cost_change")
        out["net_annual_savings"] = net
        with np.errstate(divide="ignore", invalid="ignore"):
            out[FALLBACK_PAYBACK] = np.where(net > 0, value("investment") / net, np.nan)
    return out


def input_acceptability(prep: Prepared, method: str, scaling: str | None, draws: Mapping[str, np.ndarray], *,
                        k: int = 3) -> InputAcceptability:
    """Share of input draws in which each option ranks first and in the top ``k``.

    Parameters
    ----------
    prep : Prepared
        The ranking's decision matrix (:func:`screening.mcda.prepare`; its criteria, weights and
        tie order are kept).
    method, scaling : str
        The ranking's method and scaling.
    draws : Mapping[str, ndarray]
        Criterion column -> drawn values, shape (n, D), rows as ``prep``'s (e.g. from
        :func:`criterion_draws`); columns that are not criteria are ignored.
    k : int
        Size of the top group.

    Returns
    -------
    InputAcceptability

    Raises
    ------
    ValueError
        Draw matrices whose shape does not match the options, or that differ in their number of draws.
    """
    n, m = prep.matrix.shape
    names = [c.column for c in prep.criteria]
    varied = [c for c in names if c in draws]
    fixed = [c for c in names if c not in draws]
    k = max(1, min(int(k), max(n, 1)))
    sizes = set()
    for c in varied:
        a = np.asarray(draws[c])
        if a.ndim != 2 or a.shape[0] != n:
            raise ValueError(f"draws of {c!r} have shape {a.shape}, expected ({n}, draws)")
        sizes.add(a.shape[1])
    if len(sizes) > 1:
        raise ValueError(f"draws differ in their number of draws: {sorted(sizes)}")
    n_draws = sizes.pop() if sizes else 0
    first = np.zeros(n)
    top = np.zeros(n)
    if n == 0 or n_draws == 0:
        return InputAcceptability(first, top, k, n_draws, varied, fixed)
    cols = [names.index(c) for c in varied]
    signs = prep.signs
    for d in range(n_draws):
        matrix = prep.matrix.copy()
        for j, c in zip(cols, varied):
            x = np.asarray(draws[c][:, d], dtype=float).copy()
            x[~np.isfinite(x)] = np.nan
            x[np.abs(x) < 1e-100] = 0.0  # as prepare(): magnitudes this small are zero
            gaps = np.isnan(x)
            if gaps.all():
                x[:] = 0.0  # no option has a value in this draw: the criterion cannot order them
            elif gaps.any():
                x[gaps] = np.nanmin(x) if signs[j] > 0 else np.nanmax(x)
            matrix[:, j] = x
        res = evaluate(Prepared(matrix, prep.criteria, prep.keys, prep.tie_order), method, scaling)
        first[res.rank == 1] += 1
        top[res.rank <= k] += 1
    return InputAcceptability(first / n_draws, top / n_draws, k, n_draws, varied, fixed)

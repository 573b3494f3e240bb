"""Enterprise portfolio: option selection under a capital budget, and marginal abatement cost data.

Selection
---------
Choose the set of options that maximises the sum of an objective column (NPV by default, or an
MCDA score) subject to

* a capital budget: the summed ``investment`` of the selected options (mandatory ones included)
  may not exceed ``budget``;
* mandatory options (``mandatory`` true) are always selected;
* mutually exclusive options (the ``excludes`` relation, ``;``-separated option ids, read
  symmetrically and within one enterprise) are never selected together.

This is a 0-1 knapsack with conflict (independent-set) constraints.  Up to ``exact_limit`` options
it is solved exactly as an integer programme with HiGHS (``scipy.optimize.milp``, relative MIP gap
0).  Beyond that, or when ``method="greedy"``, a greedy heuristic is used:

1. mandatory options are taken;
2. the remaining options with a positive objective are sorted by objective per unit of investment
   (options costing nothing first, then by decreasing ratio; ties by larger objective, then by
   position) and each is taken if it fits in the remaining budget and excludes no option already
   taken;
3. the result is compared with the best *single* affordable, conflict-free option added to the
   mandatory set, and the better of the two is returned.

Without ``excludes`` this is the classic modified greedy, whose value is at least half the optimum
(Kellerer, Pferschy & Pisinger 2004, sec. 2.5); with ``excludes`` no such bound holds.  The result
says which method ran and whether it is proven optimal.

Marginal abatement cost
-----------------------
For each option with a positive yearly effect ``a`` (t CO2e, t waste, MWh ... per year), the
equivalent annual cost per unit avoided

    MAC = (I * CRF(r, N) - S * SFF(r, N) - (savings - cost_change)) / a

with the capital recovery factor CRF = r / (1 - (1 + r)^-N) (1/N at r = 0) and the sinking fund
factor SFF = r / ((1 + r)^N - 1) (1/N at r = 0) for the salvage value S at year N.  It is the
pre-tax, pre-support cost; a negative MAC is a saving.  Equivalently MAC = -NPV / (a * AF) with
the annuity factor AF = 1/CRF, which the tests use as a second method.

References
----------
.. [1] H. Kellerer, U. Pferschy, D. Pisinger, "Knapsack Problems", Springer, 2004, sec. 2.5
   (greedy and the modified greedy 1/2-approximation) and ch. 13 (knapsack with conflicts).
.. [2] F. Kesicki, P. Ekins, "Marginal abatement cost curves: a call for caution", Climate
   Policy 12(2), 2012, 219-236 (definition of the MAC and the curve).
.. [3] L. Blank, A. Tarquin, "Engineering Economy", 7th ed., McGraw-Hill, 2012, ch. 2 and 5
   (capital recovery and sinking fund factors, equivalent annual worth).
.. [4] Q. Huangfu, J. A. J. Hall, "Parallelizing the dual revised simplex method", Mathematical
   Programming Computation 10, 2018, 119-142 (HiGHS, the solver behind ``scipy.optimize.milp``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array

from screening.excludes import exclusion_pairs as _exclusion_pairs
from screening.excludes import exclusive_groups

__all__ = [
    "PortfolioError",
    "PortfolioResult",
    "select_portfolio",
    "exclusion_pairs",
    "marginal_abatement_cost",
    "capital_recovery_factor",
]

#: Above this many options ``method="auto"`` uses the greedy heuristic.
EXACT_LIMIT: int = 1000


class PortfolioError(ValueError):
    """Bad input or an infeasible selection problem (e.g. mandatory options over the budget)."""


@dataclass(frozen=True)
class PortfolioResult:
    """The selected portfolio.

    Attributes
    ----------
    selected : pandas.Series
        Boolean, aligned with the options frame's index: True where the option is selected.
    objective : float
        Sum of the objective column over the selected options. [objective unit, e.g. EUR]
    investment : float
        Sum of ``investment`` over the selected options, mandatory ones included. [currency]
    budget : float
        The capital budget. [currency]
    method : str
        ``"milp"`` (exact, HiGHS) or ``"greedy"``.
    optimal : bool
        True when the solver proved the selection optimal.
    message : str
        Solver status or a note on the heuristic.
    """

    selected: pd.Series
    objective: float
    investment: float
    budget: float
    method: str
    optimal: bool
    message: str

    def records(self, options: pd.DataFrame) -> list[dict[str, object]]:
        """One record per option: ``enterprise_id`` (if present), ``option_id``, ``selected``."""
        cols = [c for c in ("enterprise_id", "option_id") if c in options.columns]
        out = options[cols].copy()
        out["selected"] = self.selected.to_numpy()
        return out.to_dict(orient="records")


def _mandatory(options: pd.DataFrame) -> np.ndarray:
    if "mandatory" not in options.columns:
        return np.zeros(len(options), dtype=bool)
    col = options["mandatory"]
    if col.isna().any():
        pos = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise PortfolioError(f"row {pos}: field 'mandatory' is missing (expected True/False)")
    return col.astype(bool).to_numpy()


def exclusion_pairs(options: pd.DataFrame) -> np.ndarray:
    """Pairs of positions (i, j), i < j, of options that exclude each other
    (``screening.excludes.exclusion_pairs``, its errors as :class:`PortfolioError`).

    Parameters
    ----------
    options : pandas.DataFrame
        With ``option_id`` and optionally ``excludes`` (ids separated by ``;``) and
        ``enterprise_id`` (ids are resolved within the same enterprise).

    Returns
    -------
    numpy.ndarray
        Integer array of shape (k, 2), each pair once, whichever side named the other.

    Raises
    ------
    PortfolioError
        If an id in ``excludes`` names no option of the same enterprise, or an option excludes
        itself.
    """
    try:
        return _exclusion_pairs(options)
    except ValueError as exc:
        raise PortfolioError(str(exc)) from None


def _numeric(options: pd.DataFrame, col: str, *, nonneg: bool) -> np.ndarray:
    if col not in options.columns:
        raise PortfolioError(f"options frame has no column {col!r}")
    v = pd.to_numeric(options[col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | ((v < 0) if nonneg else np.zeros(len(v), dtype=bool))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise PortfolioError(
            f"row {i}: field {col!r} is {options[col].iloc[i]!r} (expected a finite number{' >= 0' if nonneg else ''})"
        )
    return v


def _check_feasible(inv: np.ndarray, mand: np.ndarray, pairs: np.ndarray, budget: float, options: pd.DataFrame) -> None:
    if len(pairs):
        both = mand[pairs[:, 0]] & mand[pairs[:, 1]]
        if both.any():
            i, j = pairs[np.flatnonzero(both)[0]]
            ids = options["option_id"].astype(str).to_numpy()
            raise PortfolioError(f"infeasible: mandatory options {ids[i]!r} (row {i}) and {ids[j]!r} (row {j}) exclude each other")
    need = float(inv[mand].sum())
    if need > budget * (1 + 1e-12) + 1e-9:
        raise PortfolioError(
            f"infeasible: the mandatory options need an investment of {need:,.2f}, more than the budget of {budget:,.2f}"
        )


def _solve_milp(value: np.ndarray, inv: np.ndarray, mand: np.ndarray, pairs: np.ndarray, budget: float,
                time_limit: float) -> tuple[np.ndarray, bool, str]:
    n = len(value)
    rows = [LinearConstraint(inv.reshape(1, -1), -np.inf, budget)]
    if len(pairs):
        k = len(pairs)
        a = coo_array((np.ones(2 * k), (np.repeat(np.arange(k), 2), pairs.ravel())), shape=(k, n))
        rows.append(LinearConstraint(a.tocsr(), -np.inf, 1.0))
    res = milp(
        c=-value,
        integrality=np.ones(n),
        bounds=Bounds(mand.astype(float), np.ones(n)),
        constraints=rows,
        options={"mip_rel_gap": 0.0, "time_limit": time_limit},
    )
    if res.x is None:
        raise PortfolioError(f"the integer programme found no feasible selection: {res.message}")
    x = res.x > 0.5
    return x, res.status == 0, str(res.message)


def _greedy(value: np.ndarray, inv: np.ndarray, mand: np.ndarray, pairs: np.ndarray, budget: float) -> np.ndarray:
    n = len(value)
    nbrs: list[list[int]] = [[] for _ in range(n)]
    for i, j in pairs:
        nbrs[i].append(int(j))
        nbrs[j].append(int(i))

    def blocked(sel: np.ndarray, i: int) -> bool:
        return any(sel[j] for j in nbrs[i])

    base = mand.copy()
    rest = budget - float(inv[base].sum())
    cand = np.flatnonzero(~mand & (value > 0))
    free = inv[cand] <= 0
    ratio = np.where(free, np.inf, value[cand] / np.where(free, 1.0, inv[cand]))
    order = cand[np.lexsort((cand, -value[cand], -ratio))]
    sel = base.copy()
    left = rest
    for i in order:
        if inv[i] <= left + 1e-9 and not blocked(sel, i):
            sel[i] = True
            left -= inv[i]
    best_single = -1
    for i in cand:
        if inv[i] <= rest + 1e-9 and not blocked(base, i) and (best_single < 0 or value[i] > value[best_single]):
            best_single = int(i)
    if best_single >= 0 and value[best_single] > value[sel & ~mand].sum():
        sel = base.copy()
        sel[best_single] = True
    return sel


def select_portfolio(
    options: pd.DataFrame,
    budget: float,
    *,
    objective: str = "npv",
    method: Literal["auto", "exact", "greedy"] = "auto",
    exact_limit: int = EXACT_LIMIT,
    time_limit: float = 60.0,
) -> PortfolioResult:
    """Select the options that maximise the summed objective under a capital budget.

    Parameters
    ----------
    options : pandas.DataFrame
        One row per option with ``option_id``, ``investment`` [currency], the ``objective``
        column, and optionally ``mandatory`` (bool), ``excludes`` (``;``-separated ids) and
        ``enterprise_id`` (``excludes`` resolves within an enterprise).
    budget : float
        Capital budget: the most the selected options may invest in total. [currency]
    objective : str
        Column to maximise, e.g. ``"npv"`` [currency] or an MCDA score [/1].  Options with a
        non-positive objective are only selected when mandatory.
    method : {"auto", "exact", "greedy"}
        ``"auto"``: exact up to ``exact_limit`` options, greedy beyond.
    exact_limit : int
        Largest problem ``"auto"`` solves exactly. [options]
    time_limit : float
        Solver time limit; if reached, the best selection found is returned with
        ``optimal=False``. [s]

    Returns
    -------
    PortfolioResult

    Raises
    ------
    PortfolioError
        On a missing or non-finite investment or objective, a negative investment or budget,
        unresolvable ``excludes``, mandatory options that exclude each other, or mandatory
        options whose investment exceeds the budget.

    References
    ----------
    See the module docstring: Kellerer et al. 2004 [1]_; HiGHS [4]_.
    """
    if not np.isfinite(budget) or budget < 0:
        raise PortfolioError(f"budget is {budget!r} (expected a finite number >= 0)")
    if method not in ("auto", "exact", "greedy"):
        raise PortfolioError(f"method is {method!r} (expected 'auto', 'exact' or 'greedy')")
    for col in ("option_id",):
        if col not in options.columns:
            raise PortfolioError(f"options frame has no column {col!r}")
    inv = _numeric(options, "investment", nonneg=True)
    value = _numeric(options, objective, nonneg=False)
    mand = _mandatory(options)
    pairs = exclusion_pairs(options)
    _check_feasible(inv, mand, pairs, float(budget), options)
    n = len(options)
    if n == 0:
        sel = np.zeros(0, dtype=bool)
        used, optimal, msg = "milp", True, "no options"
    elif method == "exact" or (method == "auto" and n <= exact_limit):
        sel, optimal, msg = _solve_milp(value, inv, mand, pairs, float(budget), time_limit)
        used = "milp"
    else:
        sel = _greedy(value, inv, mand, pairs, float(budget))
        used, optimal = "greedy", False
        msg = f"greedy heuristic ({n} options > exact_limit {exact_limit}); not proven optimal"
    return PortfolioResult(
        selected=pd.Series(sel, index=options.index, name="selected"),
        objective=float(value[sel].sum()),
        investment=float(inv[sel].sum()),
        budget=float(budget),
        method=used,
        optimal=bool(optimal),
        message=msg,
    )


def capital_recovery_factor(rate: np.ndarray | float, years: np.ndarray | float) -> np.ndarray:
    """Capital recovery factor r / (1 - (1 + r)^-N); 1/N at r = 0. [/yr]

    References
    ----------
    Blank & Tarquin 2012, ch. 2 [3]_.
    """
    r = np.asarray(rate, dtype=float)
    n = np.asarray(years, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        crf = r / (1.0 - (1.0 + r) ** (-n))
    return np.where(np.abs(r) < 1e-12, 1.0 / n, crf)


def marginal_abatement_cost(
    options: pd.DataFrame,
    effect: str = "co2e_avoided_t",
    *,
    discount_rate: float | np.ndarray | pd.Series | None = None,
    annualised_cost: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """Marginal abatement cost of each option, sorted into the curve.

    Parameters
    ----------
    options : pandas.DataFrame
        With ``investment`` [currency], ``annual_savings`` [currency/yr], ``lifetime_years`` [yr],
        optionally ``annual_cost_change`` [currency/yr] and ``salvage_value`` [currency] (0 where
        absent), and the ``effect`` column (yearly quantity avoided, e.g. [t CO2e/yr]).
    effect : str
        ``co2e_avoided_t``, ``waste_avoided_t``, ``energy_saved_mwh`` or any yearly effect column.
    discount_rate : float or array-like, optional
        The enterprise's discount rate per option [/1]; default the options' ``discount_rate``
        column (e.g. merged from the enterprises), else 0.08.
    annualised_cost : array-like, optional
        Each option's annualised net cost [currency/yr], position-aligned with ``options``: pass
        minus the appraisal's ``equivalent_annual_value`` (``finance.appraise.appraise``: after
        tax, with support) so that the curve shows the figures of every other path.  Default the
        pre-tax cost without support, inv x CRF - salvage x SFF - (savings - cost change).

    Returns
    -------
    pandas.DataFrame
        The options with a positive effect (others are left out: they abate nothing), sorted by
        increasing MAC, with the original index and columns ``enterprise_id``/``option_id`` where
        present, ``annualised_cost`` [currency/yr], ``abatement`` [unit/yr], ``mac``
        [currency/unit], ``cum_abatement_start``, ``cum_abatement_end`` [unit/yr] (the bar's
        extent on the curve's x axis) and ``alternative_to`` (None, or for an alternative the
        ``option_id`` of the option of its exclusive group that the curve stacks).

    Notes
    -----
    Mutually exclusive options (``excludes``, grouped as in ``screening.excludes``: the connected
    components of the exclusion graph) are alternatives, not additions: of each group the curve
    stacks only the option with the lowest MAC (ties: the larger abatement, then the frame's
    order), the first of the group that a cost-ordered curve reaches.  The others keep their row
    and MAC but add nothing to the cumulative abatement: their bar starts where the stacked
    option's starts (``cum_abatement_end`` - ``cum_abatement_start`` is still their own
    abatement), and ``alternative_to`` names the option they would replace.  So the curve's last
    ``cum_abatement_end`` among stacked options is the abatement achievable together.
    Groups are formed over all options given, before those without the effect are left out.

    References
    ----------
    Kesicki & Ekins 2012 [2]_; Blank & Tarquin 2012 [3]_.
    """
    inv = _numeric(options, "investment", nonneg=True)
    sav = _numeric(options, "annual_savings", nonneg=False)
    life = _numeric(options, "lifetime_years", nonneg=True)
    if (life < 1).any():
        i = int(np.flatnonzero(life < 1)[0])
        raise PortfolioError(f"row {i}: field 'lifetime_years' is {life[i]!r} (expected >= 1)")
    cost = _numeric(options, "annual_cost_change", nonneg=False) if "annual_cost_change" in options.columns else np.zeros(len(options))
    salv = _numeric(options, "salvage_value", nonneg=True) if "salvage_value" in options.columns else np.zeros(len(options))
    if effect not in options.columns:
        raise PortfolioError(f"options frame has no column {effect!r}")
    a = pd.to_numeric(options[effect], errors="coerce").to_numpy(dtype=float)
    if discount_rate is None:
        r = (pd.to_numeric(options["discount_rate"], errors="coerce").fillna(0.08).to_numpy(dtype=float)
             if "discount_rate" in options.columns else np.full(len(options), 0.08))
    else:
        r = np.broadcast_to(np.asarray(discount_rate, dtype=float), (len(options),)).copy()
    if (~np.isfinite(r) | (r <= -1)).any():
        i = int(np.flatnonzero(~np.isfinite(r) | (r <= -1))[0])
        raise PortfolioError(f"row {i}: discount rate {r[i]!r} is not a finite number > -1")
    crf = capital_recovery_factor(r, life)
    with np.errstate(divide="ignore", invalid="ignore"):
        sff = np.where(np.abs(r) < 1e-12, 1.0 / life, r / ((1.0 + r) ** life - 1.0))
    annual = inv * crf - salv * sff - (sav - cost)
    if annualised_cost is not None:
        given = np.asarray(annualised_cost, dtype=float)
        if given.shape != (len(options),):
            raise PortfolioError(f"annualised_cost has {given.size} values for {len(options)} options")
        annual = given
    keep = np.isfinite(a) & (a > 0)
    cols = [c for c in ("enterprise_id", "option_id", "title") if c in options.columns]
    pos = np.flatnonzero(keep)
    mac = annual[pos] / a[pos]
    order = pos[np.lexsort((pos, -a[pos], mac))]  # increasing MAC, then larger abatement, then position
    out = options.iloc[order][cols].copy()
    out["annualised_cost"] = annual[order]
    out["abatement"] = a[order]
    out["mac"] = annual[order] / a[order]
    # alternatives: in each exclusive group the first option of the curve (lowest MAC) is stacked
    g = (exclusive_groups(options, exclusion_pairs(options))[order]
         if "option_id" in options.columns else np.full(len(order), -1, dtype=np.int64))
    stacked = np.ones(len(out), dtype=bool)
    lead = np.arange(len(out))  # position (in curve order) of the option each row is stacked as
    grouped = np.flatnonzero(g >= 0)
    if len(grouped):
        _, first, inv_g = np.unique(g[grouped], return_index=True, return_inverse=True)
        lead[grouped] = grouped[first][inv_g]
        stacked[grouped] = lead[grouped] == grouped
    ab = out["abatement"].to_numpy(dtype=float)
    end = np.cumsum(np.where(stacked, ab, 0.0))
    start = end - np.where(stacked, ab, 0.0)
    start = start[lead]  # an alternative is drawn from where the option it replaces starts
    out["cum_abatement_start"] = start
    out["cum_abatement_end"] = np.where(stacked, end, start + ab)
    oid = out["option_id"].astype(str).to_numpy(dtype=object) if "option_id" in out.columns else np.full(len(out), None)
    out["alternative_to"] = np.where(stacked, None, oid[lead])
    return out

"""Batch appraisal of many options in one pass: the same model as :mod:`finance.cashflow`.

Options arrive as numpy arrays and their cash flows are held as 2-D arrays (options x (max life
+ 1)), zero beyond each option's life.  Validation, grouping of support items by option and the
result table are numpy and pandas here; the loops over options run compiled, with the GIL
released, in :mod:`finance.kernels` (cash flows, discounted sums and paybacks, IRR), block by
block on one or more threads.  No Python code runs per option, except the exact polynomial-root
IRR (:func:`finance.metrics.irr`) for the rare rows whose root counting cannot be decided
(near-double roots).

Conventions are those of :mod:`finance.cashflow` and :mod:`finance.metrics` (flows at period ends,
t = 0 undiscounted as in ``numpy_financial.npv``; amounts [currency], rates [/1], years [yr]).

IRR: one sign change -> safeguarded Halley iteration on h(u) = ln|L| - ln|E| (late and early parts
of the NPV polynomial, u = ln(1/(1+r))), which has exactly one zero by Descartes' rule of signs;
several sign changes -> roots counted by branch and bound, then polished (see
:mod:`finance.kernels`).  Rows with several roots get NaN and the list of roots as the reason.

``support_total`` is the present value of the support to the enterprise: NPV with support minus
NPV of the same option without support, at the option's discount rate [currency].

References
----------
.. [1] numpy-financial ``npv``, ``irr``, ``mirr`` (the per-option reference in the tests).
.. [2] Microsoft Excel help, "NPV function", "IRR function".
.. [3] Press, W. H. et al. (2007), Numerical Recipes, 3rd ed., sections 9.4 (Newton-Raphson
   safeguarded by bisection, ``rtsafe``) and 9.4.2 (Halley's method).
.. [4] UNEP/UNIDO (1991) and the Chinese cleaner production audit handbook (1996), see
   :mod:`finance.handbook`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance import kernels, tca
from finance.metrics import IRR_MAX, IRR_MIN, PaybackBasis, cost_per_unit, irr
from policies.items import ITEM_COLUMNS, SUPPORT_KINDS

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

_ITEM_DEFAULTS: dict[str, object] = {
    "spread_years": 1, "taxable": False, "reduces_depreciation_base": False,
    "first_year_share": np.nan, "later_share": np.nan, "exempt_years": 0, "reduced_years": 0,
    "reduced_factor": 1.0, "carry_forward_years": np.nan, "loan_rate": 0.0, "loan_years": 0,
}


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


def _column(options: pd.DataFrame, name: str, default: float | None) -> np.ndarray:
    if name not in options.columns:
        if default is None:
            raise ValueError(f"options: required column {name!r} is missing")
        return np.full(len(options), default, dtype=float)
    try:
        values = pd.to_numeric(options[name], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"options: column {name!r} must be numeric ({exc})") from exc
    if default is not None:
        values = np.where(np.isnan(values), default, values)
    return values


def _c(values: npt.ArrayLike, dtype: npt.DTypeLike = float) -> np.ndarray:
    """``values`` as a C-contiguous, writeable array of ``dtype`` (a copy only where needed).

    The compiled kernels are specialised on dtype, layout and writeability: handing them one
    form (pandas 3 returns read-only views) keeps each kernel at one compiled signature.
    """
    return np.require(values, dtype=dtype, requirements=["C", "W"])


def filled(n: int, value: object) -> np.ndarray:
    """``np.full(n, value, dtype=object)`` with every cell the one object ``value``: ``np.full`` of
    a text makes a new copy of the text per cell (60 ms for a million options, each call)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _check(bad: np.ndarray, field: str, reason: str, values: np.ndarray, what: str = "options") -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what} row {i}: field {field!r} {reason}, got {values[i]!r}")


def option_arrays(options: pd.DataFrame) -> dict[str, np.ndarray]:
    """Validated per-option arrays read from an options frame.

    Returns ``investment`` [currency], ``annual_savings`` (with the Total Cost Assessment
    tiers II-IV of :mod:`finance.tca` where given), ``annual_cost_change`` [currency/yr]
    (year-1 amounts), ``salvage_value`` [currency], ``lifetime_years``,
    ``depreciation_years`` [yr], ``savings_escalation``, ``cost_escalation`` [/1 per yr] and
    ``inflation`` [/1 per yr] (the enterprise's, a column :func:`finance.appraise.with_inflation`
    puts on the options; default 0).

    Raises
    ------
    ValueError
        Naming the first bad row, the field and the reason.
    """
    inv = _column(options, "investment", None)
    sav = _column(options, "annual_savings", None)
    life = _column(options, "lifetime_years", None)
    cost = _column(options, "annual_cost_change", 0.0)
    salv = _column(options, "salvage_value", 0.0)
    dep = _column(options, "depreciation_years", math.nan)
    dep = np.where(np.isnan(dep), life, dep)
    g_sav = _column(options, "savings_escalation", 0.0)
    g_cost = _column(options, "cost_escalation", 0.0)
    infl = _column(options, "inflation", 0.0)  # the enterprise's, set on the rows by finance.appraise
    _check(~(np.isfinite(infl) & (infl > -1) & (infl <= 1)), "inflation", "must be a rate in (-1, 1] per year", infl)
    for name, arr in (("savings_escalation", g_sav), ("cost_escalation", g_cost)):
        _check(~(np.isfinite(arr) & (arr > -1) & (arr <= 1)), name, "must be a rate in (-1, 1] per year", arr)
    _check(~(np.isfinite(inv) & (inv >= 0)), "investment", "must be finite and >= 0", inv)
    _check(~np.isfinite(sav), "annual_savings", "must be finite", sav)
    tiers = tca.tier_savings(options)  # Total Cost Assessment tiers II-IV: the full view
    if tiers is not None:
        sav = np.where(tiers != 0, sav + tiers, sav)
    _check(~np.isfinite(cost), "annual_cost_change", "must be finite", cost)
    _check(~(np.isfinite(salv) & (salv >= 0)), "salvage_value", "must be finite and >= 0", salv)
    for name, arr in (("lifetime_years", life), ("depreciation_years", dep)):
        bad = ~(np.isfinite(arr) & (arr >= 1) & (arr <= 50)) | (np.nan_to_num(arr) != np.round(np.nan_to_num(arr)))
        _check(bad, name, "must be an integer 1..50", arr)
    return {
        "investment": inv, "annual_savings": sav, "annual_cost_change": cost,
        "salvage_value": salv, "lifetime_years": life.astype(np.int64),
        "depreciation_years": dep.astype(np.int64),
        "savings_escalation": g_sav, "cost_escalation": g_cost, "inflation": infl,
    }


def _support_arrays(support: pd.DataFrame | None, n: int, life: np.ndarray) -> dict[str, np.ndarray]:
    if support is None or len(support) == 0:
        return {}
    missing = [c for c in ("row", "kind", "amount", "year") if c not in support.columns]
    if missing:
        raise ValueError(f"support table: missing columns {missing} (expected {ITEM_COLUMNS})")
    # kinds coded by their position in SUPPORT_KINDS; each distinct value converted once
    codes, uniques = pd.factorize(support["kind"], use_na_sentinel=False)
    names = [str(k) for k in uniques]
    bad_kind = np.isin(np.asarray(names, dtype=object), SUPPORT_KINDS, invert=True)[codes]
    if bad_kind.any():
        _check(bad_kind, "kind", f"must be one of {SUPPORT_KINDS}", support["kind"].astype(str).to_numpy(),
               "support table")
    out: dict[str, np.ndarray] = {"kind_code": np.array([SUPPORT_KINDS.index(k) for k in names], dtype=np.int8)[codes]}
    for col in ("row", "amount", "year") + tuple(_ITEM_DEFAULTS):
        default = _ITEM_DEFAULTS.get(col)
        if col in support.columns:
            column = support[col]
            try:  # numeric, bool and nullable-integer columns convert directly
                values = column.to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError):
                values = pd.to_numeric(column.astype(object).where(column.notna(), np.nan),
                                       errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            if default is not None and not (isinstance(default, float) and math.isnan(default)):
                values = np.where(np.isnan(values), float(default), values)  # type: ignore[arg-type]
        else:
            values = np.full(len(support), float(default), dtype=float)  # type: ignore[arg-type]
        out[col] = values
    _check(~((out["row"] >= 0) & (out["row"] < n) & (out["row"] == np.round(out["row"]))),
           "row", f"must be an option position 0..{n - 1}", out["row"], "support table")
    _check(~np.isfinite(out["amount"]), "amount", "must be finite", out["amount"], "support table")
    _check(~(out["year"] >= 0), "year", "must be >= 0", out["year"], "support table")
    _check(~(out["spread_years"] >= 1), "spread_years", "must be >= 1", out["spread_years"], "support table")
    out["row"] = out["row"].astype(np.int64)
    out["year"] = out["year"].astype(np.int64)
    out["spread_years"] = out["spread_years"].astype(np.int64)
    kind, row = out["kind_code"], out["row"]
    last = out["year"] + out["spread_years"] - 1
    spread_kinds = np.isin(kind, (kernels.GRANT, kernels.DEDUCTION, kernels.CREDIT))
    bad = spread_kinds & (last > life[row])
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"support table row {j}: {SUPPORT_KINDS[kind[j]]} falls in years {out['year'][j]}..{last[j]}, "
                         f"beyond option row {row[j]}'s life of {life[row[j]]} years")
    loans = (kind == kernels.LOAN) & (out["amount"] != 0)
    k = out["loan_years"]
    _check(loans & (~(k >= 1) | (k != np.round(k))), "loan_years", "must be an integer >= 1", k, "support table")
    _check(loans & (out["year"] > life[row]), "year", "is after the option's life (soft loan)", out["year"], "support table")
    dep = row[(kind == kernels.DEPRECIATION) & ~np.isnan(out["first_year_share"])]
    counts = np.bincount(dep, minlength=n)
    if (counts > 1).any():
        raise ValueError(f"support table: option row {int(np.flatnonzero(counts > 1)[0])} has more than one "
                         "'depreciation' item")
    return out


def _by_row(sup: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Items grouped by option row (a stable sort keeps their order within a row); as is if already."""
    rows = sup["row"]
    if rows.size < 2 or bool(np.all(rows[1:] >= rows[:-1])):
        return sup
    order = np.argsort(rows, kind="stable")
    return {k: v[order] for k, v in sup.items()}


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


def year_arrays(tax_rate_by_year: np.ndarray | None, depreciation_schedule: np.ndarray | None,
                life: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Check the optional (n, T) year arrays against the options' lives: tax rates in 0..1 over
    each life, cumulative depreciation shares in 0..1 (NaN rows = straight line).

    Raises
    ------
    ValueError
        Naming the first bad row.
    """
    n = life.size
    out: list[np.ndarray | None] = []
    for name, values in (("tax_rate_by_year", tax_rate_by_year), ("depreciation_schedule", depreciation_schedule)):
        if values is None:
            out.append(None)
            continue
        values = np.asarray(values, dtype=float)
        need = int(life.max()) + 1 if n else 1
        if values.ndim != 2 or values.shape[0] != n or values.shape[1] < need:
            raise ValueError(f"{name}: expected shape ({n}, >= {need}) (options x years 0..max life), got {values.shape}")
        alive = np.arange(values.shape[1])[None, :] <= life[:, None]
        if name == "tax_rate_by_year":
            bad = (alive & ~((values >= 0) & (values <= 1))).any(axis=1)
            _check(bad, name, "must hold rates in 0..1 over the option's life", values[:, 0])
        else:
            plain = np.isnan(values[:, 0])
            bad = ~plain & (alive & ~((values >= 0) & (values <= 1))).any(axis=1)
            _check(bad, name, "must hold cumulative shares in 0..1 over the option's life", values[:, 0])
        out.append(values)
    return out[0], out[1]


def _flows(arr: dict[str, np.ndarray], rate: np.ndarray, capacity: np.ndarray, sup: dict[str, np.ndarray],
           loss_limit: np.ndarray, width: int | None = None, bounds: np.ndarray | None = None, *,
           rate_year: np.ndarray | None = None, dep_cum: np.ndarray | None = None,
           debt: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None, net: np.ndarray | None = None) -> BatchFlows:
    """Kernel of :func:`batch_cash_flows` on validated arrays (``width`` >= max life + 1 if given).

    ``rate_year`` and ``dep_cum`` are the rows' (n, >= max life + 1) tax rates by year and
    cumulative depreciation shares (checked by :func:`year_arrays`), None = not used.

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
        From :func:`batch_cash_flows`.
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
        Columns :data:`BATCH_COLUMNS` without ``support_total``; payback NaN = never reached.
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
        for :func:`batch_cash_flows`.
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
        :func:`option_arrays` of ``options``, where the caller has them already.
    support_arrays : dict of str -> ndarray, optional
        :func:`_support_arrays` of ``support`` (validated, not changed here), where the caller
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

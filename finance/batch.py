"""Vectorised appraisal of many options at once: the same model as :mod:`finance.cashflow`.

Cash flows are built as 2-D arrays (options x (max life + 1)), zero beyond each option's life,
and every metric is computed over all options at once.  Only two loops remain, neither over
options: a loop over *years* for enterprises without tax capacity that have a loss or a tax credit
to carry forward, and the exact polynomial-root IRR (:func:`finance.metrics.irr`) for the rare
rows whose cash flow changes sign more than once (several IRRs are possible there).

Conventions are those of :mod:`finance.cashflow` and :mod:`finance.metrics` (flows at period ends,
t = 0 undiscounted as in ``numpy_financial.npv``; amounts [currency], rates [/1], years [yr]).

IRR where the flow changes sign exactly once: by Descartes' rule of signs there is exactly one root
x = 1 / (1 + r) > 0.  Split the NPV polynomial at m, the first period of the opposite sign, into
an early part E(x) (periods < m) and a late part L(x) (periods >= m), each a sum of same-sign terms;
h(u) = ln|L| - ln|E| with u = ln x is increasing and nearly linear, and zero exactly at the IRR.
A Newton iteration on h, safeguarded by bisection on the bracket r in [IRR_MIN, IRR_MAX],
converges for every row at once in a few steps, without the cancellation of evaluating the NPV.

``support_total`` is the present value of the support to the enterprise: NPV with support minus
NPV of the same option without support, at the option's discount rate [currency].

References
----------
.. [1] numpy-financial ``npv``, ``irr``, ``mirr`` (the per-option reference in the tests).
.. [2] Microsoft Excel help, "NPV function", "IRR function".
.. [3] Press, W. H. et al. (2007), Numerical Recipes, 3rd ed., section 9.4 (Newton-Raphson
   safeguarded by bisection, ``rtsafe``).
.. [4] UNEP/UNIDO (1991) and the Chinese cleaner production audit handbook (1996), see
   :mod:`finance.handbook`.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance.metrics import IRR_MAX, IRR_MIN, SIGN_TOLERANCE, PaybackBasis, cost_per_unit, irr
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


def _check(bad: np.ndarray, field: str, reason: str, values: np.ndarray, what: str = "options") -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{what} row {i}: field {field!r} {reason}, got {values[i]!r}")


def option_arrays(options: pd.DataFrame) -> dict[str, np.ndarray]:
    """Validated per-option arrays read from an options frame.

    Returns ``investment`` [currency], ``annual_savings``, ``annual_cost_change``
    [currency/yr], ``salvage_value`` [currency], ``lifetime_years``, ``depreciation_years`` [yr].

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
    _check(~(np.isfinite(inv) & (inv >= 0)), "investment", "must be finite and >= 0", inv)
    _check(~np.isfinite(sav), "annual_savings", "must be finite", sav)
    _check(~np.isfinite(cost), "annual_cost_change", "must be finite", cost)
    _check(~(np.isfinite(salv) & (salv >= 0)), "salvage_value", "must be finite and >= 0", salv)
    for name, arr in (("lifetime_years", life), ("depreciation_years", dep)):
        bad = ~(np.isfinite(arr) & (arr >= 1) & (arr <= 50)) | (np.nan_to_num(arr) != np.round(np.nan_to_num(arr)))
        _check(bad, name, "must be an integer 1..50", arr)
    return {
        "investment": inv, "annual_savings": sav, "annual_cost_change": cost,
        "salvage_value": salv, "lifetime_years": life.astype(np.int64),
        "depreciation_years": dep.astype(np.int64),
    }


def _support_arrays(support: pd.DataFrame | None, n: int, life: np.ndarray) -> dict[str, np.ndarray]:
    if support is None or len(support) == 0:
        return {}
    missing = [c for c in ("row", "kind", "amount", "year") if c not in support.columns]
    if missing:
        raise ValueError(f"support table: missing columns {missing} (expected {ITEM_COLUMNS})")
    # kinds as a fixed-width str array (fast comparisons); each distinct value converted once
    codes, uniques = pd.factorize(support["kind"], use_na_sentinel=False)
    names = np.asarray(pd.Series(uniques, dtype=object).astype(str).tolist(), dtype=str)
    out: dict[str, np.ndarray] = {"kind": names[codes]}
    bad_kind = np.isin(names, SUPPORT_KINDS, invert=True)[codes]
    if bad_kind.any():
        _check(bad_kind, "kind", f"must be one of {SUPPORT_KINDS}", support["kind"].astype(str).to_numpy(),
               "support table")
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
    kind, row = out["kind"], out["row"]
    last = out["year"] + out["spread_years"] - 1
    spread_kinds = np.isin(kind, ("grant", "tax_deduction", "tax_credit"))
    bad = spread_kinds & (last > life[row])
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise ValueError(f"support table row {j}: {kind[j]} falls in years {out['year'][j]}..{last[j]}, "
                         f"beyond option row {row[j]}'s life of {life[row[j]]} years")
    loans = (kind == "soft_loan") & (out["amount"] != 0)
    k = out["loan_years"]
    _check(loans & (~(k >= 1) | (k != np.round(k))), "loan_years", "must be an integer >= 1", k, "support table")
    _check(loans & (out["year"] > life[row]), "year", "is after the option's life (soft loan)", out["year"], "support table")
    dep = row[(kind == "depreciation") & ~np.isnan(out["first_year_share"])]
    counts = np.bincount(dep, minlength=n)
    if (counts > 1).any():
        raise ValueError(f"support table: option row {int(np.flatnonzero(counts > 1)[0])} has more than one "
                         "'depreciation' item")
    return out


def _take_support(sup: dict[str, np.ndarray], position: np.ndarray, lo: int, hi: int,
                  order: np.ndarray, bounds: np.ndarray) -> dict[str, np.ndarray]:
    """Items of options at sorted positions lo..hi-1, rows renumbered to the chunk."""
    if not sup:
        return {}
    a, b = bounds[lo], bounds[hi]
    if a == b:
        return {}
    out = {k: v[a:b] for k, v in sup.items()}  # items pre-sorted by ``order``: views, no copies
    out["row"] = position[out["row"]] - lo
    return out


def _spread(sup: dict[str, np.ndarray], sel: np.ndarray, life: np.ndarray) -> tuple[np.ndarray, ...]:
    """Expand selected items over their spread years -> (item index, option row, year, amount)."""
    idx = np.flatnonzero(sel)
    spread = sup["spread_years"][idx]
    last = sup["year"][idx] + spread - 1
    bad = last > life[sup["row"][idx]]
    if bad.any():
        j = idx[np.flatnonzero(bad)[0]]
        raise ValueError(
            f"support table row {j}: {sup['kind'][j]} falls in years {sup['year'][j]}..{last[np.flatnonzero(bad)[0]]}, "
            f"beyond option row {sup['row'][j]}'s life of {life[sup['row'][j]]} years"
        )
    rep = np.repeat(idx, spread)
    start = np.repeat(np.cumsum(spread) - spread, spread)
    offset = np.arange(rep.size) - start
    return rep, sup["row"][rep], sup["year"][rep] + offset, sup["amount"][rep] / sup["spread_years"][rep]


def _scatter(n: int, width: int, rows: np.ndarray, years: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    return np.bincount(rows * width + years, weights=amounts, minlength=n * width).reshape(n, width)


def batch_cash_flows(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
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
    return _flows(arr, rate, capacity, sup, loss)


def _flows(arr: dict[str, np.ndarray], rate: np.ndarray, capacity: np.ndarray, sup: dict[str, np.ndarray],
           loss_limit: np.ndarray, width: int | None = None) -> BatchFlows:
    """Kernel of :func:`batch_cash_flows` on validated arrays (``width`` >= max life + 1 if given)."""
    n = arr["investment"].size
    life = arr["lifetime_years"]
    if width is None:
        width = int(life.max()) + 1 if n else 1
    t = np.arange(width)
    in_life = t[None, :] <= life[:, None]
    operating = in_life & (t[None, :] >= 1)
    rows_n = np.arange(n)

    kinds = sup.get("kind", np.array([], dtype=str))
    base = arr["investment"].copy()
    grants: np.ndarray | None = None
    upfront = np.zeros(n)
    taxable = np.where(operating, (arr["annual_savings"] - arr["annual_cost_change"])[:, None], 0.0)
    del operating
    taxable[rows_n, life] += arr["salvage_value"]
    net = taxable.copy()  # savings + cost change + salvage, before investment, support and tax
    net[:, 0] -= arr["investment"]
    pre_tax = net.copy()
    if sup:
        g = kinds == "grant"
        if g.any():
            rep, rows, years, amounts = _spread(sup, g, life)
            grants = _scatter(n, width, rows, years, amounts)
            taxed = sup["taxable"][rep] != 0
            if taxed.any():
                taxable += _scatter(n, width, rows[taxed], years[taxed], amounts[taxed])
            reduce = g & (sup["reduces_depreciation_base"] != 0)
            base -= np.bincount(sup["row"][reduce], weights=sup["amount"][reduce], minlength=n)
            upfront = grants[:, 0].copy()
        d = kinds == "tax_deduction"
        if d.any():
            _, rows, years, amounts = _spread(sup, d, life)
            taxable -= _scatter(n, width, rows, years, amounts)
    np.maximum(base, 0.0, out=base)

    # depreciation: cumulative share C(t), capped at 1 and 1 from t = N on; shares = diff
    dep_years = arr["depreciation_years"].astype(float)
    cum = np.minimum(t[None, :] / dep_years[:, None], 1.0)
    if sup:
        dsel = np.flatnonzero((kinds == "depreciation") & ~np.isnan(sup["first_year_share"]))
        drow = sup["row"][dsel]
        if np.unique(drow).size != drow.size:
            dup = drow[np.flatnonzero(np.bincount(drow, minlength=n)[drow] > 1)[0]]
            raise ValueError(f"support table: option row {dup} has more than one 'depreciation' item")
        first = sup["first_year_share"][dsel]
        later = sup["later_share"][dsel]
        later = np.where(np.isnan(later), (1.0 - first) / np.maximum(dep_years[drow] - 1, 1), later)
        cum[drow] = np.where(t[None, :] >= 1, np.minimum(first[:, None] + (t[None, :] - 1) * later[:, None], 1.0), 0.0)
    np.copyto(cum, 1.0, where=~in_life | (t[None, :] == life[:, None]))
    dep = np.empty_like(cum)
    dep[:, 0] = cum[:, 0]
    np.subtract(cum[:, 1:], cum[:, :-1], out=dep[:, 1:])
    dep *= base[:, None]
    taxable -= dep
    del cum, dep

    factor: np.ndarray | float = 1.0
    if sup and (kinds == "tax_holiday").any():
        h = np.flatnonzero(kinds == "tax_holiday")
        ex = sup["exempt_years"][h][:, None]
        red = sup["reduced_years"][h][:, None]
        fac = np.where((t[None, :] >= 1) & (t[None, :] <= ex), 0.0, 1.0)
        fac = np.where((t[None, :] > ex) & (t[None, :] <= ex + red), sup["reduced_factor"][h][:, None], fac)
        factor = np.ones((n, width))
        np.multiply.at(factor, sup["row"][h], fac)
    rates = rate[:, None] * factor

    credit_rows = credit_years = credit_amounts = credit_expiry = np.array([], dtype=np.int64)
    if sup and (kinds == "tax_credit").any():
        rep, credit_rows, credit_years, credit_amounts = _spread(sup, kinds == "tax_credit", life)
        cf = sup["carry_forward_years"][rep]
        credit_expiry = np.where(np.isnan(cf), life[credit_rows],
                                 np.minimum(credit_years + np.nan_to_num(cf), life[credit_rows])).astype(np.int64)

    tax = -rates * taxable
    net += tax
    credit_matrix = _scatter(n, width, credit_rows, credit_years, credit_amounts) if credit_rows.size else None
    if credit_matrix is not None:
        net += credit_matrix
    # enterprises without tax capacity: carry losses and credits forward, year by year
    has_loss = (taxable < 0).any(axis=1)
    has_credit = np.zeros(n, dtype=bool)
    has_credit[credit_rows] = True
    carry = np.flatnonzero(~capacity & (has_loss | has_credit))
    if carry.size:
        net[carry] -= tax[carry]
        if credit_matrix is not None:
            net[carry] -= credit_matrix[carry]
        net[carry] += _carry_forward(taxable[carry], np.broadcast_to(rates, (n, width))[carry], carry, n,
                                     credit_rows, credit_years, credit_expiry, credit_amounts,
                                     np.where(np.isnan(loss_limit), np.inf, loss_limit)[carry])
    del tax, taxable, credit_matrix
    if grants is not None:
        net += grants
        pre_tax += grants
    if sup and (kinds == "soft_loan").any():
        loan = _loan_matrix(sup, kinds == "soft_loan", life, n, width)
        net += loan
        pre_tax += loan
    beyond = ~in_life
    np.copyto(net, 0.0, where=beyond)  # clear rounding residue beyond each life
    np.copyto(pre_tax, 0.0, where=beyond)
    return BatchFlows(net=net, pre_tax_net=pre_tax, life=life, investment=arr["investment"], upfront_grants=upfront)


def _carry_forward(
    taxable: np.ndarray, rates: np.ndarray, rows: np.ndarray, n: int,
    credit_rows: np.ndarray, credit_years: np.ndarray, credit_expiry: np.ndarray,
    credit_amounts: np.ndarray, loss_years: np.ndarray,
) -> np.ndarray:
    """Tax cash flow (-payable + credit used) for the rows without tax capacity; loops over years."""
    m, width = taxable.shape
    local = np.full(n, -1, dtype=np.int64)
    local[rows] = np.arange(m)
    keep = local[credit_rows] >= 0 if credit_rows.size else np.array([], dtype=bool)
    c_row, c_year = local[credit_rows[keep]], credit_years[keep]
    c_exp, c_amt = credit_expiry[keep], credit_amounts[keep]
    # losses: one pool per row where they never expire; by year of arising (oldest used first)
    # only for the rows with a limit, over the window of the longest limit
    limited = np.flatnonzero(np.isfinite(loss_years))
    unlimited = np.flatnonzero(~np.isfinite(loss_years))
    pool = np.zeros(unlimited.size)
    lim_years = loss_years[limited]
    window = int(lim_years.max()) if limited.size else 0
    losses = np.zeros((limited.size, width))
    # credits: by year of expiry (earliest-expiring used first), only for rows that have credits
    with_credit = np.unique(c_row)
    slot = np.full(m, -1, dtype=np.int64)
    slot[with_credit] = np.arange(with_credit.size)
    credits = np.zeros((with_credit.size, width))
    out = np.zeros((m, width))
    top = 0  # one past the latest expiry year of the credits added so far
    for y in range(width):
        profit = taxable[:, y].copy()
        loss = np.maximum(-profit, 0.0)
        profit = np.maximum(profit, 0.0)
        if unlimited.size:
            p_u = profit[unlimited]
            use = np.minimum(pool, p_u)
            pool += loss[unlimited] - use
            profit[unlimited] = p_u - use
        if limited.size:
            lo = max(0, y - window)
            if y > lo:
                block = losses[:, lo:y]
                block[np.arange(lo, y)[None, :] < y - lim_years[:, None]] = 0.0  # expired
                avail = np.cumsum(block, axis=1)
                use = np.minimum(avail, profit[limited][:, None])
                block -= np.diff(use, axis=1, prepend=0.0)
                profit[limited] -= use[:, -1]
            losses[:, y] = loss[limited]
        payable = rates[:, y] * profit
        out[:, y] = -payable
        if with_credit.size:
            now = c_year == y
            if now.any():
                np.add.at(credits, (slot[c_row[now]], c_exp[now]), c_amt[now])
                top = max(top, int(c_exp[now].max()) + 1)
            # columns from the latest expiry on hold no credit: leaving them out changes nothing
            end = max(top, y + 1)
            avail = np.cumsum(credits[:, y:end], axis=1)
            use = np.minimum(avail, payable[with_credit][:, None])
            credits[:, y:end] -= np.diff(use, axis=1, prepend=0.0)
            out[with_credit, y] += use[:, -1]
    return out


def _loan_matrix(sup: dict[str, np.ndarray], sel: np.ndarray, life: np.ndarray, n: int, width: int) -> np.ndarray:
    idx = np.flatnonzero(sel & (sup["amount"] != 0))
    loan = np.zeros((n, width))
    if idx.size == 0:
        return loan
    rows, start = sup["row"][idx], sup["year"][idx]
    p, r, k = sup["amount"][idx], sup["loan_rate"][idx], sup["loan_years"][idx]
    _check(~(k >= 1) | (k != np.round(k)), "loan_years", "must be an integer >= 1", k, "support table (soft loans)")
    end = life[rows]
    _check(start > end, "year", "is after the option's life", start, "support table (soft loans)")
    with np.errstate(divide="ignore", invalid="ignore"):
        pay = np.where(r == 0, p / k, p * r / (1.0 - (1.0 + r) ** -k))
    t = np.arange(width)[None, :]
    paying = (t > start[:, None]) & (t <= np.minimum(start + k, end)[:, None])
    m = np.where(paying, -pay[:, None], 0.0)
    m[np.arange(idx.size), start] += p
    q = np.minimum(end - start, k)  # payments made by t = N
    growth = (1.0 + r) ** q
    with np.errstate(divide="ignore", invalid="ignore"):
        balance = np.where(r == 0, p - pay * q, p * growth - pay * (growth - 1.0) / np.where(r == 0, 1.0, r))
    balloon = start + k > end
    m[np.flatnonzero(balloon), end[balloon]] -= balance[balloon]
    np.add.at(loan, rows, m)
    return loan


def batch_irr(values: np.ndarray, *, max_iter: int = 200, tol: float = 1e-12) -> tuple[np.ndarray, np.ndarray]:
    """IRR of every row of ``values`` (flows t = 0..T-1, zero-padded), NaN with a reason where undefined.

    Parameters
    ----------
    values : ndarray, shape (n, T)
        Cash flows. [currency]

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
    n, width = values.shape
    out = np.full(n, np.nan)
    reason = np.full(n, "", dtype=object)
    if n == 0:
        return out, reason
    mag = np.abs(values)
    big = mag > SIGN_TOLERANCE * mag.max(axis=1, keepdims=True)
    del mag
    # signs ignoring negligible terms, time-major (T, n) int8; count the changes period by period
    s_t = np.ascontiguousarray(((values > 0) & big).view(np.int8).T) - np.ascontiguousarray(
        ((values < 0) & big).view(np.int8).T)
    del big
    last = s_t[0].copy()  # last non-zero sign so far (0 before the first)
    changes = np.zeros(n, dtype=np.int64)
    first_flip = np.zeros(n, dtype=np.int64)  # first period of the opposite sign
    for j in range(1, width):
        sj = s_t[j]
        flip = (sj * last) < 0
        changes += flip
        first_flip[flip & (first_flip == 0)] = j
        np.copyto(last, sj, where=sj != 0)
    del s_t
    reason[changes == 0] = "no sign change in the cash flow: no IRR"
    _several_changes(values, np.flatnonzero(changes >= 2), out, reason)
    one = np.flatnonzero(changes == 1)
    if one.size == 0:
        return out, reason
    m = first_flip[one]
    coeffs = np.ascontiguousarray(values[one].T)  # (T, k)
    later = np.arange(width)[:, None] >= m[None, :]
    parts = np.empty((width, 2, one.size))  # [:, 0] late part (periods m..T-1), [:, 1] early part
    parts[:, 0] = np.where(later, coeffs, 0.0)
    np.subtract(coeffs, parts[:, 0], out=parts[:, 1])
    del coeffs, later
    u_min, u_max = -math.log1p(IRR_MAX), -math.log1p(IRR_MIN)
    # Newton on every row within the bracket; a row whose root lies outside it (h of one sign over
    # the whole bracket) ends at a bracket end and is classified afterwards from h at the ends
    idx = np.arange(one.size)
    u_lo, u_hi = np.full(one.size, u_min), np.full(one.size, u_max)
    u = np.zeros(one.size)  # r = 0
    final = np.full(one.size, np.nan)
    live = np.ones(one.size, dtype=bool)
    for _ in range(max_iter):
        if idx.size == 0:
            break
        h, dh = _log_ratio2(parts, u)
        below = h < 0
        u_lo = np.where(below, u, u_lo)
        u_hi = np.where(below, u_hi, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = u - h / dh
        bisect = ~np.isfinite(new) | (new <= u_lo) | (new >= u_hi)
        new = np.where(bisect, 0.5 * (u_lo + u_hi), new)
        done = (h == 0) | (~bisect & (np.abs(new - u) <= tol)) | (u_hi - u_lo <= tol)
        u = np.where(h == 0, u, new)  # after a Newton step below tol the error is ~tol**2
        done &= live
        if done.any():
            final[idx[done]] = u[done]
            live &= ~done
            n_live = int(np.count_nonzero(live))
            if n_live * 2 <= live.size:  # compact when half the columns are finished
                idx, parts, u, u_lo, u_hi = idx[live], parts[:, :, live], u[live], u_lo[live], u_hi[live]
                live = np.ones(n_live, dtype=bool)
    if idx.size:
        final[idx[live]] = u[live]
    out[one] = np.expm1(-final)
    # rows near a bracket end: the root may lie outside [IRR_MIN, IRR_MAX]; decide from h at the ends
    near = np.flatnonzero(~np.isfinite(final) | (final - u_min <= 1e-6) | (u_max - final <= 1e-6))
    if near.size:
        c = np.ascontiguousarray(values[one[near]].T)
        later = np.arange(width)[:, None] >= m[near][None, :]
        ends = np.empty((width, 2, near.size))
        ends[:, 0] = np.where(later, c, 0.0)
        np.subtract(c, ends[:, 0], out=ends[:, 1])
        h_lo = _log_ratio2(ends, np.full(near.size, u_min))[0]
        h_hi = _log_ratio2(ends, np.full(near.size, u_max))[0]
        rows = one[near]
        reason[rows[(h_lo > 0) | (h_hi < 0)]] = f"IRR outside [{IRR_MIN}, {IRR_MAX}]"
        keep = (h_lo < 0) & (h_hi > 0)
        out[rows[~keep]] = np.nan
        out[rows[h_lo == 0]], out[rows[h_hi == 0]] = IRR_MAX, IRR_MIN
    return out, reason


def _several_changes(values: np.ndarray, rows: np.ndarray, out: np.ndarray, reason: np.ndarray,
                     *, pieces: int = 8, max_depth: int = 40) -> None:
    """IRR of rows with two or more sign changes: count the roots by branch and bound, all rows at once.

    On an interval [a, b] of x = 1/(1+r) > 0 write NPV = P(x) - Q(x) with P, Q the sums of the
    positive and of the negated negative terms; both increase with x, so P(a) - Q(b) <= NPV <=
    P(b) - Q(a) and P'(a) - Q'(b) <= NPV' <= P'(b) - Q'(a).  An interval whose value bounds
    exclude 0 has no root; one whose slope bounds exclude 0 has exactly one root if the NPV changes
    sign over it, else none; the others are halved.  Rows left undecided after ``max_depth``
    halvings (near-double roots) fall back to :func:`finance.metrics.irr`.
    """
    if rows.size == 0:
        return
    width = values.shape[1]
    c_pos = np.ascontiguousarray(np.where(values[rows] > 0, values[rows], 0.0).T)  # (T, k)
    c_neg = np.ascontiguousarray(np.where(values[rows] < 0, -values[rows], 0.0).T)
    edges = np.linspace(-math.log1p(IRR_MAX), -math.log1p(IRR_MIN), pieces + 1)
    # values at the edges: P, xP', Q, xQ' per (row, edge); children of a split inherit their ends
    e_owner = np.repeat(np.arange(rows.size), pieces + 1)
    xe = np.exp(np.tile(edges, rows.size))
    pe, dpe = _horner(c_pos[:, e_owner], xe)
    qe, dqe = _horner(c_neg[:, e_owner], xe)
    at = np.arange(rows.size * (pieces + 1)).reshape(rows.size, pieces + 1)
    left, right = at[:, :-1].ravel(), at[:, 1:].ravel()
    owner = np.repeat(np.arange(rows.size), pieces)
    a = np.tile(edges[:-1], rows.size)
    b = np.tile(edges[1:], rows.size)
    ends_a = np.stack([pe[left], dpe[left], qe[left], dqe[left]])
    ends_b = np.stack([pe[right], dpe[right], qe[right], dqe[right]])
    found_owner: list[np.ndarray] = []
    found_a: list[np.ndarray] = []
    found_b: list[np.ndarray] = []
    undecided = np.zeros(rows.size, dtype=bool)
    for depth in range(max_depth + 1):
        if owner.size == 0:
            break
        pa, dpa, qa, dqa = ends_a
        pb, dpb, qb, dqb = ends_b
        no_root = (pa - qb > 0) | (pb - qa < 0)
        # slope bounds in u (x d/dx): x P'(x) is increasing too
        monotone = (dpa - dqb > 0) | (dpb - dqa < 0)
        va, vb = pa - qa, pb - qb
        one_root = ~no_root & monotone & (((va < 0) & (vb >= 0)) | ((va > 0) & (vb <= 0)))
        found_owner.append(owner[one_root])
        found_a.append(a[one_root])
        found_b.append(b[one_root])
        split = ~no_root & ~monotone
        if depth == max_depth:
            undecided[owner[split]] = True
            break
        owner, a, b = owner[split], a[split], b[split]
        ends_a, ends_b = ends_a[:, split], ends_b[:, split]
        mid = 0.5 * (a + b)
        xm = np.exp(mid)
        pm, dpm = _horner(c_pos[:, owner], xm)
        qm, dqm = _horner(c_neg[:, owner], xm)
        ends_m = np.stack([pm, dpm, qm, dqm])
        owner = np.concatenate([owner, owner])
        a, b = np.concatenate([a, mid]), np.concatenate([mid, b])
        ends_a, ends_b = np.concatenate([ends_a, ends_m], axis=1), np.concatenate([ends_m, ends_b], axis=1)
    f_owner = np.concatenate(found_owner)
    f_a, f_b = np.concatenate(found_a), np.concatenate(found_b)
    counts = np.bincount(f_owner, minlength=rows.size)
    counts[undecided] = -1
    reason[rows[counts == 0]] = "no IRR: the NPV has no root for r > -1"
    # locate each isolated root by bisection on its interval (the NPV is monotone there)
    # locate each isolated root: Newton in u safeguarded by bisection (the NPV is monotone there)
    lo, hi = f_a.copy(), f_b.copy()
    cp, cn = c_pos[:, f_owner], c_neg[:, f_owner]
    s_lo = np.sign(_horner(cp, np.exp(lo))[0] - _horner(cn, np.exp(lo))[0])
    u = 0.5 * (lo + hi)
    for _ in range(100):
        x = np.exp(u)
        (p, dp), (q, dq) = _horner(cp, x), _horner(cn, x)
        v = p - q
        same = np.sign(v) == s_lo
        lo, hi = np.where(same, u, lo), np.where(same, hi, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = u - v / (dp - dq)
        bisect = ~np.isfinite(new) | (new <= lo) | (new >= hi)
        new = np.where(bisect, 0.5 * (lo + hi), new)
        step = np.abs(new - u)
        u = np.where(v == 0, u, new)
        if np.all((v == 0) | (~bisect & (step <= 1e-12)) | (hi - lo <= 1e-12)):
            break
    root_r = np.expm1(-u)
    single = counts[f_owner] == 1
    out[rows[f_owner[single]]] = root_r[single]
    for k in np.flatnonzero(counts >= 2):  # string formatting only, for the rare rows with several IRRs
        rates = ", ".join(f"{r:.6g}" for r in np.sort(root_r[f_owner == k]))
        reason[rows[k]] = f"several IRRs ({rates}): IRR not unique"
    for k in np.flatnonzero(undecided):  # near-double roots: exact polynomial roots
        res = irr(values[rows[k]])
        out[rows[k]], reason[rows[k]] = res.value, res.reason


def _log_ratio(c_late: np.ndarray, c_early: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """h(u) = ln|L(x)| - ln|E(x)| and dh/du, x = e**u, L and E the late and early parts of the NPV.

    With one sign change, L and E are sums of same-sign terms (no cancellation), h is increasing in
    u and nearly linear, and NPV = 0 exactly where h = 0.
    """
    x = np.exp(u)
    late, x_dlate = _horner(c_late, x)
    early, x_dearly = _horner(c_early, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.abs(late)) - np.log(np.abs(early)), x_dlate / late - x_dearly / early


def _log_ratio2(parts: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_log_ratio` with the late and early parts stacked: ``parts`` of shape (T, 2, k)."""
    x = np.exp(u)
    p, x_dp = _horner(parts, x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(np.abs(p[0])) - np.log(np.abs(p[1])), x_dp[0] / p[0] - x_dp[1] / p[1]


def _horner(coeffs: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p(x) = sum_t c_t x**t and x p'(x) for columns of coeffs (shape (T, k))."""
    p = coeffs[-1].copy()
    dp = np.zeros_like(p)
    for j in range(coeffs.shape[0] - 2, -1, -1):
        dp *= x
        dp += p
        p *= x
        p += coeffs[j]
    return p, x * dp


def _payback(flows: np.ndarray, in_life: np.ndarray) -> np.ndarray:
    """Interpolated first period with non-negative cumulative flow; NaN = never. [yr]"""
    cum = flows.copy()  # cumulative sum along each row, column by column (faster than cumsum on short rows)
    for j in range(1, cum.shape[1]):
        np.add(cum[:, j - 1], cum[:, j], out=cum[:, j])
    hit = (cum >= 0) & in_life
    found = hit.any(axis=1)
    t = hit.argmax(axis=1)
    rows = np.arange(flows.shape[0])
    prev = cum[rows, np.maximum(t - 1, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(t == 0, 0.0, t - 1 + (-prev) / flows[rows, t])
    return np.where(found, value, np.nan)


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
             finance_rate: float | None, reinvest_rate: float | None,
             keep: list[np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Kernel of :func:`batch_metrics`; the discount factors (n, T) are appended to ``keep`` if given."""
    net = flows.net
    n, width = net.shape
    t = np.arange(width, dtype=float)
    disc = np.exp(-t[None, :] * np.log1p(r)[:, None])
    d = net * disc
    value = d.sum(axis=1)
    gain = np.where(d > 0, d, 0.0).sum(axis=1)
    cost = -np.where(d < 0, d, 0.0).sum(axis=1)
    del d
    life = flows.life
    in_life = t[None, :] <= life[:, None]
    if finance_rate is None and reinvest_rate is None:
        pv_pos, pv_neg, rr = gain, cost, r
    else:
        fr = r if finance_rate is None else np.full(n, finance_rate)
        rr = r if reinvest_rate is None else np.full(n, reinvest_rate)
        pv_pos = (np.where(net > 0, net, 0.0) * np.exp(-t[None, :] * np.log1p(rr)[:, None])).sum(axis=1)
        pv_neg = -(np.where(net < 0, net, 0.0) * np.exp(-t[None, :] * np.log1p(fr)[:, None])).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mirr = np.where((pv_pos > 0) & (pv_neg > 0), (pv_pos / pv_neg) ** (1.0 / life) * (1.0 + rr) - 1.0, np.nan)
        bcr = np.where(cost > 0, gain / cost, np.nan)
        net_inv = flows.investment - flows.upfront_grants
        npv_ratio = np.where(net_inv > 0, value / net_inv, np.nan)
        crf = np.where(r == 0, 1.0 / life, r / -np.expm1(-life * np.log1p(r)))
    pb = flows if basis.with_support or payback_flows is None else payback_flows
    pb_values = pb.net if basis.tax == "after_tax" else pb.pre_tax_net
    simple = _payback(pb_values, in_life)
    discounted = _payback(pb_values * disc, in_life)
    if keep is not None:
        keep.append(disc)
    del disc
    rate_of_return, reason = batch_irr(net)
    return {
        "npv": value,
        "irr": rate_of_return,
        "mirr": mirr,
        "simple_payback_years": simple,
        "discounted_payback_years": discounted,
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
) -> pd.DataFrame:
    """Appraise every option in one vectorised pass.

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
        Options per vectorised block (options are sorted by life first, so each block's arrays
        are as wide as its longest life). Results do not depend on it.
    workers : int
        Threads working on blocks at once (numpy releases the GIL inside its loops).

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
    arr = option_arrays(options)
    n = len(options)
    tax = np.broadcast_to(np.asarray(tax_rate, dtype=float), (n,))
    _check(~((tax >= 0) & (tax <= 1)), "tax_rate", "must be in 0..1", tax)
    disc = np.broadcast_to(np.asarray(discount_rate, dtype=float), (n,))
    _check(~(disc > -1), "discount_rate", "must be > -1", disc)
    capacity = np.broadcast_to(np.asarray(tax_capacity, dtype=bool), (n,))
    loss = np.broadcast_to(np.asarray(np.nan if loss_carry_forward_years is None else loss_carry_forward_years,
                                      dtype=float), (n,))
    sup = _support_arrays(support, n, arr["lifetime_years"])
    # chunks of options of similar life (sorted by life): each chunk's arrays are only as wide as
    # its longest life and small enough to stay in cache; results go back to input order
    sorted_pos = np.argsort(arr["lifetime_years"], kind="stable")
    position = np.empty(n, dtype=np.int64)
    position[sorted_pos] = np.arange(n)
    if sup:
        item_order = np.argsort(position[sup["row"]], kind="stable")
        bounds = np.searchsorted(position[sup["row"]][item_order], np.arange(n + 1))
        sup = {k: v[item_order] for k, v in sup.items()}  # chunks then take contiguous slices
    else:
        item_order = bounds = np.zeros(0, dtype=np.int64)
    sorted_arr = {k: v[sorted_pos] for k, v in arr.items()}
    cols = {c: np.empty(n) for c in BATCH_COLUMNS if c != "irr_reason"}
    reasons = np.empty(n, dtype=object)

    def run(lo: int, hi: int) -> None:
        part = {k: v[lo:hi] for k, v in sorted_arr.items()}
        pos = sorted_pos[lo:hi]
        chunk_sup = _take_support(sup, position, lo, hi, item_order, bounds)
        flows = _flows(part, tax[pos], capacity[pos], chunk_sup, loss[pos])
        res_support = np.zeros(hi - lo)
        base = flows
        if chunk_sup:
            # flows without support differ only on the rows that have support items: build those
            # rows alone (every row's flow depends on that row's data only) into a copy
            rows = np.flatnonzero(np.diff(bounds[lo:hi + 1]))
            width = flows.net.shape[1]
            sub = _flows({k: v[rows] for k, v in part.items()}, tax[pos[rows]], capacity[pos[rows]], {},
                         loss[pos[rows]], width)
            net0, pre0 = flows.net.copy(), flows.pre_tax_net.copy()
            net0[rows], pre0[rows] = sub.net, sub.pre_tax_net
            base = BatchFlows(net=net0, pre_tax_net=pre0, life=flows.life, investment=flows.investment,
                              upfront_grants=np.zeros(hi - lo))
        keep: list[np.ndarray] = []
        res = _metrics(flows, disc[pos], base, payback_basis, finance_rate, reinvest_rate, keep)
        if chunk_sup:
            d = keep[0][rows]  # discount factors of these rows, as computed for the NPV
            res_support[rows] = res["npv"][rows] - (sub.net * d).sum(axis=1)
        res["support_total"] = res_support
        for c in cols:
            cols[c][pos] = res[c]
        reasons[pos] = res["irr_reason"]

    spans = [(lo, min(lo + chunk_rows, n)) for lo in range(0, n, chunk_rows)]
    if workers > 1 and len(spans) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:  # numpy releases the GIL in its loops
            list(pool.map(lambda span: run(*span), spans))
    else:
        for span in spans:
            run(*span)
    result = pd.DataFrame({c: (reasons if c == "irr_reason" else cols[c]) for c in BATCH_COLUMNS})
    result["payback_basis"] = payback_basis.label
    for col, name in UNIT_COLUMNS.items():
        if col in options.columns:
            units = pd.to_numeric(options[col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            result[name] = cost_per_unit(result["equivalent_annual_value"].to_numpy(), units)
    result.index = options.index
    return result

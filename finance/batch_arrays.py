"""Validated arrays the batch kernels read (:mod:`finance.batch`, :mod:`finance.batch_flows`).

Per-option arrays of an options frame (:func:`option_arrays`, with the Total Cost Assessment
tiers II-IV of :mod:`finance.tca` added to the savings), per-item arrays of a long support table
(:func:`_support_arrays`: kinds coded by their position in :data:`policies.items.SUPPORT_KINDS`,
items grouped by option with :func:`_by_row`) and the optional (options x years) tax-rate and
depreciation arrays (:func:`year_arrays`).  Each check raises ValueError naming the first bad
row, the field and the reason.  :func:`_c` gives the compiled kernels their one array form;
:func:`filled` is an object column of one value.

Units: amounts [currency], rates [/1], years [yr], as in :mod:`finance.cashflow`.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance import kernels, tca
from policies.items import ITEM_COLUMNS, SUPPORT_KINDS

_ITEM_DEFAULTS: dict[str, object] = {
    "spread_years": 1, "taxable": False, "reduces_depreciation_base": False,
    "first_year_share": np.nan, "later_share": np.nan, "exempt_years": 0, "reduced_years": 0,
    "reduced_factor": 1.0, "carry_forward_years": np.nan, "loan_rate": 0.0, "loan_years": 0,
}


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
    ``inflation`` [/1 per yr] (the enterprise's, a column :func:`finance.inputs.with_inflation`
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

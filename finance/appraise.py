"""Appraise options with and without the support of the policy pack in force: the library entry.

:func:`appraise` returns one record per option (the ``cpscreen appraise`` contract of DESIGN.md
section 5), in two batch passes (:mod:`finance.batch`) over columns, with no per-row Python; the
single-option detail the UI shows is :func:`finance.option_detail.appraise_option`.

Inputs: those of :func:`finance.inputs.appraisal_inputs` (tax rate, discount rate, tax capacity,
loss carry-forward, pack); support: ``policies.engine.support_table`` (long table,
:data:`policies.items.ITEM_COLUMNS`).

Conventions: those of :mod:`finance.cashflow` and :mod:`finance.metrics` (t = 0 undiscounted,
payback None/NaN where never reached, IRR NaN with ``irr_reason`` where not unique).
``support_total`` = NPV with support - NPV without support [currency], the present value of the
support to the enterprise.  Every record names the ``pack`` and ``pack_version`` it used.

References
----------
.. [1] numpy-financial; Microsoft Excel NPV/IRR help (conventions, see :mod:`finance.metrics`).
.. [2] UNEP/UNIDO (1991) Audit and Reduction Manual; Chinese cleaner production audit handbook
   (1996), economic evaluation of options.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from finance import tca
from finance.batch import BATCH_COLUMNS, UNIT_COLUMNS, batch_columns
from finance.batch_arrays import _support_arrays, filled, option_arrays
from finance.equity import EQUITY_COLUMNS, equity_columns
from finance.inputs import appraisal_inputs, with_inflation
from finance.metrics import PaybackBasis
from finance.valuation import item_values
from policies import engine, join
from policies.items import ITEM_COLUMNS

#: Metric columns that appear twice in :func:`appraise`: as is and with the suffix ``_no_support``.
METRICS_BOTH_WAYS: tuple[str, ...] = tuple(c for c in BATCH_COLUMNS if c != "support_total")

#: Fields of each entry of the ``support`` column: ``amount`` is the item's nominal figure (grant
#: cash, deduction, credit, loan principal, depreciable base; 0 for a tax holiday), ``cash_value``
#: and ``npv_effect`` what it is worth to the enterprise [currency] (:mod:`finance.valuation`).
SUPPORT_FIELDS: tuple[str, ...] = ("instrument_id", "kind", "amount", "year", "source", "unverified",
                                   "cash_value", "npv_effect")

#: Threads of the batch kernels (they release the GIL): the machine's cores, at most 8.
WORKERS: int = max(1, min(8, os.cpu_count() or 1))


def _support_lists(table: pd.DataFrame, n: int) -> list[list[dict[str, Any]]]:
    out: list[list[dict[str, Any]]] = [[] for _ in range(n)]
    if len(table) == 0:
        return out
    cols = [c for c in SUPPORT_FIELDS if c in table.columns]
    for row, rec in zip(table["row"].to_numpy(), table[cols].to_dict("records")):
        rec["amount"] = float(rec["amount"])
        rec["year"] = int(rec["year"])
        for key in ("cash_value", "npv_effect"):
            if key in rec:
                rec[key] = float(rec[key])
        if "unverified" in rec:
            rec["unverified"] = bool(rec["unverified"])
        out[int(row)].append(rec)
    return out


def appraise(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    on_date: date,
    *,
    discount_rate: float | None = None,
    with_support: bool = True,
    params: Mapping[str, float] | None = None,
    payback_basis: PaybackBasis = PaybackBasis(),
) -> pd.DataFrame:
    """Appraise every option with and without support: :func:`appraise_table` with the items as lists.

    Parameters and result as :func:`appraise_table`, with the long support table folded into the
    column ``support`` (a list of dicts :data:`SUPPORT_FIELDS` per option).
    """
    out, table = appraise_table(options, enterprises, on_date, discount_rate=discount_rate, with_support=with_support,
                                params=params, payback_basis=payback_basis)
    out["support"] = _support_lists(table, len(out))
    return out


def appraise_table(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    on_date: date,
    *,
    discount_rate: float | None = None,
    with_support: bool = True,
    params: Mapping[str, float] | None = None,
    payback_basis: PaybackBasis = PaybackBasis(),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Appraise every option with and without support, in two batch passes: columns, no per-row Python.

    Parameters
    ----------
    options : DataFrame
        Validated options (DESIGN.md section 2).
    enterprises : DataFrame
        Validated enterprises (``enterprise_id``, ``jurisdiction``, ``size_class``, optionally
        ``tax_rate`` [/1], ``discount_rate`` [/1], ``tax_capacity``).
    on_date : datetime.date
        Appraisal date: selects the rules and tax rate in force.
    discount_rate : float, optional
        One discount rate for all options [/1 per yr]; default per option (see module docstring).
    with_support : bool
        False appraises without support (the support columns then equal the no-support ones).
    params : Mapping, optional
        Programme parameters passed to the policy engine (``<rule id>.<path>``).
    payback_basis : PaybackBasis
        Flows payback is measured on; recorded in ``payback_basis``.

    Returns
    -------
    DataFrame
        One row per option, in input order: ``enterprise_id``, ``option_id``, the metrics
        (:data:`METRICS_BOTH_WAYS`: NPV [currency], IRR and MIRR [/1], paybacks [yr] NaN = never,
        ratios [/1], EAV [currency/yr]), the same with suffix ``_no_support``, ``support_total``
        [currency], the equity figures with support (:data:`finance.equity.EQUITY_COLUMNS`, NaN
        without debt), ``npv_full`` (= ``npv``: the metrics count the Total Cost Assessment tiers
        II-IV of :mod:`finance.tca`) and ``npv_tier1`` (conventional costs only, with the same
        support), the two with suffix ``_no_support`` [currency], ``pack``, ``pack_version``, ``payback_basis``, and cost per unit columns where
        the options carry the environmental quantities [currency/unit].
    DataFrame
        The support items, one row per (option, item): ``row`` (the option's position) and
        :data:`SUPPORT_FIELDS`, in the engine's order within each option.
    """
    cols, table = appraise_columns(options, enterprises, on_date, discount_rate=discount_rate,
                                   with_support=with_support, params=params, payback_basis=payback_basis)
    return pd.DataFrame(cols), table


def appraise_columns(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    on_date: date,
    *,
    discount_rate: float | None = None,
    with_support: bool = True,
    params: Mapping[str, float] | None = None,
    payback_basis: PaybackBasis = PaybackBasis(),
    item_values: bool = True,
) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    """:func:`appraise_table` with the result as a dict of columns (name -> array, in the frame's
    order), for writers that take columns as they are (``cpscreen appraise``: no frame is built).

    ``item_values=False`` leaves out each support item's ``cash_value`` and ``npv_effect`` (the
    items' valuation, a pass of its own, and the two year-by-option flow matrices it reads), for
    callers that read only the options' figures (``cpscreen rank``): those figures are the same.

    Every flow is built once: the pass without support keeps each option's net flow; the pass
    with support appraises only the options that have support items (the others' figures are
    those without support) and keeps their net flow with all items; the items' valuation reads
    both (:func:`finance.valuation.item_values`' ``net_without`` and ``net_with``).
    """
    with join.one_join(enterprises):  # the options' enterprise rows looked up once
        return _appraise_columns(options, enterprises, on_date, discount_rate, with_support, params, payback_basis,
                                 item_values)


def _appraise_columns(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, discount_rate: float | None,
                      with_support: bool, params: Mapping[str, float] | None,
                      payback_basis: PaybackBasis, valued: bool = True) -> tuple[dict[str, np.ndarray], pd.DataFrame]:
    opts = options.reset_index(drop=True)
    if "enterprise_id" not in opts.columns:
        raise ValueError("options: missing column 'enterprise_id'")
    n = len(opts)
    opts = with_inflation(opts, enterprises)
    inputs = appraisal_inputs(opts, enterprises, on_date, discount_rate)
    tax, rate, capacity = inputs.tax_rate, inputs.discount_rate, inputs.tax_capacity
    codes, versions, loss = inputs.pack, inputs.pack_version, inputs.loss_carry_forward_years
    arrays = option_arrays(opts)  # validated once, read by every pass
    kw = dict(payback_basis=payback_basis, loss_carry_forward_years=loss, workers=WORKERS, **inputs.years())
    width = int(arrays["lifetime_years"].max()) + 1 if n else 1
    # the flows without support and with all items, zero past each life, for the items' valuation
    # (kept only where there are items: the table is made while the pass without support runs)
    net_without = np.zeros((n, width)) if valued and with_support and n else None
    if with_support:
        # the pass without support needs no item: its compiled kernels (which release the GIL) run
        # on other threads while the policy engine, Python and pandas, makes the items here
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpscreen-plain") as pool:
            pending = pool.submit(batch_columns, opts, tax, rate, capacity, None, net_out=net_without, arrays=arrays, **kw)
            try:
                table = engine.support_table(opts, enterprises, on_date, params)
            except BaseException:
                pending.exception()  # waited for: the engine's error is the one raised, as before
                raise
            plain = pending.result()
    else:
        table = pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})
        plain = batch_columns(opts, tax, rate, capacity, None, net_out=net_without, arrays=arrays, **kw)  # type: ignore[arg-type]
    if not len(table):
        net_without = None
    supported = plain
    if len(table):
        net_with = np.zeros((n, width)) if valued and n else None
        items = _support_arrays(table, n, arrays["lifetime_years"])  # validated once, read by both passes
        supported = batch_columns(opts, tax, rate, capacity, table, without=plain, net_out=net_with,  # type: ignore[arg-type]
                                  arrays=arrays, support_arrays=items, **kw)
        if valued:
            values = item_values(opts, tax, rate, capacity, table, loss_carry_forward_years=loss, net_without=net_without,
                                 net_with=net_with, arrays=arrays, workers=WORKERS, support_arrays=items, **inputs.years())
            net_without = net_with = None  # freed before the equity and tier passes
            table = table.assign(cash_value=values.cash_value, npv_effect=values.npv_effect)
    out: dict[str, Any] = {
        "enterprise_id": opts["enterprise_id"].to_numpy(),
        "option_id": opts["option_id"].to_numpy() if "option_id" in opts.columns else np.arange(n).astype(str),
    }
    for col in METRICS_BOTH_WAYS:
        out[col] = supported[col]
    for col in METRICS_BOTH_WAYS:
        out[f"{col}_no_support"] = plain[col]
    out["support_total"] = supported["support_total"]
    equity = equity_columns(opts, tax, rate, capacity, table if len(table) else None, loss_carry_forward_years=loss,
                            **inputs.years())
    for col in EQUITY_COLUMNS:  # the equity flow with debt (finance.financing); NaN without debt
        out[col] = equity[col]
    out["npv_full"], out["npv_tier1"] = _tier_views(opts, supported, tax, rate, capacity, table, kw)
    out["npv_full_no_support"], out["npv_tier1_no_support"] = _tier_views(opts, plain, tax, rate, capacity, table.iloc[:0], kw)
    out["pack"] = codes
    out["pack_version"] = versions
    out["payback_basis"] = filled(n, payback_basis.label)
    for name in UNIT_COLUMNS.values():
        if name in supported:
            out[name] = supported[name]
            out[f"{name}_no_support"] = plain[name]
    keep = ["row"] + [c for c in SUPPORT_FIELDS if c in table.columns]
    return out, table[keep].reset_index(drop=True)


def _tier_views(opts: pd.DataFrame, supported: Mapping[str, np.ndarray], tax: np.ndarray, rate: np.ndarray,
                capacity: np.ndarray, table: pd.DataFrame, kw: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """NPV with support under the full and the conventional (tier I) view of :mod:`finance.tca`. [currency]

    ``supported`` is the full view already (the batch reads the tier II-IV fields); the tier I
    view re-runs the batch without them, with the same support items.  Without tier lines the
    two are the same array.
    """
    full = np.asarray(supported["npv"])
    if not tca.has_tiers(opts):
        return full, full.copy()
    tier1 = batch_columns(tca.conventional(opts), tax, rate, capacity, table if len(table) else None, **kw)
    return full, tier1["npv"]

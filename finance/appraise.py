"""Appraise options with and without the support of the policy pack in force: the library entry.

:func:`appraise` returns one record per option (the ``cpscreen appraise`` contract of DESIGN.md
section 5); :func:`appraise_option` returns the single-option detail the UI shows (cash-flow tables
with and without support, both metric sets, the items).

Inputs
------
* Tax rate [/1] per option: ``policies.engine.tax_rates`` (the enterprise's ``tax_rate`` override,
  else the pack's corporate rate on the date; 0 for jurisdiction ``none``).
* Support: ``policies.engine.support_table`` (long table, :data:`policies.items.ITEM_COLUMNS`).
* Discount rate [/1]: the ``discount_rate`` argument, else the option's ``discount_rate`` column,
  else the enterprise's, else 0.08 (DESIGN.md section 2).
* Tax capacity: the enterprise's ``tax_capacity`` (default True).
* Loss carry-forward without tax capacity [yr]: the pack's ``loss_carry_forward_years``
  (``policies.engine.tax_regime``), None = without limit.

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

import math
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from finance import tca
from finance.batch import BATCH_COLUMNS, UNIT_COLUMNS, batch_columns
from finance.batch_arrays import _support_arrays, filled, option_arrays
from finance.cashflow import cash_flow, option_terms
from finance.equity import EQUITY_COLUMNS, equity_columns, option_equity
from finance.metrics import PaybackBasis, cost_per_unit, metrics
from finance.valuation import item_values
from policies import engine
from policies.items import ITEM_COLUMNS, SupportItem

#: Metric columns that appear twice in :func:`appraise`: as is and with the suffix ``_no_support``.
METRICS_BOTH_WAYS: tuple[str, ...] = tuple(c for c in BATCH_COLUMNS if c != "support_total")

#: Fields of each entry of the ``support`` column: ``amount`` is the item's nominal figure (grant
#: cash, deduction, credit, loan principal, depreciable base; 0 for a tax holiday), ``cash_value``
#: and ``npv_effect`` what it is worth to the enterprise [currency] (:mod:`finance.valuation`).
SUPPORT_FIELDS: tuple[str, ...] = ("instrument_id", "kind", "amount", "year", "source", "unverified",
                                   "cash_value", "npv_effect")

DEFAULT_DISCOUNT_RATE = 0.08

#: Threads of the batch kernels (they release the GIL): the machine's cores, at most 8.
WORKERS: int = max(1, min(8, os.cpu_count() or 1))


def _enterprise_column(options: pd.DataFrame, enterprises: pd.DataFrame, name: str,
                       pos: np.ndarray | None = None) -> np.ndarray:
    """The enterprise's ``name`` for every option (``pos``: the options' enterprise rows, if known)."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if pos is None:
        pos = _enterprise_rows(options, enterprises)  # the same rows: the first of repeated ids
    if name not in ent.columns:
        return np.full(len(options), np.nan, dtype=object)
    return ent[name].to_numpy(dtype=object)[pos]


def _enterprise_rows(options: pd.DataFrame, enterprises: pd.DataFrame) -> np.ndarray:
    """Row of each option's enterprise in ``enterprises`` (first of duplicates); one hash join."""
    _, pos = engine.enterprise_rows(options, enterprises)
    if (pos < 0).any():
        row = int(np.flatnonzero(pos < 0)[0])
        raise ValueError(f"options row {row}: field 'enterprise_id': "
                         f"{options['enterprise_id'].iloc[row]!r} is not among the enterprises")
    return pos


def _bool(values: np.ndarray, default: bool, field_name: str) -> np.ndarray:
    """Parse yes/no cells; each distinct value once (a column holds a handful)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return _bool_codes(codes, uniques, default, field_name)


def _bool_codes(codes: np.ndarray, uniques: Any, default: bool, field_name: str) -> np.ndarray:
    """:func:`_bool` of cells given as codes into ``uniques`` (-1 = empty); only the values the
    codes use are read (a value no cell has is never refused)."""
    parsed = np.zeros(len(uniques), dtype=bool)
    used = np.zeros(len(uniques), dtype=bool)
    used[codes[codes >= 0]] = True
    for k, v in enumerate(uniques):
        if not used[k]:
            continue
        if isinstance(v, (bool, np.bool_)):
            parsed[k] = bool(v)
        elif isinstance(v, float) and math.isnan(v):
            parsed[k] = default
        elif str(v).strip().lower() in ("yes", "true", "1", "y"):
            parsed[k] = True
        elif str(v).strip().lower() in ("no", "false", "0", "n"):
            parsed[k] = False
        else:
            i = int(np.flatnonzero(codes == k)[0])
            raise ValueError(f"options row {i}: field {field_name!r} must be yes/no, got {v!r}")
    return np.where(codes < 0, default, parsed[np.maximum(codes, 0)] if len(parsed) else default)


def _float(values: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _enterprise_floats(options: pd.DataFrame, enterprises: pd.DataFrame, name: str,
                       pos: np.ndarray | None = None) -> np.ndarray:
    """The enterprise's number ``name`` for every option (NaN where missing or not a number): each
    enterprise's cell converted once, then taken per option (the same values as converting per option)."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if pos is None:
        pos = _enterprise_rows(options, enterprises)
    if name not in ent.columns:
        return np.full(len(options), np.nan)
    return _float(ent[name].to_numpy(dtype=object))[pos]


def with_inflation(options: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """The options with the column ``inflation`` [/1 per yr]: their enterprise's (0 where it has none).

    General inflation is an enterprise field; the cash-flow model reads it from each option's row
    (:mod:`finance.inflation`).  An ``inflation`` column the options carry is replaced.
    """
    ent = _enterprise_floats(options, enterprises, "inflation")
    if np.isnan(ent).all() and "inflation" not in options.columns:
        return options
    return options.assign(inflation=np.where(np.isnan(ent), 0.0, ent))


def _discount_rates(options: pd.DataFrame, enterprises: pd.DataFrame, discount_rate: float | None,
                    pos: np.ndarray | None = None) -> np.ndarray:
    n = len(options)
    if discount_rate is not None:
        return np.full(n, float(discount_rate))
    rate = np.full(n, np.nan)
    if "discount_rate" in options.columns:
        rate = _float(options["discount_rate"].to_numpy(dtype=object))
    ent = _enterprise_floats(options, enterprises, "discount_rate", pos)
    rate = np.where(np.isnan(rate), ent, rate)
    return np.where(np.isnan(rate), DEFAULT_DISCOUNT_RATE, rate)


def _packs(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
           pos: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pack code, pack version and loss carry-forward limit [yr, NaN = none] per option."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if pos is None:
        pos = _enterprise_rows(options, enterprises)
    if "jurisdiction" in ent.columns:  # each enterprise's code as text and coded once, then per option
        ent_codes = ent["jurisdiction"].to_numpy(dtype=object).astype(str)
        ent_of, labels = pd.factorize(ent_codes)
        codes, code_of = ent_codes[pos], ent_of[pos]
    else:
        codes = _enterprise_column(options, enterprises, "jurisdiction", pos).astype(str)
        code_of, labels = pd.factorize(codes)
    versions = filled(len(options), None)
    loss = np.full(len(options), np.nan)
    packs = engine.load_packs()
    for k in _by_first_option(code_of, len(labels)):
        code = labels[k]
        mask = code_of == k
        if code in packs:
            versions[mask] = packs[code].version
        regime = getattr(engine, "tax_regime", None)
        if regime is not None:
            years = regime(code, on_date)["loss_carry_forward_years"]
            loss[mask] = np.nan if years is None else float(years)
    return codes, versions, loss


def _by_first_option(code_of: np.ndarray, n_labels: int) -> np.ndarray:
    """The codes some option has, in order of their first option (as ``pd.factorize`` of the
    options' own values would number them): codes of enterprises no option names are left out."""
    first = np.full(n_labels, len(code_of), dtype=np.int64)
    np.minimum.at(first, code_of, np.arange(len(code_of), dtype=np.int64))
    used = np.flatnonzero(first < len(code_of))
    return used[np.argsort(first[used], kind="stable")]


@dataclass(frozen=True)
class AppraisalInputs:
    """What every appraisal path reads besides the options, resolved once per option.

    Attributes
    ----------
    tax_rate : ndarray
        Corporate income tax rate: the enterprise's ``tax_rate``, else its pack's rate on the date. [/1]
    discount_rate : ndarray
        The argument, else the option's ``discount_rate``, else the enterprise's, else 0.08. [/1 per yr]
    tax_capacity : ndarray of bool
        The enterprise's ``tax_capacity`` (default True).
    pack, pack_version : ndarray of object
        Pack code (the enterprise's jurisdiction) and its version.
    loss_carry_forward_years : ndarray
        The pack's loss carry-forward limit without tax capacity, NaN = none. [yr]
    tax_rate_by_year : ndarray, shape (n, max life + 1), or None
        The rate in force in each year t of the life (year t of an option appraised on D: the
        rate in force on D + t years, :func:`policies.engine.tax_rates_by_year`); None where
        no option's rate changes over its life. [/1]
    depreciation_schedule : ndarray, shape (n, max life + 1), or None
        Cumulative tax depreciation share at the end of each year t of the options with an
        ``asset_class`` (NaN rows: straight line), :func:`policies.schedules.depreciation_schedules`;
        None where no option has one. [/1]
    """

    tax_rate: np.ndarray
    discount_rate: np.ndarray
    tax_capacity: np.ndarray
    pack: np.ndarray
    pack_version: np.ndarray
    loss_carry_forward_years: np.ndarray
    tax_rate_by_year: np.ndarray | None = None
    depreciation_schedule: np.ndarray | None = None

    def years(self, rows: np.ndarray | slice | None = None) -> dict[str, np.ndarray | None]:
        """The year arrays as keywords of the batch functions (``rows``: a subset, in that order)."""
        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return values if values is None or rows is None else values[rows]

        return {"tax_rate_by_year": pick(self.tax_rate_by_year), "depreciation_schedule": pick(self.depreciation_schedule)}


def appraisal_inputs(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
                     discount_rate: float | None = None) -> AppraisalInputs:
    """Tax rate, discount rate, tax capacity, pack and loss carry-forward of every option.

    The one resolution of these inputs used by :func:`appraise`, :func:`appraise_option` and the
    programme budget (``programme.budget.baseline``), so that every path appraises an option alike.

    Parameters
    ----------
    options, enterprises : DataFrame
        Validated frames (DESIGN.md section 2); ``options`` indexed 0..n-1.
    on_date : datetime.date
        Appraisal date (tax rates and regimes in force).
    discount_rate : float, optional
        One rate for all options. [/1 per yr]

    Returns
    -------
    AppraisalInputs
    """
    tax = np.asarray(engine.tax_rates(options, enterprises, on_date), dtype=float)
    pos = _enterprise_rows(options, enterprises)
    rate = _discount_rates(options, enterprises, discount_rate, pos)
    capacity = _capacity(options, enterprises, pos)
    codes, versions, loss = _packs(options, enterprises, on_date, pos)
    width = _width(options)
    by_year = engine.tax_rates_by_year(options, enterprises, on_date, width)
    dep = engine.depreciation_schedules(options, enterprises, on_date, width)
    return AppraisalInputs(tax, rate, capacity, codes, versions, loss, by_year, dep)


def _capacity(options: pd.DataFrame, enterprises: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """The enterprise's ``tax_capacity`` per option (default True): each enterprise's cell coded once."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if "tax_capacity" not in ent.columns:
        return _bool(np.full(len(options), np.nan, dtype=object), True, "tax_capacity")
    codes, uniques = pd.factorize(pd.Series(ent["tax_capacity"].to_numpy(dtype=object), dtype=object),
                                  use_na_sentinel=True)
    return _bool_codes(np.asarray(codes)[pos], uniques, True, "tax_capacity")


def _width(options: pd.DataFrame) -> int:
    """Years 0..N of the longest life (the fields are validated later, by the paths that read them)."""
    if "lifetime_years" not in options.columns or not len(options):
        return 1
    life = pd.to_numeric(options["lifetime_years"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    life = life[np.isfinite(life)]
    return int(np.clip(np.ceil(life.max()), 1, 50)) + 1 if life.size else 1


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
    with engine.one_join(enterprises):  # the options' enterprise rows looked up once
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


@dataclass(frozen=True)
class OptionAppraisal:
    """Everything the UI shows for one option.

    Attributes
    ----------
    flows, flows_no_support : DataFrame
        Cash-flow tables (:data:`finance.cashflow.CASH_FLOW_COLUMNS`). [currency]
    metrics, metrics_no_support : dict
        :func:`finance.metrics.metrics` results (payback None where never reached).
    items : list of SupportItem
    item_values : DataFrame
        One row per item, in the order of ``items``: ``instrument_id``, ``name``, ``kind``,
        ``amount`` (nominal), ``year``, ``cash_value`` and ``npv_effect`` (:mod:`finance.valuation`)
        [currency]; the ``npv_effect`` column sums to ``support_total``.
    support_total : float
        NPV with support - NPV without. [currency]
    tax_rate, discount_rate : float
        [/1]
    tax_capacity : bool
    pack, pack_version : str or None
    payback_basis : PaybackBasis
    tax_rate_by_year, depreciation_schedule : ndarray or None
        The rate in force in each year t = 0..N [/1] where it changes over the life, and the
        asset class's cumulative depreciation share by year [/1] (:class:`AppraisalInputs`).
    equity : dict
        :data:`finance.equity.EQUITY_COLUMNS` of the equity flow with support (``flows["equity"]``;
        NaN, reason 'no debt', without debt); payback None where never reached.
    inflation : float
        The enterprise's general inflation. [/1 per yr]
    npv_tier1 : float
        NPV with support of the conventional view, Total Cost Assessment tier I only
        (:mod:`finance.tca`); ``metrics["npv"]`` is the full view. [currency]
    tiers : DataFrame
        :data:`TIER_VIEW_COLUMNS`, one row per tier; empty where the option has no tier II-IV lines.
    """

    flows: pd.DataFrame
    flows_no_support: pd.DataFrame
    metrics: dict[str, Any]
    metrics_no_support: dict[str, Any]
    items: list[SupportItem]
    support_total: float
    tax_rate: float
    discount_rate: float
    tax_capacity: bool
    pack: str | None
    pack_version: str | None
    payback_basis: PaybackBasis = field(default_factory=PaybackBasis)
    item_values: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(ITEM_VALUE_COLUMNS)))
    tax_rate_by_year: np.ndarray | None = None
    depreciation_schedule: np.ndarray | None = None
    equity: dict[str, Any] = field(default_factory=dict)
    inflation: float = 0.0
    npv_tier1: float = math.nan
    tiers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(TIER_VIEW_COLUMNS)))


#: Columns of :attr:`OptionAppraisal.tiers`: per Total Cost Assessment tier (``I`` .. ``IV``), its
#: year-1 amount (tier I: annual_savings - annual_cost_change) [currency/yr] and the NPV with
#: support counting the tiers up to it [currency].
TIER_VIEW_COLUMNS: tuple[str, ...] = ("tier", "what", "annual_amount", "npv_through_tier")

_TIER_NAMES = (("I", "direct costs and savings"), ("II", "indirect or hidden costs"),
               ("III", "contingent liabilities (probability x cost)"), ("IV", "less tangible benefits"))


def _tier_table(opt: Mapping[str, Any], npv_of: Any, full_npv: float, where: str) -> tuple[float, pd.DataFrame]:
    """Tier I NPV and the tier staircase of one option (:mod:`finance.tca`); ``npv_of(option)`` appraises."""
    base = tca.conventional_option(opt)
    if tca.option_tier_savings(opt, where) == 0.0 and not any(
            opt.get(c) is not None and not (isinstance(opt.get(c), float) and math.isnan(opt[c])) for c in tca.TIER_FIELDS):
        return full_npv, pd.DataFrame(columns=list(TIER_VIEW_COLUMNS))
    amounts = tca.tier_amounts(pd.DataFrame([{c: opt.get(c) for c in tca.TIER_FIELDS}])).iloc[0]
    fields_of = {"II": ("tier2_annual_savings",), "III": ("tier3_liability_cost", "tier3_probability"),
                 "IV": ("tier4_annual_benefit",)}
    tier1 = float(npv_of(base))
    terms = option_terms(base, where)
    direct = float(terms["annual_savings"]) - float(terms["annual_cost_change"])  # year 1, as the tiers
    rows = [{"tier": "I", "what": _TIER_NAMES[0][1], "annual_amount": direct, "npv_through_tier": tier1}]
    through = dict(base)
    for (tier, what), col in zip(_TIER_NAMES[1:], tca.TIER_AMOUNT_COLUMNS):
        through.update({c: opt.get(c) for c in fields_of[tier]})
        npv = full_npv if tier == "IV" else float(npv_of(through))
        rows.append({"tier": tier, "what": what, "annual_amount": float(amounts[col]), "npv_through_tier": npv})
    return tier1, pd.DataFrame(rows, columns=list(TIER_VIEW_COLUMNS))


#: Columns of :attr:`OptionAppraisal.item_values`.
ITEM_VALUE_COLUMNS: tuple[str, ...] = ("instrument_id", "name", "kind", "amount", "year", "cash_value", "npv_effect")


def _item_value_table(opt: Mapping[str, Any], items: list[SupportItem], tax: float, rate: float, capacity: bool,
                      loss: float, years: Mapping[str, np.ndarray | None] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame([{k: v for k, v in it.as_record().items()} for it in items], columns=[c for c in ITEM_COLUMNS if c != "row"])
    frame.insert(0, "row", 0)
    values = item_values(pd.DataFrame([dict(opt)]), tax, rate, capacity, frame, loss_carry_forward_years=loss,
                         **(years or {}))
    return frame.assign(cash_value=values.cash_value, npv_effect=values.npv_effect)[list(ITEM_VALUE_COLUMNS)]


def appraise_option(
    option: Mapping[str, Any],
    enterprise: Mapping[str, Any],
    on_date: date,
    *,
    discount_rate: float | None = None,
    with_support: bool = True,
    params: Mapping[str, float] | None = None,
    payback_basis: PaybackBasis = PaybackBasis(),
    items: list[SupportItem] | None = None,
) -> OptionAppraisal:
    """Single-option detail: cash flows and metrics with and without support, and the items.

    Parameters are those of :func:`appraise` for one option and its enterprise, and

    items : list of SupportItem, optional
        The option's support items as its enterprise's batch gave them (cumulative caps spent by
        the enterprise's earlier options: :func:`appraise_in_context`); default the engine's items
        for the option alone.

    Returns
    -------
    OptionAppraisal
    """
    opt = dict(option)
    ent = dict(enterprise)
    opt.setdefault("enterprise_id", ent.get("enterprise_id", "_"))
    ent.setdefault("enterprise_id", opt["enterprise_id"])
    inflation = _float(np.array([ent.get("inflation")], dtype=object))[0]
    opt["inflation"] = 0.0 if math.isnan(inflation) else float(inflation)
    opts, ents = pd.DataFrame([opt]), pd.DataFrame([ent])
    inputs = appraisal_inputs(opts, ents, on_date, discount_rate)
    tax, rate = float(inputs.tax_rate[0]), float(inputs.discount_rate[0])
    capacity = bool(inputs.tax_capacity[0])
    codes, versions, loss = inputs.pack, inputs.pack_version, inputs.loss_carry_forward_years
    loss_years = None if math.isnan(loss[0]) else int(loss[0])
    if not with_support:
        items = []
    elif items is None:
        items = list(engine.support_items(opt, ent, on_date, params))
    where = f"option {opt.get('option_id', '?')!r}"
    by_year = tax if inputs.tax_rate_by_year is None else inputs.tax_rate_by_year[0]
    dep = None if inputs.depreciation_schedule is None else inputs.depreciation_schedule[0]
    kw: dict[str, Any] = dict(discount_rate=rate, loss_carry_forward_years=loss_years, where=where, depreciation_schedule=dep)
    flows = cash_flow(opt, by_year, items, capacity, **kw)
    flows0 = cash_flow(opt, by_year, (), capacity, **kw)
    m = metrics(flows, rate, payback_flows=flows0, basis=payback_basis)
    m0 = metrics(flows0, rate, basis=payback_basis)
    tier1, tiers = _tier_table(opt, lambda o: metrics(cash_flow(o, by_year, items, capacity, **kw), rate)["npv"],
                               float(m["npv"]), where)
    for mm in (m, m0):
        for col, name in UNIT_COLUMNS.items():
            if col in opt:
                mm[name] = cost_per_unit(mm["equivalent_annual_value"], float(opt[col]) if opt[col] is not None else math.nan)
    return OptionAppraisal(
        flows=flows, flows_no_support=flows0, metrics=m, metrics_no_support=m0, items=items,
        equity=option_equity(flows, rate), inflation=float(opt["inflation"]),
        support_total=float(m["npv"] - m0["npv"]), tax_rate=tax, discount_rate=rate, tax_capacity=capacity,
        pack=str(codes[0]), pack_version=versions[0], payback_basis=payback_basis,
        item_values=_item_value_table(opt, list(items), tax, rate, capacity, float(loss[0]), inputs.years()),
        tax_rate_by_year=None if inputs.tax_rate_by_year is None else inputs.tax_rate_by_year[0],
        depreciation_schedule=dep, npv_tier1=tier1, tiers=tiers,
    )


def items_of(table: pd.DataFrame, row: int) -> list[SupportItem]:
    """The support items of option ``row`` in a long support table, as :class:`SupportItem`, in order."""
    names = [f for f in ITEM_COLUMNS if f != "row"]
    mine = table[table["row"].to_numpy() == row]
    out = []
    for rec in mine[[c for c in names if c in mine.columns]].to_dict("records"):
        clean = {k: (None if k == "carry_forward_years" and (v is None or (isinstance(v, float) and math.isnan(v))) else v)
                 for k, v in rec.items()}
        for k in ("year", "spread_years", "exempt_years", "reduced_years", "loan_years"):
            if k in clean and clean[k] is not None:
                clean[k] = int(clean[k])
        if clean.get("carry_forward_years") is not None:
            clean["carry_forward_years"] = int(clean["carry_forward_years"])
        out.append(SupportItem(**clean))
    return out


def appraise_in_context(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    on_date: date,
    option_id: str,
    *,
    enterprise_id: str | None = None,
    discount_rate: float | None = None,
    params: Mapping[str, float] | None = None,
    payback_basis: PaybackBasis = PaybackBasis(),
) -> OptionAppraisal:
    """:func:`appraise_option` of one option with the items its enterprise's batch gives it.

    The support table is the one :func:`appraise` computes over ``options`` (so cumulative caps
    per enterprise and per year are spent by the earlier options of the enterprise exactly as in
    ``cpscreen appraise``); the option's items are taken from it.

    Parameters
    ----------
    options, enterprises : DataFrame
        Validated frames; ``options`` holds the option's enterprise's options (or more).
    on_date : datetime.date
    option_id : str
        The option to detail.
    enterprise_id : str, optional
        Its enterprise, where option ids repeat across enterprises.
    discount_rate, params, payback_basis
        As for :func:`appraise`.

    Returns
    -------
    OptionAppraisal

    Raises
    ------
    ValueError
        If the option is not among ``options``.
    """
    opts = options.reset_index(drop=True)
    hit = opts["option_id"].astype(str).to_numpy() == str(option_id)
    if enterprise_id is not None:
        hit &= opts["enterprise_id"].astype(str).to_numpy() == str(enterprise_id)
    if not hit.any():
        raise ValueError(f"option {option_id!r} is not among the options"
                         + (f" of enterprise {enterprise_id!r}" if enterprise_id is not None else ""))
    row = int(np.flatnonzero(hit)[0])
    eid = opts["enterprise_id"].iloc[row]
    table = engine.support_table(opts, enterprises, on_date, params)
    ent_rows = enterprises[enterprises["enterprise_id"] == eid]
    enterprise = ent_rows.iloc[0].to_dict() if len(ent_rows) else {"enterprise_id": eid}
    return appraise_option(opts.iloc[row].to_dict(), enterprise, on_date, discount_rate=discount_rate,
                           payback_basis=payback_basis, items=items_of(table, row))

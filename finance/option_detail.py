"""The single-option detail the UI shows: cash-flow tables and metrics with and without support.

:func:`appraise_option` appraises one option with its enterprise (the per-option model of
:mod:`finance.cashflow` and :mod:`finance.metrics`) and returns an :class:`OptionAppraisal`: both
cash-flow tables, both metric sets, the support items and what each is worth
(:mod:`finance.valuation`), the equity flow, and the Total Cost Assessment tier staircase
(:mod:`finance.tca`).  :func:`appraise_in_context` gives the option the items its enterprise's
batch gives it (the support of ``cpscreen appraise``, :func:`finance.appraise.appraise`).

Conventions: those of :mod:`finance.cashflow` and :mod:`finance.metrics` (t = 0 undiscounted,
payback None where never reached, IRR NaN with ``irr_reason`` where not unique).
``support_total`` = NPV with support - NPV without support [currency].  The inputs are those of
:func:`finance.inputs.appraisal_inputs`.

References
----------
.. [1] numpy-financial; Microsoft Excel NPV/IRR help (conventions, see :mod:`finance.metrics`).
.. [2] UNEP/UNIDO (1991) Audit and Reduction Manual; Chinese cleaner production audit handbook
   (1996), economic evaluation of options.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from finance import tca
from finance.batch import UNIT_COLUMNS
from finance.cashflow import cash_flow, option_terms
from finance.equity import option_equity
from finance.inputs import _float, appraisal_inputs
from finance.metrics import PaybackBasis, cost_per_unit, metrics
from finance.valuation import item_values
from policies import engine
from policies.items import ITEM_COLUMNS, SupportItem

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
        asset class's cumulative depreciation share by year [/1] (:class:`finance.inputs.AppraisalInputs`).
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

    Parameters are those of :func:`finance.appraise.appraise` for one option and its enterprise, and

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

    The support table is the one :func:`finance.appraise.appraise` computes over ``options`` (so cumulative caps
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
        As for :func:`finance.appraise.appraise`.

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

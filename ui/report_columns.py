"""Headers, units and number formats of the enterprise report's columns: one mapping for both forms.

The Excel workbook and the printable HTML page (:mod:`ui.report`) name a column the same way and
round it the same way, from :func:`column_spec`: every numeric header carries its unit and, for
money, the enterprise's currency (``NPV [EUR]``, ``simple payback [yr]``, ``IRR [%]``).  The import
fields' units come from the field table (``screening/fields.csv``, via :func:`screening.schema.fields`),
the appraisal's and the analyses' from :data:`COLUMNS` below.  No Streamlit here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from screening.schema import fields


@dataclass(frozen=True)
class Kind:
    """How a kind of quantity is written.

    Parameters
    ----------
    decimals : int
        Digits after the decimal point on the printed page.
    excel_format : str
        The cell's number format in the workbook (the stored value keeps its full precision).
    scale : float
        Factor from the stored value to the printed one (100 for a fraction printed in %). [/1]
    """

    decimals: int
    excel_format: str
    scale: float = 1.0


KINDS: dict[str, Kind] = {
    "money": Kind(0, "#,##0"),
    "percent": Kind(1, "0.0%", 100.0),  # stored as a fraction [/1], shown in %
    "years": Kind(1, "0.0"),
    "ratio": Kind(3, "0.000"),
    "quantity": Kind(1, "#,##0.0"),
    "score": Kind(1, "0.0"),
    "count": Kind(0, "0"),
}


@dataclass(frozen=True)
class ColumnSpec:
    """A report column: its header template and the kind of its values.

    Parameters
    ----------
    header : str
        ``{cur}`` stands for the enterprise's currency.
    kind : str or None
        A key of :data:`KINDS`; None for text.
    missing : str
        What a missing value reads (``never`` for a payback that never happens, ``none`` for an IRR
        that does not exist).
    """

    header: str
    kind: str | None = None
    missing: str = "–"


#: Appraisal metrics (``finance.appraise.appraise``) and the analyses' columns. ``_no_support``
#: variants are derived in :func:`column_spec`.
COLUMNS: dict[str, ColumnSpec] = {
    "npv": ColumnSpec("NPV [{cur}]", "money"),
    # Total Cost Assessment views (finance.tca): full = tiers I-IV (= npv), tier I = conventional costs only
    "npv_full": ColumnSpec("NPV, full cost view [{cur}]", "money"),
    "npv_tier1": ColumnSpec("NPV, conventional view (tier I) [{cur}]", "money"),
    "irr": ColumnSpec("IRR [%]", "percent", "none"),
    "mirr": ColumnSpec("MIRR [%]", "percent", "none"),
    "simple_payback_years": ColumnSpec("simple payback [yr]", "years", "never"),
    "discounted_payback_years": ColumnSpec("discounted payback [yr]", "years", "never"),
    "npv_ratio": ColumnSpec("NPV ratio [/1]", "ratio"),
    "benefit_cost_ratio": ColumnSpec("benefit-cost ratio [/1]", "ratio"),
    "equivalent_annual_value": ColumnSpec("equivalent annual value [{cur}/yr]", "money"),
    "irr_reason": ColumnSpec("IRR note"),
    "support_total": ColumnSpec("support, present value [{cur}]", "money"),
    "equity_npv": ColumnSpec("equity NPV [{cur}]", "money"),
    # missing: no debt, or never reached / no IRR (the equity IRR note says which)
    "equity_irr": ColumnSpec("equity IRR [%]", "percent"),
    "equity_payback_years": ColumnSpec("equity payback [yr]", "years"),
    "min_dscr": ColumnSpec("minimum debt service coverage [/1]", "ratio"),
    "equity_irr_reason": ColumnSpec("equity IRR note"),
    "support": ColumnSpec("support items"),
    "pack": ColumnSpec("policy pack"),
    "pack_version": ColumnSpec("pack version"),
    "payback_basis": ColumnSpec("payback basis"),
    "cost_per_t_co2e": ColumnSpec("cost per t CO2e [{cur}/t]", "money"),
    "cost_per_t_waste": ColumnSpec("cost per t waste [{cur}/t]", "money"),
    "cost_per_mwh": ColumnSpec("cost per MWh saved [{cur}/MWh]", "money"),
    # preliminary sort, ranking, criteria
    "sort_class": ColumnSpec("preliminary sort"),
    "sort_reason": ColumnSpec("reason"),
    "cost_class": ColumnSpec("cost class"),
    "payback_years": ColumnSpec("payback used by the sort [yr]", "years", "never"),
    "rank": ColumnSpec("rank", "count"),
    "score": ColumnSpec("score [/1]", "ratio"),
    "score_direction": ColumnSpec("score direction"),
    # marginal abatement cost (finance.portfolio.marginal_abatement_cost)
    "annualised_cost": ColumnSpec("annualised net cost [{cur}/yr]", "money"),
    "abatement": ColumnSpec("abatement [t/yr]", "quantity"),
    "mac": ColumnSpec("abatement cost [{cur}/t]", "money"),
    # implementation tracking (screening.implementation): one row per option and figure, unit per row
    "figure": ColumnSpec("figure"), "unit": ColumnSpec("unit"),
    "predicted": ColumnSpec("predicted [unit]", "quantity"), "actual": ColumnSpec("actual [unit]", "quantity"),
    "ratio": ColumnSpec("actual / predicted [/1]", "ratio"), "options": ColumnSpec("options compared", "count"),
    "note": ColumnSpec("note"),
    # policy rules (policies.catalog.show_pack)
    "valid_from": ColumnSpec("valid from"), "valid_to": ColumnSpec("valid to"),
    "reduces_depreciation_base": ColumnSpec("reduces depreciation base"), "source_title": ColumnSpec("source"),
    "source_article": ColumnSpec("source article"), "source_url": ColumnSpec("source URL"),
    "source_date_read": ColumnSpec("source read (month)"),
    # assessors (screening.assessors.agreement); scores are on the 1-10 scale of the import
    "kendalls_w": ColumnSpec("Kendall's W [/1]", "ratio"),
    "n_assessors": ColumnSpec("assessors (number)", "count"),
    "n_options": ColumnSpec("options scored (number)", "count"),
    "spread": ColumnSpec("spread of the scores, standard deviation [points of 1-10]", "ratio"),
    "min": ColumnSpec("lowest score [1-10]", "score"),
    "max": ColumnSpec("highest score [1-10]", "score"),
}

#: Criteria's readable names, for the ranking's contribution columns (``contribution <criterion>``).
CRITERION_NAMES: dict[str, str] = {
    "energy_saved_mwh": "energy saved", "co2e_avoided_t": "CO2e avoided", "waste_avoided_t": "waste avoided",
    "water_saved_m3": "water saved", "elf_reduction": "load factor reduction", "hierarchy_score": "waste hierarchy",
    "simple_payback_years": "simple payback", "simple_payback_pretax_years": "pre-tax payback",
    "discounted_payback_years": "discounted payback", "investment": "investment",
    "technical_feasibility": "technical feasibility", "implementability": "implementability",
    "npv": "NPV", "irr": "IRR", "npv_ratio": "NPV ratio", "annual_savings": "yearly savings",
}

_FIELD_KINDS = {"currency": "money", "currency/yr": "money", "yr": "years", "/1": "percent", "score": "score"}


#: Name endings that repeat the unit the header gives in brackets (``energy_saved_mwh [MWh/yr]``).
_UNIT_SUFFIXES = ("_mwh", "_m3", "_t", "_years")


def _readable(column: str, unit: str) -> str:
    """An import field's readable name: ``co2e_avoided_t`` -> ``CO2e avoided`` (ids keep their name)."""
    if column.endswith("_id"):
        return column
    name = column
    if unit:
        for suffix in _UNIT_SUFFIXES:
            if name.endswith(suffix):
                name = name.removesuffix(suffix)
                break
    return name.replace("_", " ").replace("co2e", "CO2e")


@cache
def _field_specs() -> dict[str, ColumnSpec]:
    out: dict[str, ColumnSpec] = {}
    for table in ("enterprises", "options"):
        for f in fields(table):
            name = _readable(f.column, f.unit)
            if not f.unit:
                out[f.column] = ColumnSpec(name)
                continue
            kind = _FIELD_KINDS.get(f.unit, "quantity")
            if f.type == "int" and kind == "years":
                kind = "count"
            if kind == "score":
                lo, hi = (int(v) if math.isfinite(v) else "" for v in (f.min, f.max))
                out[f.column] = ColumnSpec(f"{name} [{lo}-{hi}]", kind)
            elif kind == "percent":
                out[f.column] = ColumnSpec(f"{name} [%]", kind)
            else:
                out[f.column] = ColumnSpec(f"{name} [{f.unit.replace('currency', '{cur}')}]", kind)
    return out


def column_spec(column: str) -> ColumnSpec:
    """The report's header template and kind of ``column`` (unknown columns: the name itself, no kind)."""
    if column in COLUMNS:
        return COLUMNS[column]
    fields_ = _field_specs()
    if column in fields_:
        return fields_[column]
    if column.endswith("_no_support"):
        base = column_spec(column.removesuffix("_no_support"))
        head, bracket, unit = base.header.partition(" [")
        return ColumnSpec(f"{head} without support{bracket}{unit}", base.kind, base.missing)
    if column.endswith("[/1]"):  # already named with its unit, e.g. "share ranked first [/1]"
        return ColumnSpec(column, "ratio")
    if column.startswith("contribution "):
        crit = column.removeprefix("contribution ")
        return ColumnSpec(f"contribution: {CRITERION_NAMES.get(crit, crit)} [/1]", "ratio")
    return ColumnSpec(column)


def header(column: str, currency: str | None) -> str:
    """``column``'s header with the currency filled in (``[cur.]`` when unknown)."""
    return column_spec(column).header.replace("{cur}", currency or "cur.")


def support_text(items: Any, currency: str | None) -> str:
    """Support items as one readable line: ``NL-EIA-2024 tax deduction 40,000 EUR (year 1)``.

    Parameters
    ----------
    items : list of dict
        ``instrument_id, kind, amount [currency], year [yr]`` and optionally ``unverified``, as in
        the appraisal's ``support`` column.
    currency : str or None
    """
    if items is None or (isinstance(items, float) and math.isnan(items)):
        return ""
    if not isinstance(items, Sequence) or isinstance(items, str):
        return str(items)
    parts = []
    for it in items:
        if not isinstance(it, Mapping):
            parts.append(str(it))
            continue
        amount = it.get("amount")
        money = f"{float(amount):,.0f} {currency or ''}".rstrip() if isinstance(amount, (int, float, np.number)) else ""
        when = f"year {it['year']}" if it.get("year") is not None else ""
        flag = "unverified" if it.get("unverified") else ""
        extra = ", ".join(x for x in (when, flag) if x)
        kind = str(it.get("kind", "")).replace("_", " ")
        parts.append(" ".join(x for x in (str(it.get("instrument_id", "")), kind, money) if x) + (f" ({extra})" if extra else ""))
    return "; ".join(parts)


def text_value(v: Any) -> Any:
    """A cell's value for the report: lists and mappings as readable text, others unchanged."""
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {text_value(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple, set)):
        return "; ".join(str(text_value(x)) for x in v)
    return v


#: The Report page's preview number formats per kind of column, the workbook's (:data:`KINDS`) in
#: Streamlit's notation: a rate stored as a fraction shows in %, as its header says.
PREVIEW_FORMATS: dict[str, str] = {"money": "%,.0f", "percent": "percent", "years": "%.1f", "ratio": "%.3f",
                                   "quantity": "%,.1f", "score": "%.1f", "count": "%d"}


def present(frame: pd.DataFrame, currency: str | None) -> tuple[pd.DataFrame, list[ColumnSpec]]:
    """``frame`` as the report shows it: headers with units, support items and lists as text.

    Returns the renamed frame and each column's spec (its ``kind`` None where the values are not
    numbers).  Values are not rounded here: the workbook keeps them exact under a number format,
    the printed page rounds them with :func:`format_value`.
    """
    out = frame.copy()
    specs: list[ColumnSpec] = []
    for c in out.columns:
        spec = column_spec(str(c))
        if c == "support":
            out[c] = out[c].map(lambda v: support_text(v, currency))
        elif out[c].dtype == object:
            out[c] = out[c].map(text_value)
        if spec.kind is None and currency and re.search(rf"\[{re.escape(currency)}(/[^\]]*)?\]$", str(c)):
            spec = ColumnSpec(spec.header, "money", spec.missing)  # already named with the currency (cash flow sheet)
        numeric = pd.api.types.is_numeric_dtype(out[c]) and not pd.api.types.is_bool_dtype(out[c])
        specs.append(spec if numeric else ColumnSpec(spec.header, None, spec.missing))
    out.columns = [header(str(c), currency) for c in out.columns]
    return out, specs


def format_value(v: Any, spec: ColumnSpec) -> str:
    """A value as the printed page shows it, rounded by its column's kind; a missing one as ``spec.missing``."""
    kind = spec.kind
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and not np.isfinite(v)):
        return spec.missing
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (int, float, np.number)):
        x = float(v)
        if kind in KINDS:
            k = KINDS[kind]
            shown = round(x * k.scale, k.decimals)
            return f"{shown + 0.0:,.{k.decimals}f}"  # + 0.0: no "-0.000" for a tiny negative
        if float(x).is_integer():
            return f"{int(x):,}"
        return f"{x:,.3f}" if abs(x) < 10 else f"{x:,.0f}"
    return str(v)

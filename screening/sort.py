"""Preliminary sort of options into implement now / study / rejected, each with its reason.

UNEP's option screening sorts options into those directly implementable, those that need further
study, and those rejected [1]_.  The rules here are data (:class:`SortRules`); the defaults are:

* mandatory options (required by law) are flagged ``mandatory`` and kept out of the ranking;
* a failed hard constraint (veto) -> ``rejected``: payback above the norm of the option's cost
  class, technical feasibility below a floor (if set), investment above the budget (if set);
* no- or low-cost options with positive net savings and payback under one year -> ``implement_now``;
* the rest -> ``study``.

Cost classes are set by investment thresholds of the enterprise's policy pack (its
``jurisdiction``), in the pack's currency (``screening.cost_classes``): the Chinese audit practice
uses low < 100 000 CNY <= medium < 1 000 000 CNY <= high [2]_; the other packs state theirs as an
assumption (the Chinese thresholds at the ECB rate of 2025-02-28, rounded).  An enterprise whose
currency differs from its pack's, or without a pack, uses the thresholds of its currency where the
packs in that currency agree.  An investment of zero is ``no`` cost.
The payback norms by cost class follow the audit handbook's guidance (about 2-3 years for medium
cost, 5 years for higher and 10 years for high-cost options) [2]_; with three classes the default
set uses 3 years up to medium cost and 10 years for high cost.  For a currency without thresholds
(none of the shipped packs' currencies) the cost class is ``unknown``: such an option can still be implemented now on payback and savings
alone, and is vetoed on the widest payback norm (10 years).

References
----------
.. [1] UNEP IE / UNIDO (1991-1996), Audit and Reduction Manual for Industrial Emissions and
   Wastes; UNEP cleaner-production assessment: options are screened into directly implementable,
   requiring further study, and rejected.
.. [2] Chinese enterprise cleaner-production audit practice: no/low cost options (< 100 000 CNY),
   medium (100 000 - 1 000 000 CNY), high cost (>= 1 000 000 CNY); payback norms about 2-3 years
   for medium, 5 years for higher and 10 years for high-cost options (project issue 4).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from screening.cost_classes import PackCostClasses, currency_thresholds, pack_cost_classes
from screening.criteria import FALLBACK_PAYBACK, simple_payback_pretax

SORT_CLASSES: tuple[str, ...] = ("implement_now", "study", "rejected", "mandatory")
COST_CLASSES: tuple[str, ...] = ("no", "low", "medium", "high", "unknown")


def _default_thresholds() -> dict[str, tuple[float, float]]:
    return currency_thresholds()


def _default_pack_thresholds() -> dict[str, PackCostClasses]:
    return dict(pack_cost_classes())


def _default_norms() -> dict[str, float]:
    return {"no": 3.0, "low": 3.0, "medium": 3.0, "high": 10.0, "unknown": 10.0}


@dataclass(frozen=True)
class SortRules:
    """Rules of the preliminary sort (all editable).

    Parameters
    ----------
    cost_thresholds : mapping currency -> (low_upper, high_lower)
        Investment below ``low_upper`` is low cost, at or above ``high_lower`` high cost, between
        them medium; used where the enterprise's pack states none in its currency (default: the
        packs' thresholds by currency). [currency]
    pack_thresholds : mapping pack code -> PackCostClasses
        Each pack's thresholds in its currency (default: the shipped packs' ``cost_classes``).
    implement_now_classes : tuple of str
        Cost classes that may be implemented now.
    implement_now_max_payback_years : float
        Payback must be below this to implement now. [yr]
    max_payback_years : mapping cost class -> float
        Veto: payback above the norm of the option's class rejects it. [yr]
    reject_no_payback : bool
        Veto options whose net yearly saving is not positive (payback never happens).
    min_technical_feasibility : float or None
        Veto: technical feasibility below this floor (1..10 scale). [score]
    budget : float, mapping enterprise_id -> float, or None
        Veto: investment above the budget. [currency]
    default_currency : str or None
        Currency of options whose enterprise names none.
    """

    cost_thresholds: Mapping[str, tuple[float, float]] = field(default_factory=_default_thresholds)
    pack_thresholds: Mapping[str, PackCostClasses] = field(default_factory=_default_pack_thresholds)
    implement_now_classes: tuple[str, ...] = ("no", "low", "unknown")
    implement_now_max_payback_years: float = 1.0
    max_payback_years: Mapping[str, float] = field(default_factory=_default_norms)
    reject_no_payback: bool = False
    min_technical_feasibility: float | None = None
    budget: float | Mapping[str, float] | None = None
    default_currency: str | None = None


def cost_class(investment: float, currency: str | None, rules: SortRules | None = None,
               pack: str | None = None) -> str:
    """Cost class of one investment: ``no``, ``low``, ``medium``, ``high`` or ``unknown``.

    Parameters
    ----------
    investment : float
        Capital cost. [currency]
    currency : str or None
        ISO 4217 code of the investment.
    rules : SortRules, optional
        Thresholds per pack and per currency (default: the shipped packs').
    pack : str or None
        The enterprise's pack code (``jurisdiction``); its thresholds apply when in ``currency``.
    """
    rules = rules or SortRules()
    if investment is None or (isinstance(investment, float) and math.isnan(investment)):
        return "unknown"
    if investment == 0:
        return "no"
    return _class_of(investment, _thresholds(currency, pack, rules)[0])


def _class_of(investment: float, pair: tuple[float, float] | None) -> str:
    """:func:`cost_class` of a non-zero, non-missing investment with its thresholds (None: unknown)."""
    if pair is None:
        return "unknown"
    low_upper, high_lower = pair
    if investment < low_upper:
        return "low"
    if investment < high_lower:
        return "medium"
    return "high"


def _thresholds(currency: str | None, pack: str | None, rules: SortRules) -> tuple[tuple[float, float] | None, str]:
    """The (low_upper, high_lower) pair for an option and the words saying whose it is."""
    own = rules.pack_thresholds.get(pack) if pack is not None else None
    if own is not None and own.currency == currency:
        return (own.low_upper, own.high_lower), own.describe()
    if currency in rules.cost_thresholds:
        lo, hi = rules.cost_thresholds[currency]
        why = f"{pack} pack states none in {currency}; " if own is not None else ""
        return (lo, hi), f"{why}{currency} thresholds: low < {lo:,.0f} <= medium < {hi:,.0f} <= high"
    return None, f"no cost-class thresholds for currency {currency or 'none'}" + (f" (pack {pack})" if pack else "")


def _enterprise_column(options: pd.DataFrame, enterprises: pd.DataFrame | None, col: str) -> pd.Series:
    if col in options.columns:
        return options[col].astype("object")
    if enterprises is not None and col in enterprises.columns and "enterprise_id" in options.columns:
        table = enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id")[col]
        return options["enterprise_id"].map(table).astype("object")
    return pd.Series([None] * len(options), index=options.index, dtype="object")


def _currency(options: pd.DataFrame, enterprises: pd.DataFrame | None, rules: SortRules) -> pd.Series:
    """Each option's currency: its enterprise's, else its pack's, else ``rules.default_currency``."""
    cur = _enterprise_column(options, enterprises, "currency")
    pack = _enterprise_column(options, enterprises, "jurisdiction")
    # each distinct pack once (a handful over many options)
    pack_cur = pack.map({p: rules.pack_thresholds[p].currency for p in pd.unique(pack) if p in rules.pack_thresholds})
    pack_cur = pack_cur.astype("object").where(pack_cur.notna(), None)
    cur = cur.where(cur.notna() & (cur != ""), pack_cur)
    return cur.where(cur.notna() & (cur != ""), rules.default_currency)


def _fmt(x: float) -> str:
    return f"{x:.3g}"


def preliminary_sort(
    options: pd.DataFrame, enterprises: pd.DataFrame | None = None, rules: SortRules | None = None
) -> pd.DataFrame:
    """Sort options into implement now / study / rejected (and flag mandatory ones).

    Parameters
    ----------
    options : DataFrame
        Validated options (DESIGN.md section 2); ``simple_payback_years`` from the appraisal is
        used where present, else the pre-tax fallback ``investment / (annual_savings -
        annual_cost_change)``.
    enterprises : DataFrame, optional
        For each enterprise's ``currency`` and ``jurisdiction`` (its pack's cost classes).
    rules : SortRules, optional
        The rules (default :class:`SortRules`).

    Returns
    -------
    DataFrame
        Same index as ``options``, columns ``cost_class``, ``cost_class_basis`` (whose thresholds:
        the pack's, the currency's, or none with the reason), ``payback_years`` [yr] (the one used),
        ``sort_class`` and ``sort_reason``.
    """
    rules = rules or SortRules()
    n = len(options)
    investment = pd.to_numeric(options["investment"], errors="coerce").astype("float64").to_numpy()
    if "simple_payback_years" in options.columns and pd.to_numeric(options["simple_payback_years"], errors="coerce").notna().any():
        payback = pd.to_numeric(options["simple_payback_years"], errors="coerce").astype("float64").to_numpy()
        payback_name = "simple payback"
    elif FALLBACK_PAYBACK in options.columns:
        payback = pd.to_numeric(options[FALLBACK_PAYBACK], errors="coerce").astype("float64").to_numpy()
        payback_name = "pre-tax simple payback"
    else:
        payback = simple_payback_pretax(options).to_numpy()
        payback_name = "pre-tax simple payback"
    savings = pd.to_numeric(options["annual_savings"], errors="coerce").astype("float64").to_numpy()
    if "annual_cost_change" in options.columns:
        savings = savings - pd.to_numeric(options["annual_cost_change"], errors="coerce").astype("float64").fillna(0.0).to_numpy()
    mandatory = (
        options["mandatory"].fillna(False).astype(bool).to_numpy() if "mandatory" in options.columns else np.zeros(n, bool)
    )
    feas = (
        pd.to_numeric(options["technical_feasibility"], errors="coerce").astype("float64").to_numpy()
        if "technical_feasibility" in options.columns
        else np.full(n, np.nan)
    )
    currency = _currency(options, enterprises, rules).to_numpy()
    packs = _enterprise_column(options, enterprises, "jurisdiction").to_numpy()
    enterprise = options["enterprise_id"].astype(str).to_numpy() if "enterprise_id" in options.columns else np.full(n, "")

    classes: list[str] = []
    basis: list[str] = []
    sort_class: list[str] = []
    reasons: list[str] = []
    # thresholds and their words per (currency, pack): a handful of pairs over many options
    seen: dict[tuple[object, object], tuple[tuple[float, float] | None, str]] = {}
    # Python lists: the loop reads plain floats and bools, not numpy scalars
    investment_l, payback_l, mandatory_l = investment.tolist(), payback.tolist(), mandatory.tolist()
    savings, feas = savings.tolist(), feas.tolist()
    for i in range(n):
        pack = packs[i] if isinstance(packs[i], str) else None
        key = (currency[i], pack)
        found = seen.get(key)
        if found is None:
            found = seen[key] = _thresholds(currency[i], pack, rules)
        inv = investment_l[i]
        cc = "unknown" if math.isnan(inv) else ("no" if inv == 0 else _class_of(inv, found[0]))  # cost_class's rules
        classes.append(cc)
        basis.append(found[1])
        pb = payback_l[i]
        if mandatory_l[i]:
            sort_class.append("mandatory")
            reasons.append("required by law: kept out of the ranking, counted in budgets")
            continue
        vetoes: list[str] = []
        norm = rules.max_payback_years.get(cc)
        if not math.isnan(pb) and norm is not None and pb > norm:
            vetoes.append(f"{payback_name} {_fmt(pb)} yr above the {_fmt(norm)} yr norm for {cc} cost")
        if math.isnan(pb) and rules.reject_no_payback and not (savings[i] > 0 and inv == 0):
            vetoes.append("net yearly saving not positive: payback never happens")
        if rules.min_technical_feasibility is not None and not math.isnan(feas[i]) and feas[i] < rules.min_technical_feasibility:
            vetoes.append(f"technical feasibility {_fmt(feas[i])} below the floor {_fmt(rules.min_technical_feasibility)}")
        if rules.budget is not None:
            budget = rules.budget.get(enterprise[i]) if isinstance(rules.budget, Mapping) else rules.budget
            if budget is not None and inv > budget:
                vetoes.append(f"investment {_fmt(inv)} above the budget {_fmt(budget)}")
        if vetoes:
            sort_class.append("rejected")
            reasons.append("; ".join(vetoes))
            continue
        quick = not math.isnan(pb) and pb < rules.implement_now_max_payback_years and savings[i] > 0
        if cc in rules.implement_now_classes and quick:
            sort_class.append("implement_now")
            cost_txt = "no cost" if cc == "no" else ("cost class unknown" if cc == "unknown" else f"{cc} cost")
            reasons.append(
                f"{cost_txt}, positive net savings, "
                + (f"{payback_name} immediate (no investment)" if pb == 0 else
                   f"{payback_name} {_fmt(pb)} yr under {_fmt(rules.implement_now_max_payback_years)} yr")
            )
            continue
        why: list[str] = []
        if cc not in rules.implement_now_classes:
            why.append(f"{cc} cost")
        if math.isnan(pb):
            why.append("no payback (net yearly saving not positive or unknown)")
        elif pb >= rules.implement_now_max_payback_years:
            why.append(f"{payback_name} {_fmt(pb)} yr")
        sort_class.append("study")
        reasons.append("needs study: " + ", ".join(why) if why else "needs study")
    return pd.DataFrame(
        {"cost_class": classes, "cost_class_basis": basis, "payback_years": payback,
         "sort_class": sort_class, "sort_reason": reasons},
        index=options.index,
    )

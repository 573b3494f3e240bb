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
        from policies.join import enterprise_rows  # one hash join per options (in a join.one_join block)

        ents, pos = enterprise_rows(options, enterprises)
        values = np.append(ents[col].to_numpy(dtype=object), None)  # -1 (no such enterprise) -> None
        return pd.Series(values[pos], index=options.index, dtype=object, copy=False)
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


def _fmt_each(x: np.ndarray) -> np.ndarray:
    """:func:`_fmt` of every value, as an object array (each distinct value formatted once)."""
    if len(x) == 0:
        return np.empty(0, dtype=object)
    where, distinct = pd.factorize(np.asarray(x, dtype=float) + 0.0)  # + 0.0: -0.0 is 0
    return np.array([_fmt(v) for v in distinct.tolist()], dtype=object)[where]


def _append(text: np.ndarray, has: np.ndarray, rows: np.ndarray, part: np.ndarray | str, sep: str) -> None:
    """Append ``part`` (one per row of ``rows``, or one for all) to ``text`` at ``rows``, after ``sep``
    where that row already says something; marks the rows in ``has`` (both in place)."""
    if not rows.any():
        return
    before = text[rows]
    text[rows] = np.where(has[rows], before + sep + part, part)
    has |= rows


def sort_inputs(options: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, str, np.ndarray, np.ndarray, np.ndarray]:
    """What :func:`preliminary_sort` reads of each option, as arrays: investment [currency], the
    payback used [yr] and its name (the appraisal's ``simple_payback_years`` where any is given,
    else the pre-tax fallback), net yearly savings [currency/yr], mandatory, technical feasibility."""
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
    return investment, payback, payback_name, savings, mandatory, feas


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
    investment, payback, payback_name, savings, mandatory, feas = sort_inputs(options)
    currency = _currency(options, enterprises, rules)
    packs = _enterprise_column(options, enterprises, "jurisdiction")

    # thresholds and their words per (currency, pack): a handful of pairs over many options, each
    # looked up once; the options then read them by their pair's code (column-wise: issue 11)
    cur_code, cur_values = pd.factorize(currency.to_numpy(dtype=object))
    pack_code, pack_values = pd.factorize(packs.to_numpy(dtype=object))
    cur_of = [*cur_values.tolist(), None]  # code -1 (missing) -> None
    pack_of = [v if isinstance(v, str) else None for v in pack_values.tolist()] + [None]
    width = len(pack_of)  # codes + 1 in 0..width-1: one integer per (currency, pack) pair
    pair_code, pairs = pd.factorize((cur_code.astype(np.int64) + 1) * width + (pack_code + 1))
    # code 0 (missing) reads the lists' last item, None
    found = [_thresholds(cur_of[c - 1], pack_of[p - 1], rules) for c, p in (divmod(int(k), width) for k in pairs)]
    low_upper = np.array([np.nan if f[0] is None else f[0][0] for f in found], dtype=float)[pair_code]
    high_lower = np.array([np.nan if f[0] is None else f[0][1] for f in found], dtype=float)[pair_code]
    basis = np.array([f[1] for f in found], dtype=object)[pair_code] if found else np.empty(0, dtype=object)

    # cost class (cost_class's rules): unknown without investment or thresholds, no at zero
    no_pair = np.isnan(low_upper)
    code = np.select(
        [np.isnan(investment), investment == 0, no_pair, investment < low_upper, investment < high_lower],
        [4, 0, 4, 1, 2], default=3,
    )
    classes = np.asarray(COST_CLASSES, dtype=object)[code]

    has_pb = ~np.isnan(payback)
    pb_txt = np.full(n, "", dtype=object)
    pb_txt[has_pb] = _fmt_each(payback[has_pb])
    named_pb = payback_name + " " + pb_txt  # "simple payback 2.5"
    sort_class = np.full(n, "study", dtype=object)
    reasons = np.full(n, "", dtype=object)

    # vetoes, in the order they are given: payback above the class norm, no payback, feasibility, budget
    vetoed = np.zeros(n, dtype=bool)
    norm = np.array([np.nan if rules.max_payback_years.get(c) is None else float(rules.max_payback_years[c])
                     for c in COST_CLASSES])[code]
    over = ~mandatory & has_pb & (payback > norm)
    _append(reasons, vetoed, over, named_pb[over] + " yr above the " + _fmt_each(norm[over]) + " yr norm for "
            + classes[over] + " cost", "; ")
    if rules.reject_no_payback:
        never = ~mandatory & ~has_pb & ~((savings > 0) & (investment == 0))
        _append(reasons, vetoed, never, "net yearly saving not positive: payback never happens", "; ")
    if rules.min_technical_feasibility is not None:
        floor = float(rules.min_technical_feasibility)
        low = ~mandatory & ~np.isnan(feas) & (feas < floor)
        _append(reasons, vetoed, low, "technical feasibility " + _fmt_each(feas[low]) + f" below the floor {_fmt(floor)}", "; ")
    if rules.budget is not None:
        if isinstance(rules.budget, Mapping):
            enterprise = options["enterprise_id"].astype(str) if "enterprise_id" in options.columns else pd.Series([""] * n)
            limit = pd.Series(enterprise.to_numpy(dtype=object), dtype=object).map({k: np.nan if v is None else float(v) for k, v in rules.budget.items()})
            limit = limit.to_numpy(dtype=float)
        else:
            limit = np.full(n, float(rules.budget))
        above = ~mandatory & (investment > limit)
        _append(reasons, vetoed, above, "investment " + _fmt_each(investment[above]) + " above the budget "
                + _fmt_each(limit[above]), "; ")
    sort_class[vetoed] = "rejected"

    # implement now: a cost class that may, payback under the bound and positive net savings
    now_max = rules.implement_now_max_payback_years
    may = np.array([c in rules.implement_now_classes for c in COST_CLASSES])[code]
    quick = has_pb & (payback < now_max) & (savings > 0)
    now = ~mandatory & ~vetoed & may & quick
    cost_txt = np.array([{"no": "no cost", "unknown": "cost class unknown"}.get(c, f"{c} cost") for c in COST_CLASSES],
                        dtype=object)[code]
    how = np.where(payback[now] == 0, payback_name + " immediate (no investment)", named_pb[now] + f" yr under {_fmt(now_max)} yr")
    reasons[now] = cost_txt[now] + ", positive net savings, " + how
    sort_class[now] = "implement_now"

    # the rest needs study, with what keeps it from implement now
    study = ~mandatory & ~vetoed & ~now
    why = np.full(n, "", dtype=object)
    said = np.zeros(n, dtype=bool)
    _append(why, said, study & ~may, classes[study & ~may] + " cost", ", ")
    _append(why, said, study & ~has_pb, "no payback (net yearly saving not positive or unknown)", ", ")
    slow = study & has_pb & (payback >= now_max)
    _append(why, said, slow, named_pb[slow] + " yr", ", ")
    reasons[study] = np.where(said[study], "needs study: " + why[study], "needs study")

    sort_class[mandatory] = "mandatory"
    reasons[mandatory] = "required by law: kept out of the ranking, counted in budgets"
    return pd.DataFrame(
        {"cost_class": classes, "cost_class_basis": basis, "payback_years": payback,
         "sort_class": sort_class, "sort_reason": reasons},
        index=options.index,
    )

"""Why, and why not: every rule in force for each option, whether it applies, and the reason in words.

The explanation is read off the same engine pass that produces the support table
(:func:`policies.engine._support_table` with ``steps``): the eligibility conditions
(:mod:`policies.eligibility`), the base before and after netting and caps, the formula's amount,
the stacking exclusions and each cap with the amount before and after it.  Nothing here decides
eligibility or computes an amount a second way; it only puts what the engine did into words.

A rule that does not apply says which condition failed, with the value read and the threshold
("eligible investment 1,500 EUR below the minimum 2,500 EUR"), which rule excluded it, which cap
left nothing, or which attribute is missing (by name, with the values the pack allows).  A rule
that applies says the term or cap that set its amount ("lowest-of term 'intensity' bound",
"capped by per_project cap 200,000 EUR").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from policies.engine import _support_table
from policies.kinds import term_amount
from policies.schema import ByTypeRate, FixedRate, LowestOfRate, Pack, RangeRate, SizeBonusRate

__all__ = ["EXPLAIN_COLUMNS", "explain", "explain_support"]

#: Columns of :func:`explain`: ``row`` is the option's position in the options frame; ``amount``
#: [currency] is the item's amount where the rule applies (for depreciation the base it applies
#: to, for a tax holiday 0), else 0.
EXPLAIN_COLUMNS: tuple[str, ...] = ("row", "enterprise_id", "option_id", "pack", "rule_id", "rule_name", "kind",
                                    "applies", "amount", "reason")

_CAP_WORDS = {"per_project": "per_project cap", "per_enterprise": "per_enterprise cap", "per_year": "per_year cap",
              "min_aid": "min aid", "aid_ceiling": "aid ceiling"}


def _money(x: float, cur: str) -> str:
    if not math.isfinite(x):
        return f"{x} {cur}"
    return f"{x:,.0f} {cur}" if abs(x) >= 100 or x == 0 else f"{x:,.2f} {cur}"


def _pct(x: float) -> str:
    v = 100.0 * x
    return f"{v:.0f} %" if abs(v - round(v)) < 1e-9 else f"{v:.1f} %"


def _label(values: tuple[np.ndarray, list[str]], i: int) -> str | None:
    codes, labels = values
    c = int(codes[i])
    return None if c < 0 or labels[c] == "" else labels[c]


def _listing(values: list[str]) -> str:
    """Values joined by ", ", once each ignoring case (``yes, true, True`` -> ``yes, true``)."""
    seen: dict[str, str] = {}
    for v in map(str, values):
        seen.setdefault(v.lower(), v)
    return ", ".join(seen.values())


def _missing(col: str, rule_id: str, allowed: str) -> str:
    return f"attribute {col} missing: needed by {rule_id} ({allowed})"


def _condition_text(c: Any, i: int, rule_id: str, cur: str) -> str:
    if c.kind in ("size_classes", "categories", "attributes"):
        lab = _label(c.values, i)
        word = {"size_classes": "size class", "categories": "category"}.get(c.kind, c.column)
        if lab is None:
            return _missing(c.column, rule_id, f"allowed: {_listing(c.limit)}")
        if c.kind == "size_classes":
            return f"size class {lab} not eligible (eligible: {_listing(c.limit)})"
        if c.kind == "attributes" and {str(v).lower() for v in c.limit} <= {"yes", "true", "1"}:
            return f"{c.column} is {lab}: the rule needs {c.column} = yes"
        return f"{word} {lab} is not among {_listing(c.limit)}"
    if c.kind == "requires_all":
        return f"{c.column} is 0 or not given: the rule needs it above 0"
    if c.kind == "requires_any":
        return f"none of {c.column} is above 0 (0 or not given): the rule needs one of them"
    v = float(c.values[i])
    if c.kind == "thresholds":
        if math.isnan(v):
            return _missing(c.column, rule_id, f"a number >= {c.limit:g}")
        return f"{c.column} {v:g} below the minimum {c.limit:g}"
    if c.kind == "min_investment":
        return f"eligible investment {_money(v, cur)} below the minimum {_money(c.limit, cur)}"
    if c.kind == "max_investment":
        return f"eligible investment {_money(v, cur)} above the maximum {_money(c.limit, cur)}"
    if c.kind == "min_payback_years":
        return f"payback without support {v:.1f} yr below the minimum {c.limit:g} yr"
    return f"condition {c.kind} on {c.column} not met"  # pragma: no cover - every kind is listed above


def _by_type_undefined(rate: ByTypeRate, rec: dict[str, Any], i: int, rule_id: str) -> str:
    lab = _label(rec["batch"].factor(rate.attribute), i)
    keys = list(rate.values)
    if rate.attribute == "size_class":
        return f"size class {lab or 'missing'} not eligible (rates for: {_listing(keys)})"
    if lab is None:
        return _missing(rate.attribute, rule_id, f"allowed: {_listing(keys)}")
    return f"{rate.attribute} {lab} is not among {_listing(keys)}"


def _undefined(rec: dict[str, Any], i: int, cur: str) -> str:
    """Why the formula's amount is undefined (NaN) for row i: an attribute or size not listed."""
    rule = rec["rule"]
    if isinstance(rule.rate, ByTypeRate):
        return _by_type_undefined(rule.rate, rec, i, rule.id)
    if isinstance(rule.rate, LowestOfRate):
        for t in rule.rate.terms:
            if t.share_by_size is not None:
                lab = _label(rec["batch"].factor("size_class"), i)
                return f"size class {lab or 'missing'} not eligible (term '{t.name}' lists {_listing(list(t.share_by_size))})"
    return "the rule's formula gives no amount for this option (an input it needs is missing)"


def _base_text(rec: dict[str, Any], i: int, cur: str) -> str:
    rule = rec["rule"]
    text = f"{rule.base.of} {_money(float(rec['base'][i]), cur)}"
    gross, net = float(rec["base_of"][i]), float(rec["base_net"][i])
    if net < gross - 0.005:
        less = list(rule.base.net_of) + (["other_grants"] if rule.base.net_of_external else [])
        text += f" (of {_money(gross, cur)}, net of {', '.join(less)})"
    if "base_capped" in rec:
        before, after = rec["base_capped"]
        if after[i] < before[i] - 0.005:
            text += f" (limited by the investment_per_year cap {_money(rec['params']('caps.investment_per_year'), cur)})"
    return text


def _terms(rec: dict[str, Any]) -> list[tuple[str, np.ndarray]]:
    if "terms" not in rec:
        rate = rec["rule"].rate
        rec["terms"] = [(t.name, term_amount(t, "rate.terms", rec["params"], rec["batch"], rec["base"])) for t in rate.terms]
    return rec["terms"]


def _size_bonus(rate: Any, p: Any, lab: str | None, prefix: str) -> str:
    if not rate.bonus or lab is None:
        return ""
    key = lab if lab in rate.bonus else ("small" if lab == "micro" and "small" in rate.bonus else None)
    return f" + {_pct(p(f'{prefix}.{key}'))} points ({lab})" if key else ""


def _formula_text(rec: dict[str, Any], i: int, cur: str) -> str:
    """How the amount was set for row i (the rate form, or the lowest-of term that bound)."""
    rule, p, b = rec["rule"], rec["params"], rec["batch"]
    if rule.kind == "depreciation":
        later = f", then {_pct(p('depreciation.later_share'))} a year" if rule.depreciation.later_share is not None else \
            ", the rest straight line"
        return f"accelerated depreciation of {_base_text(rec, i, cur)}: {_pct(p('depreciation.first_year_share'))} in the first year{later}"
    if rule.kind == "tax_holiday":
        return (f"tax holiday: {int(p('holiday.exempt_years'))} yr exempt, then {int(p('holiday.reduced_years'))} yr "
                f"at {_pct(p('holiday.reduced_factor'))} of the tax")
    rate = rule.rate
    size = _label(b.factor("size_class"), i)
    if isinstance(rate, FixedRate):
        text = f"{_pct(p('rate.value'))} of {_base_text(rec, i, cur)}"
    elif isinstance(rate, RangeRate):
        text = (f"rate {_pct(p.range_rate())} (programme parameter {rule.id}.rate, range "
                f"{_pct(p('rate.low'))}-{_pct(p('rate.high'))}) of {_base_text(rec, i, cur)}")
    elif isinstance(rate, ByTypeRate):
        lab = _label(b.factor(rate.attribute), i)
        key = lab if lab in rate.values else rate.default
        head = f"{rate.attribute} {lab}" if lab is not None and lab in rate.values else \
            f"{rate.attribute} {'missing' if lab is None else lab}, the rule's default {key!r} applies"
        text = f"{head}: {_pct(p(f'rate.values.{key}'))}{_size_bonus(rate, p, size, 'rate.bonus')} of {_base_text(rec, i, cur)}"
    elif isinstance(rate, SizeBonusRate):
        text = f"{_pct(p('rate.base'))}{_size_bonus(rate, p, size, 'rate.bonus')} of {_base_text(rec, i, cur)}"
    else:
        terms = _terms(rec)
        k = int(np.argmin([t[1][i] for t in terms]))
        others = "; ".join(f"{n} {_money(float(a[i]), cur)}" for n, a in terms if n != terms[k][0])
        text = f"lowest-of term '{terms[k][0]}' bound: {_money(float(terms[k][1][i]), cur)}" + (f" (other terms: {others})" if others else "")
        text += f"; base {_base_text(rec, i, cur)}"
    if rule.kind == "tax_deduction":
        text += " (deducted from taxable profit)"
    elif rule.kind == "tax_credit":
        text += " (credited against tax)"
    elif rule.kind == "soft_loan":
        text += f" (loan at {_pct(p('loan.loan_rate'))} over {int(p('loan.loan_years'))} yr)"
    return text


def _cap_limit(rec: dict[str, Any], name: str, cur: str) -> str:
    p, rule = rec["params"], rec["rule"]
    if name == "per_year":
        return _money(p("caps.per_year") * rule.timing.spread_years, cur)
    return _money(p(f"caps.{name}"), cur)


def _stage_text(rec: dict[str, Any], name: str, before: float, after: float, i: int, cur: str) -> str:
    if name == "aid_ceiling":
        c, allowed = rec["ceiling"]
        what = f"aid ceiling {c.id} ({c.name})"
        if after <= 0:
            return f"{what} leaves no room: allowed {_money(float(allowed[i]), cur)} in grant equivalent, used by earlier items"
        return f"{what} bound: allowed {_money(float(allowed[i]), cur)} in grant equivalent (formula gave {_money(before, cur)})"
    if name == "min_aid":
        return f"below min aid {_cap_limit(rec, name, cur)}: the amount would be {_money(before, cur)}"
    if name == "per_project":
        return f"capped by per_project cap {_cap_limit(rec, name, cur)} (formula gave {_money(before, cur)})"
    if after <= 0:
        return f"{_CAP_WORDS[name]} {_cap_limit(rec, name, cur)} used up by the enterprise's earlier options"
    return f"capped by {_CAP_WORDS[name]} {_cap_limit(rec, name, cur)}: {_money(after, cur)} left after the enterprise's earlier options"


def _reason(rec: dict[str, Any], i: int, cur: str) -> str:
    rule = rec["rule"]
    fails = [_condition_text(c, i, rule.id, cur) for c in rec["conditions"] if not c.passed[i]]
    if not rec["finite"][i]:
        fails.append(_undefined(rec, i, cur))
    if fails:
        return "; ".join(fails)
    for other, mask in rec["excluded"]:
        if mask[i]:
            return f"excluded by {other}, which already gave this option support (not both on the same asset)"
    applies = bool(rec["applies"][i])
    if not applies:
        if rec["base_of"][i] <= 0:
            return f"{rule.base.of} is {_money(float(rec['base_of'][i]), cur)}: nothing to apply the rule to"
        if rec["base_net"][i] <= 0:
            less = list(rule.base.net_of) + (["other_grants"] if rule.base.net_of_external else [])
            return f"nothing left of {rule.base.of} after netting {', '.join(less)}"
        if "base_capped" in rec and rec["base_capped"][1][i] <= 0:
            return (f"investment_per_year cap {_money(rec['params']('caps.investment_per_year'), cur)} used up by the "
                    "enterprise's earlier options")
        for name, before, after in rec["stages"]:
            if after[i] <= 0 < before[i]:
                return _stage_text(rec, name, float(before[i]), float(after[i]), i, cur)
        return f"the formula gives 0: {_formula_text(rec, i, cur)}"
    parts = [_formula_text(rec, i, cur)]
    for name, before, after in rec["stages"]:
        if after[i] < before[i] - 0.005:
            parts.append(_stage_text(rec, name, float(before[i]), float(after[i]), i, cur))
    return "; ".join(parts)


def explain_support(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
                    params: Mapping[str, float] | None = None, *,
                    packs: Mapping[str, Pack] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The support table and its explanation, from one engine pass.

    Parameters are those of :func:`policies.engine.support_table`.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The support table (:data:`policies.items.ITEM_COLUMNS`) and the explanation
        (:data:`EXPLAIN_COLUMNS`): one row per option and rule of its pack in force on the date,
        sorted by option, then in pack order.  Options of jurisdiction ``none`` have no rows.
    """
    steps: list[dict[str, Any]] = []
    table = _support_table(options, enterprises, on_date, params, packs=packs, steps=steps)
    opts = options.reset_index(drop=True)
    eids = opts["enterprise_id"].to_numpy(dtype=object)
    oids = opts["option_id"].to_numpy(dtype=object) if "option_id" in opts.columns else np.arange(len(opts)).astype(str)
    out: list[dict[str, Any]] = []
    for rec in steps:
        rule, pack = rec["rule"], rec["pack"]
        cur = rec["cur"] = pack.meta.currency
        amount = np.where(rec["applies"], rec["amount"], 0.0)
        for i, row in enumerate(rec["rows"]):
            out.append({"row": int(row), "enterprise_id": eids[row], "option_id": oids[row], "pack": pack.code,
                        "rule_id": rule.id, "rule_name": rule.name, "kind": rule.kind, "applies": bool(rec["applies"][i]),
                        "amount": float(amount[i]), "reason": _reason(rec, i, cur)})
    frame = pd.DataFrame(out, columns=list(EXPLAIN_COLUMNS))
    if len(frame):
        frame = frame.sort_values("row", kind="stable").reset_index(drop=True)
        frame["applies"] = frame["applies"].astype(bool)
        frame["amount"] = frame["amount"].astype(float)
    return table, frame


def explain(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
            params: Mapping[str, float] | None = None, *, packs: Mapping[str, Pack] | None = None) -> pd.DataFrame:
    """Every rule in force for each option: applies, amount [currency] and the reason in words.

    See :func:`explain_support` (this returns its second table).
    """
    return explain_support(options, enterprises, on_date, params, packs=packs)[1]

"""Eligibility conditions of a rule, vectorised over options, each kept with what it read.

One implementation serves both the engine (which needs only the AND of the conditions) and the
explanation (:mod:`policies.explain`, which says in words which condition failed, with the value
read and the threshold).  A condition holds the rows that pass, and what it compared: the value
read per row (factor codes and labels for a text column, a float array for a number) and the
threshold or the allowed values.

Conditions, in the order a rule's ``eligibility`` block lists them (all must hold):

``size_classes``        the enterprise's size class is listed
``categories``          the option's category is listed
``requires_all``        each named environmental quantity is > 0 [unit/yr]
``requires_any``        at least one named quantity is > 0 [unit/yr]
``attributes``          the column's value is listed (a missing value fails)
``thresholds``          the numeric column >= the threshold (a missing value fails)
``min_investment``      eligible investment >= minimum [currency]
``max_investment``      eligible investment <= maximum [currency]
``min_payback_years``   investment / net annual savings >= minimum [yr] (never paying back passes)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from policies.kinds import Batch, Params
from policies.schema import Rule

__all__ = ["Condition", "conditions", "eligible"]


@dataclass(frozen=True)
class Condition:
    """One eligibility condition of a rule, evaluated on a batch.

    Attributes
    ----------
    kind : str
        The eligibility key (``size_classes``, ``categories``, ``requires_all``, ``requires_any``,
        ``attributes``, ``thresholds``, ``min_investment``, ``max_investment``, ``min_payback_years``).
    column : str
        The column (or quantity) read; for ``requires_any`` the names joined by ", ".
    passed : numpy.ndarray of bool
        Rows that meet the condition.
    values : numpy.ndarray or tuple
        What was read: a float array [unit of the column], or (codes, labels) of a text column
        (code -1 = missing).
    limit : Any
        The threshold [unit of the column] or the list of allowed values.
    """

    kind: str
    column: str
    passed: np.ndarray
    values: Any = None
    limit: Any = None
    present: bool = field(default=True)


def conditions(rule: Rule, p: Params, b: Batch) -> list[Condition]:
    """Every eligibility condition of ``rule`` on the batch ``b`` (parameters read through ``p``)."""
    e = rule.eligibility
    out: list[Condition] = []
    if e.size_classes is not None:
        out.append(Condition("size_classes", "size_class", b.isin("size_class", list(e.size_classes)),
                             b.factor("size_class"), list(e.size_classes), b.has("size_class")))
    if e.categories is not None:
        out.append(Condition("categories", "category", b.isin("category", list(e.categories)),
                             b.factor("category"), list(e.categories), b.has("category")))
    for q in e.requires_all:
        v = b.quantity(q)
        out.append(Condition("requires_all", q, v > 0, v, 0.0))
    if e.requires_any:
        vs = [b.quantity(q) for q in e.requires_any]
        out.append(Condition("requires_any", ", ".join(e.requires_any), np.logical_or.reduce([v > 0 for v in vs]), vs, 0.0))
    for col, values in e.attributes.items():
        out.append(Condition("attributes", col, b.isin(col, values), b.factor(col), list(values), b.has(col)))
    for col in e.thresholds:
        limit = p(f"eligibility.thresholds.{col}")
        v = b.numeric(col)
        out.append(Condition("thresholds", col, v >= limit, v, limit, b.has(col)))
    elig_inv = b.base("eligible_investment")
    if e.min_investment is not None:
        limit = p("eligibility.min_investment")
        out.append(Condition("min_investment", "eligible_investment", elig_inv >= limit, elig_inv, limit))
    if e.max_investment is not None:
        limit = p("eligibility.max_investment")
        out.append(Condition("max_investment", "eligible_investment", elig_inv <= limit, elig_inv, limit))
    if e.min_payback_years is not None:
        s = b.net_savings()
        with np.errstate(divide="ignore", invalid="ignore"):
            payback = np.where(s > 0, b.base("investment") / s, np.inf)
        limit = p("eligibility.min_payback_years")
        out.append(Condition("min_payback_years", "payback", payback >= limit, payback, limit))
    return out


def eligible(conds: list[Condition], n: int) -> np.ndarray:
    """Rows meeting every condition (all rows when there is none)."""
    ok = np.ones(n, dtype=bool)
    for c in conds:
        ok &= c.passed
    return ok

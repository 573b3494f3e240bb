"""The formulas, once: one per rate form and one per instrument kind, vectorised over options.

Every function works on numpy arrays holding one element per option, so the same code serves a
single option (a batch of one) and a million.  Numbers come from the rule through a
:class:`Params` reader, which records every parameter it is asked for: the code-health tests
use that record to fail on a parameter that a pack defines and no formula reads.

Rate forms (``rate.form``) turn the base [currency] into an amount [currency]:

``fixed``       amount = value x base
``range``       amount = r x base, r the programme parameter ``<rule id>.rate`` in [low, high]
                (default ``default``, else ``low``)
``by_type``     amount = (values[attribute] + bonus[size]) x base; rows whose attribute is not listed
                (and no ``default`` key) get NaN = not eligible
``size_bonus``  amount = (base rate + bonus[size]) x base
``lowest_of``   amount = min over terms; a term is share x base, share_by_size x base, per_unit x
                quantity (x lifetime, optionally discounted), base - floor x net annual savings
                (payback floor), or the highest of nested terms.

Kinds (``kind``) turn the amount into the fields of :class:`policies.items.SupportItem`:
grant, tax_deduction, tax_credit and soft_loan carry the amount; depreciation carries the base it
applies to and the first-year / later shares; tax_holiday carries 0 and its schedule.

References
----------
.. [1] NRCan ecoENERGY Retrofit: lowest of CAD 10/GJ saved per year, 25 % of cost net of other
   incentives, and annual savings x (payback - 1 yr) (programme-rule pattern in POLICY-FACTS).
.. [2] Erhvervspuljen, BEK nr. 599 af 4. juli 2024: the larger of DKK 0.10/kWh and DKK 500/t CO2
   per year over the measure's life, within an intensity cap by size.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from policies.schema import (
    ByTypeRate,
    Ceiling,
    FixedRate,
    LowestOfRate,
    RangeRate,
    Rule,
    SizeBonusRate,
    Term,
    iter_ranges,
    iter_values,
)

FloatArray = np.ndarray


class ParameterError(ValueError):
    """An unknown programme parameter, or a value outside its allowed range."""


@dataclass
class Params:
    """Reads a rule's numbers (with programme overrides) and records what was read.

    Parameters
    ----------
    rule : Rule
        The rule whose :class:`~policies.schema.Value` fields are the parameters, named by their
        dotted path (``rate.value``, ``caps.per_project``, ``rate.terms.per_gj.per_unit``).
    overrides : Mapping[str, float]
        Programme parameters for this rule, by path; a range rule also accepts ``rate``.
    """

    rule: Rule | Ceiling
    overrides: Mapping[str, float] = field(default_factory=dict)
    read: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        #: figures given as a range ("up to"): path -> (low, high, default)
        self.ranges = {path: (r.low.value, r.high.value, r.default.value) for path, r in iter_ranges(self.rule)}
        inside = tuple(f"{path}." for path in self.ranges)
        self.values = {path: v.value for path, v in iter_values(self.rule) if not path.startswith(inside)}
        self.values.update({path: d for path, (_, _, d) in self.ranges.items()})
        allowed = set(self.values) | ({"rate"} if isinstance(getattr(self.rule, "rate", None), RangeRate) else set())
        unknown = sorted(set(self.overrides) - allowed)
        if unknown:
            raise ParameterError(
                f"rule {self.rule.id}: unknown parameter(s) {unknown}; known: {sorted(allowed)}"
            )

    def has(self, path: str) -> bool:
        return path in self.values

    def __call__(self, path: str) -> float:
        self.read.add(path)
        if path in self.ranges:
            low, high, default = self.ranges[path]
            r = float(self.overrides.get(path, default))
            if not low <= r <= high:
                raise ParameterError(f"parameter {self.rule.id}.{path} = {r} is outside the range [{low}, {high}]")
            return r
        if path in self.overrides:
            return float(self.overrides[path])
        return self.values[path]

    def range_rate(self) -> float:
        """The programme rate of a range rule, checked against [low, high]."""
        low, high = self("rate.low"), self("rate.high")
        default = self("rate.default") if self.has("rate.default") else low
        self.read.add("rate")
        r = float(self.overrides.get("rate", default))
        if not low <= r <= high:
            raise ParameterError(f"parameter {self.rule.id}.rate = {r} is outside the range [{low}, {high}]")
        return r


class Batch:
    """Column access over the options of one pack (options' columns first, then the enterprise's).

    Parameters
    ----------
    frame : pandas.DataFrame
        The options (one row each).
    idx : numpy.ndarray, optional
        Positions of this pack's rows in ``frame`` (default: all rows).  Columns are converted
        once per frame (numbers to float arrays, text to factor codes) in ``shared`` and then
        taken at ``idx``, so that many packs over one frame convert each column once.
    shared : dict, optional
        The conversion cache shared between the batches of one frame.
    enterprises : pandas.DataFrame, optional
        One row per enterprise; its columns are read where the options lack them.
    pos : numpy.ndarray, optional
        Each option's row in ``enterprises``.
    """

    def __init__(self, frame: pd.DataFrame, idx: np.ndarray | None = None, shared: dict[str, Any] | None = None,
                 enterprises: pd.DataFrame | None = None, pos: np.ndarray | None = None) -> None:
        self.frame = frame
        self.enterprises = enterprises
        self.pos = pos
        self.idx = idx
        self.n = len(frame) if idx is None else int(idx.size)
        self._shared = {} if shared is None else shared
        self._cache: dict[str, Any] = {}

    def _take(self, a: np.ndarray) -> np.ndarray:
        return a if self.idx is None else a[self.idx]

    def _source(self, name: str) -> tuple[pd.Series, np.ndarray | None] | None:
        """The column and, for an enterprise column, each option's enterprise position."""
        if name in self.frame.columns:
            return self.frame[name], None
        if self.enterprises is not None and name in self.enterprises.columns:
            return self.enterprises[name], self.pos
        return None

    def has(self, name: str) -> bool:
        return self._source(name) is not None

    def numeric(self, name: str, default: float = np.nan) -> FloatArray:
        """Float column [unit of the column]; ``default`` where absent or missing."""
        key = f"num:{name}:{default}"
        if key not in self._cache:
            src = self._source(name)
            if src is not None:
                full = self._shared.get(f"num:{name}")
                if full is None:
                    col, pos = src
                    full = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                    full = full if pos is None else full[pos]
                    self._shared[f"num:{name}"] = full
                a = self._take(full)
                if not np.isnan(default):
                    a = np.where(np.isnan(a), default, a)
            else:
                a = np.full(self.n, default, dtype=float)
            self._cache[key] = a
        return self._cache[key]

    def factor(self, name: str) -> tuple[np.ndarray, list[str]]:
        """A column as (codes, labels): labels are strings (booleans as 'yes'/'no'); code -1 = missing."""
        if name not in self._cache:
            src = self._source(name)
            if src is None:
                self._cache[name] = (np.full(self.n, -1, dtype=np.int64), [])
            else:
                full = self._shared.get(f"fac:{name}")
                if full is None:
                    col, pos = src
                    codes, uniques = pd.factorize(col, use_na_sentinel=True)
                    labels = [("yes" if u else "no") if isinstance(u, (bool, np.bool_)) else str(u) for u in uniques]
                    codes = np.asarray(codes, dtype=np.int64)
                    full = (codes if pos is None else codes[pos], labels)
                    self._shared[f"fac:{name}"] = full
                self._cache[name] = (self._take(full[0]), full[1])
        return self._cache[name]

    def lookup(self, name: str, table: Mapping[str, float], missing_key: str | None = None) -> FloatArray:
        """Per-row ``table[value of column name]``; NaN where the value is not a key.

        Rows whose value is missing or '' use ``missing_key`` when given. [unit of the table]
        """
        codes, labels = self.factor(name)
        vals = np.array([table.get(lab, table.get(missing_key, np.nan) if (lab == "" and missing_key) else np.nan)
                         for lab in labels] + [table.get(missing_key, np.nan) if missing_key else np.nan], dtype=float)
        return vals[codes]  # code -1 picks the last entry: the missing value

    def isin(self, name: str, values: list[str]) -> np.ndarray:
        codes, labels = self.factor(name)
        allowed = np.array([lab in values for lab in labels] + [False], dtype=bool)
        return allowed[codes]

    def quantity(self, name: str) -> FloatArray:
        """An environmental quantity per year, 0 where missing. [unit in the name /yr]"""
        if name == "energy_saved_gj":
            return 3.6 * self.numeric("energy_saved_mwh", 0.0)
        if name == "energy_saved_kwh":
            return 1000.0 * self.numeric("energy_saved_mwh", 0.0)
        return self.numeric(name, 0.0)

    def base(self, of: str) -> FloatArray:
        """The base column [currency]; extra_investment_cost falls back to eligible_investment."""
        inv = self.numeric("investment", 0.0)
        elig = self.numeric("eligible_investment")
        elig = np.where(np.isnan(elig), inv, elig)
        if of == "investment":
            return inv
        if of == "eligible_investment":
            return elig
        extra = self.numeric("extra_investment_cost")
        return np.where(np.isnan(extra), elig, extra)

    def net_savings(self) -> FloatArray:
        """annual_savings - annual_cost_change. [currency/yr]"""
        return self.numeric("annual_savings", 0.0) - self.numeric("annual_cost_change", 0.0)

    def size_lookup(self, table: Mapping[str, float], fallback: float = 0.0) -> FloatArray:
        """Per-row value by size class; micro falls back to small (EU Rec. 2003/361/EC)."""
        t = dict(table)
        if "micro" not in t and "small" in t:
            t["micro"] = t["small"]
        a = self.lookup("size_class", t)
        return np.where(np.isnan(a), fallback, a)


# ---------------------------------------------------------------- rate forms


def rate_fixed(rate: FixedRate, p: Params, b: Batch, base: FloatArray) -> FloatArray:
    """amount = rate x base. [currency]"""
    return p("rate.value") * base


def rate_range(rate: RangeRate, p: Params, b: Batch, base: FloatArray) -> FloatArray:
    """amount = r x base, r the programme parameter in [low, high]. [currency]"""
    return p.range_rate() * base


def _bonus(bonus: Mapping[str, Any], p: Params, b: Batch, prefix: str) -> FloatArray:
    if not bonus:
        return np.zeros(b.n)
    table = {size: p(f"{prefix}.{size}") for size in bonus}
    return b.size_lookup(table, 0.0)


def rate_by_type(rate: ByTypeRate, p: Params, b: Batch, base: FloatArray) -> FloatArray:
    """amount = (values[attribute] + bonus[size]) x base; NaN where the type is not listed. [currency]"""
    table = {k: p(f"rate.values.{k}") for k in rate.values}
    r = b.lookup(rate.attribute, table, missing_key=rate.default)
    return (r + _bonus(rate.bonus, p, b, "rate.bonus")) * base


def rate_size_bonus(rate: SizeBonusRate, p: Params, b: Batch, base: FloatArray) -> FloatArray:
    """amount = (base rate + bonus[size]) x base. [currency]"""
    return (p("rate.base") + _bonus(rate.bonus, p, b, "rate.bonus")) * base


def term_amount(term: Term, prefix: str, p: Params, b: Batch, base: FloatArray) -> FloatArray:
    """One lowest-of term as an amount. [currency]"""
    path = f"{prefix}.{term.name}"
    if term.share is not None:
        return p(f"{path}.share") * base
    if term.share_by_size is not None:
        table = {s: p(f"{path}.share_by_size.{s}") for s in term.share_by_size}
        return b.size_lookup(table, np.nan) * base
    if term.per_unit is not None:
        assert term.of is not None
        amount = p(f"{path}.per_unit") * b.quantity(term.of)
        if term.over_lifetime:
            life = np.maximum(b.numeric("lifetime_years", 1.0), 1.0)
            if term.discount is not None:
                d = p(f"{path}.discount")
                # sum_{k=0}^{L-1} (1+d)^-k: the first year undiscounted
                factor = life if d == 0 else (1.0 - (1.0 + d) ** -life) / (1.0 - 1.0 / (1.0 + d))
            else:
                factor = life
            amount = amount * factor
        return amount
    if term.payback_floor is not None:
        s = b.net_savings()
        floor = p(f"{path}.payback_floor")
        return np.where(s > 0, np.maximum(base - floor * s, 0.0), base)
    assert term.highest_of is not None
    parts = [term_amount(t, path, p, b, base) for t in term.highest_of]
    return np.maximum.reduce(parts) if len(parts) > 1 else parts[0]


def rate_lowest_of(rate: LowestOfRate, p: Params, b: Batch, base: FloatArray) -> FloatArray:
    """amount = min over terms. [currency]"""
    parts = [term_amount(t, "rate.terms", p, b, base) for t in rate.terms]
    return np.minimum.reduce(parts) if len(parts) > 1 else parts[0]


RATE_FORMS: dict[str, Callable[[Any, Params, Batch, FloatArray], FloatArray]] = {
    "fixed": rate_fixed,
    "range": rate_range,
    "by_type": rate_by_type,
    "size_bonus": rate_size_bonus,
    "lowest_of": rate_lowest_of,
}

# ---------------------------------------------------------------- kinds

#: Item fields a kind sets (constants or arrays), beyond instrument_id/name/kind/year/amount.
KindFields = dict[str, Any]


def _gross(rule: Rule, p: Params, b: Batch, base: FloatArray) -> FloatArray:
    assert rule.rate is not None
    return RATE_FORMS[rule.rate.form](rule.rate, p, b, base)


def kind_grant(rule: Rule, p: Params, b: Batch, base: FloatArray) -> tuple[FloatArray, KindFields]:
    """Cash grant: amount = rate form x base; taxable and base-reducing as the rule says. [currency]"""
    return _gross(rule, p, b, base), {"taxable": rule.taxable, "reduces_depreciation_base": rule.reduces_depreciation_base}


def kind_tax_deduction(rule: Rule, p: Params, b: Batch, base: FloatArray) -> tuple[FloatArray, KindFields]:
    """Deduction from taxable profit on top of depreciation: amount = rate form x base. [currency]"""
    return _gross(rule, p, b, base), {"reduces_depreciation_base": rule.reduces_depreciation_base}


def kind_tax_credit(rule: Rule, p: Params, b: Batch, base: FloatArray) -> tuple[FloatArray, KindFields]:
    """Credit against tax payable: amount = rate form x base, carried forward as the rule says. [currency]"""
    cf: int | None = None
    if rule.credit is not None and rule.credit.carry_forward_years is not None:
        cf = int(p("credit.carry_forward_years"))
    return _gross(rule, p, b, base), {"carry_forward_years": cf, "reduces_depreciation_base": rule.reduces_depreciation_base}


def kind_depreciation(rule: Rule, p: Params, b: Batch, base: FloatArray) -> tuple[FloatArray, KindFields]:
    """Free or accelerated depreciation: amount = the base it applies to. [currency]"""
    assert rule.depreciation is not None
    later = p("depreciation.later_share") if rule.depreciation.later_share is not None else np.nan
    return base.copy(), {"first_year_share": p("depreciation.first_year_share"), "later_share": later}


def kind_tax_holiday(rule: Rule, p: Params, b: Batch, base: FloatArray) -> tuple[FloatArray, KindFields]:
    """Tax holiday / reduced rate: amount 0, the value is the tax not paid (finance computes it)."""
    return np.zeros(b.n), {
        "exempt_years": int(p("holiday.exempt_years")),
        "reduced_years": int(p("holiday.reduced_years")),
        "reduced_factor": p("holiday.reduced_factor"),
    }


def kind_soft_loan(rule: Rule, p: Params, b: Batch, base: FloatArray) -> tuple[FloatArray, KindFields]:
    """Soft loan: principal = rate form x base, repaid over loan_years at loan_rate. [currency]"""
    return _gross(rule, p, b, base), {"loan_rate": p("loan.loan_rate"), "loan_years": int(p("loan.loan_years"))}


KINDS: dict[str, Callable[[Rule, Params, Batch, FloatArray], tuple[FloatArray, KindFields]]] = {
    "grant": kind_grant,
    "tax_deduction": kind_tax_deduction,
    "tax_credit": kind_tax_credit,
    "depreciation": kind_depreciation,
    "tax_holiday": kind_tax_holiday,
    "soft_loan": kind_soft_loan,
}

#: Kinds whose amount is aid in cash terms for an aid-intensity ceiling ("grant equivalent"):
#: grant and tax credit count in full, a deduction at the enterprise's tax rate.  Depreciation,
#: holidays and loans are not counted (their grant equivalent needs a cash-flow model).
GRANT_EQUIVALENT_FACTOR: dict[str, str] = {"grant": "one", "tax_credit": "one", "tax_deduction": "tax_rate"}


def cumulative_cap(amount: FloatArray, group: np.ndarray, cap: float) -> FloatArray:
    """Cap the running total of ``amount`` within each group, in row order.

    capped_i = clip(cap - S_{i-1}, 0, a_i), S_{i-1} the running sum of the group's earlier rows:
    the earlier rows are served first and what remains under the cap goes to the next (a row
    the cap does not touch keeps its amount exactly). [currency]
    """
    if amount.size == 0:
        return amount
    # 16-bit keys where the codes fit: numpy's stable sort is then a radix sort (700,000 options: 0.025 s,
    # its timsort of int64 0.09 s), and a stable sort's order depends only on how the keys compare
    fits = group.dtype.kind in "iu" and int(group.min()) >= 0 and int(group.max()) <= np.iinfo(np.uint16).max
    order = np.argsort(group.astype(np.uint16) if fits else group, kind="stable")
    a = amount[order]
    g = group[order]
    cs = np.cumsum(a)
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    offset = np.repeat(np.r_[0.0, cs[starts[1:] - 1]], np.diff(np.r_[starts, a.size]))
    before = cs - offset - a
    before[starts] = 0.0
    out = np.empty_like(amount)
    out[order] = np.clip(cap - before, 0.0, a)
    return out

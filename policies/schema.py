"""Strict schema and loader of the policy packs (rules as data).

A pack is a folder ``policies/packs/<CODE>/`` holding

``pack.yaml``
    code, name, currency, version (ISO date of the last change), the named ``sources`` the pack
    cites, and the tax regime (corporate income tax rates by date, loss carry-forward).
``rules.yaml``
    ``rules:`` the support instruments, in evaluation order, and ``ceilings:`` aid-intensity
    ceilings other packs respect (the EU pack's GBER articles).
``cases/*.yaml``
    test cases run by ``tests/policies/test_pack_cases.py``.

Every number is a :class:`Value`: ``{value: 0.40, ref: <source id>}``, optionally with
``unverified: <reason>``.  A bare number where a value is expected is refused ("a value without
a reference"), as are unknown keys (``extra="forbid"`` everywhere), duplicate keys, dates that are
not ISO ``YYYY-MM-DD`` calendar dates and references to sources the pack does not declare.  Every
error names the file, the rule id and the field path.

Dates stay ISO strings (the YAML loader does not turn them into ``datetime.date``); they are
checked with :meth:`datetime.date.fromisoformat`.

Option categories and environmental fields map to eligibility through data: a rule lists the
``categories`` and ``size_classes`` it accepts, ``requires_all`` / ``requires_any`` name
environmental columns that must be positive (an "energy list" asset is modelled as
``energy_saved_mwh > 0``), ``attributes`` name option or enterprise columns whose value must be
in a list, and ``thresholds`` name numeric columns that must reach a minimum.

References
----------
.. [1] OpenFisca country template, ``parameters/benefits/basic_income.yaml`` (values dated and
   referenced).
.. [2] PolicyEngine UK, ``tests/code_health/`` (unknown keys and unreferenced values refused).
"""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

SIZE_CLASSES: tuple[str, ...] = ("micro", "small", "medium", "large")
CATEGORIES: tuple[str, ...] = (
    "good_housekeeping", "input_substitution", "process_control", "equipment_modification",
    "technology_change", "onsite_recovery", "byproduct", "product_modification", "end_of_pipe",
)
#: Environmental quantities a rule can name: option columns plus unit conversions of them.
#: energy_saved_gj = 3.6 x energy_saved_mwh; energy_saved_kwh = 1000 x energy_saved_mwh.
QUANTITIES: tuple[str, ...] = (
    "energy_saved_mwh", "energy_saved_gj", "energy_saved_kwh", "co2e_avoided_t", "waste_avoided_t",
    "water_saved_m3",
)
#: Option columns a rule's base can be taken from.  ``extra_investment_cost`` (optional column:
#: cost over the counterfactual investment) falls back to ``eligible_investment`` where absent.
BASES: tuple[str, ...] = ("eligible_investment", "investment", "extra_investment_cost")
KINDS: tuple[str, ...] = ("grant", "tax_deduction", "tax_credit", "depreciation", "tax_holiday", "soft_loan")

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


class PackError(ValueError):
    """A pack file is invalid; the message names the file, the rule and the field."""


def _iso_date(v: object) -> str:
    if not isinstance(v, str) or not _ISO.match(v):
        raise ValueError(f"expected an ISO date 'YYYY-MM-DD' (quoted or not), got {v!r}")
    try:
        date.fromisoformat(v)
    except ValueError as exc:
        raise ValueError(f"{v!r} is not a calendar date ({exc})") from None
    return v


def _iso_date_or_month(v: object) -> str:
    if not isinstance(v, str) or not _ISO_MONTH.match(v):
        raise ValueError(f"expected 'YYYY-MM' or 'YYYY-MM-DD', got {v!r}")
    if len(v) == 10:
        _iso_date(v)
    elif not 1 <= int(v[5:7]) <= 12:
        raise ValueError(f"{v!r} has no such month")
    return v


IsoDate = Annotated[str, BeforeValidator(_iso_date)]
ReadDate = Annotated[str, BeforeValidator(_iso_date_or_month)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Value(_Strict):
    """A referenced number: ``{value: 0.4, ref: rvo-eia}``.

    Attributes
    ----------
    value : float
        The figure, in the unit the field documents ([/1] for rates, currency for amounts).
    ref : str
        Id of a source declared in the pack's ``sources``.
    unverified : str or None
        Why the figure could not be confirmed; shown in the UI wherever the figure is used.
    """

    value: float
    ref: str
    unverified: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _needs_reference(cls, data: Any) -> Any:
        if isinstance(data, bool) or isinstance(data, (int, float)):
            raise ValueError(f"a value without a reference: write {{value: {data}, ref: <source id>}}")
        if isinstance(data, dict) and "value" in data and "ref" not in data:
            raise ValueError(f"a value without a reference: value {data['value']!r} has no 'ref'")
        return data

    @field_validator("value")
    @classmethod
    def _non_negative(cls, v: float) -> float:
        if not v >= 0:  # also refuses NaN; .inf is allowed (e.g. loss carry-forward without limit)
            raise ValueError(f"expected a number >= 0, got {v}")
        return v


class Source(_Strict):
    """A legal or official text a pack cites."""

    title: str
    article: str = ""
    url: str
    date_read: ReadDate
    unverified: str | None = None

    @model_validator(mode="after")
    def _url_or_flag(self) -> "Source":
        if not self.url and not self.unverified:
            raise ValueError("a source without a URL must say why in 'unverified'")
        return self


class RangeValue(_Strict):
    """A figure the law gives as a ceiling ("up to 60 %") or a span: a programme parameter.

    Written ``{low: {..}, high: {..}, default: {..}}`` where a :class:`Value` is expected; the
    figure used is ``default`` unless the programme parameter ``<rule id>.<path>`` sets another
    value in [low, high] (e.g. ``DE-ESTG-7D.depreciation.first_year_share``).  The default is
    always stated, so the appraisal says which figure it assumed.
    """

    low: Value
    high: Value
    default: Value

    @model_validator(mode="after")
    def _ordered(self) -> "RangeValue":
        if self.low.value > self.high.value:
            raise ValueError(f"low {self.low.value} > high {self.high.value}")
        if not self.low.value <= self.default.value <= self.high.value:
            raise ValueError(f"default {self.default.value} outside [{self.low.value}, {self.high.value}]")
        return self


def _figure_kind(v: Any) -> str:
    """Which model a figure is written in: a range names low/high/default, a value does not."""
    if isinstance(v, RangeValue) or (isinstance(v, dict) and {"low", "high", "default"} & set(v)):
        return "figure_range"
    return "figure"


#: A figure a rule states exactly (:class:`Value`) or as a ceiling or span (:class:`RangeValue`).
Figure = Annotated[Annotated[Value, Tag("figure")] | Annotated[RangeValue, Tag("figure_range")],
                   Discriminator(_figure_kind)]


class RateEntry(_Strict):
    """A corporate income tax rate in force from a date (until the next entry)."""

    from_: IsoDate = Field(alias="from")
    rate: Value
    note: str = ""


class LossEntry(_Strict):
    """A loss carry-forward limit in force from a date (until the next entry). [yr]"""

    from_: IsoDate = Field(alias="from")
    years: Value
    note: str = ""


def _dated(v: list[Any], what: str) -> list[Any]:
    starts = [e.from_ for e in v]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise ValueError(f"{what} entries must be in increasing, distinct 'from' order, got {starts}")
    return v


class PercentTable(_Strict):
    """A published table of yearly shares in percent of the cost, with its source:
    ``{percent: [33.33, 44.45, 14.81, 7.41], ref: irs-p946}`` (year 1 first). [%]"""

    percent: list[float] = Field(min_length=1)
    ref: str
    unverified: str | None = None

    @field_validator("percent")
    @classmethod
    def _sums_to_100(cls, v: list[float]) -> list[float]:
        if any(not (0 <= x <= 100) for x in v):
            raise ValueError(f"every share must be in 0..100 %, got {v}")
        if abs(math.fsum(v) - 100.0) > 1e-9:
            raise ValueError(f"the shares must sum to 100 %, got {math.fsum(v):.6f} %")
        return v


class DepreciationEntry(_Strict):
    """How an asset class is depreciated for tax, for assets acquired from a date (until the next entry).

    ``method``: ``straight_line`` (over ``years``, default the option's ``depreciation_years``),
    ``declining_balance`` (``rate`` of the remaining book value a year, or with ``multiple`` the
    lower of ``multiple`` x the straight-line rate and ``rate``; a ``first_year`` allowance in
    year 1 instead; ``switch_to_straight_line`` takes the remaining book value over the remaining
    years when that is more), or ``table`` (the published yearly shares ``shares``).  The book
    value left at the end of the option's life is written off then (DESIGN.md section 3).
    """

    from_: IsoDate = Field(alias="from")
    method: Literal["straight_line", "declining_balance", "table"]
    rate: Value | None = None
    multiple: Value | None = None
    first_year: Value | None = None
    switch_to_straight_line: bool = False
    years: Value | None = None
    shares: PercentTable | None = None
    note: str = ""

    @model_validator(mode="after")
    def _fields_of_method(self) -> "DepreciationEntry":
        given = {k for k in ("rate", "multiple", "first_year", "years", "shares") if getattr(self, k) is not None}
        allowed = {"straight_line": {"years"}, "table": {"shares"},
                   "declining_balance": {"rate", "multiple", "first_year", "years"}}[self.method]
        extra = sorted(given - allowed)
        if extra:
            raise ValueError(f"method {self.method!r} reads no {extra} (it would change nothing)")
        if self.method == "table" and self.shares is None:
            raise ValueError("method 'table' needs 'shares'")
        if self.method == "declining_balance" and self.rate is None:
            raise ValueError("method 'declining_balance' needs 'rate' (the cap where 'multiple' is given)")
        if self.switch_to_straight_line and self.method != "declining_balance":
            raise ValueError("switch_to_straight_line applies to method 'declining_balance' only")
        if self.years is not None and not (self.years.value >= 1 and float(self.years.value).is_integer()):
            raise ValueError(f"years must be an integer >= 1, got {self.years.value}")
        for name in ("rate", "first_year"):
            v = getattr(self, name)
            if v is not None and v.value > 1:
                raise ValueError(f"{name} is a share of the cost in 0..1, got {v.value}")
        return self


class TaxRegime(_Strict):
    """Corporate income tax of a jurisdiction.

    ``corporate_rate`` holds the main (marginal, top) rate by date; lower bands for small profits
    are described in ``note`` and not applied (an investment's incremental profit is taxed at the
    enterprise's marginal rate).  The schedule covers the dates from its first entry on: a pack
    whose rules start earlier fails the code-health test.  ``loss_carry_forward_years`` is one
    value or a dated list (``{from, years}``); ``.inf`` means without limit.
    """

    corporate_rate: list[RateEntry] = Field(min_length=1)
    loss_carry_forward_years: Value | list[LossEntry] | None = None
    depreciation: dict[str, list[DepreciationEntry]] = Field(default_factory=dict)
    note: str = ""

    @field_validator("depreciation")
    @classmethod
    def _sorted_classes(cls, v: dict[str, list[DepreciationEntry]]) -> dict[str, list[DepreciationEntry]]:
        for name, entries in v.items():
            if not entries:
                raise ValueError(f"depreciation class {name!r} needs at least one entry")
            _dated(entries, f"depreciation.{name}")
        return v

    @field_validator("corporate_rate")
    @classmethod
    def _sorted(cls, v: list[RateEntry]) -> list[RateEntry]:
        return _dated(v, "corporate_rate")

    @field_validator("loss_carry_forward_years")
    @classmethod
    def _sorted_losses(cls, v: Value | list[LossEntry] | None) -> Value | list[LossEntry] | None:
        if isinstance(v, list):
            if not v:
                raise ValueError("a dated loss_carry_forward_years needs at least one entry")
            return _dated(v, "loss_carry_forward_years")
        return v


class PackMeta(_Strict):
    """Contents of ``pack.yaml``."""

    code: str
    name: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    version: IsoDate
    description: str = ""
    sources: dict[str, Source] = Field(min_length=1)
    tax: TaxRegime | None = None
    aid_ceiling_pack: str | None = None


# ---------------------------------------------------------------- rates


class FixedRate(_Strict):
    """A single rate. [/1]"""

    form: Literal["fixed"]
    value: Value


class RangeRate(_Strict):
    """A range whose value is a programme parameter (``<rule id>.rate``); default ``default`` or ``low``."""

    form: Literal["range"]
    low: Value
    high: Value
    default: Value | None = None

    @model_validator(mode="after")
    def _ordered(self) -> "RangeRate":
        if self.low.value > self.high.value:
            raise ValueError(f"low {self.low.value} > high {self.high.value}")
        if self.default is not None and not self.low.value <= self.default.value <= self.high.value:
            raise ValueError(f"default {self.default.value} outside [{self.low.value}, {self.high.value}]")
        return self


class ByTypeRate(_Strict):
    """A rate by the value of an option (or enterprise) column, e.g. ``project_type`` or ``size_class``.

    Rows whose value is not in ``values`` (and no ``default`` key) are not eligible.  ``bonus``
    optionally adds points by size class.  A value the law gives as "up to" is a
    :class:`RangeValue` (programme parameter ``<rule id>.rate.values.<key>``).
    """

    form: Literal["by_type"]
    attribute: str
    values: dict[str, Figure] = Field(min_length=1)
    default: str | None = None
    bonus: dict[str, Value] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> "ByTypeRate":
        if self.default is not None and self.default not in self.values:
            raise ValueError(f"default {self.default!r} is not one of the keys {sorted(self.values)}")
        bad = set(self.bonus) - set(SIZE_CLASSES)
        if bad:
            raise ValueError(f"bonus keys {sorted(bad)} are not size classes {SIZE_CLASSES}")
        return self


class SizeBonusRate(_Strict):
    """A base rate plus points by size class (sizes without a bonus get the base)."""

    form: Literal["size_bonus"]
    base: Value
    bonus: dict[str, Value] = Field(min_length=1)

    @field_validator("bonus")
    @classmethod
    def _sizes(cls, v: dict[str, Value]) -> dict[str, Value]:
        bad = set(v) - set(SIZE_CLASSES)
        if bad:
            raise ValueError(f"bonus keys {sorted(bad)} are not size classes {SIZE_CLASSES}")
        return v


class Term(_Strict):
    """One term of a lowest-of formula (an amount [currency], not a rate).

    Exactly one of:

    ``share``
        share x base. [/1]
    ``share_by_size``
        share by size class x base ("micro" falls back to "small", EU Recommendation 2003/361/EC).
    ``per_unit``
        amount per unit x the option's quantity ``of`` (see :data:`QUANTITIES`), per year, times the
        lifetime when ``over_lifetime`` (discounted at ``discount`` per year, first year undiscounted).
    ``payback_floor``
        base - floor x net annual savings: support that leaves a payback of at least ``floor`` years.
    ``highest_of``
        the largest of nested terms.
    """

    name: str = Field(pattern=_ID.pattern)
    share: Value | None = None
    share_by_size: dict[str, Value] | None = None
    per_unit: Value | None = None
    of: str | None = None
    over_lifetime: bool = False
    discount: Value | None = None
    payback_floor: Value | None = None
    highest_of: list["Term"] | None = None

    @model_validator(mode="after")
    def _one(self) -> "Term":
        given = [k for k in ("share", "share_by_size", "per_unit", "payback_floor", "highest_of") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"term {self.name!r} needs exactly one of share, share_by_size, per_unit, payback_floor, highest_of; got {given}")
        if self.per_unit is not None and self.of not in QUANTITIES:
            raise ValueError(f"term {self.name!r}: 'of' must be one of {QUANTITIES}, got {self.of!r}")
        if self.per_unit is None and (self.of is not None or self.over_lifetime or self.discount is not None):
            raise ValueError(f"term {self.name!r}: of/over_lifetime/discount belong to per_unit terms")
        if self.share_by_size is not None and set(self.share_by_size) - set(SIZE_CLASSES):
            raise ValueError(f"term {self.name!r}: share_by_size keys must be size classes {SIZE_CLASSES}")
        return self


class LowestOfRate(_Strict):
    """The lowest of several terms (each an amount); the 'rate' is implied."""

    form: Literal["lowest_of"]
    terms: list[Term] = Field(min_length=1)

    @field_validator("terms")
    @classmethod
    def _distinct(cls, v: list[Term]) -> list[Term]:
        names = [t.name for t in v]
        if len(set(names)) != len(names):
            raise ValueError(f"term names must be distinct, got {names}")
        return v


Rate = Annotated[FixedRate | RangeRate | ByTypeRate | SizeBonusRate | LowestOfRate, Field(discriminator="form")]

# ---------------------------------------------------------------- rule blocks


class Eligibility(_Strict):
    """Who and what qualifies (all given conditions must hold)."""

    size_classes: list[Literal["micro", "small", "medium", "large"]] | None = None
    categories: list[str] | None = None
    requires_all: list[str] = Field(default_factory=list)
    requires_any: list[str] = Field(default_factory=list)
    attributes: dict[str, list[str]] = Field(default_factory=dict)
    thresholds: dict[str, Value] = Field(default_factory=dict)
    min_investment: Value | None = None
    max_investment: Value | None = None
    min_payback_years: Value | None = None

    @model_validator(mode="after")
    def _names(self) -> "Eligibility":
        bad = set(self.categories or ()) - set(CATEGORIES)
        if bad:
            raise ValueError(f"unknown categories {sorted(bad)}; known: {CATEGORIES}")
        bad = set(self.requires_all) | set(self.requires_any)
        bad -= set(QUANTITIES)
        if bad:
            raise ValueError(f"unknown quantities {sorted(bad)}; known: {QUANTITIES}")
        return self



def _known_base(v: str, name: str) -> str:
    """``v`` when it names a known base; else the error naming the field ``name``."""
    if v not in BASES:
        raise ValueError(f"{name} must be one of {BASES}, got {v!r}")
    return v

class Base(_Strict):
    """What the rate applies to. [currency]"""

    of: str = "eligible_investment"
    net_of: list[str] = Field(default_factory=list)
    net_of_external: bool = False

    @field_validator("of")
    @classmethod
    def _of(cls, v: str) -> str:
        return _known_base(v, "base 'of'")


class Caps(_Strict):
    """Limits on the amount [currency]; per enterprise and per year are cumulative in frame order."""

    per_project: Value | None = None
    per_enterprise: Value | None = None
    per_year: Value | None = None
    investment_per_year: Value | None = None
    min_aid: Value | None = None


class Timing(_Strict):
    """When the amount arises: ``year`` 0 = up front, 1 = first operating year; spread evenly."""

    year: int = Field(default=0, ge=0)
    spread_years: int = Field(default=1, ge=1)


class Stacking(_Strict):
    """Cumulation: instruments not allowed on the same asset, and the aid ceiling respected."""

    excludes: list[str] = Field(default_factory=list)
    aid_ceiling: str | None = None


class DepreciationBlock(_Strict):
    """Shares of the base depreciated in year 1 and in each later year [/1]; "up to" as a :class:`RangeValue`."""

    first_year_share: Figure
    later_share: Figure | None = None


class HolidayBlock(_Strict):
    exempt_years: Value
    reduced_years: Value
    reduced_factor: Value


class CreditBlock(_Strict):
    carry_forward_years: Value | None = None


class LoanBlock(_Strict):
    loan_rate: Value
    loan_years: Value


class Rule(_Strict):
    """One support instrument, dated and referenced."""

    id: str = Field(pattern=_ID.pattern)
    name: str
    kind: Literal["grant", "tax_deduction", "tax_credit", "depreciation", "tax_holiday", "soft_loan"]
    valid_from: IsoDate
    valid_to: IsoDate | None = None
    source: str
    sources: list[str] = Field(default_factory=list)
    unverified: str | None = None
    note: str = ""
    eligibility: Eligibility = Field(default_factory=Eligibility)
    rate: Rate | None = None
    base: Base = Field(default_factory=Base)
    caps: Caps = Field(default_factory=Caps)
    timing: Timing = Field(default_factory=Timing)
    taxable: bool = False
    reduces_depreciation_base: bool = False
    stacking: Stacking = Field(default_factory=Stacking)
    depreciation: DepreciationBlock | None = None
    holiday: HolidayBlock | None = None
    credit: CreditBlock | None = None
    loan: LoanBlock | None = None

    @model_validator(mode="after")
    def _consistent(self) -> "Rule":
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        needs_rate = self.kind in ("grant", "tax_deduction", "tax_credit", "soft_loan")
        if needs_rate and self.rate is None:
            raise ValueError(f"kind {self.kind!r} needs a 'rate'")
        block = {"depreciation": "depreciation", "tax_holiday": "holiday", "soft_loan": "loan"}.get(self.kind)
        if block is not None and getattr(self, block) is None:
            raise ValueError(f"kind {self.kind!r} needs a '{block}' block")
        return self


class Ceiling(_Strict):
    """An aid-intensity ceiling: allowed intensity = min(cap, base + size bonus) of the ceiling's base."""

    id: str = Field(pattern=_ID.pattern)
    measure: str
    name: str
    valid_from: IsoDate
    valid_to: IsoDate | None = None
    source: str
    unverified: str | None = None
    note: str = ""
    intensity: SizeBonusRate
    cap: Value | None = None
    base_of: str = "extra_investment_cost"

    @field_validator("base_of")
    @classmethod
    def _of(cls, v: str) -> str:
        return _known_base(v, "base_of")


class Case(_Strict):
    """A YAML test case: options of one enterprise appraised on a date; the exact items expected."""

    name: str
    why: str
    date: IsoDate
    params: dict[str, float] = Field(default_factory=dict)
    enterprise: dict[str, Any]
    options: list[dict[str, Any]] = Field(min_length=1)
    expected: list[dict[str, Any]]
    tax_rate: float | None = None


# ---------------------------------------------------------------- the YAML loader


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: object, line: int) -> None:
        super().__init__(f"duplicate key {key!r} at line {line}")
        self.key = key
        self.line = line


class StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when installed: the same nodes, 10x faster
    """SafeLoader that refuses duplicate keys and keeps dates as strings."""


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in out:
            raise DuplicateKeyError(key, key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=deep)
    return out


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _rule_id_at_line(text: str, line: int) -> str:
    """Id of the rule (list item under rules/ceilings) whose lines contain ``line`` (1-based)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return "?"
    if not isinstance(root, yaml.MappingNode):
        return "?"
    for _k, seq in root.value:
        if isinstance(seq, yaml.SequenceNode):
            for item in seq.value:
                if item.start_mark.line + 1 <= line <= item.end_mark.line + 1 and isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        if getattr(k, "value", None) in ("id", "name") and isinstance(v, yaml.ScalarNode):
                            return str(v.value)
    return "-"


def read_yaml(path: Path) -> Any:
    """Parse a YAML file strictly; errors name the file, the rule and the key."""
    text = path.read_text(encoding="utf-8")
    try:
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except DuplicateKeyError as exc:
        rule = _rule_id_at_line(text, exc.line)
        raise PackError(f"{path}: rule {rule}: field {exc.key}: duplicate key at line {exc.line}") from None
    except yaml.YAMLError as exc:
        raise PackError(f"{path}: rule -: field -: not valid YAML ({exc})") from None


#: Union member tags pydantic puts in error locations; left out of the field path shown.
_UNION_TAGS = ("fixed", "range", "by_type", "size_bonus", "lowest_of", "figure", "figure_range", "Value", "list[LossEntry]")


def _fmt(path: Path, rule: str, exc: ValidationError) -> PackError:
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"] if not (isinstance(p, str) and p in _UNION_TAGS))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (not in the schema)"
        parts.append(f"{path}: rule {rule}: field {loc or '-'}: {msg}")
    return PackError("\n".join(parts))


def validate(model: type[BaseModel], data: Any, path: Path, rule: str) -> Any:
    """Validate ``data`` against ``model``; a :class:`PackError` names file, rule and field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _fmt(path, rule, exc) from None


_VALUES_CACHE: dict[tuple[int, str], tuple[BaseModel, list[tuple[str, "Value"]]]] = {}


def _collect(model: BaseModel, prefix: str, leaf: type, stop: tuple[type, ...] = ()) -> list[tuple[str, Any]]:
    """Every ``leaf`` in a model with its dotted path, not descending into ``stop`` types."""
    out: list[tuple[str, Any]] = []

    def walk(obj: Any, path: str) -> None:
        if isinstance(obj, leaf):
            out.append((path, obj))
        elif stop and isinstance(obj, stop):
            return
        elif isinstance(obj, Term):
            for name in type(obj).model_fields:
                walk(getattr(obj, name), f"{path}.{obj.name}.{name}" if name != "highest_of" else f"{path}.{obj.name}")
        elif isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                walk(getattr(obj, name), f"{path}.{name}" if path else name)
        elif isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{path}.{k}")
        elif isinstance(obj, list):
            for v in obj:
                walk(v, path)

    walk(model, prefix)
    return out


def iter_ranges(model: BaseModel, prefix: str = "") -> list[tuple[str, RangeValue]]:
    """Every :class:`RangeValue` in a model, with its dotted path (``depreciation.first_year_share``)."""
    return _collect(model, prefix, RangeValue, (Value,))


def iter_values(model: BaseModel, prefix: str = "") -> list[tuple[str, Value]]:
    """Every :class:`Value` in a model, with its dotted path (``rate.values.applied``).

    Models are frozen, so the walk is cached per model object.
    """
    key = (id(model), prefix)
    hit = _VALUES_CACHE.get(key)
    if hit is not None and hit[0] is model:
        return hit[1]
    out = _collect(model, prefix, Value)
    if len(_VALUES_CACHE) > 10000:
        _VALUES_CACHE.clear()
    _VALUES_CACHE[key] = (model, out)
    return out


# ---------------------------------------------------------------- a loaded pack


class Pack(_Strict):
    """A validated pack: its metadata, rules (in evaluation order) and ceilings."""

    meta: PackMeta
    rules: tuple[Rule, ...]
    ceilings: tuple[Ceiling, ...] = ()
    folder: str

    @property
    def code(self) -> str:
        return self.meta.code

    @property
    def version(self) -> str:
        return self.meta.version

    def source_text(self, source_id: str) -> str:
        s = self.meta.sources[source_id]
        return ", ".join(p for p in (s.title, s.article, s.url) if p)

    def unverified_reasons(self, rule: Rule | Ceiling) -> list[str]:
        """Every reason a rule's figures are unverified: the rule's, its sources' and its values'."""
        reasons: list[str] = []
        if rule.unverified:
            reasons.append(rule.unverified)
        ids = [rule.source] + list(getattr(rule, "sources", []))
        for path, v in iter_values(rule):
            ids.append(v.ref)
            if v.unverified:
                reasons.append(f"{path}: {v.unverified}")
        for sid in dict.fromkeys(ids):
            s = self.meta.sources[sid]
            if s.unverified:
                reasons.append(f"source {sid}: {s.unverified}")
        return list(dict.fromkeys(reasons))


def load_pack(folder: Path) -> Pack:
    """Load and validate one pack folder (``pack.yaml`` + ``rules.yaml``).

    Raises
    ------
    PackError
        Naming the file, the rule id and the field path of every problem.
    """
    folder = Path(folder)
    meta_path = folder / "pack.yaml"
    meta = validate(PackMeta, read_yaml(meta_path), meta_path, "-")
    if meta.code != folder.name:
        raise PackError(f"{meta_path}: rule -: field code: {meta.code!r} differs from the folder name {folder.name!r}")
    if meta.tax is not None:
        for path, v in iter_values(meta.tax, "tax"):
            if v.ref not in meta.sources:
                raise PackError(f"{meta_path}: rule -: field {path}.ref: unknown source {v.ref!r}; declared: {sorted(meta.sources)}")
        for name, entries in meta.tax.depreciation.items():
            for e in entries:
                if e.shares is not None and e.shares.ref not in meta.sources:
                    raise PackError(f"{meta_path}: rule -: field tax.depreciation.{name}.shares.ref: unknown source "
                                    f"{e.shares.ref!r}; declared: {sorted(meta.sources)}")
    rules_path = folder / "rules.yaml"
    raw = read_yaml(rules_path) if rules_path.exists() else {}
    if not isinstance(raw, dict) or set(raw) - {"rules", "ceilings"}:
        raise PackError(f"{rules_path}: rule -: field {sorted(set(raw) - {'rules', 'ceilings'}) if isinstance(raw, dict) else '-'}: "
                        "the file must be a mapping with 'rules' and/or 'ceilings' lists")
    rules: list[Rule] = []
    ceilings: list[Ceiling] = []
    for key, model, out in (("rules", Rule, rules), ("ceilings", Ceiling, ceilings)):
        items = raw.get(key) or []
        if not isinstance(items, list):
            raise PackError(f"{rules_path}: rule -: field {key}: expected a list")
        for i, item in enumerate(items):
            rid = str(item.get("id", f"#{i}")) if isinstance(item, dict) else f"#{i}"
            obj = validate(model, item, rules_path, rid)
            for path, v in iter_values(obj):
                if v.ref not in meta.sources:
                    raise PackError(f"{rules_path}: rule {rid}: field {path}.ref: unknown source {v.ref!r}; declared: {sorted(meta.sources)}")
            for sid in [obj.source] + list(getattr(obj, "sources", [])):
                if sid not in meta.sources:
                    raise PackError(f"{rules_path}: rule {rid}: field source: unknown source {sid!r}; declared: {sorted(meta.sources)}")
            out.append(obj)
    ids = [r.id for r in rules] + [c.id for c in ceilings]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise PackError(f"{rules_path}: rule {dup[0]}: field id: duplicate rule id")
    known = {r.id for r in rules}
    for i, r in enumerate(rules):
        earlier = {x.id for x in rules[:i]}
        for other in r.stacking.excludes:
            if other not in known:
                raise PackError(f"{rules_path}: rule {r.id}: field stacking.excludes: unknown rule {other!r}")
        for other in r.base.net_of:
            if other not in earlier:
                raise PackError(f"{rules_path}: rule {r.id}: field base.net_of: {other!r} is not a rule listed before this one")
        if r.stacking.aid_ceiling is not None and meta.aid_ceiling_pack is None and not any(c.measure == r.stacking.aid_ceiling for c in ceilings):
            raise PackError(f"{rules_path}: rule {r.id}: field stacking.aid_ceiling: the pack names no aid_ceiling_pack")
    return Pack(meta=meta, rules=tuple(rules), ceilings=tuple(ceilings), folder=str(folder))


def load_cases(folder: Path) -> list[tuple[Path, Case]]:
    """The YAML test cases of a pack (``cases/*.yaml``, each a list of cases)."""
    out: list[tuple[Path, Case]] = []
    for path in sorted((Path(folder) / "cases").glob("*.yaml")):
        raw = read_yaml(path)
        if not isinstance(raw, list):
            raise PackError(f"{path}: rule -: field -: a cases file is a list of cases")
        for i, item in enumerate(raw):
            name = str(item.get("name", f"#{i}")) if isinstance(item, dict) else f"#{i}"
            out.append((path, validate(Case, item, path, name)))
    return out

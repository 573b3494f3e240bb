"""``rules.yaml``: the support instruments (:class:`Rule`: eligibility, base, rate, caps, timing, stacking
and the kind's own block), the aid-intensity :class:`Ceiling` and the packs' test :class:`Case`.
Re-exported by :mod:`policies.schema`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from policies.figures import BASES, CATEGORIES, ID, QUANTITIES, SIZE_CLASSES, Figure, IsoDate, Strict, Value

# ---------------------------------------------------------------- rates


class FixedRate(Strict):
    """A single rate. [/1]"""

    form: Literal["fixed"]
    value: Value


class RangeRate(Strict):
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


class ByTypeRate(Strict):
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


class SizeBonusRate(Strict):
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


class Term(Strict):
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

    name: str = Field(pattern=ID.pattern)
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


class LowestOfRate(Strict):
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


class Eligibility(Strict):
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

class Base(Strict):
    """What the rate applies to. [currency]"""

    of: str = "eligible_investment"
    net_of: list[str] = Field(default_factory=list)
    net_of_external: bool = False

    @field_validator("of")
    @classmethod
    def _of(cls, v: str) -> str:
        return _known_base(v, "base 'of'")


class Caps(Strict):
    """Limits on the amount [currency]; per enterprise and per year are cumulative in frame order."""

    per_project: Value | None = None
    per_enterprise: Value | None = None
    per_year: Value | None = None
    investment_per_year: Value | None = None
    min_aid: Value | None = None


class Timing(Strict):
    """When the amount arises: ``year`` 0 = up front, 1 = first operating year; spread evenly."""

    year: int = Field(default=0, ge=0)
    spread_years: int = Field(default=1, ge=1)


class Stacking(Strict):
    """Cumulation: instruments not allowed on the same asset, and the aid ceiling respected."""

    excludes: list[str] = Field(default_factory=list)
    aid_ceiling: str | None = None


class DepreciationBlock(Strict):
    """Shares of the base depreciated in year 1 and in each later year [/1]; "up to" as a :class:`RangeValue`."""

    first_year_share: Figure
    later_share: Figure | None = None


class HolidayBlock(Strict):
    exempt_years: Value
    reduced_years: Value
    reduced_factor: Value


class CreditBlock(Strict):
    carry_forward_years: Value | None = None


class LoanBlock(Strict):
    loan_rate: Value
    loan_years: Value


class Rule(Strict):
    """One support instrument, dated and referenced."""

    id: str = Field(pattern=ID.pattern)
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


class Ceiling(Strict):
    """An aid-intensity ceiling: allowed intensity = min(cap, base + size bonus) of the ceiling's base."""

    id: str = Field(pattern=ID.pattern)
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


class Case(Strict):
    """A YAML test case: options of one enterprise appraised on a date; the exact items expected."""

    name: str
    why: str
    date: IsoDate
    params: dict[str, float] = Field(default_factory=dict)
    enterprise: dict[str, Any]
    options: list[dict[str, Any]] = Field(min_length=1)
    expected: list[dict[str, Any]]
    tax_rate: float | None = None

"""``pack.yaml``: a jurisdiction's tax regime (corporate income tax by date, loss carry-forward, tax
depreciation by asset class), the preliminary sort's cost classes and the pack's metadata and sources.
Re-exported by :mod:`policies.schema`."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from policies.figures import IsoDate, Source, Strict, Value

class RateEntry(Strict):
    """A corporate income tax rate in force from a date (until the next entry)."""

    from_: IsoDate = Field(alias="from")
    rate: Value
    note: str = ""


class LossEntry(Strict):
    """A loss carry-forward limit in force from a date (until the next entry). [yr]"""

    from_: IsoDate = Field(alias="from")
    years: Value
    note: str = ""


def dated(v: list[Any], what: str) -> list[Any]:
    """``v`` (entries with ``from_``) if in increasing, distinct date order, else a ValueError."""
    starts = [e.from_ for e in v]
    if starts != sorted(starts) or len(set(starts)) != len(starts):
        raise ValueError(f"{what} entries must be in increasing, distinct 'from' order, got {starts}")
    return v


class PercentTable(Strict):
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


class DepreciationEntry(Strict):
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


class TaxRegime(Strict):
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
            dated(entries, f"depreciation.{name}")
        return v

    @field_validator("corporate_rate")
    @classmethod
    def _sorted(cls, v: list[RateEntry]) -> list[RateEntry]:
        return dated(v, "corporate_rate")

    @field_validator("loss_carry_forward_years")
    @classmethod
    def _sorted_losses(cls, v: Value | list[LossEntry] | None) -> Value | list[LossEntry] | None:
        if isinstance(v, list):
            if not v:
                raise ValueError("a dated loss_carry_forward_years needs at least one entry")
            return dated(v, "loss_carry_forward_years")
        return v


class CostClasses(Strict):
    """Investment thresholds of the preliminary sort's cost classes, in the pack's currency.

    Read by ``screening.cost_classes`` (as data, below this package); validated here.

    Attributes
    ----------
    low_upper : Value
        Investment below this is low cost. [pack currency]
    high_lower : Value
        Investment at or above this is high cost; between the two, medium. [pack currency]
    note : str
        Where the figures come from (an assumption says so).
    """

    low_upper: Value
    high_lower: Value
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> "CostClasses":
        if not 0 < self.low_upper.value < self.high_lower.value:
            raise ValueError(f"expected 0 < low_upper < high_lower, got {self.low_upper.value} and {self.high_lower.value}")
        return self


class PackMeta(Strict):
    """Contents of ``pack.yaml``."""

    code: str
    name: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    version: IsoDate
    description: str = ""
    sources: dict[str, Source] = Field(min_length=1)
    tax: TaxRegime | None = None
    aid_ceiling_pack: str | None = None
    cost_classes: CostClasses | None = None

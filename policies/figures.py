"""The vocabulary of the policy packs and their referenced figures: the size classes, categories,
quantities, bases and kinds a rule may name; :class:`Value` (a number with its source), :class:`RangeValue`
(a ceiling or span, a programme parameter), :class:`Source`; ISO dates; the strict base model and
:class:`PackError`.  Re-exported by :mod:`policies.schema`."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Tag, field_validator, model_validator

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
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")


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


class Strict(BaseModel):
    """The base of every pack model: unknown keys refused, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Value(Strict):
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


class Source(Strict):
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


class RangeValue(Strict):
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

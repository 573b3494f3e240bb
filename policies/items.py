"""Support items: what one policy instrument gives one option, in the form the cash flow consumes.

This module is the contract between ``policies`` (which decides *what* support an option gets
under a pack on a date) and ``finance`` (which turns it into an after-tax cash flow).  Scalar
appraisal uses :class:`SupportItem`; batch appraisal uses a long table with one row per
(option, item) and the same field names as columns (see :data:`ITEM_COLUMNS`).

Conventions
-----------
Periods follow DESIGN.md section 3: t = 0 is the investment date (undiscounted), t = 1..N are
the operating years.  Amounts are nominal, in the enterprise's currency.

How each kind enters the cash flow (implemented once, in ``finance``):

``grant``
    Cash ``amount`` received in ``year`` (0 = up front), or spread evenly over ``spread_years``
    years starting at ``year``.  If ``taxable``, the amount is taxable income in the year received.
    If ``reduces_depreciation_base``, the depreciable base is reduced by the amount.
``tax_deduction``
    ``amount`` is deducted from taxable profit in ``year`` (spread as above), on top of
    depreciation (e.g. Dutch EIA/MIA).  Its cash value is amount x tax rate, realised when the
    enterprise has tax capacity.
``tax_credit``
    ``amount`` is deducted from tax payable in ``year``; what the year's tax cannot absorb is
    carried forward for ``carry_forward_years`` years (``None`` = without limit) and then lost,
    unless the enterprise has tax capacity (then the whole credit is used in ``year``).
``depreciation``
    Replaces straight-line tax depreciation: ``first_year_share`` of the depreciable base in year 1,
    then ``later_share`` of the base per year until the base is used up (``later_share`` NaN =
    straight line of the remainder over the remaining depreciation years).  ``amount`` is the base
    it applies to (informative).
``tax_holiday``
    The tax rate is multiplied by 0 in years 1..``exempt_years`` and by ``reduced_factor`` in the
    next ``reduced_years`` years (China's "3 + 3": 3, 3, 0.5).  ``amount`` is 0 (the value is the tax
    not paid, which finance computes).
``soft_loan``
    ``amount`` is the principal received at t = 0, repaid as an annuity over ``loan_years`` at
    ``loan_rate``; its value to the enterprise is the interest saved against its discount rate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Literal, get_args

import math

SupportKind = Literal["grant", "tax_deduction", "tax_credit", "depreciation", "tax_holiday", "soft_loan"]
SUPPORT_KINDS: tuple[str, ...] = get_args(SupportKind)


@dataclass(frozen=True)
class SupportItem:
    """One instrument's effect on one option.

    Attributes
    ----------
    instrument_id : str
        Id of the instrument in its pack, e.g. ``"NL-EIA-2024"``.
    name : str
        Human-readable name of the instrument.
    kind : SupportKind
        How the item enters the cash flow (see the module docstring).
    amount : float
        Grant cash, deduction from taxable profit, credit against tax, or loan principal. [currency]
    year : int
        Period in which it arises: 0 = up front (with the investment), 1 = first operating year. [yr]
    pack : str
        Pack code, e.g. ``"NL"``.
    pack_version : str
        The pack's version (ISO date of its last change), recorded with every appraisal.
    source : str
        Title, article and URL of the rule's legal or official source.
    unverified : bool
        True where the figure could not be confirmed against a primary text.
    unverified_reason : str
        Why (the rule's, its sources' and its values' reasons, joined by "; "); "" when verified.
    """

    instrument_id: str
    name: str
    kind: SupportKind
    amount: float
    year: int
    pack: str
    pack_version: str
    source: str
    unverified: bool = False
    spread_years: int = 1
    taxable: bool = False
    reduces_depreciation_base: bool = False
    first_year_share: float = math.nan
    later_share: float = math.nan
    exempt_years: int = 0
    reduced_years: int = 0
    reduced_factor: float = 1.0
    carry_forward_years: int | None = None
    loan_rate: float = 0.0
    loan_years: int = 0
    unverified_reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SUPPORT_KINDS:
            raise ValueError(f"support item {self.instrument_id!r}: kind {self.kind!r} is not one of {SUPPORT_KINDS}")
        if self.year < 0:
            raise ValueError(f"support item {self.instrument_id!r}: year {self.year} is negative")
        if self.spread_years < 1:
            raise ValueError(f"support item {self.instrument_id!r}: spread_years {self.spread_years} < 1")

    def as_record(self) -> dict[str, object]:
        """The item as a plain dict (JSON-ready)."""
        return asdict(self)


#: Column names of the long support table used by batch appraisal: one row per (option, item),
#: plus ``row`` (the option's position in the options frame).
ITEM_COLUMNS: tuple[str, ...] = ("row",) + tuple(f.name for f in fields(SupportItem))

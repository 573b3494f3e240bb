"""Strict schema and loader of the policy packs (rules as data): the one import path of the pack models.

The parts: :mod:`policies.figures` (vocabulary, :class:`Value`, :class:`RangeValue`, dates),
:mod:`policies.regime` (``pack.yaml``: tax regime, cost classes, metadata), :mod:`policies.rules`
(``rules.yaml``: rules, ceilings, test cases) and :mod:`policies.loading` (YAML, validation, :class:`Pack`).

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

from policies.figures import (BASES, CATEGORIES, Figure, IsoDate, KINDS, PackError, QUANTITIES, RangeValue, ReadDate,
                              SIZE_CLASSES, Source, Value)
from policies.loading import (DuplicateKeyError, Pack, StrictLoader, iter_ranges, iter_values, load_cases, load_pack,
                              read_yaml, validate)
from policies.regime import CostClasses, DepreciationEntry, LossEntry, PackMeta, PercentTable, RateEntry, TaxRegime
from policies.rules import (Base, ByTypeRate, Caps, Case, Ceiling, CreditBlock, DepreciationBlock, Eligibility,
                            FixedRate, HolidayBlock, LoanBlock, LowestOfRate, RangeRate, Rate, Rule, SizeBonusRate,
                            Stacking, Term, Timing)

__all__ = [
    "BASES", "Base", "ByTypeRate", "CATEGORIES", "Caps", "Case", "Ceiling", "CostClasses", "CreditBlock",
    "DepreciationBlock", "DepreciationEntry", "DuplicateKeyError", "Eligibility", "Figure", "FixedRate",
    "HolidayBlock", "IsoDate", "KINDS", "LoanBlock", "LossEntry", "LowestOfRate", "Pack", "PackError", "PackMeta",
    "PercentTable", "QUANTITIES", "RangeRate", "RangeValue", "Rate", "RateEntry", "ReadDate", "Rule", "SIZE_CLASSES",
    "SizeBonusRate", "Source", "Stacking", "StrictLoader", "TaxRegime", "Term", "Timing", "Value", "iter_ranges",
    "iter_values", "load_cases", "load_pack", "read_yaml", "validate",
]

"""Total Cost Assessment: an option's cost and saving lines by tier, folded into its yearly cash flow.

Tiers (the issue's numbering; EPA's Pollution Prevention Benefits Manual numbers them 0..3 [2]_):

=====  ======================================  =============================================
tier   what                                    import-format field(s) [currency/yr]
=====  ======================================  =============================================
I      direct (usual) costs and savings        ``investment``, ``annual_savings``,
                                               ``annual_cost_change``, ``salvage_value``
II     indirect or hidden costs avoided         ``tier2_annual_savings`` (monitoring,
       (net of hidden costs added)             reporting, permits, training, overhead;
                                               negative where the option adds them)
III    contingent liabilities avoided          ``tier3_probability`` [/1 per yr] x
                                               ``tier3_liability_cost`` [currency]: the
                                               expected yearly cost (fines, clean-up,
                                               damages) the option removes
IV     less tangible benefits                  ``tier4_annual_benefit`` (image, customer
                                               acceptance, worker morale; may be negative)
=====  ======================================  =============================================

The full view adds the yearly amounts of tiers II-IV to ``annual_savings``: they run through the
one cash-flow model (:mod:`finance.cashflow`, :mod:`finance.batch`) like any saving, so they are
taxed as operating profit, escalate with ``savings_escalation`` and are discounted at the
option's rate over its life.  A tier III liability enters as its expected value p x C in every
year t = 1..N, i.e. an annuity (the manual's "expected annual penalties and fines" [2]_).

``npv`` (and every metric of ``cpscreen appraise``) is the full view; ``npv_tier1`` is the
conventional view, tier I only (:func:`conventional` drops the tier II-IV fields).  Options
without tier II-IV lines have no amounts to add: their full view is the conventional one, bit
for bit.

References
----------
.. [1] AIChE Center for Waste Reduction Technologies (1999), Total Cost Assessment Methodology;
   summary at https://www.aiche.org/ifs/resources/total-cost-assessment (direct, indirect,
   future and contingent liability, intangible internal, external costs).
.. [2] U.S. EPA (1989), Pollution Prevention Benefits Manual, EPA/230/R-89/100: four-tier cost
   protocol, Tier 0 usual costs, Tier 1 hidden regulatory costs, Tier 2 liability costs,
   Tier 3 less tangible benefits.
.. [3] U.S. EPA (1994), P2/FINANCE software fact sheet, EPA742-F-94-003: Total Cost Assessment
   of pollution-prevention projects.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

#: The option fields of tiers II-IV (screening/fields.csv), in tier order.
TIER_FIELDS: tuple[str, ...] = ("tier2_annual_savings", "tier3_liability_cost", "tier3_probability",
                                "tier4_annual_benefit")

#: Columns of :func:`tier_amounts`: the yearly amount each tier adds to the savings. [currency/yr]
TIER_AMOUNT_COLUMNS: tuple[str, ...] = ("tier2", "tier3", "tier4")


def _numbers(options: pd.DataFrame, name: str) -> np.ndarray:
    if name not in options.columns:
        return np.full(len(options), np.nan)
    try:
        return pd.to_numeric(options[name], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"options: column {name!r} must be numeric ({exc})") from exc


def _fail(bad: np.ndarray, field: str, reason: str, values: np.ndarray) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"options row {i}: field {field!r} {reason}, got {values[i]!r}")


def has_tiers(options: pd.DataFrame) -> bool:
    """True where some option of ``options`` gives a tier II-IV field (a non-empty value)."""
    return any(c in options.columns and options[c].notna().any() for c in TIER_FIELDS)


def tier_amounts(options: pd.DataFrame) -> pd.DataFrame:
    """Yearly amount of tiers II, III and IV of every option.

    Parameters
    ----------
    options : DataFrame
        Options with any of :data:`TIER_FIELDS` (absent or empty = 0).

    Returns
    -------
    DataFrame
        ``tier2`` = ``tier2_annual_savings``, ``tier3`` = ``tier3_probability`` x
        ``tier3_liability_cost`` (the expected yearly liability avoided), ``tier4`` =
        ``tier4_annual_benefit``, one row per option in order. [currency/yr]

    Raises
    ------
    ValueError
        Naming the row and field: a value not finite, a probability outside 0..1, a negative
        liability, or one of the liability pair given without the other.
    """
    t2, cost, p, t4 = (_numbers(options, c) for c in TIER_FIELDS)
    _fail(np.isinf(t2), "tier2_annual_savings", "must be finite", t2)
    _fail(np.isinf(t4), "tier4_annual_benefit", "must be finite", t4)
    _fail(np.isinf(cost) | (cost < 0), "tier3_liability_cost", "must be finite and >= 0", cost)
    _fail((p < 0) | (p > 1), "tier3_probability", "must be a probability per year in 0..1", p)
    _fail(np.isnan(p) & ~np.isnan(cost), "tier3_probability",
          "is needed with tier3_liability_cost (the yearly probability of the liability)", p)
    _fail(np.isnan(cost) & ~np.isnan(p), "tier3_liability_cost",
          "is needed with tier3_probability (the cost if the liability arises)", cost)
    return pd.DataFrame({"tier2": np.nan_to_num(t2), "tier3": np.nan_to_num(p * cost), "tier4": np.nan_to_num(t4)})


def tier_savings(options: pd.DataFrame) -> np.ndarray | None:
    """Sum of the tier II-IV yearly amounts per option [currency/yr]; None where no option has any.

    The amount the full view adds to ``annual_savings`` (:mod:`finance.batch` reads it).
    """
    if not has_tiers(options):
        return None
    amounts = tier_amounts(options)
    return (amounts["tier2"] + amounts["tier3"] + amounts["tier4"]).to_numpy(dtype=float)


def option_tier_savings(option: Mapping[str, Any], where: str = "option") -> float:
    """:func:`tier_savings` of one option (a mapping of import-format fields). [currency/yr]"""
    given = {c: option.get(c) for c in TIER_FIELDS}
    if all(v is None or (isinstance(v, float) and math.isnan(v)) for v in given.values()):
        return 0.0
    try:
        amounts = tier_amounts(pd.DataFrame([given]))
    except ValueError as exc:
        raise ValueError(str(exc).replace("options row 0", where)) from exc
    return float(amounts.iloc[0].sum())


def conventional(options: pd.DataFrame) -> pd.DataFrame:
    """The options without their tier II-IV fields: the conventional (tier I) view."""
    return options.drop(columns=[c for c in TIER_FIELDS if c in options.columns])


def conventional_option(option: Mapping[str, Any]) -> dict[str, Any]:
    """One option without its tier II-IV fields (:func:`conventional` of a mapping)."""
    return {k: v for k, v in option.items() if k not in TIER_FIELDS}

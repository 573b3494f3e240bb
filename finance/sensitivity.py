"""One-at-a-time NPV sensitivity of one option (the data of a tornado chart).

Each input is moved by ``-delta`` and ``+delta`` (relative) with every other input at its base
value, and the option is appraised again with the same library model
(:func:`finance.option_detail.appraise_option`; for the support, :func:`finance.cashflow.cash_flow` and
:func:`finance.metrics.metrics` with every support item's amount scaled).  No formula is
re-implemented here.

Inputs moved (:data:`INPUTS`):

* ``investment`` [currency]; the eligible investment moves with it (capped at the investment);
* ``annual_savings`` [currency/yr];
* ``lifetime_years`` [yr], rounded to whole years (at least 1); the tax depreciation life is
  capped at the new lifetime;
* ``discount_rate`` [/1 per yr], the base appraisal's rate;
* ``support``: each support item's amount [currency] scaled.  This equals scaling the rules'
  rates where no cap or ceiling binds; a binding cap would keep the real support flat.

For an option without support, with constant yearly flows and straight-line depreciation over
its life, the NPV changes in closed form (the handbook's after-tax flow F = (P - D)(1 - t) + D,
discounted with the annuity factor a(r, N) = (1 - (1 + r)^-N) / r):
dNPV = dS (1 - t) a(r, N) for a change dS of the yearly savings, and
dNPV = -dI + t (dI / N) a(r, N) for a change dI of the investment (the depreciation tax shield).
The tests check both against the appraisal.

References
----------
.. [1] Brealey, R. A., Myers, S. C., Allen, F. Principles of Corporate Finance, ch. "Project
   analysis": sensitivity analysis, one variable at a time.
.. [2] 国家清洁生产中心《企业清洁生产审核手册》(1996): F = (P - D)(1 - t) + D, NPV with the
   annuity factor (see :mod:`finance.handbook`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from finance.cashflow import cash_flow
from finance.metrics import metrics
from finance.option_detail import OptionAppraisal, appraise_option
from policies import corporate_tax
from policies.items import SupportItem

#: Inputs moved, in the order of the result's rows: option field -> label shown to users.
INPUTS: dict[str, str] = {
    "investment": "investment",
    "annual_savings": "yearly savings",
    "lifetime_years": "lifetime",
    "discount_rate": "discount rate",
    "support": "support",
}

#: Columns of :func:`npv_sensitivity`'s result.
SENSITIVITY_COLUMNS: tuple[str, ...] = ("input", "low", "high", "npv_low", "npv_high")


def _loss_years(base: OptionAppraisal, on_date: date) -> int | None:
    """The pack's loss carry-forward limit [yr] the base appraisal used (None = without limit)."""
    if not base.pack:
        return None
    try:
        years = corporate_tax.tax_regime(base.pack, on_date)["loss_carry_forward_years"]
    except ValueError:  # a jurisdiction without a pack: no carry-forward limit applies
        return None
    return None if years is None else int(years)


def _support_npv(option: Mapping[str, Any], base: OptionAppraisal, items: list[SupportItem], loss_years: int | None) -> float:
    rate = base.tax_rate if base.tax_rate_by_year is None else base.tax_rate_by_year  # as the base appraisal
    flows = cash_flow(dict(option), rate, items, base.tax_capacity, discount_rate=base.discount_rate,
                      loss_carry_forward_years=loss_years, where=f"option {option.get('option_id', '?')!r}",
                      depreciation_schedule=base.depreciation_schedule)
    return float(metrics(flows, base.discount_rate)["npv"])


def npv_sensitivity(
    option: Mapping[str, Any],
    enterprise: Mapping[str, Any],
    on_date: date,
    base: OptionAppraisal | None = None,
    *,
    delta: float = 0.2,
) -> pd.DataFrame:
    """NPV with support when each input is moved by ``-delta`` and ``+delta``, one at a time.

    Parameters
    ----------
    option, enterprise : mapping
        The option's and its enterprise's fields, as for
        :func:`finance.option_detail.appraise_option` (DESIGN.md section 2).
    on_date : date
        Appraisal date: the policy rules in force on it apply.
    base : OptionAppraisal, optional
        The base appraisal; its discount rate [/1 per yr], tax rate [/1], tax capacity and
        support items are reused.  Default: ``appraise_option(option, enterprise, on_date)``.
    delta : float
        Relative change of each input, 0 < delta < 1. [/1]

    Returns
    -------
    DataFrame
        One row per input of :data:`INPUTS`, columns :data:`SENSITIVITY_COLUMNS`: ``input`` (the
        label), ``low`` and ``high`` (the input's moved values, in its unit: [currency],
        [currency/yr], [yr], [/1 per yr], and for the support the items' total [currency]),
        ``npv_low`` and ``npv_high`` (NPV with support at those values). [currency]
        The support row is NaN where re-running the base cash flow with the base items does not
        reproduce the base NPV (then scaling them could not be trusted either).

    Raises
    ------
    ValueError
        When ``delta`` is not in (0, 1), or the option cannot be appraised (the message names
        the option and the field).

    References
    ----------
    See the module docstring.
    """
    if not (isinstance(delta, (int, float)) and 0 < delta < 1):
        raise ValueError(f"delta: expected a relative change between 0 and 1 (exclusive), got {delta!r}")
    if base is None:
        base = appraise_option(option, enterprise, on_date)
    loss_years = _loss_years(base, on_date)
    base_npv = float(base.metrics["npv"])
    rows = []
    for key, label in INPUTS.items():
        npvs: list[float] = []
        values: list[float] = []
        for sign in (-1, 1):
            f = 1 + sign * delta
            if key == "discount_rate":
                r = base.discount_rate * f
                npvs.append(float(appraise_option(option, enterprise, on_date, discount_rate=r).metrics["npv"]))
                values.append(r)
            elif key == "support":
                again = _support_npv(option, base, list(base.items), loss_years)
                if not math.isclose(again, base_npv, rel_tol=1e-9, abs_tol=1e-6):
                    npvs.append(math.nan)
                    values.append(math.nan)
                    continue
                items = [dataclasses.replace(i, amount=i.amount * f) for i in base.items]
                npvs.append(_support_npv(option, base, items, loss_years))
                values.append(float(sum(i.amount for i in items)))
            else:
                try:
                    v = float(option[key]) * f
                except (KeyError, TypeError, ValueError):
                    raise ValueError(f"option {option.get('option_id', '?')!r}: field {key!r} must be a number, "
                                     f"got {option.get(key)!r}") from None
                changed = {**dict(option), key: v}
                if key == "lifetime_years":
                    v = float(max(1, round(v)))
                    changed[key] = int(v)
                    dep = option.get("depreciation_years")
                    changed["depreciation_years"] = int(v) if dep is None or pd.isna(dep) else min(int(v), int(dep))
                if key == "investment" and option.get("eligible_investment") is not None \
                        and not pd.isna(option.get("eligible_investment")):
                    changed["eligible_investment"] = min(float(option["eligible_investment"]) * f, v)
                res = appraise_option(changed, enterprise, on_date, discount_rate=base.discount_rate)
                npvs.append(float(res.metrics["npv"]))
                values.append(v)
        rows.append({"input": label, "low": values[0], "high": values[1], "npv_low": npvs[0], "npv_high": npvs[1]})
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


__all__ = ["INPUTS", "SENSITIVITY_COLUMNS", "npv_sensitivity"]

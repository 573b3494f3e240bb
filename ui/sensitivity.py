"""One-at-a-time NPV sensitivity of one option for the Appraisal page's tornado chart.

Each row re-runs the library appraisal (``finance.appraise.appraise_option``, or for the support
``finance.cashflow.cash_flow`` + ``finance.metrics.metrics`` with every support item's amount
scaled) with one input moved by -delta and +delta, all else at its base value.  No formula is
re-implemented here.  The support row scales the items' amounts, which equals scaling the rules'
rates where no cap or ceiling binds.

This belongs in ``finance`` (asked of the lead); it lives here until it lands there.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from finance.appraise import OptionAppraisal, appraise_option
from finance.cashflow import cash_flow
from finance.metrics import metrics

INPUTS: dict[str, str] = {
    "investment": "investment",
    "annual_savings": "yearly savings",
    "lifetime_years": "lifetime",
    "discount_rate": "discount rate",
    "support": "support",
}


def _support_npv(option: Mapping[str, Any], base: OptionAppraisal, items: list) -> float:
    flows = cash_flow(dict(option), base.tax_rate, items, base.tax_capacity, discount_rate=base.discount_rate)
    return float(metrics(flows, base.discount_rate)["npv"])


def _support_path_agrees(option: Mapping[str, Any], base: OptionAppraisal) -> bool:
    """True when re-running the cash flow with the base items reproduces the base NPV."""
    again = _support_npv(option, base, list(base.items))
    return math.isclose(again, float(base.metrics["npv"]), rel_tol=1e-9, abs_tol=1e-6)


def npv_sensitivity(option: Mapping[str, Any], enterprise: Mapping[str, Any], on_date: date, base: OptionAppraisal,
                    *, delta: float = 0.2) -> pd.DataFrame:
    """NPV with support at -delta and +delta of each input.

    Parameters
    ----------
    option, enterprise : mapping
        As for ``appraise_option``.
    on_date : date
    base : OptionAppraisal
        The base appraisal (its discount rate, tax settings and items are reused).
    delta : float
        Relative change. [/1]

    Returns
    -------
    DataFrame
        ``input`` (label), ``low``, ``high`` (the input's values), ``npv_low``, ``npv_high``
        [currency]. The lifetime is rounded to whole years (at least 1).  The support row is NaN
        where re-running the cash flow with the base items does not reproduce the base NPV.
    """
    rows = []
    for key, label in INPUTS.items():
        npvs, values = [], []
        for sign in (-1, 1):
            f = 1 + sign * delta
            if key == "discount_rate":
                r = base.discount_rate * f
                res = appraise_option(option, enterprise, on_date, discount_rate=r)
                npvs.append(res.metrics["npv"])
                values.append(r)
            elif key == "support":
                if not _support_path_agrees(option, base):
                    npvs.append(math.nan)  # the pack's loss carry-forward is not exposed: no row rather than a wrong one
                    values.append(math.nan)
                    continue
                items = [dataclasses.replace(i, amount=i.amount * f) for i in base.items]
                npvs.append(_support_npv(option, base, items))
                values.append(sum(i.amount for i in items))
            else:
                v = float(option[key]) * f
                if key == "lifetime_years":
                    v = max(1, round(v))
                changed = {**dict(option), key: v}
                if key == "lifetime_years":
                    changed["depreciation_years"] = min(int(v), int(option.get("depreciation_years") or v))
                if key == "investment" and option.get("eligible_investment") is not None:
                    changed["eligible_investment"] = min(float(option["eligible_investment"]) * f, v)
                res = appraise_option(changed, enterprise, on_date, discount_rate=base.discount_rate)
                npvs.append(res.metrics["npv"])
                values.append(v)
        rows.append({"input": label, "low": values[0], "high": values[1], "npv_low": npvs[0], "npv_high": npvs[1]})
    return pd.DataFrame(rows)

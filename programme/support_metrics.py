"""Decision metrics of options with a support table, on the programme's baseline.

The flows with support are computed again (:func:`programme.appraisal.flows_and_metrics`), except
for untaxed grants, which leave taxable profit untouched: their flows are the flows without plus
the grants (:func:`_grant_only`), read from the baseline.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from programme.appraisal import cumulative_payback, flows_and_metrics, payback_from_cumulative
from programme.baseline import Baseline

__all__: list[str] = []


def _grant_only(support: pd.DataFrame) -> bool:
    """True when every item is a grant that is neither taxable nor reduces the depreciable base:
    such grants leave taxable profit untouched, so the flows with support are the flows without
    plus the grants (exact under the model of ``finance.cashflow``)."""
    return bool((support["kind"] == "grant").all() and not support["taxable"].astype(bool).any()
                and not support["reduces_depreciation_base"].astype(bool).any())


def _metrics_with(b: Baseline, support: pd.DataFrame, rows: np.ndarray, keep: dict[str, Any] | None = None) -> pd.DataFrame:
    """Decision metrics (``npv``, ``simple_payback_years``, ``irr`` when the baseline has IRRs) of
    the options at ``rows`` (positions, increasing) with ``support`` (whose ``row`` are all among
    ``rows``); index 0..len(rows)-1.  ``keep`` receives ``net``, the net flows with ``support`` of
    every option (row i = option i), where they were computed for all options."""
    if len(support) == 0:
        return b.metrics.iloc[rows].reset_index(drop=True)
    n_all = len(b.options)
    if 2 * len(rows) >= n_all:
        # most options: work on the whole baseline (no copies of its matrices), then select
        m = _metrics_of(b, support, np.arange(n_all), keep)
        return m if len(rows) == n_all else m.iloc[rows].reset_index(drop=True)
    return _metrics_of(b, support, rows)


def _metrics_of(b: Baseline, support: pd.DataFrame, rows: np.ndarray, keep: dict[str, Any] | None = None) -> pd.DataFrame:
    n = len(rows)
    whole = n == len(b.options)
    local = np.full(len(b.options), -1, dtype=np.int64)
    local[rows] = np.arange(n)
    rows_s = local[support["row"].to_numpy(dtype=np.int64)]
    if (rows_s < 0).any():
        raise ValueError("internal: support rows outside the options appraised")
    if _grant_only(support) and not b.with_irr:
        # untaxed grants: flows with support = flows without + grants (see _grant_only)
        spread = support["spread_years"].to_numpy(dtype=np.int64)
        year0 = support["year"].to_numpy(dtype=np.int64)
        amount_s = support["amount"].to_numpy(dtype=float)
        life = b.life if whole else b.life[rows]
        disc = b.discount_rate if whole else b.discount_rate[rows]
        rep = np.repeat(np.arange(len(support)), spread)
        years = year0[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(spread) - spread, spread))
        if (years > life[rows_s[rep]]).any():
            j = int(rep[np.flatnonzero(years > life[rows_s[rep]])[0]])
            raise ValueError(f"support row {j}: grant falls beyond option row {rows[rows_s[j]]}'s life of "
                             f"{life[rows_s[j]]} years")
        per = amount_s[rep] / spread[rep]
        pv = per * np.exp(-years * np.log1p(disc[rows_s[rep]]))
        npv0 = b.metrics["npv"].to_numpy()
        npv1 = (npv0 if whole else npv0[rows]) + np.bincount(rows_s[rep], weights=pv, minlength=n)
        if b.cum is not None:
            cum = b.cum if whole else b.cum[rows]
        else:
            cum = cumulative_payback(b.net if whole else b.net[rows], life)[0]
        width = cum.shape[1]
        if (years == 0).all():
            cum1 = cum + np.bincount(rows_s, weights=amount_s, minlength=n)[:, None]
        else:
            add = np.bincount(rows_s[rep] * width + years, weights=per, minlength=n * width).reshape(n, width)
            cum1 = cum + cumulative_payback(add, life, keep_cumulative=True)[0]
            del add
        m1 = pd.DataFrame({"npv": npv1, "simple_payback_years": payback_from_cumulative(cum1, life)})
        del cum1
        return m1
    opt = b.options if whole else b.options.iloc[rows].reset_index(drop=True)
    sup = support if whole else support.assign(row=rows_s)  # whole: local rows are the rows
    net, _, m = flows_and_metrics(opt, b.tax_rate[rows], b.tax_capacity[rows], b.discount_rate[rows], sup,
                                  loss_carry_forward_years=b.loss_carry_forward_years[rows], with_irr=b.with_irr,
                                  arrays=_arrays_at(b, None if whole else rows), **b.years(None if whole else rows))
    if keep is not None and whole:
        keep["net"] = net
    return m


def _arrays_at(b: Baseline, rows: np.ndarray | None) -> dict[str, np.ndarray] | None:
    """The baseline's ``option_arrays`` of the options at ``rows`` (all when None); None where it has none."""
    if b.arrays is None or rows is None:
        return b.arrays
    return {k: v[rows] for k, v in b.arrays.items()}

"""The programme's view of appraisal: metrics of many options with a support table.

One entry point, :func:`appraise_metrics`, returns the metrics the decision rules read (NPV, IRR,
simple payback) for every option, given a long support table.  It uses the vectorised
``finance.batch`` engine when that module provides ``appraise_batch``; otherwise it falls back to
the scalar reference (``finance.cashflow.cash_flow`` + ``finance.metrics``), option by option,
which is exact but slow (fine for tests and small programmes).

References
----------
.. [1] DESIGN.md section 3 (finance conventions), implemented in ``finance.cashflow`` and
   ``finance.metrics``.
"""

from __future__ import annotations

import math
import numpy as np
import pandas as pd

from finance.cashflow import cash_flow
from finance.metrics import irr, npv, payback
from policies.items import ITEM_COLUMNS, SupportItem

__all__ = ["METRICS", "appraise_metrics", "grant_rows", "empty_support"]

#: Columns returned by :func:`appraise_metrics`.
METRICS: tuple[str, ...] = ("npv", "irr", "simple_payback_years")

def empty_support() -> pd.DataFrame:
    """An empty long support table with :data:`policies.items.ITEM_COLUMNS`."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})


def grant_rows(rows: np.ndarray, amounts: np.ndarray, *, instrument_id: str = "INVERSION-GRANT",
               taxable: bool = False, reduces_depreciation_base: bool = False) -> pd.DataFrame:
    """Support rows for a hypothetical up-front grant of ``amounts`` to the options at ``rows``.

    Parameters
    ----------
    rows : numpy.ndarray
        Option positions.
    amounts : numpy.ndarray
        Grant per option, paid at t = 0. [currency]
    instrument_id : str
        Id given to the rows.
    taxable, reduces_depreciation_base : bool
        Tax treatment of the grant (see :mod:`policies.items`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`policies.items.ITEM_COLUMNS`.
    """
    n = len(rows)
    template = SupportItem(instrument_id=instrument_id, name="grant to reach the target", kind="grant",
                           amount=0.0, year=0, pack="", pack_version="", source="programme.inversion",
                           taxable=taxable, reduces_depreciation_base=reduces_depreciation_base).as_record()
    data: dict[str, object] = {k: [v] * n if v is None or isinstance(v, str) else np.full(n, v) for k, v in template.items()}
    data["row"] = np.asarray(rows, dtype=np.int64)
    data["amount"] = np.asarray(amounts, dtype=float)
    return pd.DataFrame(data, columns=list(ITEM_COLUMNS))


def _items_by_row(support: pd.DataFrame) -> dict[int, list[SupportItem]]:
    out: dict[int, list[SupportItem]] = {}
    if len(support) == 0:
        return out
    cols = [c for c in ITEM_COLUMNS if c != "row" and c in support.columns]
    for rec in support[["row", *cols]].to_dict(orient="records"):
        kw = {}
        for c in cols:
            v = rec[c]
            if v is None or (isinstance(v, float) and math.isnan(v) and c not in ("first_year_share", "later_share")):
                continue
            if c in ("year", "spread_years", "exempt_years", "reduced_years", "loan_years"):
                v = int(v)
            kw[c] = v
        out.setdefault(int(rec["row"]), []).append(SupportItem(**kw))
    return out


def appraise_metrics(
    options: pd.DataFrame,
    support: pd.DataFrame,
    tax_rate: np.ndarray,
    *,
    discount_rate: np.ndarray | None = None,
    tax_capacity: np.ndarray | None = None,
) -> pd.DataFrame:
    """NPV, IRR and simple payback of every option with the given support.

    Parameters
    ----------
    options : pandas.DataFrame
        Validated options (DESIGN.md section 2), position-aligned with the other arguments.
    support : pandas.DataFrame
        Long support table (``row`` = option position).
    tax_rate : numpy.ndarray
        Tax rate per option. [/1]
    discount_rate : numpy.ndarray, optional
        Per option [/1]; default the options' ``discount_rate`` column, else 0.08.
    tax_capacity : numpy.ndarray, optional
        Per option (bool); default the options' ``tax_capacity`` column, else True.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`METRICS` (``npv`` [currency], ``irr`` [/1] NaN where none,
        ``simple_payback_years`` [yr] NaN where never), index 0..n-1.
    """
    n = len(options)
    opt = options.reset_index(drop=True)
    if discount_rate is None:
        discount_rate = (pd.to_numeric(opt["discount_rate"], errors="coerce").fillna(0.08).to_numpy(dtype=float)
                         if "discount_rate" in opt.columns else np.full(n, 0.08))
    if tax_capacity is None:
        tax_capacity = (opt["tax_capacity"].fillna(True).astype(bool).to_numpy()
                        if "tax_capacity" in opt.columns else np.ones(n, dtype=bool))
    tax_rate = np.asarray(tax_rate, dtype=float)
    by_row = _items_by_row(support)
    out = np.full((n, 3), np.nan)
    recs = opt.to_dict(orient="records")
    for i, rec in enumerate(recs):
        flows = cash_flow(rec, float(tax_rate[i]), by_row.get(i, []), bool(tax_capacity[i]),
                          discount_rate=float(discount_rate[i]), where=f"option row {i}")
        v = flows["net"].to_numpy(dtype=float)
        pb = payback(v)
        out[i] = (npv(float(discount_rate[i]), v), irr(v).value, np.nan if pb is None else pb)
    return pd.DataFrame(out, columns=list(METRICS))

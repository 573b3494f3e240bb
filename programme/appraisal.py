"""The programme's view of appraisal: metrics of many options with a support table.

One entry point, :func:`appraise_metrics`, returns the metrics the decision rules read (NPV, IRR,
simple payback after tax, with the support given) for every option, given a long support table,
in one vectorised pass of ``finance.batch``.

References
----------
.. [1] DESIGN.md section 3 (finance conventions), implemented in ``finance.cashflow`` and
   ``finance.metrics``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from finance.batch import batch_cash_flows, batch_irr, batch_metrics
from policies.items import ITEM_COLUMNS, SupportItem

__all__ = ["METRICS", "appraise_metrics", "grant_rows", "empty_support", "payback_years", "payback_from_cumulative", "decision_metrics"]

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


def appraise_metrics(
    options: pd.DataFrame,
    support: pd.DataFrame,
    tax_rate: np.ndarray,
    *,
    discount_rate: np.ndarray | None = None,
    tax_capacity: np.ndarray | None = None,
    loss_carry_forward_years: np.ndarray | None = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
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
    loss_carry_forward_years : numpy.ndarray, optional
        The regime's loss carry-forward limit without tax capacity, NaN = none. [yr]
    tax_rate_by_year, depreciation_schedule : numpy.ndarray, shape (n, >= max life + 1), optional
        The tax rate in force in each year [/1] and the cumulative depreciation share [/1] per
        option, as :class:`finance.appraise.AppraisalInputs` resolves them (``inputs.years()``);
        the options' ``inflation`` column (:func:`finance.appraise.with_inflation`) is read from
        the rows.  With them the metrics are the appraisal's (``cpscreen appraise``).

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
    flows = batch_cash_flows(opt, np.asarray(tax_rate, dtype=float), np.asarray(tax_capacity, dtype=bool),
                             support if support is not None and len(support) else None,
                             loss_carry_forward_years=loss_carry_forward_years, tax_rate_by_year=tax_rate_by_year,
                             depreciation_schedule=depreciation_schedule)
    m = batch_metrics(flows, np.asarray(discount_rate, dtype=float))
    return m[list(METRICS)].reset_index(drop=True)


def payback_years(net: np.ndarray, life: np.ndarray) -> np.ndarray:
    """Simple payback of each row of a cash-flow matrix (DESIGN.md section 3). [yr]

    The first period t <= life whose cumulative flow C_t is non-negative, interpolated within it:
    t - 1 + (-C_{t-1}) / v_t; 0 where C_0 >= 0; NaN where never reached within the life.

    Parameters
    ----------
    net : numpy.ndarray, shape (n, T)
        Net cash flow per period, zero beyond each life. [currency]
    life : numpy.ndarray, shape (n,)
        Life N per option. [yr]

    Returns
    -------
    numpy.ndarray
        [yr]; NaN = never.

    References
    ----------
    ``finance.metrics.payback`` (the scalar definition this reproduces).
    """
    return payback_from_cumulative(np.cumsum(net, axis=1), life)


def payback_from_cumulative(cum: np.ndarray, life: np.ndarray) -> np.ndarray:
    """:func:`payback_years` from the cumulative flows C_t (v_t = C_t - C_{t-1}). [yr]"""
    t_idx = np.arange(cum.shape[1])
    hit = (cum >= 0) & (t_idx[None, :] <= np.asarray(life)[:, None])
    found = hit.any(axis=1)
    t = hit.argmax(axis=1)
    rows = np.arange(cum.shape[0])
    prev = cum[rows, np.maximum(t - 1, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(t == 0, 0.0, t - 1 + (-prev) / (cum[rows, t] - prev))
    return np.where(found, value, np.nan)


def decision_metrics(net: np.ndarray, life: np.ndarray, discount_rate: np.ndarray, *, with_irr: bool,
                     cum: np.ndarray | None = None) -> pd.DataFrame:
    """NPV, simple payback and (optionally) IRR of a cash-flow matrix, vectorised.

    Only what the decision rules read: the IRR (the costliest metric) is computed only when asked,
    with ``finance.batch.batch_irr``; otherwise the ``irr`` column is absent.

    Parameters
    ----------
    net : numpy.ndarray, shape (n, T)
        Net cash flows (``finance.batch.BatchFlows.net``). [currency]
    life : numpy.ndarray, shape (n,)
        [yr]
    discount_rate : numpy.ndarray, shape (n,)
        [/1]
    with_irr : bool
    cum : numpy.ndarray, shape (n, T), optional
        ``np.cumsum(net, axis=1)`` when the caller already has it (not computed again). [currency]

    Returns
    -------
    pandas.DataFrame
        ``npv`` [currency], ``simple_payback_years`` [yr] (NaN = never), and ``irr`` [/1] if asked.
    """
    r = np.asarray(discount_rate, dtype=float)
    # a handful of distinct rates over many rows: each rate's factors computed once, then gathered
    # (the same numbers as computing them row by row, without an exp over the whole matrix)
    rates, which = np.unique(r, return_inverse=True)
    disc = np.exp(-np.arange(net.shape[1])[None, :] * np.log1p(rates)[:, None])[which.reshape(-1)]
    payback = payback_years(net, life) if cum is None else payback_from_cumulative(cum, life)
    out = {"npv": np.einsum("ij,ij->i", net, disc), "simple_payback_years": payback}
    del disc
    if with_irr:
        out["irr"] = batch_irr(net)[0]
    return pd.DataFrame(out)

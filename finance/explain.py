"""Why, and why not, with money: each rule's reason (:mod:`policies.explain`) and its NPV effect.

:func:`explain_appraisal` gives one record per option and rule of its pack in force on the date
(the ``cpscreen appraise --explain`` contract): ``enterprise_id, option_id, rule_id, applies,
amount, npv_effect, reason``.

NPV effect [currency] of an applying rule (:func:`npv_effects`), by sequential attribution in
the pack's order: the option's NPV with the items of the rules before it and this one, minus its
NPV with the items of the rules before it only, all through the batch cash-flow engine
(:func:`finance.batch.batch_appraise`, the path of :func:`finance.appraise.appraise`).  The
effects of an option's rules therefore add up to its ``support_total`` (NPV with all support
minus NPV without); a rule that does not apply has effect 0.

This valuation is kept in this one function so it can be replaced by the per-item valuation of
``finance.appraise`` (items' ``cash_value`` and ``npv_effect``) once that exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from finance.appraise import _bool, _discount_rates, _enterprise_column, _packs
from finance.batch import batch_appraise
from policies import engine
from policies.explain import explain_support

__all__ = ["EXPLAIN_RECORD_FIELDS", "explain_appraisal", "npv_effects"]

#: Fields of :func:`explain_appraisal` (the CLI contract first, then the rule's pack, name and kind).
EXPLAIN_RECORD_FIELDS: tuple[str, ...] = ("enterprise_id", "option_id", "rule_id", "applies", "amount", "npv_effect",
                                          "reason", "pack", "rule_name", "kind")


def npv_effects(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, support: pd.DataFrame, *,
                discount_rate: float | None = None) -> np.ndarray:
    """NPV effect of each support item [currency], by sequential attribution in the table's order.

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames (DESIGN.md section 2).
    on_date : datetime.date
        Appraisal date (tax rates, loss carry-forward).
    support : pandas.DataFrame
        The options' support table (:func:`policies.engine.support_table`), sorted by ``row`` and
        then in pack order.
    discount_rate : float, optional
        One discount rate for all options [/1 per yr]; default per option, as in
        :func:`finance.appraise.appraise`.

    Returns
    -------
    numpy.ndarray
        One value per row of ``support``: NPV with this item and the option's earlier ones minus
        NPV with the earlier ones only. [currency]
    """
    opts = options.reset_index(drop=True)
    n = len(opts)
    rows = support["row"].to_numpy(dtype=np.int64) if len(support) else np.zeros(0, dtype=np.int64)
    if rows.size == 0:
        return np.zeros(0)
    if np.any(np.diff(rows) < 0):
        raise ValueError("support table must be sorted by row (as policies.engine.support_table returns it)")
    k = np.bincount(rows, minlength=n)
    starts = np.r_[0, np.cumsum(k)[:-1]]
    q = np.arange(rows.size) - starts[rows]  # the item's place among its option's items
    copies = k + 1  # copy j of an option holds its first j items, j = 0..k
    offset = np.r_[0, np.cumsum(copies)[:-1]]
    src = np.repeat(np.arange(n), copies)
    # item (r, q) goes into copies j = q+1..k_r of option r
    item_of = np.repeat(np.arange(rows.size), k[rows] - q)
    j_item = np.concatenate([np.arange(qq + 1, kk + 1) for qq, kk in zip(q, k[rows])])
    wide = support.iloc[item_of].reset_index(drop=True).copy()
    wide["row"] = offset[rows[item_of]] + j_item
    wide = wide.sort_values("row", kind="stable").reset_index(drop=True)
    tax = np.asarray(engine.tax_rates(opts, enterprises, on_date), dtype=float)
    rate = _discount_rates(opts, enterprises, discount_rate)
    capacity = _bool(_enterprise_column(opts, enterprises, "tax_capacity"), True, "tax_capacity")
    loss = _packs(opts, enterprises, on_date)[2]
    big = opts.iloc[src].reset_index(drop=True)
    res = batch_appraise(big, tax[src], rate[src], capacity[src], wide, loss_carry_forward_years=loss[src])
    npv = res["npv"].to_numpy(dtype=float)
    at = offset[rows] + q
    return npv[at + 1] - npv[at]


def explain_appraisal(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, *,
                      discount_rate: float | None = None, params: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Every rule in force for each option: applies, amount, NPV effect and the reason in words.

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames (DESIGN.md section 2).
    on_date : datetime.date
        Appraisal date: the rules in force on it.
    discount_rate : float, optional
        One discount rate for all options [/1 per yr] (default per option).
    params : Mapping[str, float], optional
        Programme parameters ``<rule id>.<path>``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EXPLAIN_RECORD_FIELDS`, one row per option and rule, in option order then
        pack order: ``amount`` [currency] the item's amount (0 where the rule does not apply),
        ``npv_effect`` [currency] (see :func:`npv_effects`; 0 where the rule does not apply),
        ``reason`` the condition that failed or the term or cap that set the amount.
    """
    opts = options.reset_index(drop=True)
    support, ex = explain_support(opts, enterprises, on_date, params)
    effect = np.zeros(len(ex))
    if len(support):
        applies = ex["applies"].to_numpy(dtype=bool)
        item_keys = list(zip(support["row"].to_numpy(), support["instrument_id"].astype(str)))
        ex_keys = list(zip(ex.loc[applies, "row"].to_numpy(), ex.loc[applies, "rule_id"]))
        if item_keys != ex_keys:  # one item per applying rule, in the same order: a broken pass is an error
            raise RuntimeError("support items and applying rules disagree; the engine pass is inconsistent")
        effect[applies] = npv_effects(opts, enterprises, on_date, support, discount_rate=discount_rate)
    ex["npv_effect"] = effect
    return ex[list(EXPLAIN_RECORD_FIELDS)]

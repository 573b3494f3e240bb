"""Why, and why not, with money: each rule's reason (:mod:`policies.explain`) and its NPV effect.

:func:`explain_appraisal` gives one record per option and rule of its pack in force on the date
(the ``cpscreen appraise --explain`` contract): ``enterprise_id, option_id, rule_id, applies,
amount, npv_effect, reason``.

NPV effect [currency] of an applying rule (:func:`npv_effects`): the item's ``npv_effect`` of
:func:`finance.valuation.item_values` (marginal attribution in the pack's order through the
cash-flow engine, with the inputs of :func:`finance.inputs.appraisal_inputs`), the figure
``cpscreen appraise`` lists per support item.  The effects of an option's rules add up to its
``support_total`` (NPV with all support minus NPV without); a rule that does not apply has
effect 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from finance.inputs import appraisal_inputs, with_inflation
from finance.valuation import ItemValues, item_values
from policies.explain import explain_support

__all__ = ["EXPLAIN_RECORD_FIELDS", "explain_appraisal", "npv_effects"]

#: Fields of :func:`explain_appraisal` (the CLI contract first, then the rule's pack, name and kind).
EXPLAIN_RECORD_FIELDS: tuple[str, ...] = ("enterprise_id", "option_id", "rule_id", "applies", "amount", "npv_effect",
                                          "reason", "pack", "rule_name", "kind", "cash_value")
_TAX_KINDS = ("tax_deduction", "tax_credit", "depreciation", "tax_holiday")


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
    return _values(options, enterprises, on_date, support, discount_rate).npv_effect


def _values(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, support: pd.DataFrame,
            discount_rate: float | None) -> ItemValues:
    opts = with_inflation(options.reset_index(drop=True), enterprises)  # as appraise: the enterprise's inflation
    if len(support) == 0:
        return ItemValues(np.zeros(0), np.zeros(0))
    inp = appraisal_inputs(opts, enterprises, on_date, discount_rate)
    return item_values(opts, inp.tax_rate, inp.discount_rate, inp.tax_capacity, support,
                       loss_carry_forward_years=inp.loss_carry_forward_years, **inp.years())


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
        ``reason`` the condition that failed or the term or cap that set the amount (and, for a
        tax item that saves no tax here, that it is worth nothing), ``cash_value`` [currency] the
        item's undiscounted value (:func:`finance.valuation.item_values`; 0 where it does not apply).
    """
    opts = options.reset_index(drop=True)
    support, ex = explain_support(opts, enterprises, on_date, params)
    effect = np.zeros(len(ex))
    cash = np.zeros(len(ex))
    if len(support):
        applies = ex["applies"].to_numpy(dtype=bool)
        item_keys = list(zip(support["row"].to_numpy(), support["instrument_id"].astype(str)))
        ex_keys = list(zip(ex.loc[applies, "row"].to_numpy(), ex.loc[applies, "rule_id"]))
        if item_keys != ex_keys:  # one item per applying rule, in the same order: a broken pass is an error
            raise RuntimeError("support items and applying rules disagree; the engine pass is inconsistent")
        values = _values(opts, enterprises, on_date, support, discount_rate)
        effect[applies], cash[applies] = values.npv_effect, values.cash_value
        # a tax item that saves no tax applies but is worth nothing (neither in cash nor in NPV, unlike
        # accelerated depreciation, whose cash value is 0 by nature): say so rather than show a bare 0
        idle = applies & ex["kind"].isin(_TAX_KINDS).to_numpy() & (np.abs(cash) < 0.005) & (np.abs(effect) < 0.005)
        ex.loc[idle, "reason"] = ex.loc[idle, "reason"] + (
            "; worth nothing here: no tax is saved over the option's life (its taxable profit never turns "
            "positive and no other profit absorbs the loss, or earlier items already remove the tax)")
    ex["npv_effect"] = effect
    ex["cash_value"] = cash
    return ex[list(EXPLAIN_RECORD_FIELDS)]

"""The Appraisal and Portfolio pages' cached views of one enterprise's options.

One option's detail with its enterprise's support, its risk and its NPV sensitivity; the enterprise's
cash flow table, its explanation and the cash flow section of one option as shown; the marginal
abatement cost curve.

Cached across sessions (a new browser session, or a page switch, otherwise recomputed them: about
0.5 CPU-s per Appraisal or Report render on the demo data, bench/bench_pages.py).  The frames
passed with a leading underscore are not hashed: they are fixed by the data fingerprint, the
enterprise, the option and the date that key the call, as the callers take them from the cached
loaders of :mod:`ui.data`.  Each value is the library function's own result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from store.service import Store
from ui.data import appraisal, enterprises, options


@st.cache_data(show_spinner=False, max_entries=64)
def option_appraisal(_cur: Store, version: str, enterprise_id: str, option_id: str, on_date: date,
                     discount_rate: float | None = None) -> Any:
    """One option's detail (``finance.option_detail.appraise_in_context``) with the items its enterprise's
    batch gives it: the same support as ``cpscreen appraise`` and the batch appraisal of the pages."""
    from finance.option_detail import appraise_in_context

    return appraise_in_context(options(_cur, version, enterprise_id), enterprises(_cur, version), on_date, option_id,
                               enterprise_id=enterprise_id, discount_rate=discount_rate)


@st.cache_data(show_spinner="Drawing the uncertain inputs", max_entries=16)
def option_risk(_cur: Store, version: str, enterprise_id: str, option_id: str, on_date: date,
                discount_rate: float | None, spreads: tuple[tuple[str, float], ...], draws: int = 1000) -> tuple[pd.DataFrame, Any]:
    """``finance.risk`` over the enterprise's options (caps as in its batch): the option's summary row and
    its drawn NPVs [currency]."""
    from finance.risk import simulate, summarise

    opts = options(_cur, version, enterprise_id).reset_index(drop=True)
    ents = enterprises(_cur, version)
    ents = ents[ents["enterprise_id"] == enterprise_id].reset_index(drop=True)  # its own row: the draws copy it per draw
    sim = simulate(opts, ents, on_date, draws=draws, seed=0, spreads=dict(spreads), discount_rate=discount_rate)
    i = int(np.flatnonzero(opts["option_id"].astype(str).to_numpy() == str(option_id))[0])
    return summarise(sim, opts).iloc[[i]].reset_index(drop=True), sim.npv[i]


@st.cache_data(show_spinner=False, max_entries=64)
def option_sensitivity(_option: Mapping[str, Any], _enterprise: Mapping[str, Any], _result: Any, version: str,
                       enterprise_id: str, option_id: str, on_date: date, discount_rate: float | None) -> pd.DataFrame:
    """``finance.sensitivity.npv_sensitivity`` of one option (its appraisal ``_result`` from :func:`option_appraisal`)."""
    from finance.sensitivity import npv_sensitivity

    return npv_sensitivity(dict(_option), dict(_enterprise), on_date, _result)


@st.cache_data(show_spinner=False, max_entries=64)
def enterprise_cash_flow_table(_opts: pd.DataFrame, _ents: pd.DataFrame, version: str, enterprise_id: str | None,
                               on_date: date, discount_rate: float | None = None) -> Any:
    """``finance.cashflow_table.cash_flow_table`` over an enterprise's options (:func:`options`)."""
    from finance.cashflow_table import cash_flow_table

    kwargs = {} if discount_rate is None else {"discount_rate": discount_rate}
    return cash_flow_table(_opts, _ents, on_date, **kwargs)


@st.cache_data(show_spinner=False, max_entries=64)
def enterprise_explain(_opts: pd.DataFrame, _ents: pd.DataFrame, version: str, enterprise_id: str, on_date: date,
                       discount_rate: float | None) -> pd.DataFrame:
    """``finance.explain.explain_appraisal`` over an enterprise's options (:func:`options`)."""
    from finance.explain import explain_appraisal

    return explain_appraisal(_opts, _ents, on_date, discount_rate=discount_rate)


@st.cache_data(show_spinner=False, max_entries=64)
def option_cash_flow_view(_opts: pd.DataFrame, _ents: pd.DataFrame, version: str, enterprise_id: str, option_id: str,
                          on_date: date, discount_rate: float | None, currency: str) -> dict[str, Any]:
    """The Appraisal page's cash flow section of one option: its inputs, its lines with and without
    support as shown (``ui.cashflow_view``), their discounted sums [currency] and the CSV download
    [bytes], from :func:`enterprise_cash_flow_table` (``_opts``, ``_ents`` as there).

    Raises
    ------
    ValueError
        From the cash flow table (not cached).
    """
    from ui.cashflow_view import cash_flow_frame, inputs_frame
    from ui.widgets import frame_bytes

    cft = enterprise_cash_flow_table(_opts, _ents, version, enterprise_id, on_date, discount_rate).select(enterprise_id, option_id)
    used = cft.inputs.iloc[0].copy()
    used["discount_rate_source"] = "the discount rate field above (default: the enterprise's discount_rate, else 0.08)"
    return {"inputs": inputs_frame(used, currency), "with": cash_flow_frame(cft.lines, currency, cft.items),
            "without": cash_flow_frame(cft.lines_no_support, currency, without_support=True),
            "npv": float(cft.lines["discounted_net_cash_flow"].sum()),
            "npv_no_support": float(cft.lines_no_support["discounted_net_cash_flow"].sum()),
            "csv": frame_bytes(cash_flow_frame(cft.lines, currency, cft.items, with_option=True), "csv")}


@st.cache_data(show_spinner=False, max_entries=64)
def mac_curve(_cur: Store, version: str, enterprise_id: str, on_date: date, effect: str,
              discount_rate: float) -> pd.DataFrame:
    """The Portfolio page's ``finance.portfolio.marginal_abatement_cost`` of the enterprise's options for
    ``effect``, the annualised cost being minus the appraisal's equivalent annual value [currency/yr]."""
    from finance.portfolio import marginal_abatement_cost

    opts = options(_cur, version, enterprise_id).reset_index(drop=True)
    appraised = appraisal(_cur, version, enterprise_id, on_date)
    eav = opts[["option_id"]].merge(appraised[["option_id", "equivalent_annual_value"]], on="option_id", how="left")
    return marginal_abatement_cost(opts, effect, discount_rate=float(discount_rate),
                                   annualised_cost=-eav["equivalent_annual_value"].to_numpy(dtype=float))

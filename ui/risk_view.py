"""The Appraisal page's risk section: one option's NPV over Monte Carlo draws (finance.risk)."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import streamlit as st

from finance.risk import DEFAULT_SPREADS, UNCERTAIN_INPUTS
from ui import appraisal_data
from ui.chart_cache import draw

LABELS = {"investment": "Investment", "annual_savings": "Annual savings", "annual_cost_change": "Annual cost change",
          "lifetime_years": "Lifetime"}


def show_risk(cur: object, version: str, eid: str, option_id: str, day: date, rate: float, currency: str) -> None:
    """Draw the risk section for one option of enterprise ``eid`` (all its options are drawn together)."""
    st.subheader("Risk")
    cols = st.columns(len(UNCERTAIN_INPUTS))
    spreads = {}
    for c, name in zip(cols, UNCERTAIN_INPUTS):
        spreads[name] = c.slider(f"{LABELS[name]} ± [%]", 0, 60, int(round(DEFAULT_SPREADS[name] * 100)), 5,
                                 key=f"risk_spread-{eid}-{name}",
                                 help="Triangular around the option's value, for options without their own "
                                      f"{name}_low / {name}_high columns.") / 100
    res, npv = appraisal_data.option_risk(cur, version, eid, option_id, day, rate, tuple(sorted(spreads.items())))
    r = res.iloc[0]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Probability of a loss (NPV < 0)", f"{r['prob_npv_negative']:.1%}")
    m2.metric(f"NPV P10 [{currency}]", f"{r['npv_p10']:,.0f}")
    m3.metric(f"NPV P50 [{currency}]", f"{r['npv_p50']:,.0f}")
    m4.metric(f"NPV P90 [{currency}]", f"{r['npv_p90']:,.0f}")
    draw(st, "npv_distribution_chart", npv, currency)
    drivers = pd.DataFrame([{"input": LABELS[k], "share of the NPV variance [%]": 100 * v} for k, v in r["drivers"].items()])
    if len(drivers):
        st.dataframe(drivers.sort_values("share of the NPV variance [%]", ascending=False), hide_index=True,
                     key="risk_drivers", column_config={"share of the NPV variance [%]": st.column_config.NumberColumn(format="%.1f")})
    irr = r["irr_p50"]
    pb = r["simple_payback_years_p50"]
    st.caption(f"{int(r['draws']):,} draws, seed 0, with the support in force on {day.isoformat()}: mean NPV "
               f"{r['npv_mean']:,.0f} {currency}; median IRR {'none' if irr is None or math.isnan(irr) else f'{irr:.1%}'}; "
               f"median simple payback {'never' if pb is None or math.isnan(pb) else f'{pb:.2f} yr'}. "
               "Shares of the variance: squared standardised regression coefficients of the NPV on the drawn inputs. "
               f"Investment spread default ±{DEFAULT_SPREADS['investment']:.0%}: a feasibility (AACE class 4) estimate; "
               "the others are assumptions to set. The same figures: `cpscreen risk`.")

"""Portfolio page: the best set of options under a capital budget, and the MAC curve."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from finance.portfolio import PortfolioError, select_portfolio
from screening.rank import rank_options
from ui import appraisal_data, data
from ui.chart_cache import draw
from ui.state import on_date, ranking_choice, require_enterprise, scoped

EFFECTS = {"co2e_avoided_t": ("CO2e avoided", "t CO2e"), "waste_avoided_t": ("Waste avoided", "t waste"),
           "energy_saved_mwh": ("Energy saved", "MWh"), "water_saved_m3": ("Water saved", "m3")}

st.title("Portfolio")
cur, version, eid = require_enterprise()
opts = data.options(cur, version, eid).reset_index(drop=True)
ents = data.enterprises(cur, version)
ent = ents.set_index("enterprise_id").loc[eid]
currency = ent["currency"] or ""
if opts.empty:
    st.info(f"Enterprise {eid} has no options yet.")
    st.stop()

total_inv = float(opts["investment"].sum())
c1, c2 = st.columns(2)
budget = c1.number_input(f"Capital budget [{currency}]", min_value=0.0, value=float(round(total_inv / 2, -3)),
                         step=max(1000.0, round(total_inv / 20, -3)), key=scoped("budget", eid),
                         format="%.0f", help=f"All options together would need {total_inv:,.0f} {currency}.")
choice = ranking_choice(eid)
score_source = "Screening page's weights" if choice is not None else "default weights"
objective = c2.radio("Maximise", ["npv", "score"], key=scoped("objective", eid), horizontal=True,
                     format_func=lambda o: {"npv": "NPV (with support)", "score": f"Screening score ({score_source})"}[o],
                     help="The screening score uses the profile, method and weights last set on the Screening page "
                          "(the default profile and weighted sum when it was not opened).")

frame = opts.copy()
if objective == "npv":
    appraised = data.appraisal(cur, version, eid, on_date())
    if appraised is None:
        data.missing("Selecting by NPV", "finance.appraise.appraise")
        st.stop()
    frame = frame.merge(appraised[["option_id", "npv"]], on="option_id", how="left")
else:
    try:
        ranking = rank_options(data.options_with_metrics(cur, version, eid, on_date()), ents,
                               **({} if choice is None else {"method": choice.method, "criteria": list(choice.criteria)}))
    except ValueError as exc:
        st.error(f"Cannot score the options: {exc}")
        st.stop()
    if ranking.table["score_direction"].eq("lower_is_better").any():
        st.error("The Screening page's method is VIKOR, whose score is lower-is-better and cannot be summed as a benefit: "
                 "pick another method there, or maximise NPV.")
        st.stop()
    if choice is not None:
        st.caption(f"Score from the Screening page: {choice.describe()}.")
    frame["score"] = frame["option_id"].map(dict(zip(ranking.table["option_id"], ranking.table["score"]))).fillna(0.0)

try:
    result = select_portfolio(frame, budget, objective=objective)
except PortfolioError as exc:
    st.error(f"No portfolio: {exc}")
    st.stop()
sel = frame[result.selected.to_numpy()]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Options selected", f"{len(sel)} of {len(frame)}")
m2.metric(f"Investment [{currency}]", f"{result.investment:,.0f}", help=f"Budget {budget:,.0f} {currency}")
m3.metric("NPV [" + currency + "]" if objective == "npv" else "Summed score [/1]",
          f"{result.objective:,.0f}" if objective == "npv" else f"{result.objective:.3f}")
m4.metric("Method", "exact (MILP)" if result.method == "milp" else "greedy", help=result.message)
if frame["mandatory"].astype(bool).any():
    st.caption("Mandatory options (required by law) are always selected and count against the budget and the objective: "
               + ", ".join(frame.loc[frame["mandatory"].astype(bool), "option_id"]) + ".")
achieved = {label: sel[col].fillna(0).sum() for col, (label, _) in EFFECTS.items() if col in sel.columns}
if achieved:
    st.caption("The selected set achieves per year: " + "; ".join(
        f"{label} {v:,.1f} {EFFECTS[c][1]}" for c, (label, _) in EFFECTS.items() if c in sel.columns for v in [achieved[label]]))
shown = frame.assign(selected=result.selected.to_numpy())[
    ["selected", "option_id", "title", "investment", objective, "mandatory", "excludes"]]
st.dataframe(shown, hide_index=True, width="stretch", column_config={
    "investment": st.column_config.NumberColumn(f"investment [{currency}]", format="%,.0f"),
    "npv": st.column_config.NumberColumn(f"NPV with support [{currency}]", format="%,.0f"),
    "score": st.column_config.NumberColumn("score [/1]", format="%.3f")})

st.subheader("Marginal abatement cost curve")
avail = [c for c in EFFECTS if c in opts.columns and pd.to_numeric(opts[c], errors="coerce").fillna(0).gt(0).any()]
if not avail:
    st.caption("No option of this enterprise has a yearly environmental effect: no curve to draw.")
else:
    effect = st.selectbox("Effect", avail, format_func=lambda c: EFFECTS[c][0], key=scoped("mac_effect", eid))
    rate = ent["discount_rate"] if pd.notna(ent["discount_rate"]) else 0.08
    mac = appraisal_data.mac_curve(cur, version, eid, on_date(), effect, float(rate))  # cached across sessions
    draw(st, "mac_curve_chart", mac, currency, EFFECTS[effect][1])
    st.caption(f"Cost per unit = annualised net cost (after tax, with support: minus the appraisal's equivalent annual "
               f"value at the option's discount rate) / yearly {EFFECTS[effect][0].lower()}; "
               "below zero the option saves money while it abates. Options without this effect are left out.")
    alts = mac[mac["alternative_to"].notna()]
    if len(alts):
        st.caption("Alternatives are not added: of options that exclude each other the curve stacks the one with the "
                   "lowest cost per unit and draws the others in grey over it ("
                   + "; ".join(f"{a} is an alternative to {b}" for a, b in zip(alts["option_id"], alts["alternative_to"])) + ").")

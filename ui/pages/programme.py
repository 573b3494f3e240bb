"""Programme page (programme staff): a policy pack offered to many enterprises, its budget and scenarios."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from policies.engine import check_parameters, load_packs, parameter_bounds, parameters
from programme.budget import GOVERNMENT_DISCOUNT_RATE, baseline, run_programme
from programme.uptake import DecisionRule
from ui import charts, data
from ui.state import db_cursor, enterprise_id, on_date

SUMMARY_LABELS = {
    "eligible_options": ("Eligible options", ""), "uptake_without_support": ("Uptake without support", "options"),
    "uptake_with_support": ("Uptake with support", "options"), "additional_uptake": ("Additional uptake", "options"),
    "total_outlay": ("Expected public outlay", "cur"), "outlay_if_all": ("Outlay if every eligible option took it up", "cur"),
    "grants": ("of which grants", "cur"), "tax_expenditure": ("of which tax expenditure", "cur"),
    "deadweight": ("Free riders (deadweight)", "cur"), "deadweight_share": ("Free-rider share of outlay", "%"),
    "private_investment": ("Private investment", "cur"), "leverage": ("Leverage (private per public)", "/1"),
    "cost_per_t_co2e": ("Cost per additional t CO2e", "cur/t"), "cost_per_supported_t_co2e": ("Cost per supported t CO2e", "cur/t"),
    "cost_per_t_waste": ("Cost per additional t waste", "cur/t"), "cost_per_mwh": ("Cost per additional MWh", "cur/MWh"),
    "pv_cost": ("Present value to the treasury", "cur"), "pv_cost_per_t_co2e": ("PV cost per additional t CO2e", "cur/t"),
}


st.title("Programme")
cur = db_cursor()
version = data.data_version(cur)
day = on_date()
packs = load_packs()
ents = data.enterprises(cur, version)
if ents.empty:
    st.info("No enterprise stored yet: import data on the Options page.")
    st.stop()

c1, c2 = st.columns([1, 2])
live = [c for c in packs if parameters(packs[c], day)]
jurisdiction = dict(zip(ents["enterprise_id"], ents["jurisdiction"]))
names = dict(zip(ents["enterprise_id"], ents["name"]))
home = jurisdiction.get(enterprise_id())
start = home if home in live else (live[0] if live else next(iter(packs)))  # the sidebar enterprise's pack first
code = c1.selectbox("Programme (policy pack)", list(packs), key="programme_pack",
                    index=list(packs).index(start),
                    format_func=lambda c: f"{c}: {packs[c].meta.name}")
local = [e for e in ents["enterprise_id"] if jurisdiction[e] == code]  # the pack's own enterprises by default
chosen = c2.multiselect("Enterprises", list(ents["enterprise_id"]), default=local, key=f"programme_enterprises-{code}",
                        format_func=lambda e: f"{names[e]} ({jurisdiction[e]})")
pack = packs[code]
currency = pack.meta.currency
if not chosen:
    st.info(f"No enterprise of jurisdiction {code} is stored: pick enterprises to run the programme on them as if they "
            f"were in {code}." if not local else "Pick at least one enterprise.")
    st.stop()
foreign = sorted({jurisdiction[e] for e in chosen} - {code})
if foreign:
    st.warning(f"Enterprises of {', '.join(foreign)} are included: the programme treats them as if they were in {code}, "
               f"and adds their amounts to the totals as {currency}.")
params = parameters(pack, day)
if not params:
    st.info(f"No rule of {code} is in force on {day.isoformat()} (the sidebar's date): pick another date or pack.")
    st.stop()

d1, d2 = st.columns(2)
kind = d1.selectbox("Enterprises take an option up when", ["payback", "npv", "irr"], key="rule_kind",
                    format_func=lambda k: {"payback": "its simple payback is short enough", "npv": "its NPV is positive",
                                           "irr": "its IRR beats a hurdle rate"}[k])
limit = d2.slider("Payback limit [yr]", 0.5, 10.0, 3.0, 0.5, key="payback_limit") if kind == "payback" else 3.0
hurdle = d2.slider("Hurdle rate [%]", 0.0, 30.0, 10.0, 1.0, key="hurdle") / 100 if kind == "irr" else 0.10
rule = DecisionRule(kind=kind, payback_limit=limit, hurdle=hurdle)

st.subheader("Scenarios")
names = list(params)
default_param = next((n for n in names if n.endswith(".rate") or n.endswith(".rate.value")), names[0])
s1, s2, s3 = st.columns([2, 1, 1])
param = s1.selectbox("Parameter to compare", names, index=names.index(default_param), key="scenario_param",
                     help="Programme parameters are named <rule id>.<path>, e.g. a grant's rate.")
base_value = float(params[param])
va = s2.number_input("Scenario A", value=base_value, key=f"value_a-{param}", format="%g")
high = parameter_bounds(pack, day).get(param, (0.0, float("inf")))[1]  # an "up to" figure cannot double past its ceiling
vb = s3.number_input("Scenario B", value=min(round(base_value * 2, 6) if base_value else 1.0, high), key=f"value_b-{param}", format="%g")
scenarios = {f"A: {param} = {va:g}": {param: va}, f"B: {param} = {vb:g}": {param: vb}}

opts = data.options(cur, version, None)
opts = opts[opts["enterprise_id"].isin(chosen)].reset_index(drop=True)
sel_ents = ents[ents["enterprise_id"].isin(chosen)].reset_index(drop=True)
if opts.empty:
    st.info("The chosen enterprises have no options.")
    st.stop()
key = ("programme", version, code, tuple(chosen), day, rule, tuple((k, tuple(v.items())) for k, v in scenarios.items()))
cache = st.session_state.setdefault("programme_cache", {})
if key not in cache:
    bar = st.progress(0.0, text=f"Appraising {len(opts)} option(s) without support")
    try:
        for p in scenarios.values():
            check_parameters(p, day, programme=code)  # the engine's refusal, shown before any appraisal runs
        base = baseline(opts, sel_ents, on_date=day)
        results = {}
        for i, (name, p) in enumerate(scenarios.items()):
            bar.progress((i + 1) / (len(scenarios) + 1), text=f"Scenario {name}")
            results[name] = run_programme(opts, sel_ents, code, params=p, on_date=day, rule=rule, scenario=name, base=base)
    except ValueError as exc:
        bar.empty()
        st.error(f"Cannot run the programme: {exc}")
        st.stop()
    bar.empty()
    cache.clear()
    cache[key] = results
results = cache[key]

def _fmt(v: object, unit: str) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    v = float(v)  # type: ignore[arg-type]
    if unit in ("", "options"):
        return f"{v:,.0f}"
    if unit == "%":
        return f"{v:.1%}"
    return f"{v:,.0f}" if unit == "cur" else f"{v:,.2f}"


rows = []
for k, (label, unit) in SUMMARY_LABELS.items():
    unit_txt = unit.replace("cur", currency)
    rows.append({"measure": f"{label} [{unit_txt}]" if unit_txt else label,
                 **{name: _fmt(r.summary.get(k), unit) for name, r in results.items()}})
summary = pd.DataFrame(rows)
st.dataframe(summary, hide_index=True, width="stretch", key="scenario_summary", height=36 * (len(summary) + 1) + 3)
st.caption("Outlay is expected public money (grants when paid, tax benefits as revenue forgone) over the options' lives; "
           "free riders are enterprises that would have invested without the support. "
           "Cost per additional tonne counts only the uptake the programme induces. "
           f"The present value discounts the outlay at a {GOVERNMENT_DISCOUNT_RATE:.0%} real government rate "
           "(EC Better Regulation Toolbox, tool #61): "
           "it shows the cost of tax deferrals such as free depreciation, which cost nothing in nominal terms.")

tops = [r.by_year_instrument.groupby("calendar_year")["outlay"].sum().max() for r in results.values()
        if not r.by_year_instrument.empty]
y_max = float(max(tops)) if tops else None
cols = st.columns(len(results))
for col, (name, r) in zip(cols, results.items()):
    by = r.by_year_instrument
    if by.empty or not by["outlay"].abs().gt(0).any():
        col.caption(f"{name}: no outlay (no option eligible or taken up).")
        continue
    col.altair_chart(charts.stacked_by_year_chart(by.rename(columns={"calendar_year": "year", "instrument_id": "instrument"}),
                                                  "outlay", "instrument", currency, title=f"Outlay by year, {name}",
                                                  y_max=y_max),
                     width="stretch")
with st.expander("Per option"):
    name = st.radio("Scenario", list(results), key="per_option_scenario", horizontal=True)
    st.dataframe(results[name].by_option, hide_index=True, width="stretch")

"""Programme page (programme staff): a policy pack offered to many enterprises, its budget and scenarios."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from policies.engine import check_parameters, parameter_bounds, parameters, rules_in_force
from policies.parameters import idle_rules, split_params, supporting_rules
from policies.registry import load_packs
from programme.budget import GOVERNMENT_DISCOUNT_RATE
from programme.mc_records import fan_frame
from programme.montecarlo import summary_record
from programme.ration import ORDERS, ration_summary
from programme.uptake import IAC_UPTAKE_RULE, DecisionRule
from ui import data, programme_data
from ui.chart_cache import draw
from ui.programme_tables import default_parameter, parameter_label, scenario_b_default, per_option_table, summary_text
from ui.state import db_cursor, enterprise_id, on_date

SUMMARY_LABELS = {
    "eligible_options": ("Eligible options", ""), "uptake_without_support": ("Uptake without support", "options"),
    "uptake_with_support": ("Uptake with support", "options"), "additional_uptake": ("Additional uptake", "options"),
    "total_outlay": ("Expected public outlay", "cur"), "outlay_if_all": ("Outlay if every eligible option took it up", "cur"),
    "grants": ("of which grants", "cur"), "tax_expenditure": ("of which tax expenditure", "cur"),
    "deadweight": ("Deadweight (support to free riders)", "cur"), "deadweight_share": ("Deadweight share of outlay", "%"),
    "private_investment": ("Private investment", "cur"), "leverage": ("Leverage (private per public)", "/1"),
    "cost_per_t_co2e": ("Cost per additional t CO2e avoided", "cur/t CO2e"),
    "cost_per_supported_t_co2e": ("Cost per supported t CO2e avoided", "cur/t CO2e"),
    "cost_per_t_waste": ("Cost per additional t waste avoided", "cur/t waste"),
    "cost_per_mwh": ("Cost per additional MWh saved", "cur/MWh"),
    "pv_cost": ("Present value to the treasury", "cur"),
    "pv_cost_per_t_co2e": ("Present value per additional t CO2e avoided", "cur/t CO2e"),
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
enterprise_names = dict(names)  # `names` is reused below for the parameters
home = jurisdiction.get(enterprise_id())
start = home if home in live else (live[0] if live else next(iter(packs)))  # the sidebar enterprise's pack first
code = c1.selectbox("Programme (policy pack)", list(packs), key="programme_pack",
                    index=list(packs).index(start),
                    format_func=lambda c: f"{c}: {packs[c].meta.name}")
local = [e for e in ents["enterprise_id"] if jurisdiction[e] == code]  # the pack's own enterprises by default
many = len(local) > programme_data.PICK_ALL_ABOVE  # national scale: an empty pick means all of them
chosen = c2.multiselect("Enterprises", list(ents["enterprise_id"]), default=[] if many else local, key=f"programme_enterprises-{code}",
                        format_func=lambda e: names[e] if f"({jurisdiction[e]})" in str(names[e]) else f"{names[e]} ({jurisdiction[e]})",
                        placeholder=f"All {len(local):,} enterprises of {code}" if many else "Choose enterprises")
chosen = chosen or (local if many else [])
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
# --- realised against predicted: the chosen enterprises' implemented options (programme.realised) ------
if programme_data.any_implemented(cur, version, chosen):
    # collapsed sections are built only while open (on_change="rerun" tracks the state): at national scale their
    # tables were computed, and sent to every browser, on each rerun whether shown or not
    _section = st.expander("Realised against predicted (implemented options)", key="programme_realised", on_change="rerun")
    if _section.open:
        with _section:
            _real = programme_data.realised(cur, version, chosen)
            st.caption("Options with status implemented that record actual figures, against what was predicted for them; "
                       "sums over the options recording both, ratio = actual / predicted of the sums; money per currency. "
                       "Per option: cpscreen track; by jurisdiction: cpscreen track --by jurisdiction.")
            _units = {"investment": "{c}", "annual_savings": "{c}/yr", "energy_saved_mwh": "MWh/yr", "co2e_avoided_t": "t/yr"}
            _long = pd.concat([_real[["jurisdiction", "currency", "implemented", "with_actuals"]].assign(
                figure=f, unit=_real["currency"].map(lambda c, u=u: u.replace("{c}", c or "currency")),
                compared=_real[f"compared_{f}"], predicted=_real[f"predicted_{f}"], actual=_real[f"actual_{f}"],
                ratio=_real[f"ratio_{f}"]) for f, u in _units.items()], ignore_index=True).sort_values(
                ["jurisdiction", "currency"], kind="stable")
            _none = sorted(set(_long.loc[_long["compared"] == 0, "figure"]) - set(_long.loc[_long["compared"] > 0, "figure"]))
            _long = _long[_long["compared"] > 0]
            if _long.empty:
                st.info("No implemented option records an actual figure together with its prediction yet.")
            else:
                st.dataframe(_long, hide_index=True, width="stretch", key="realised_by_jurisdiction",
                             column_config={"ratio": st.column_config.NumberColumn("actual / predicted", format="%.3f"),
                                            "predicted": st.column_config.NumberColumn("predicted", format="%,.1f"),
                                            "actual": st.column_config.NumberColumn("actual", format="%,.1f"),
                                            "compared": st.column_config.NumberColumn(
                                                "compared", help="implemented options recording both figures")})
            if _none:
                st.caption(f"No implemented option records both the predicted and the actual {', '.join(_none)}.")
params = parameters(pack, day)
if not params:
    st.info(f"No rule of {code} is in force on {day.isoformat()} (the sidebar's date): pick another date or pack.")
    st.stop()

d1, d2 = st.columns(2)
kind = d1.selectbox("Enterprises take an option up when", ["payback", "npv", "irr", "logistic"], key="rule_kind",
                    format_func=lambda k: {"payback": "its simple payback is short enough", "npv": "its NPV is positive",
                                           "irr": "its IRR beats a hurdle rate",
                                           "logistic": "chance, by payback (the curve fitted on US IAC decisions)"}[k])
limit = d2.slider("Payback rule: longest simple payback an enterprise accepts [yr]", 0.5, 10.0, 3.0, 0.5,
                  key="payback_limit") if kind == "payback" else 3.0
hurdle = d2.slider("IRR rule: smallest IRR an enterprise accepts (hurdle rate) [%]", 0.0, 30.0, 10.0, 1.0,
                   key="hurdle") / 100 if kind == "irr" else 0.10
if kind == "logistic":
    l1, l2 = d2.columns(2)
    a = l1.number_input("Intercept [/1]", value=IAC_UPTAKE_RULE.intercept, format="%.4f", key="logistic_intercept")
    b = l2.number_input("Slope per ln(payback in yr) [/1]", value=IAC_UPTAKE_RULE.slope, format="%.4f", key="logistic_slope",
                        help="p = 1 / (1 + exp(-(intercept + slope x ln payback))); the defaults are the fit on 134,217 "
                             "US IAC recommendations (bench/iac_uptake_fit.py): p = 0.47 at 1 yr, 0.42 at 3 yr.")
    rule = DecisionRule("logistic", intercept=float(a), slope=float(b), transform="log")
else:
    rule = DecisionRule(kind=kind, payback_limit=limit, hurdle=hurdle)

st.subheader("Scenarios")
# a range rate is compared through <rule>.rate: its low, high and default are the range, not extra knobs
names = [n for n in params if not any(n == f"{r}.rate.{end}" for end in ("low", "high", "default")
                                      for r in (n.rsplit(".rate.", 1)[0],) if f"{r}.rate" in params)]
# first a rate of a rule that supports the chosen options at the pack's values (that run is scenario A's while A
# keeps the pack's value: the same cached run, see below)
try:
    pack_run = programme_data.programme_results(cur, version, chosen, day, code, rule, {"pack": {}})
except ValueError as exc:
    st.error(f"Cannot run the programme: {exc}")
    st.stop()
supporting = supporting_rules(pack_run["pack"].support) if pack_run else set()
rule_of = {n: next(iter(split_params({n: float(params[n])}, packs))) for n in names}
default_param = default_parameter(names, supporting, rule_of)
s1, s2, s3 = st.columns([2, 1, 1])
rule_names = {r.id: r.name for r in rules_in_force(pack, day)}
param = s1.selectbox("Parameter to compare", names, index=names.index(default_param), key="scenario_param",
                     format_func=lambda n: parameter_label(n, rule_names, currency),
                     help="A value of the pack's rules; the CLI names it <rule id>.<path> (cpscreen budget --param). "
                          "Shares are fractions: 0.25 = 25 %.")
base_value = float(params[param])
param_words = parameter_label(param, rule_names, currency)
unit = param_words.rpartition("[")[2].rstrip("]") if param_words.endswith("]") else ""
high = parameter_bounds(pack, day).get(param, (0.0, float("inf")))[1]  # an "up to" figure cannot double past its ceiling
va = s2.number_input(f"Scenario A [{unit}]" if unit else "Scenario A", value=base_value, key=f"value_a-{param}", format="%g",
                     help=f"{param_words}; the pack's value is {base_value:g}.")
vb = s3.number_input(f"Scenario B [{unit}]" if unit else "Scenario B",
                     value=scenario_b_default(base_value, high), key=f"value_b-{param}", format="%g")
# scenarios named by their value (the parameter is named in words above; its CLI name is in the help)
scenarios = {f"A: {va:g}{' ' + unit if unit else ''}": {param: va}, f"B: {vb:g}{' ' + unit if unit else ''}": {param: vb}}

try:
    for p in scenarios.values():
        check_parameters(p, day, programme=code)  # the engine's refusal, shown before any appraisal runs
    # a scenario value equal to the pack's is the pack's run (one cached computation, the same figures)
    results = programme_data.programme_results(
        cur, version, chosen, day, code, rule,
        {name: {k: v for k, v in p.items() if v != params[k]} for name, p in scenarios.items()})
except ValueError as exc:
    st.error(f"Cannot run the programme: {exc}")
    st.stop()
if results is None:
    st.info("The chosen enterprises have no options.")
    st.stop()

rows = []
for k, (label, unit) in SUMMARY_LABELS.items():
    unit_txt = unit.replace("cur", currency)
    rows.append({"measure": f"{label} [{unit_txt}]" if unit_txt else label,
                 **{name: summary_text(r.summary.get(k), unit) for name, r in results.items()}})
summary = pd.DataFrame(rows)
st.dataframe(summary, hide_index=True, width="stretch", key="scenario_summary", height=36 * (len(summary) + 1) + 3)
# nothing silent: the rule whose parameter the scenarios set supports none of these options in either: A is B
for compared in set.intersection(*(set(idle_rules(p, results[name].support, packs)) for name, p in scenarios.items())):
    st.info(f"{rule_names.get(compared, compared)} ({compared}) supports none of the chosen enterprises' options in "
            "either scenario, so A and B are the same: compare a parameter of another rule. Why it does not apply to "
            "an option: Per option, below.")
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
    draw(col, "stacked_by_year_chart", by.rename(columns={"calendar_year": "year", "instrument_id": "instrument"}),
         "outlay", "instrument", currency, title=f"Outlay by year, {name}", y_max=y_max)
    # the chart's figures as a table, with a download (same library table, summed over instruments)
    table, table_csv = programme_data.budget_by_year(by, currency)  # cached across sessions
    i = list(results).index(name)
    col.dataframe(table, hide_index=True, width="stretch", key=f"budget_by_year-{i}",
                  column_config={c: st.column_config.NumberColumn(c, format="%,.0f") for c in table.columns
                                 if c.endswith(f"[{currency}]")})
    col.download_button(f"Download budget by year (CSV), scenario {name[0]}", data=table_csv,
                        file_name=f"budget_by_year_{code}_{name[0]}.csv", mime="text/csv", key=f"download_budget-{i}")
st.subheader("Outlay under uncertainty")
n_opts = len(programme_data.programme_options(cur, version, chosen, day, rule))
u1, u2, u3 = st.columns(3)
n_draws = int(u1.number_input("Draws", min_value=20, max_value=2000, value=200, step=20, key="mc_draws",
                              help="Each draw runs the programme on the options' inputs drawn within their ranges "
                                   "(triangular, as on the Appraisal page's risk view) and draws each enterprise's "
                                   "decision; the same figures as cpscreen budget --draws."))
envelope = float(u2.number_input(f"Envelope [{currency}]", min_value=0.0, value=0.0, step=1000.0, format="%.0f",
                                 key="mc_envelope", help="Money available over the programme (nominal); 0 = none."))
order = u3.selectbox("When the envelope runs out, fund first", ["none", *ORDERS], key="mc_ration",
                     format_func=lambda o: {"none": "(no rationing)", "first-come": "in order of application",
                                            "cost-per-tonne": "lowest cost per tonne CO2e",
                                            "npv-ratio": "highest NPV ratio"}[o])
env = envelope if envelope > 0 else None
ration_order = order if (order != "none" and env is not None) else None
if order != "none" and env is None:
    st.caption("Rationing needs an envelope: set one above.")
run_now = n_opts * n_draws <= 200_000 or st.button(f"Run {n_draws:,} draws of {n_opts:,} options", key="mc_run")
if run_now:
    fans, effects = {}, []
    try:
        for name, p in scenarios.items():
            sums, rationed = programme_data.programme_draws(cur, version, chosen, day, code, rule, p, n_draws, 0, env,
                                                            ration_order)
            fans[name] = fan_frame(sums, day)
            rec = summary_record(sums, envelope=env)
            # undefined figures (no additional tonne in the median draw) read "–", as in the summary above
            row = {"scenario": name, f"Total outlay P10 [{currency}]": summary_text(rec["total_outlay_p10"], "cur"),
                   f"P50 [{currency}]": summary_text(rec["total_outlay_p50"], "cur"),
                   f"P90 [{currency}]": summary_text(rec["total_outlay_p90"], "cur"),
                   f"Cost per additional t CO2e, P50 [{currency}/t]": summary_text(rec["cost_per_t_co2e_p50"], "cur/t"),
                   # why a cost per tonne reads "–": the draws in which support induced no tonne
                   "Draws with no additional t CO2e": summary_text(rec["cost_per_t_co2e_undefined_draws"], "")}
            if env is not None:
                row["Chance outlay exceeds the envelope"] = summary_text(rec["prob_over_envelope"], "%")
            if rationed is not None:
                r = ration_summary(rationed)
                row.update({f"Funded P50 [{currency}]": summary_text(r["funded_outlay_p50"], "cur"),
                            "Applications left out (mean)": summary_text(r["left_out_applications_mean"], "/1"),
                            "t CO2e bought P50 [t]": summary_text(r["t_co2e_bought_p50"], "t"),
                            f"Cost per t CO2e bought P50 [{currency}/t]": summary_text(r["cost_per_t_co2e_bought_p50"], "cur/t")})
            effects.append(row)
    except ValueError as exc:
        st.error(f"Cannot draw the programme: {exc}")
        st.stop()
    fan_max = max((float(f["p90"].max()) for f in fans.values() if len(f)), default=0.0)
    fcols = st.columns(len(fans))
    for col, (name, fan) in zip(fcols, fans.items()):
        if fan.empty or not (fan[["p10", "p90"]].abs().to_numpy() > 0).any():
            col.caption(f"{name}: no outlay in any draw.")
            continue
        draw(col, "fan_chart", fan, currency, title=f"Outlay by year, P10-P90 and P50, {name}", y_max=fan_max or None)
    st.dataframe(pd.DataFrame(effects), hide_index=True, width="stretch", key="mc_effects")
    st.caption(f"{n_draws:,} draws, seed 0: inputs drawn within their ranges (default +-25 % investment, +-30 % savings "
               "and cost change, +-20 % life), each enterprise's decision drawn; caps are spent per draw. The band holds "
               "8 draws in 10. With an envelope, applications are funded in the chosen order until the money runs out; "
               "tonnes bought are those of funded applications that would not have gone ahead without support.")
else:
    st.caption(f"{n_opts:,} options x {n_draws:,} draws: press the button to run the draws (they are cached).")

_section = st.expander("Per option", key="programme_per_option", on_change="rerun")
if _section.open:
    with _section:
        name = st.radio("Scenario", list(results), key="per_option_scenario", horizontal=True)
        st.dataframe(per_option_table(results[name].by_option, currency), hide_index=True, width="stretch")
        if results[name].by_option["alternative_to"].notna().any():
            st.caption("Options that exclude each other are alternatives: an enterprise takes up at most one of them, the "
                       "one its decision rule ranks best; the others show the alternative taken instead, and their support "
                       "is what they would have got (not paid).")
        # the reasons of one enterprise's options at a time: at national scale a list of every option (and
        # explaining them all) would cost seconds on each rerun; caps are per enterprise, so its reasons are whole
        opts = programme_data.programme_options(cur, version, chosen, day, rule)
        w1, w2 = st.columns(2)
        why_ent = w1.selectbox("Why, and why not: enterprise", list(pd.unique(opts["enterprise_id"])), key="why_enterprise",
                               format_func=lambda e: f"{enterprise_names.get(e, e)}")
        mine = opts[opts["enterprise_id"] == why_ent].reset_index(drop=True)
        labels = {f"{why_ent} / {o}": i for i, o in enumerate(mine["option_id"])}
        pick = w2.selectbox("option", list(labels), key="why_option")
        why = programme_data.programme_explain(cur, version, [why_ent], day, rule, code, scenarios[name])
        st.dataframe(why.loc[why["row"] == labels[pick], ["rule_id", "applies", "amount", "reason"]].rename(
            columns={"amount": f"amount [{currency}]"}), hide_index=True, width="stretch", key="why_programme")
        st.caption("Every rule of the programme in force on the date, for this option as if it were in "
                   f"{code}; amounts before per-enterprise caps are shared among the options taken up.")

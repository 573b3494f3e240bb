"""Appraisal page (financial officer): one option's cash flows, metrics and support, with and without."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from ui import appraisal_data, charts, data
from ui.chart_cache import draw
from ui.state import APPRAISAL_OPTION, choose_appraisal_option, kept, on_date, require_enterprise, scoped

METRICS = [("npv", "NPV", "cur"), ("irr", "IRR", "%"), ("mirr", "MIRR", "%"),
           ("simple_payback_years", "Simple payback", "yr"), ("discounted_payback_years", "Discounted payback", "yr"),
           ("npv_ratio", "NPV ratio (NPV / net investment)", "/1"), ("benefit_cost_ratio", "Benefit-cost ratio", "/1")]


def _show(v: object, unit: str, currency: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "never" if unit == "yr" else "none"
    v = float(v)  # type: ignore[arg-type]
    if unit == "cur":
        return f"{v:,.0f} {currency}"
    if unit == "%":
        return f"{v:.1%}"
    if unit == "yr":
        return f"{v:.2f} yr"
    return f"{v:.3f}"


st.title("Appraisal")
cur, version, eid = require_enterprise()
opts = data.options(cur, version, eid)
if opts.empty:
    st.info(f"Enterprise {eid} has no options yet.")
    st.stop()
appraise_option = data.optional("finance.option_detail", "appraise_option")
if appraise_option is None:
    data.missing("The appraisal (cash flows, metrics and support with and without)", "finance.option_detail.appraise_option")
    st.stop()

titles = dict(zip(opts["option_id"], opts["title"]))
ids = list(titles)
ents = data.enterprises(cur, version)
enterprise = ents.set_index("enterprise_id").loc[eid].to_dict() | {"enterprise_id": eid}
currency = enterprise.get("currency") or ""
default_rate = enterprise.get("discount_rate")
default_rate = 0.08 if default_rate is None or pd.isna(default_rate) else float(default_rate)

# Both widgets are keyed by the enterprise (a rate or option set for one is never used for the next)
# and kept across page switches (the Screening page opens an option here with st.switch_page); the
# rate follows an edit of the enterprise's stored rate.
if (linked := st.query_params.get("option")) in ids:  # a link to one option (?option=ID): applied once
    choose_appraisal_option(eid, linked)
    del st.query_params["option"]
c1, c2 = st.columns([3, 1])
option_id = c1.selectbox("Option", ids, format_func=lambda o: f"{o}: {titles[o]}",
                         **kept(scoped(APPRAISAL_OPTION, eid), ids[0], ids))
rate = c2.number_input("Discount rate [%/yr]", 0.0, 50.0, step=0.5,
                       **kept(scoped("discount_rate", eid), round(default_rate * 100, 2), follow_default=True),
                       help="Real, after tax; default the enterprise's.") / 100
option = opts.set_index("option_id").loc[option_id].to_dict() | {"option_id": option_id}
day = on_date()
try:
    res = appraisal_data.option_appraisal(cur, version, eid, option_id, day, rate)
except ValueError as exc:
    st.error(f"Cannot appraise {option_id}: {exc}")
    st.stop()

st.caption(
    f"Jurisdiction **{enterprise.get('jurisdiction')}** (policy pack {res.pack or 'none'}, version {res.pack_version or '–'}), "
    f"rules in force on **{day.isoformat()}**; discount rate **{res.discount_rate:.2%}**; income tax rate "
    f"**{res.tax_rate:.2%}**; tax capacity **{'yes' if res.tax_capacity else 'no'}** "
    f"({'tax savings realised in the year they arise' if res.tax_capacity else 'losses and credits carried forward'}); "
    f"payback measured {'after' if res.payback_basis.tax == 'after_tax' else 'before'} tax, support "
    f"{'included' if res.payback_basis.with_support else 'left out'} (`{res.payback_basis.label}` in exports)."
)

# --- metrics ----------------------------------------------------------------------------------
m1, m2, m3 = st.columns(3)
m1.metric(f"NPV with support [{currency}]", f"{res.metrics['npv']:,.0f}",
          delta=f"{res.support_total:,.0f} from support" if res.support_total else None,
          help="Counts the Total Cost Assessment tiers II-IV where the option gives them (see below).")
m2.metric("Simple payback with support", _show(res.metrics["simple_payback_years"], "yr", currency))
m3.metric("IRR with support", _show(res.metrics["irr"], "%", currency))
table = pd.DataFrame([{"metric": f"{label} [{currency if unit == 'cur' else unit}]",
                       "with support": _show(res.metrics.get(k), unit, currency),
                       "without support": _show(res.metrics_no_support.get(k), unit, currency)} for k, label, unit in METRICS])
st.dataframe(table, hide_index=True, width="stretch", key="metrics_table")
if res.metrics.get("irr_reason"):
    st.caption(f"IRR: {res.metrics['irr_reason']}")
if not float(option.get("investment") or 0.0) > 0:
    st.caption("No investment: the NPV ratio and the benefit-cost ratio divide by the investment, so they are not defined; "
               "the payback is immediate.")

# --- financing: the equity flow beside the project's (finance.financing) ------------------------
if not math.isnan(float(res.equity.get("equity_npv", math.nan))):
    st.subheader("Financing: equity")
    e1, e2, e3, e4 = st.columns(4)
    e1.metric(f"Equity NPV [{currency}]", f"{res.equity['equity_npv']:,.0f}",
              delta=f"{res.equity['equity_npv'] - res.metrics['npv']:,.0f} against the project NPV")
    e2.metric("Equity IRR", _show(res.equity["equity_irr"], "%", currency))
    e3.metric("Equity payback", _show(res.equity["equity_payback_years"], "yr", currency))
    e4.metric("Minimum DSCR", _show(res.equity["min_dscr"], "/1", currency))
    if res.equity.get("equity_irr_reason"):
        st.caption(f"Equity IRR: {res.equity['equity_irr_reason']}")
    cover = res.flows[["t", "dscr"]].rename(columns={"t": "year"}).dropna()
    draw(st, "dscr_chart", cover)
    st.caption("The project figures above are those of the whole investment (unlevered). The equity flow adds the "
               "debt drawn at year 0 and subtracts interest and principal, with the interest deducted from taxable "
               "profit; DSCR = cash after tax available for debt service / debt service, in the years with debt service.")

if res.inflation:
    from finance.inflation import nominal

    if st.toggle(f"Show nominal flows (inflation {res.inflation:.1%}/yr)", key=scoped("nominal_flows", eid)):
        shown = pd.DataFrame({"Year": res.flows["t"], f"Net cash flow, real [{currency}]": res.flows["net"],
                              f"Net cash flow, nominal [{currency}]": nominal(res.flows["net"].to_numpy(), res.inflation)})
        if res.flows["equity"].notna().any():
            shown[f"Equity cash flow, real [{currency}]"] = res.flows["equity"]
            shown[f"Equity cash flow, nominal [{currency}]"] = nominal(res.flows["equity"].to_numpy(), res.inflation)
        st.dataframe(shown, hide_index=True, width="stretch", key="nominal_flows",
                     column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in shown.columns if c != "Year"})
    st.caption("Flows and the discount rate are real (money of year 0). Tax depreciation and loan payments are fixed "
               "in money of the day, so their real value falls by (1 + inflation)^-t.")

# --- Total Cost Assessment: conventional (tier I) and full view side by side -------------------
st.subheader("Total Cost Assessment")
tiers = getattr(res, "tiers", None)
if tiers is None or tiers.empty:
    st.caption("No tier II-IV lines for this option (fields tier2_annual_savings, tier3_liability_cost with "
               "tier3_probability, tier4_annual_benefit), so its NPV counts the direct costs and savings only: the "
               "conventional view (tier I) and the full view are the same.")
else:
    t1, t2 = st.columns(2)
    t1.metric(f"NPV, conventional view (tier I) [{currency}]", f"{res.npv_tier1:,.0f}")
    t2.metric(f"NPV, full view (tiers I-IV) [{currency}]", f"{res.metrics['npv']:,.0f}",
              delta=f"{res.metrics['npv'] - res.npv_tier1:,.0f} from tiers II-IV")
    money = [f"yearly amount, year 1 [{currency}/yr]", f"NPV counting tiers up to this one [{currency}]"]
    st.dataframe(pd.DataFrame({"tier": tiers["tier"], "costs and savings": tiers["what"], money[0]: tiers["annual_amount"],
                               money[1]: tiers["npv_through_tier"]}), hide_index=True, width="stretch", key="tca_tiers",
                 column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in money})
    st.caption("Tier I: the option's investment, savings and cost change. Tiers II-IV are added to the yearly savings and "
               "run through the same after-tax cash flow, with support: II hidden costs avoided, III the expected yearly "
               "cost of a contingent liability avoided (probability x cost, every year of the life), IV less tangible "
               "benefits. The metrics above and in `cpscreen appraise` (`npv`) are the full view; `npv_tier1` is the "
               "conventional one. Method: AIChE Total Cost Assessment; U.S. EPA Pollution Prevention Benefits Manual "
               "(EPA/230/R-89/100, 1989) and P2/FINANCE (EPA742-F-94-003, 1994).")

# --- environmental load factor (ICI) of the site, and what the options do to it -----------------
from screening.elf import option_elf  # noqa: E402

st.subheader("Environmental load factor of the site")
elf = option_elf(opts, ents)
mine = elf[elf["option_id"] == option_id].iloc[0]
if mine["elf_reason"] and pd.isna(mine["elf_before"]):
    st.caption(f"Not defined for {eid}: {mine['elf_reason']} (ELF = (material input - product sold) / product sold).")
else:
    e1, e2 = st.columns(2)
    e1.metric("ELF of the site [t/t]", f"{mine['elf_before']:.3f}",
              help="ICI's environmental load factor: (material_input_t - product_output_t) / product_output_t.")
    e2.metric(f"ELF after {option_id} [t/t]", f"{mine['elf_after']:.3f}",
              delta=f"{-mine['elf_reduction']:.3f}" if mine["elf_reduction"] else None, delta_color="inverse")
    given = elf[elf["waste_avoided_t"].notna()]
    if len(given):
        st.dataframe(pd.DataFrame({"option": given["option_id"] + ": " + given["option_id"].map(titles),
                                   "waste avoided [t/yr]": given["waste_avoided_t"], "ELF after [t/t]": given["elf_after"],
                                   "reduction [t/t]": given["elf_reduction"], "note": given["elf_reason"]}),
                     hide_index=True, width="stretch", key="elf_table",
                     column_config={"waste avoided [t/yr]": st.column_config.NumberColumn(format="%,.0f"),
                                    "ELF after [t/t]": st.column_config.NumberColumn(format="%.4f"),
                                    "reduction [t/t]": st.column_config.NumberColumn(format="%.4f")})
    rest = elf.loc[elf["waste_avoided_t"].isna(), "option_id"].tolist()
    st.caption("An option that avoids w tonnes of waste a year needs w tonnes less raw material for the same product: "
               "ELF after = (input - w - product) / product; each option alone, against today's site."
               + (f" Without waste_avoided_t, so leaving the ELF as it is: {', '.join(rest)}." if rest else ""))

# --- cash flow chart --------------------------------------------------------------------------
flows = pd.concat([
    res.flows[["t", "cumulative"]].assign(case=charts.WITH_SUPPORT),
    res.flows_no_support[["t", "cumulative"]].assign(case=charts.WITHOUT_SUPPORT),
]).rename(columns={"t": "year"})
pb = {charts.WITH_SUPPORT: res.metrics["simple_payback_years"], charts.WITHOUT_SUPPORT: res.metrics_no_support["simple_payback_years"]}
draw(st, "cumulative_cash_chart", flows, currency, paybacks=pb)
if res.flows["cumulative"].equals(res.flows_no_support["cumulative"]):
    st.caption("No support applies, so the two lines coincide (the dashed one is without support).")
never = [k for k, v in pb.items() if v is None or (isinstance(v, float) and math.isnan(v))]
if never:
    st.caption("Payback never happens " + " and ".join(never) + " within the option's life.")

# --- cash flow, year by year (inputs used, lines with and without support, CSV) -----------------
cash_flow_table = data.optional("finance.cashflow_table", "cash_flow_table")
if cash_flow_table is not None:
    from ui.widgets import MIME, lazy_tabs

    st.subheader("Cash flow, year by year")
    try:  # over the enterprise's options, so that cumulative caps are spent as in the figures above
        view = appraisal_data.option_cash_flow_view(opts, ents, version, eid, option_id, day, rate, currency)
    except ValueError as exc:
        st.error(f"Cannot build the cash flow of {option_id}: {exc}")
    else:
        st.markdown("**Inputs used**")
        st.dataframe(view["inputs"], hide_index=True, width="stretch", key="cash_flow_inputs")
        # only the open tab's table is sent: a hidden tab's grid costs every browser as much as a shown one
        tab_with, tab_without = lazy_tabs(["With support", "Without support"], "cash_flow_tab")
        for tab, frame, key in ((tab_with, view["with"], "cash_flow_with"), (tab_without, view["without"], "cash_flow_without")):
            if tab.open:
                config = {c: st.column_config.NumberColumn(format="%.4f" if "[/1]" in c else "%,.0f")
                          for c in frame.columns if c != "Year"}
                tab.dataframe(frame, hide_index=True, width="stretch", key=key, column_config=config)
        st.caption(f"The discounted net cash flows sum to the NPV with support, {view['npv']:,.0f} {currency} "
                   f"(without support {view['npv_no_support']:,.0f} {currency}). "
                   "Tax is paid on the taxable profit at the year's rate after loss carry-forward and tax credits; "
                   "'Support: change in net cash flow' is what the support adds to the year's cash (grants and loans "
                   "paid plus tax saved), split by support item in the order the pack lists them.")
        st.download_button("Download the cash flow (CSV)", view["csv"], file_name=f"cash_flow_{option_id}.csv",
                           mime=MIME["csv"], key="cash_flow_csv")

# --- support items ----------------------------------------------------------------------------
st.subheader("Support")
if not res.items:
    st.caption(f"No rule of pack {res.pack or 'none'} in force on {day.isoformat()} applies to this option.")
else:
    show_pack = data.optional("policies.catalog", "show_pack")
    rules = {r["id"]: r for r in show_pack(res.pack)} if show_pack and res.pack and res.pack != "none" else {}
    values = res.item_values
    money = [f"amount [{currency}]", f"cash value [{currency}]", f"NPV effect [{currency}]"]
    items = pd.DataFrame([{
        "rule": f"{i.instrument_id}: {i.name}", "kind": i.kind.replace("_", " "),
        # the figures before the long texts, so they are in view without scrolling
        money[0]: i.amount, money[1]: float(values["cash_value"].iloc[k]), money[2]: float(values["npv_effect"].iloc[k]),
        "timing": f"year {i.year}" + (f", spread over {i.spread_years} yr" if i.spread_years > 1 else ""),
        "unverified": i.unverified_reason if i.unverified else "",
        "rate": rules.get(i.instrument_id, {}).get("rate", ""),
        "source": i.source,
    } for k, i in enumerate(res.items)])
    st.dataframe(items, hide_index=True, width="stretch", key="support_items",
                 column_config={c: st.column_config.NumberColumn(format="%,.0f") for c in money})
    st.caption(f"Present value of the support to the enterprise (NPV with - without): {res.support_total:,.0f} {currency}, "
               "the sum of the NPV effects. *Amount* is the rule's nominal figure (grant paid, deduction from taxable "
               "profit, credit, loan principal, depreciable base; 0 for a tax holiday); *cash value* is what the item "
               "changes the after-tax cash flow by over the life, *NPV effect* the same discounted: each item given "
               "the items above it (a deduction in a year a holiday exempts saves no tax).")
    if any(i.unverified for i in res.items):
        st.warning("Some support figures are not verified against a primary source (see 'unverified').")

# --- why, and why not ------------------------------------------------------------------------
st.subheader("Why, and why not")
explain_appraisal = data.optional("finance.explain", "explain_appraisal")
if explain_appraisal is not None:
    try:
        # the enterprise's batch, as cpscreen appraise: cumulative caps spent by its earlier options
        why = appraisal_data.enterprise_explain(opts, ents, version, eid, day, rate)
        why = why[why["option_id"] == option_id]
    except ValueError as exc:
        st.error(f"Cannot explain the support of {option_id}: {exc}")
    else:
        if why.empty:
            st.caption(f"Pack {res.pack or 'none'} has no rule in force on {day.isoformat()}.")
        else:
            st.dataframe(pd.DataFrame({
                "rule": why["rule_id"] + ": " + why["rule_name"], "applies": why["applies"].map({True: "yes", False: "no"}),
                f"amount [{currency}]": why["amount"], f"NPV effect [{currency}]": why["npv_effect"], "reason": why["reason"],
            }), hide_index=True, width="stretch", key="why_table",
                column_config={f"amount [{currency}]": st.column_config.NumberColumn(format="%,.0f"),
                               f"NPV effect [{currency}]": st.column_config.NumberColumn(format="%,.0f")})
            st.caption("Every rule of the pack in force on the date. NPV effect: what the rule adds to the NPV after the "
                       "rules listed before it, so the effects add up to the support's present value above.")

# --- sensitivity ------------------------------------------------------------------------------
st.subheader("Sensitivity")
sens = appraisal_data.option_sensitivity(option, enterprise, res, version, eid, option_id, day, rate).dropna(
    subset=["npv_low", "npv_high"])
draw(st, "tornado_chart", sens, currency, base_npv=res.metrics["npv"])
st.caption("Each input moved by -20% and +20% with all else at its base value; NPV with support. "
           "Lifetime rounded to whole years; the support row scales each item's amount.")
flat = sens[(sens["npv_low"] - res.metrics["npv"]).abs().lt(0.5) & (sens["npv_high"] - res.metrics["npv"]).abs().lt(0.5)]
if len(flat):
    st.caption("No bar for " + ", ".join(flat["input"]) + ": moving it does not change this option's NPV "
               "(e.g. an input that is zero here, or no support applies).")

# --- risk (Monte Carlo) -------------------------------------------------------------------------
from ui.risk_view import show_risk  # noqa: E402

show_risk(cur, version, eid, option_id, day, rate, currency)

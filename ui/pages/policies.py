"""Policies page: each jurisdiction's rules with rates, conditions, effective dates and sources."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import data
from ui.state import db_cursor, enterprise_id, on_date
from ui.widgets import records_frame

RULE_COLUMNS = ["id", "name", "kind", "rate", "conditions", "valid_from", "valid_to", "timing", "taxable",
                "reduces_depreciation_base", "source_title", "source_article", "source_url", "source_date_read",
                "unverified", "note"]

st.title("Policies")
list_packs = data.optional("policies.catalog", "list_packs")
show_pack = data.optional("policies.catalog", "show_pack")
if list_packs is None or show_pack is None:
    data.missing("Browsing the policy packs", "policies.catalog.list_packs / show_pack")
    st.stop()

day = on_date()
packs = records_frame(list_packs(day))
if packs.empty:
    st.info("No policy pack is installed.")
    st.stop()
st.caption(f"Corporate tax rates in force on {day.isoformat()} (the sidebar's appraisal date). "
           "Figures not yet confirmed by a primary source are flagged **unverified** (yellow).")
st.dataframe(
    packs, hide_index=True, width="stretch",
    column_config={"tax_rate": st.column_config.NumberColumn("tax rate [%]", format="percent"),
                   "tax_rate_unverified": st.column_config.TextColumn("tax rate unverified because")},
)
codes = list(packs["code"])
eid = enterprise_id()
if eid is not None and "policy_pack" not in st.session_state:  # start at the sidebar enterprise's jurisdiction
    ents = data.enterprises(db_cursor(), data.data_version(db_cursor()))
    jur = dict(zip(ents["enterprise_id"], ents["jurisdiction"])).get(eid)
    if jur in codes:
        st.session_state["policy_pack"] = jur
code = st.selectbox("Jurisdiction (policy pack)", codes, key="policy_pack",
                    format_func=lambda c: f"{c}: {dict(zip(packs['code'], packs['name']))[c]}")
rules = records_frame(show_pack(code))
if rules.empty:
    st.info(f"Pack {code} has no rules.")
    st.stop()
in_force_only = st.toggle(f"Only rules in force on {day.isoformat()}", key="in_force_only")
if in_force_only:
    iso = day.isoformat()
    vf = rules["valid_from"].astype(str)
    vt = rules["valid_to"].where(rules["valid_to"].notna(), "9999-12-31").astype(str)
    rules = rules[(vf <= iso) & (iso <= vt)].reset_index(drop=True)
rules = rules[[c for c in RULE_COLUMNS if c in rules.columns] + [c for c in rules.columns if c not in RULE_COLUMNS]]
flag = rules["unverified"].fillna("").astype(str).str.strip().ne("") if "unverified" in rules.columns else pd.Series(False, index=rules.index)
if flag.any():
    st.warning(f"{int(flag.sum())} of {len(rules)} rule(s) carry figures not verified against a primary source: "
               "see the 'unverified' column before relying on them.")
long_text = {c: st.column_config.TextColumn(c, width="medium") for c in ("name", "rate", "conditions", "source_title",
                                                                          "source_article", "unverified", "note")}
st.dataframe(
    rules.style.apply(lambda r: ["background-color: #fff3cd" if flag.iloc[r.name] else "" for _ in r], axis=1),
    hide_index=True, width="stretch",
    column_config={**long_text, "source_url": st.column_config.LinkColumn("source", width="medium"),
                   "valid_to": st.column_config.TextColumn("valid_to", help="empty: open-ended")},
)
st.markdown("**Rule by rule**")
for i, r in rules.iterrows():
    mark = " :orange-badge[unverified]" if flag.iloc[i] else ""
    with st.expander(f"{r['id']}: {r['name']}{mark}"):
        st.markdown(
            f"- **Kind:** {r.get('kind', '')}\n- **Rate:** {r.get('rate', '')}\n- **Conditions:** {r.get('conditions') or 'none'}\n"
            f"- **Effective:** {r.get('valid_from')} to {r.get('valid_to') or 'open-ended'}\n- **Timing:** {r.get('timing', '')}\n"
            f"- **Source:** {r.get('source_title', '')}, {r.get('source_article', '')} {r.get('source_url') or ''} "
            f"(read {r.get('source_date_read', '')})"
            + (f"\n- **Unverified:** {r['unverified']}" if flag.iloc[i] else "")
            + (f"\n- **Note:** {r['note']}" if r.get("note") else ""))

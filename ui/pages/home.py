"""Overview page: what is stored, what cpscreen does, and where to start."""

import streamlit as st

from ui.state import db_cursor

st.title("cpscreen")
st.write(
    "Screen, rank and appraise cleaner-production options, with and without the subsidies and "
    "tax incentives of your jurisdiction."
)
cur = db_cursor()
counts = cur.counts()
c1, c2 = st.columns(2)
c1.metric("Enterprises", counts["enterprises"])
c2.metric("Options", counts["options"])

if not counts["enterprises"]:
    st.info("Nothing is stored yet: start by importing an enterprises file and its options on the Options page.")

st.subheader("Where to go")
st.caption("Pick the enterprise and the appraisal date in the sidebar; every page works on that enterprise.")
STEPS = [
    ("ui/pages/options.py", "Options", "register, import, edit, delete and download the enterprise's candidate options"),
    ("ui/pages/screening.py", "Screening", "sort them into implement now / study / rejected, and rank them with your weights"),
    ("ui/pages/appraisal.py", "Appraisal", "one option's after-tax cash flow, NPV, IRR and payback, with and without support"),
    ("ui/pages/portfolio.py", "Portfolio", "the best set of options under a capital budget, and the abatement cost curve"),
    ("ui/pages/programme.py", "Programme", "what a support programme costs government across enterprises, with scenarios"),
    ("ui/pages/policies.py", "Policies", "each jurisdiction's subsidies and tax incentives, dated and sourced"),
    ("ui/pages/report.py", "Report", "an Excel workbook and a printable report of the enterprise, ranked as on Screening"),
]
for path, label, what in STEPS:
    a, b = st.columns([1, 4], vertical_alignment="center")
    a.page_link(path, label=label)
    b.markdown(what)

# --- implementation tracking: predicted against actual ------------------------------------------
if counts["options"]:
    from ui.chart_cache import draw
    from ui.state import enterprise_id

    st.subheader("Implemented: predicted against actual")
    from ui import data

    _version = data.data_version(cur)
    _table, _tot = data.implementation_table(cur, _version)  # of the enterprises the user may read; cached across sessions
    if _table.empty:
        st.caption("No option is implemented yet. Set an option's status to implemented on the Options page and record "
                   "implemented_on, actual_investment, actual_annual_savings (and actual effects) to compare.")
    else:
        st.caption("All stored enterprises (programme view): sums over the implemented options that record both figures, "
                   "money per currency; ratio = actual / predicted of the sums.")
        if _tot.empty:
            st.caption("No implemented option records an actual figure yet.")
        else:
            st.dataframe(_tot, hide_index=True, width="stretch", key="actual_totals",
                         column_config={"ratio": st.column_config.NumberColumn("actual / predicted", format="%.3f")})
        _eid = enterprise_id()
        _mine = _table[_table["enterprise_id"] == _eid] if _eid else _table
        st.caption(f"Per option{f' of {_eid}' if _eid else ''}.")
        st.dataframe(_mine.drop(columns=["enterprise_id"]), hide_index=True, width="stretch", key="actual_per_option",
                     column_config={"ratio": st.column_config.NumberColumn("actual / predicted", format="%.3f")})
        if _mine["ratio"].notna().any():
            draw(st, "actual_ratio_chart", _mine)

# --- the audit trail, for admins (local single-user mode is one) ----------------------------------
if cur.is_admin():
    st.subheader("Audit trail")
    st.caption("Every change (import, edit, delete, stored appraisals, scenario saves, users and memberships), newest "
               "first, with who made it, when (UTC) and a digest of the touched enterprises' rows before and after. "
               "Only administrators see it.")
    if st.toggle("Show the audit trail", key="show_audit"):
        from ui.widgets import MIME, frame_bytes

        trail = cur.audit()
        st.dataframe(trail.head(1000), hide_index=True, width="stretch")
        if len(trail) > 1000:
            st.caption(f"The newest 1,000 of {len(trail):,} changes are shown; the download holds all of them.")
        st.download_button("Download the audit trail (CSV)", data=frame_bytes(trail, "csv"), file_name="cpscreen_audit.csv",
                           mime=MIME["csv"], key="download_audit", icon=":material/download:")

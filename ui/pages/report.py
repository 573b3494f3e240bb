"""Report page: an Excel workbook (one sheet per view) and a printable HTML report of one enterprise."""

from __future__ import annotations

import streamlit as st

from ui import data, report_data
from ui.state import on_date, ranking_choice, require_enterprise
from ui.widgets import METHOD_NAMES, MIME, criterion_label, lazy_expander

st.title("Report")
cur, version, eid = require_enterprise()
day = on_date()
ents = data.enterprises(cur, version)
name = dict(zip(ents["enterprise_id"], ents["name"])).get(eid, eid)
choice = ranking_choice(eid)
if choice is None:
    method, criteria = "wsm", None
    label = "method wsm, profile 'default' with its weights (the Screening page was not opened for this enterprise in this session)"
    how = ("the default weight profile and the weighted sum, because the Screening page was not opened for this "
           "enterprise in this session (set a profile, method and weights there and the report follows them)")
else:
    method, criteria = choice.method, list(choice.criteria)
    label = (f"method {method}, profile '{choice.profile}', weights as last set on the Screening page "
             "(see the criteria sheet)")
    how = f"what was last set on the Screening page: profile **{choice.profile}**, method **{METHOD_NAMES.get(method, method)}**"
st.caption(f"Screening and appraisal of **{name}** on {day.isoformat()}, over the options and their appraisal metrics. "
           f"The ranking uses {how}; the robustness view 1,000 weight draws.")
if choice is not None:
    st.caption("Weights [/1]: " + ", ".join(f"{criterion_label(c.column)} ({'higher' if c.direction == 'max' else 'lower'} is better) "
                                           f"{c.weight:.3f}" for c in choice.criteria))

try:  # cached across sessions on the data, enterprise, date and ranking choice (ui.report_data.report_outputs)
    frames, xlsx, page = report_data.report_outputs(cur, version, eid, day, choice, method,
                                                    None if criteria is None else tuple(criteria),
                                                    label, f"cpscreen report: {name}")
except ValueError as exc:  # e.g. a weighted criterion no longer has any value after an edit
    st.error(f"Cannot rank with the Screening page's choice ({label}): {exc}. Open the Screening page to set it again.")
    st.stop()
if data.optional("finance.appraise", "appraise") is None:
    st.info("The appraisal sheet (NPV, IRR, payback with and without support) is coming with `finance.appraise`; "
            "the workbook holds every other view.")
c1, c2 = st.columns(2)
c1.download_button("Download Excel workbook", data=xlsx, file_name=f"cpscreen_{eid}_{day.isoformat()}.xlsx",
                   mime=MIME["xlsx"], key="download_xlsx", type="primary")
c2.download_button("Download printable HTML report", data=page.encode("utf-8"), file_name=f"cpscreen_{eid}_{day.isoformat()}.html",
                   mime="text/html", key="download_html", help="Open it and print to PDF from the browser.")
st.markdown("**Sheets:** " + ", ".join(f"{k} ({len(v)} row{'' if len(v) == 1 else 's'})" for k, v in frames.items()))
currency = dict(zip(ents["enterprise_id"], ents["currency"])).get(eid)
with (_box := lazy_expander("Preview (as in the workbook: headers with units, support items as text)", "preview_open")):
    if _box.open:
        for k, shown, config in report_data.report_preview(cur, version, eid, day, choice, method,
                                                           None if criteria is None else tuple(criteria), label,
                                                           f"cpscreen report: {name}",
                                                           currency if isinstance(currency, str) else None):
            st.markdown(f"**{k}**")
            st.dataframe(shown, hide_index=True, width="stretch", column_config=config)

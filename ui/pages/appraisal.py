"""Appraisal page (financial officer): one option's cash flows, metrics and support, with and without."""

from __future__ import annotations

import streamlit as st

from ui import data
from ui.state import db_cursor, enterprise_id, on_date

st.title("Appraisal")
cur = db_cursor()
version = data.data_version(cur)
eid = enterprise_id()
if eid is None:
    st.info("No enterprise stored yet: import data on the Options page.")
    st.stop()
opts = data.options(cur, version, eid)
if opts.empty:
    st.info(f"Enterprise {eid} has no options yet.")
    st.stop()
titles = dict(zip(opts["option_id"], opts["title"]))
ids = list(titles)
if st.session_state.get("appraisal_option") not in ids:
    st.session_state["appraisal_option"] = ids[0]
option_id = st.selectbox("Option", ids, format_func=lambda o: f"{o}: {titles[o]}", key="appraisal_option")
appraise_option = data.optional("finance.appraise", "appraise_option")
if appraise_option is None:
    data.missing("The appraisal (cash flows, metrics and support with and without)", "finance.appraise.appraise_option")
    st.stop()

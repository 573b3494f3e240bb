"""Programme page (programme staff): a policy pack offered to many enterprises, its budget and scenarios."""

from __future__ import annotations

import streamlit as st

from ui import data

st.title("Programme")
run_programme = data.optional("programme.budget", "run_programme")
if run_programme is None:
    data.missing("The programme budget", "programme.budget.run_programme")
    st.stop()

"""Overview page: what is stored, and what cpscreen does."""

import streamlit as st

from ui.state import db_cursor

st.title("cpscreen")
st.write(
    "Screen, rank and appraise cleaner-production options, with and without the subsidies and "
    "tax incentives of your jurisdiction."
)
cur = db_cursor()
counts = {t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("enterprises", "options")}
c1, c2 = st.columns(2)
c1.metric("Enterprises", counts["enterprises"])
c2.metric("Options", counts["options"])

"""cpscreen's Streamlit entry point: the router and the shared sidebar only (DESIGN.md section 1).

Start it with ``bash scripts/run.sh`` (installs, seeds the database, runs ``streamlit run app.py``).
"""

import streamlit as st

st.set_page_config(page_title="cpscreen", page_icon=":material/recycling:", layout="wide")

pages = [
    st.Page("ui/pages/home.py", title="Overview", icon=":material/home:", default=True),
]
st.navigation(pages).run()

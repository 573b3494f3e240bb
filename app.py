"""cpscreen's Streamlit entry point: the router and the shared sidebar only (DESIGN.md section 1).

Start it with ``bash scripts/run.sh`` (installs, seeds the database, runs ``streamlit run app.py``).
"""

from datetime import date
from pathlib import Path

import streamlit as st

from policies.registry import date_span
from store.errors import DatabaseBusy
from store.service import VersionMoved
from ui import auth, data, warmup
from ui.state import DATE_KEY, ENTERPRISE_KEY, db_cursor, kept

# The favicon is a file shipped here: a ":material/...:" page icon makes the browser fetch it from
# fonts.gstatic.com, and the app must work offline (issue 10).
FAVICON = Path(__file__).resolve().parent / "ui" / "assets" / "favicon.png"
st.set_page_config(page_title="cpscreen", page_icon=str(FAVICON), layout="wide")
signin = auth.gate()  # with [auth] in the secrets: nothing below runs until the visitor has signed in

pages = [
    st.Page("ui/pages/home.py", title="Overview", icon=":material/home:", default=True),
    st.Page("ui/pages/options.py", title="Options", icon=":material/table_edit:"),
    st.Page("ui/pages/screening.py", title="Screening", icon=":material/leaderboard:"),
    st.Page("ui/pages/appraisal.py", title="Appraisal", icon=":material/payments:"),
    st.Page("ui/pages/portfolio.py", title="Portfolio", icon=":material/account_balance_wallet:"),
    st.Page("ui/pages/programme.py", title="Programme", icon=":material/groups:"),
    st.Page("ui/pages/policies.py", title="Policies", icon=":material/gavel:"),
    st.Page("ui/pages/report.py", title="Report", icon=":material/description:"),
]
nav = st.navigation(pages)
warmup.warm_up()


def serve() -> None:
    """The sidebar (enterprise, date) and the chosen page."""
    cur = db_cursor()
    ents = data.enterprises(cur, data.data_version(cur))
    with st.sidebar:
        auth.sidebar(signin)
        if len(ents):
            names = dict(zip(ents["enterprise_id"], ents["name"]))
            ids = list(names)
            st.selectbox("Enterprise", ids, format_func=lambda e: names[e] or e, **kept(ENTERPRISE_KEY, ids[0], ids))
        else:
            kept(ENTERPRISE_KEY, None, [None])
            st.caption("No enterprise stored yet: import one on the Options page.")
        first, last = date_span()  # the packs' dates (the widget's default span is only 10 years either side)
        st.date_input("Appraisal date", **kept(DATE_KEY, date.today()),
                      min_value=min(first, date.today()), max_value=max(date(last.year + 10, 12, 31), date.today()),
                      help="The policy rules and tax rates in force on this date apply to the appraisal.")
    nav.run()


try:
    serve()
except VersionMoved:  # a save or a grant landed while this run read: nothing was cached under the old version
    st.rerun()
except DatabaseBusy as busy:  # another process (a cpscreen command) held the file past the bounded wait
    st.error(f"{str(busy)[:1].upper()}{str(busy)[1:]}. Rerun the page (press R) when it has finished.")

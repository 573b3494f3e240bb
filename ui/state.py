"""Per-session state: this browser session's database cursor and the sidebar's choices."""

from __future__ import annotations

from datetime import date

import duckdb
import streamlit as st

from store.db import cursor

ENTERPRISE_KEY = "enterprise_id"
DATE_KEY = "on_date"


def db_cursor() -> duckdb.DuckDBPyConnection:
    """This browser session's cursor (DuckDB cursors are not shared between sessions)."""
    if "db_cursor" not in st.session_state:
        st.session_state["db_cursor"] = cursor()
    return st.session_state["db_cursor"]


def enterprise_id() -> str | None:
    """The enterprise picked in the sidebar (None when the database holds none)."""
    return st.session_state.get(ENTERPRISE_KEY)


def on_date() -> date:
    """The appraisal date picked in the sidebar (default today)."""
    value = st.session_state.get(DATE_KEY)
    return value if isinstance(value, date) else date.today()

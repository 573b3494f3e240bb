"""Per-session access to the database: one cursor per browser session on the process's connection."""

from __future__ import annotations

import duckdb
import streamlit as st

from store.db import cursor


def db_cursor() -> duckdb.DuckDBPyConnection:
    """This browser session's cursor (DuckDB cursors are not shared between sessions)."""
    if "db_cursor" not in st.session_state:
        st.session_state["db_cursor"] = cursor()
    return st.session_state["db_cursor"]

"""Per-run database cursors and the sidebar's choices (kept in the session state)."""

from __future__ import annotations

import threading
from datetime import date

import duckdb
import streamlit as st

from store.db import cursor, db_path

ENTERPRISE_KEY = "enterprise_id"
DATE_KEY = "on_date"


_local = threading.local()


def db_cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for the current script run: one per thread, on the process's connection.

    Not one per session: with Streamlit's fast reruns (``runner.fastReruns``, on by default) a
    session's new run starts in a new thread while the interrupted run may still be inside a
    query, and one DuckDB cursor used from two threads at once returns wrong results (seen as a
    ``count(*)`` that fetched None).  Script threads are per run, so a per-thread cursor is never
    shared; it is keyed by the database path so tests that switch ``CPSCREEN_DB`` get a fresh one.
    """
    cursors: dict[str, duckdb.DuckDBPyConnection] = getattr(_local, "cursors", None) or {}
    _local.cursors = cursors
    key = str(db_path())
    if key not in cursors:
        cursors[key] = cursor()
    return cursors[key]


def enterprise_id() -> str | None:
    """The enterprise picked in the sidebar (None when the database holds none)."""
    return st.session_state.get(ENTERPRISE_KEY)


def on_date() -> date:
    """The appraisal date picked in the sidebar (default today)."""
    value = st.session_state.get(DATE_KEY)
    return value if isinstance(value, date) else date.today()


def require_enterprise() -> tuple[duckdb.DuckDBPyConnection, str, str]:
    """This run's cursor, the data version and the sidebar's enterprise; stops the page when none is stored."""
    from ui import data

    cur = db_cursor()
    version = data.data_version(cur)
    eid = enterprise_id()
    if eid is None:
        st.info("No enterprise stored yet: import data on the Options page.")
        st.stop()
    return cur, version, eid

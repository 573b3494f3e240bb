"""Per-run database cursors, the sidebar's choices and the Screening page's ranking (kept in the session state)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

import duckdb
import streamlit as st

from screening.criteria import Criterion
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


# --- the ranking the user set on the Screening page, shared with the Report page -----------------

RANKING_KEY = "ranking_choices"


@dataclass(frozen=True)
class RankingChoice:
    """The profile, method and weights last set on the Screening page for one enterprise.

    Parameters
    ----------
    profile : str
        Weight profile the sliders started from (:data:`screening.criteria.PROFILES`).
    method : str
        MCDA method (:data:`screening.mcda.METHODS`).
    criteria : tuple of Criterion
        The criteria with the weights normalised to sum to one. [/1]
    slider_weights : tuple of (str, float)
        The sliders' relative weights as set, per criterion column. [%]
    """

    profile: str
    method: str
    criteria: tuple[Criterion, ...]
    slider_weights: tuple[tuple[str, float], ...] = ()

    def describe(self) -> str:
        """One line for captions and the report: profile, method and the normalised weights."""
        weights = ", ".join(f"{c.column} ({c.direction}) {c.weight:.3f}" for c in self.criteria)
        return f"profile '{self.profile}', method {self.method}, weights {weights}"


def set_ranking_choice(enterprise_id: str, choice: RankingChoice) -> None:
    """Remember what the Screening page ranks ``enterprise_id`` with, for this browser session.

    Kept under a plain (non-widget) key: Streamlit drops a widget's state once a run no longer
    draws it, so the Screening page's own slider keys are gone by the time the Report page runs.
    """
    st.session_state.setdefault(RANKING_KEY, {})[enterprise_id] = choice


def ranking_choice(enterprise_id: str) -> RankingChoice | None:
    """The choice last set on the Screening page for ``enterprise_id`` in this session, else None."""
    return st.session_state.get(RANKING_KEY, {}).get(enterprise_id)

"""The run's store handle, the sidebar's choices and the Screening page's ranking (kept in the session state)."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Sequence
from datetime import date
from typing import Any

import streamlit as st

from screening.criteria import Criterion
from store.db import db_path
from store.service import Store

ENTERPRISE_KEY = "enterprise_id"
DATE_KEY = "on_date"


def db_cursor() -> Store:
    """This run's store handle: the database (``CPSCREEN_DB``) as the acting user (:func:`ui.actor.require_actor`).

    Not a DuckDB cursor (the name is kept for the pages): each read or change through it opens the
    database for that operation only (:mod:`store.service`), so the app holds no file lock
    between reruns and the CLI can work on the same file while the app serves it.
    """
    from ui.actor import require_actor

    return Store(require_actor(), db_path())


# --- widget values that outlive a page switch ------------------------------------------------------

#: Prefix of the plain session keys that hold a kept widget's value (see :func:`kept`).
KEEP_PREFIX = "kept:"


def _copy_to_shadow(key: str) -> None:
    st.session_state[KEEP_PREFIX + key] = st.session_state[key]


def kept(key: str, default: Any, allowed: Sequence[Any] | None = None, *, follow_default: bool = False) -> dict[str, Any]:
    """Keyword arguments for a widget whose value must survive ``st.switch_page``.

    ``st.switch_page`` reruns the app without the browser's widget values, and Streamlit then drops
    the state of *every* widget, the sidebar's included; worse, a value once written to the widget's
    key through ``st.session_state`` stays readable under that key, so the next run silently sees
    that old value (this is how "Open its appraisal" on the Screening page of the Danish enterprise
    opened NL-01 of the Dutch one).  The value is therefore kept under a plain key,
    ``kept:<key>``, that no widget owns: the widget's ``on_change`` copies each edit there, and
    before the widget is drawn its key is set back from there whenever the two differ.

    Draw the widget with the returned ``key``, ``on_change`` and ``args`` and without its own
    default (``value``/``index``): the value comes from the session state.

    Parameters
    ----------
    key : str
        The widget's key; scope it by enterprise (:func:`scoped`) when the value belongs to one.
    default
        The value before the user sets one.
    allowed : sequence, optional
        The values the widget offers now (a selectbox's options); a kept value no longer among
        them (e.g. a deleted enterprise) falls back to ``default``.
    follow_default : bool
        When ``default`` differs from the one the kept value started from (the stored data it comes
        from was edited, e.g. an enterprise's discount rate), start again from the new default.
    """
    shadow = KEEP_PREFIX + key
    state = st.session_state
    moved = follow_default and state.get(KEEP_PREFIX + "default:" + key, default) != default
    if shadow not in state or moved or (allowed is not None and state[shadow] not in allowed):
        state[shadow] = default
    if follow_default:
        state[KEEP_PREFIX + "default:" + key] = default
    if key not in state or state[key] != state[shadow]:
        state[key] = state[shadow]
    return {"key": key, "on_change": _copy_to_shadow, "args": (key,)}


def scoped(name: str, enterprise: str) -> str:
    """The session key of a widget whose value belongs to one enterprise: ``<name>@<enterprise id>``.

    Widgets keyed by a plain name keep their value when the sidebar's enterprise changes, so a
    discount rate or option chosen for one enterprise was used for the next.
    """
    return f"{name}@{enterprise}"


def enterprise_id() -> str | None:
    """The enterprise picked in the sidebar (None when the database holds none)."""
    value = st.session_state.get(KEEP_PREFIX + ENTERPRISE_KEY)
    return value if isinstance(value, str) else None


def on_date() -> date:
    """The appraisal date picked in the sidebar (default today)."""
    value = st.session_state.get(KEEP_PREFIX + DATE_KEY)
    return value if isinstance(value, date) else date.today()


#: Name of the Appraisal page's option selectbox (scoped by enterprise, kept across page switches).
APPRAISAL_OPTION = "appraisal_option"


def choose_appraisal_option(enterprise: str, option_id: str) -> None:
    """Make ``option_id`` of ``enterprise`` the option the Appraisal page opens with."""
    st.session_state[KEEP_PREFIX + scoped(APPRAISAL_OPTION, enterprise)] = option_id


def require_enterprise() -> tuple[Store, str, str]:
    """This run's store handle, the data version and the sidebar's enterprise; stops the page when none is stored."""
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

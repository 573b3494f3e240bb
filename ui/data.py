"""The pages' cached loaders: the stored data the acting user may read, the batch appraisal on it, and the
tables served straight from them (the Options page's download, the Overview's predicted against actual).

Every cached call is keyed on :func:`data_version`, :meth:`store.service.Store.read_version`: a
fingerprint of the stored tables (row count and an order-free sum of row hashes, computed by DuckDB
in one query) and of the *enterprises the acting user may read* (not of who the user is).  Two users
who may read the same enterprises share every cached read and every computation on it (twenty
sessions of one role compute a page once); users who see different enterprises never share one.
The loaders read with :meth:`store.service.Store.load_table_at`, which checks that version in the
snapshot it reads and raises :class:`store.service.VersionMoved` (nothing cached; ``app.py`` runs
the page again) when the data or the user's access changed since the run took it, so a cached value
always holds exactly the rows its key names.  What a user may *change* is never cached here: it is
asked of the store per user (``Store.may_write``).

The ``_cur`` the loaders take is the run's :class:`store.service.Store` handle (``ui.state.db_cursor``):
it opens the database only for a read that misses the cache, so the app holds no DuckDB file lock
between reruns and the CLI can work beside it; a change the CLI makes moves the fingerprint and shows
on the next rerun.  A save in any browser session changes the fingerprint, so every session's next
rerun misses the cache and reloads: no session ever shows another's stale data, and nothing needs to
be invalidated by hand.  The fingerprint query is cheap (one scan of small tables) compared with the
loads and appraisals it guards.

The pages' cached computations on these loaders are keyed in the same way and live beside them,
one module per page's job: :mod:`ui.screening_data` (the ranking and its robustness),
:mod:`ui.appraisal_data` (one option's detail, cash flows, risk; the Portfolio's cost curve),
:mod:`ui.report_data` (the Report's sheets, workbook and preview) and :mod:`ui.programme_data`
(the Programme page at national scale); the server's warm-up is :mod:`ui.warmup`.

Library calls that do not exist yet are reported with :func:`missing`, never faked.
"""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from store.service import Store


def data_version(cur: Store) -> str:
    """Fingerprint of the stored data and of what the acting user may read (:meth:`Store.read_version`).

    Changes with any saved edit, by anyone, and with a grant or revoke that changes what the user sees.
    """
    return cur.read_version()


@st.cache_data(show_spinner=False, max_entries=64)
def enterprises(_cur: Store, version: str) -> pd.DataFrame:
    """The stored enterprises the acting user may read (import format, typed)."""
    return _cur.load_table_at(version, "enterprises")


@st.cache_data(show_spinner=False, max_entries=64)
def options(_cur: Store, version: str, enterprise_id: str | None) -> pd.DataFrame:
    """Stored options of one enterprise (all the acting user may read when ``enterprise_id`` is None)."""
    return _cur.load_table_at(version, "options", enterprise_id)


@st.cache_data(show_spinner=False, max_entries=64)
def scores(_cur: Store, version: str, enterprise_id: str | None) -> pd.DataFrame:
    """Stored assessors' scores (long format) the acting user may read."""
    return _cur.load_scores_at(version, enterprise_id)


def optional(module: str, name: str) -> Any | None:
    """``module.name`` if another engineer's library function has landed, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, name, None)


def missing(what: str, where: str) -> None:
    """Say plainly that a view waits for a library function (never show made-up numbers)."""
    st.info(f"{what} is coming: it needs `{where}`, which is not in this build yet.", icon=":material/construction:")


@st.cache_data(show_spinner=False, max_entries=32)
def appraisal(_cur: Store, version: str, enterprise_id: str | None, on_date: date,
              discount_rate: float | None = None, params_key: tuple[tuple[str, float], ...] = ()) -> pd.DataFrame | None:
    """Batch appraisal of the stored options (``finance.appraise.appraise``), or None if absent."""
    fn = optional("finance.appraise", "appraise")
    if fn is None:
        return None
    opts = options(_cur, version, enterprise_id)
    ents = enterprises(_cur, version)
    kwargs: dict[str, Any] = {}
    if discount_rate is not None:
        kwargs["discount_rate"] = discount_rate
    if params_key:
        kwargs["params"] = dict(params_key)
    return fn(opts, ents, on_date, **kwargs)


#: Appraisal metrics offered to the screening as criteria (DESIGN.md section 4: NPV, payback ...).
METRIC_CRITERIA: tuple[str, ...] = ("npv", "irr", "npv_ratio", "simple_payback_years", "discounted_payback_years")


def options_with_metrics(_cur: Store, version: str, enterprise_id: str | None,
                         on_date: date) -> pd.DataFrame:
    """Stored options with the appraisal metrics (with support) as extra columns, when finance has landed."""
    opts = options(_cur, version, enterprise_id)
    appraised = appraisal(_cur, version, enterprise_id, on_date)
    if appraised is None or opts.empty:
        return opts
    return opts.merge(appraised[["enterprise_id", "option_id", *METRIC_CRITERIA]], on=["enterprise_id", "option_id"], how="left")


@st.cache_data(show_spinner=False, max_entries=32)
def options_download(_frame: pd.DataFrame, enterprise_id: str, revision: str, fmt: str) -> bytes:
    """The Options page's download of an enterprise's options (``_frame``, the store's snapshot at
    ``revision``: ``store.edits.load_options``) in the import format, CSV/XLSX formula-safe [bytes].

    Keyed on the enterprise and the snapshot's revision (a digest of its stored options: the same
    revision is the same rows), not on who asks.
    """
    from store.io import to_export_frame
    from ui.widgets import frame_bytes

    return frame_bytes(to_export_frame(_frame, "options", formula_safe=False), fmt)  # frame_bytes escapes CSV and XLSX


@st.cache_data(show_spinner=False, max_entries=16)
def implementation_table(_cur: Store, version: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The Overview's ``screening.implementation.predicted_vs_actual`` of every option the user may read, and
    its ``totals`` (None when no option is implemented)."""
    from screening.implementation import predicted_vs_actual, totals

    table = predicted_vs_actual(options(_cur, version, None), enterprises(_cur, version))
    return table, None if table.empty else totals(table)

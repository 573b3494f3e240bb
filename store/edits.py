"""Saving edits of an enterprise's options with optimistic concurrency: no edit is lost silently.

Two people may edit one enterprise's options at the same time (two browser sessions, or the app
and the CLI).  Each edit starts from a snapshot read with its *revision*
(:func:`load_options`): a digest of every stored option row of the enterprise, so any change
(a save, an import, a delete, by anyone) moves it.  :func:`save_options` takes the revision the
edit was based on and, inside the transaction that writes, refuses with :class:`StaleEditError`
when the stored options have moved since; the error carries the options as they are now, so the
page can show what changed and let the user reapply or discard the edit.

Two saves at the same moment would both see the old revision in their own snapshots.  Within one
process (the app's browser sessions) saves of one enterprise take turns on a lock, waiting at
most :data:`LOCK_TIMEOUT`; the later one then sees the first one's revision and is refused as
stale, in words.  Across processes (the app and the CLI on one file) each save also bumps a
per-enterprise counter row in ``meta``: DuckDB refuses the second writer of that row
(``TransactionException``, a write-write conflict), and the save is retried after a short,
growing wait, with the same outcome.  Only when the conflicts go on past
:data:`CONFLICT_RETRIES` attempts does it give up, with :class:`SaveConflictError`, storing
nothing.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from screening.schema import validate
from store import audit
from store.access import Actor, check_write, readable_ids
from store.io import _stored_keys, _upsert, load_table

#: Attempts of a save that meets write-write conflicts before it gives up. [attempts]
CONFLICT_RETRIES = 8
#: First wait after a conflict; each further wait grows by this much (plus jitter). [s]
CONFLICT_BACKOFF = 0.02
#: Longest wait for another save of the same enterprise in this process to finish. [s]
LOCK_TIMEOUT = 30.0
#: Changes listed by :func:`describe_changes` before it says "and N more". [lines]
MAX_CHANGES_LISTED = 12

_COUNTER_SQL = ("INSERT INTO meta VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
                "SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)")


class StaleEditError(Exception):
    """The options were saved by someone else since the edit's snapshot was read; nothing was stored.

    Attributes
    ----------
    current : DataFrame
        The enterprise's options as stored now (import format).
    revision : str
        Their revision, to base a reapplied edit on.
    changes : list of str
        What changed between the edit's snapshot and now, when the snapshot was given.
    """

    def __init__(self, enterprise_id: str, current: pd.DataFrame, revision: str, changes: list[str]):
        self.enterprise_id = enterprise_id
        self.current = current
        self.revision = revision
        self.changes = changes
        what = "; ".join(changes) if changes else "the stored options changed"
        super().__init__(f"options of {enterprise_id!r} were saved by someone else since this edit started ({what}); "
                         "nothing was saved: reapply the edit on the options as they are now")


class SaveConflictError(RuntimeError):
    """Other saves kept writing the same options at the same moment; nothing was stored."""


@dataclass(frozen=True)
class Snapshot:
    """An enterprise's stored options with the revision they were read at."""

    options: pd.DataFrame
    revision: str


_locks_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _save_lock(enterprise_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(enterprise_id, threading.Lock())


def _counter_key(enterprise_id: str) -> str:
    return f"options_revision:{enterprise_id}"


def options_revision(cur: duckdb.DuckDBPyConnection, enterprise_id: str) -> str:
    """Digest of every stored option row of ``enterprise_id`` (all columns), in the cursor's snapshot.

    Any saved change to the enterprise's options (edit, import, delete) gives another digest.
    """
    n, digest = cur.execute(
        "SELECT count(*), coalesce(md5(string_agg(md5(CAST(o AS VARCHAR)), ',' ORDER BY option_id)), '') "
        "FROM options o WHERE enterprise_id = ?", [enterprise_id]).fetchone()
    return f"{n}:{digest}"


def load_options(cur: duckdb.DuckDBPyConnection, enterprise_id: str, *, actor: Actor | None = None) -> Snapshot:
    """The enterprise's options and their revision, read in one transaction (so they belong together).

    With an ``actor`` who may not read the enterprise, no options (and the revision of none).
    """
    cur.execute("BEGIN TRANSACTION")
    try:
        frame = load_table(cur, "options", enterprise_id, actor=actor)
        seen = readable_ids(cur, actor) if actor is not None else None
        rev = options_revision(cur, enterprise_id) if seen is None or enterprise_id in seen else "0:"
    finally:
        cur.execute("COMMIT")
    return Snapshot(frame, rev)


def _text(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return "(empty)"
    s = f"{v:g}" if isinstance(v, float) else str(v)
    return repr(s if len(s) <= 40 else s[:39] + "…")


def _same(a: object, b: object) -> bool:
    missing_a = a is None or a is pd.NA or (isinstance(a, float) and np.isnan(a))
    missing_b = b is None or b is pd.NA or (isinstance(b, float) and np.isnan(b))
    if missing_a or missing_b:
        return missing_a and missing_b
    return bool(a == b)


def describe_changes(before: pd.DataFrame, after: pd.DataFrame) -> list[str]:
    """What changed from ``before`` to ``after`` (options of one enterprise), one readable line each.

    Options are matched on ``option_id``; a changed option lists each changed column with its old
    and new value.  At most :data:`MAX_CHANGES_LISTED` lines, then how many more.
    """
    b = before.drop_duplicates("option_id").set_index("option_id")
    a = after.drop_duplicates("option_id").set_index("option_id")
    lines: list[str] = []
    added = [o for o in a.index if o not in b.index]
    gone = [o for o in b.index if o not in a.index]
    if added:
        lines.append("added " + ", ".join(map(repr, added)))
    if gone:
        lines.append("deleted " + ", ".join(map(repr, gone)))
    cols = [c for c in dict.fromkeys([*b.columns, *a.columns]) if c != "enterprise_id"]
    for o in [o for o in a.index if o in b.index]:
        diffs = [f"{c} {_text(b.at[o, c] if c in b.columns else None)} → {_text(a.at[o, c] if c in a.columns else None)}"
                 for c in cols if not _same(b.at[o, c] if c in b.columns else None, a.at[o, c] if c in a.columns else None)]
        if diffs:
            lines.append(f"{o!r}: " + ", ".join(diffs))
    if len(lines) > MAX_CHANGES_LISTED:
        lines = lines[:MAX_CHANGES_LISTED] + [f"and {len(lines) - MAX_CHANGES_LISTED} more change(s)"]
    return lines


def _rollback(cur: duckdb.DuckDBPyConnection) -> None:
    try:
        cur.execute("ROLLBACK")
    except duckdb.TransactionException:  # a failed COMMIT has already rolled back
        pass


def save_options(
    cur: duckdb.DuckDBPyConnection,
    enterprise_id: str,
    edited: pd.DataFrame,
    base_revision: str,
    *,
    base: pd.DataFrame | None = None,
    source: str = "table",
    retries: int = CONFLICT_RETRIES,
    actor: Actor | None = None,
) -> Snapshot:
    """Validate and store edited options of one enterprise, unless the stored ones moved since the edit began.

    Parameters
    ----------
    cur : DuckDBPyConnection
        Cursor on the database (:func:`store.db.cursor`).
    enterprise_id : str
        The enterprise whose options are edited; every row of ``edited`` must belong to it.
    edited : DataFrame
        The edited rows in the import format (raw cells, validated as on import); rows whose
        option id is stored replace the stored row, others are added.  Rows not given are kept.
    base_revision : str
        :attr:`Snapshot.revision` of the snapshot the edit started from.
    base : DataFrame, optional
        That snapshot's options, to say in :class:`StaleEditError` what changed since.
    source : str
        Name of the edited table in validation errors.
    retries : int
        Attempts when other saves write at the same moment. [attempts]
    actor : store.access.Actor, optional
        Who saves (default local mode): a member of the enterprise; the save and its audit row
        are one transaction.

    Returns
    -------
    Snapshot
        The options as stored after the save, with their new revision.

    Raises
    ------
    StaleEditError
        The stored options changed since ``base_revision``; nothing stored.
    screening.schema.ValidationError
        A bad cell; nothing stored.
    SaveConflictError
        Still conflicting with other saves after ``retries`` attempts; nothing stored.
    ValueError
        A row of ``edited`` belongs to another enterprise.
    """
    if "enterprise_id" in edited.columns:
        other = sorted({str(e) for e in edited["enterprise_id"].dropna()} - {enterprise_id})
        if other:
            raise ValueError(f"edited rows belong to {', '.join(other)}, not to {enterprise_id!r}; nothing was saved")
    raw = edited.assign(enterprise_id=enterprise_id)
    lock = _save_lock(enterprise_id)
    if not lock.acquire(timeout=LOCK_TIMEOUT):
        raise SaveConflictError(f"could not save the options of {enterprise_id!r}: another save of them has not finished "
                                f"within {LOCK_TIMEOUT:g} s; nothing was saved, your edit is kept: save again")
    try:
        return _save_locked(cur, enterprise_id, raw, base_revision, base, source, retries,
                            Actor.local() if actor is None else actor)
    finally:
        lock.release()


def _save_locked(cur: duckdb.DuckDBPyConnection, enterprise_id: str, raw: pd.DataFrame, base_revision: str,
                 base: pd.DataFrame | None, source: str, retries: int, actor: Actor) -> Snapshot:
    last: Exception | None = None
    for attempt in range(max(1, retries)):
        try:
            cur.execute("BEGIN TRANSACTION")
            try:
                check_write(cur, actor, [enterprise_id], "edit the options of")
                cur.execute(_COUNTER_SQL, [_counter_key(enterprise_id)])  # the second concurrent writer conflicts here
                now = options_revision(cur, enterprise_id)
                if now != base_revision:
                    current = load_table(cur, "options", enterprise_id)
                    changes = describe_changes(base, current) if base is not None else []
                    raise StaleEditError(enterprise_id, current, now, changes)
                known_e, known_o = _stored_keys(cur, actor)
                v = validate(None, raw, known_enterprise_ids=known_e, known_option_keys=known_o, sources={"options": source})
                before = audit.enterprise_digest(cur, [enterprise_id])
                _upsert(cur, "options", v.options, ["enterprise_id", "option_id"])
                after = load_table(cur, "options", enterprise_id)
                rev = options_revision(cur, enterprise_id)
                audit.record(cur, actor, "edit", f"saved {len(v.options)} option row(s) of {enterprise_id}", [enterprise_id],
                             before, audit.enterprise_digest(cur, [enterprise_id]))
                cur.execute("COMMIT")
                return Snapshot(after, rev)
            except BaseException:
                _rollback(cur)
                raise
        except duckdb.TransactionException as exc:  # a write-write conflict with a concurrent save
            last = exc
            time.sleep(CONFLICT_BACKOFF * (attempt + 1) * (1 + random.random()))
    raise SaveConflictError(
        f"could not save the options of {enterprise_id!r}: other sessions kept saving them at the same moment "
        f"({max(1, retries)} attempts); nothing was saved, your edit is kept: save again") from last


def edit_changes(shown: pd.DataFrame, edited: pd.DataFrame) -> tuple[dict[str, dict[str, object]], pd.DataFrame]:
    """The user's own edit: changed cells of existing options (by option id) and the added rows.

    ``shown`` is what the editor was given, ``edited`` what it returned (same rows first, added
    rows after).
    """
    changed: dict[str, dict[str, object]] = {}
    n = len(shown)
    for i in range(min(n, len(edited))):
        o = shown["option_id"].iat[i]
        cells = {c: edited[c].iat[i] for c in edited.columns if c in shown.columns and not _same(shown[c].iat[i], edited[c].iat[i])}
        if cells:
            changed[str(o)] = cells
    return changed, edited.iloc[n:].reset_index(drop=True)


def reapply(current: pd.DataFrame, changed: dict[str, dict[str, object]], added: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The user's edit laid on the options as stored now; and the edits that could not be reapplied.

    A changed option that was deleted meanwhile cannot be reapplied (named in the second result);
    an added row whose id now exists replaces nothing and is kept as added (the save reports a
    duplicate if it is one).
    """
    out = current.reset_index(drop=True).copy()
    lost: list[str] = []
    pos = {str(o): i for i, o in enumerate(out["option_id"])}
    for o, cells in changed.items():
        if o not in pos:
            lost.append(f"{o!r} was deleted meanwhile: its edit ({', '.join(cells)}) cannot be reapplied")
            continue
        for c, v in cells.items():
            if c not in out.columns:
                out[c] = None
            if out[c].dtype != object and not isinstance(v, (int, float, np.number, bool, type(None))):
                out[c] = out[c].astype(object)
            out.loc[pos[o], c] = v
    if len(added):
        out = pd.concat([out, added], ignore_index=True)
    return out, lost


__all__: Sequence[str] = [
    "CONFLICT_RETRIES",
    "SaveConflictError",
    "Snapshot",
    "StaleEditError",
    "describe_changes",
    "edit_changes",
    "load_options",
    "options_revision",
    "reapply",
    "save_options",
]

"""The store as the app and the CLI use it: one handle per acting user, one short session per operation.

A :class:`Store` names a database file and the :class:`store.access.Actor` acting on it.  Each of
its methods opens the file (:func:`store.db.session`: waiting, bounded, while another process
holds it), does one read or one transaction with the actor's access applied and the change
audited, and closes the file again, so the app never keeps DuckDB's file lock between reruns
and the CLI can work beside it.  The app caches what it reads on :meth:`Store.version` (a
fingerprint of the stored data and the actor), so a rerun with unchanged data costs one short
session.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from store import access, audit, edits, io, results, users
from store.access import Actor
from store.db import db_path, session, while_unchanged

#: Tables whose fingerprint is :meth:`Store.version` (a change to any of them moves it).
VERSION_TABLES: tuple[str, ...] = ("enterprises", "options", "assessor_scores", "memberships")


class VersionMoved(RuntimeError):
    """The data or the actor's access changed since the read version was taken: nothing was read (read again).

    Not a :class:`store.errors.StoreError` (nothing is wrong with the database): the app reruns the page.
    """


def _fingerprint_in(cur: Any) -> str:
    parts = []
    for t in VERSION_TABLES:
        n, h = cur.execute(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {t} x").fetchone()
        parts.append(f"{n}:{h}")
    return "|".join(parts)


@dataclass(frozen=True)
class Store:
    """The database at ``path`` as seen and changed by ``actor``.

    Parameters
    ----------
    actor : Actor
        Who reads and writes (:meth:`Actor.local` in local single-user mode).
    path : Path, optional
        The database file (default :func:`store.db.db_path` when the handle is made).
    """

    actor: Actor
    path: Path = field(default_factory=db_path)

    @classmethod
    def open(cls, actor: Actor, path: str | os.PathLike[str] | None = None) -> "Store":
        """A handle on ``path`` (default ``$CPSCREEN_DB``) for ``actor``; opens nothing yet."""
        return cls(actor, db_path(path))

    # --- reads ---------------------------------------------------------------------------------

    def version(self) -> str:
        """Fingerprint of the stored enterprises, options, scores and memberships, the path and the actor.

        Row count and an order-free sum of row hashes per table, in one short session: any saved
        change (by anyone, in any process) moves it, so caches keyed on it never serve stale data,
        and two actors never share a cached read.  While the file is unchanged
        (:func:`store.db.while_unchanged`) it is answered without opening the file.
        """
        return f"{self.path}|{self.actor.key}|{while_unchanged(self.path, 'fingerprint', self._fingerprint)}"

    def _fingerprint(self) -> str:
        with session(self.path) as cur:
            return _fingerprint_in(cur)

    def read_version(self) -> str:
        """Fingerprint of the stored data and of the enterprises the actor may read (not of who the actor is).

        Two actors who may read the same enterprises get the same value, so the app's caches of reads
        and of what is computed from them, keyed on it, are shared between them (twenty users of one
        role compute a page once), and never between actors who see different enterprises.  The
        fingerprint and the readable set come from one snapshot of the file; read with
        :meth:`load_table_at` and :meth:`load_scores_at`, which check the value in the snapshot they
        read, so what is read is exactly what the value names.  From memory while the file is unchanged.
        """
        return while_unchanged(self.path, ("read_version", self.actor), self._read_version)  # type: ignore[return-value]

    def _read_version(self) -> str:
        with session(self.path) as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                return self._read_version_in(cur)
            finally:
                cur.execute("COMMIT")

    def _read_version_in(self, cur: Any) -> str:
        seen = access.readable_ids(cur, self.actor)
        scope = "all" if seen is None else hashlib.sha256("\x1f".join(sorted(seen)).encode()).hexdigest()[:32]
        return f"{self.path}|read:{scope}|{_fingerprint_in(cur)}"

    def _read_at(self, version: str, read: Any) -> Any:
        with session(self.path) as cur:
            cur.execute("BEGIN TRANSACTION")  # one snapshot: the version checked is the one read
            try:
                now = self._read_version_in(cur)
                if now != version:
                    raise VersionMoved("the stored data or the user's access changed since this page started; read again")
                return read(cur)
            finally:
                cur.execute("COMMIT")

    def load_table_at(self, version: str, table: str, enterprise_id: str | None = None) -> pd.DataFrame:
        """:meth:`load_table` in the snapshot that :meth:`read_version` named ``version``.

        Raises
        ------
        VersionMoved
            The data or the actor's access changed since ``version`` was taken (nothing read).
        """
        return self._read_at(version, lambda cur: io.load_table(cur, table, enterprise_id, actor=self.actor))

    def load_scores_at(self, version: str, enterprise_id: str | None = None) -> pd.DataFrame:
        """:meth:`load_scores` in the snapshot that :meth:`read_version` named ``version`` (else :class:`VersionMoved`)."""
        return self._read_at(version, lambda cur: io.load_scores(cur, enterprise_id, actor=self.actor))

    def load_table(self, table: str, enterprise_id: str | None = None) -> pd.DataFrame:
        """:func:`store.io.load_table` of the enterprises the actor may read."""
        with session(self.path) as cur:
            return io.load_table(cur, table, enterprise_id, actor=self.actor)

    def load_data(self, enterprise_id: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Options (of one enterprise, or all the actor may read) and enterprises, read in one session."""
        with session(self.path) as cur:
            cur.execute("BEGIN TRANSACTION")  # one snapshot: every option's enterprise is among the enterprises
            try:
                options = io.load_table(cur, "options", enterprise_id, actor=self.actor)
                enterprises = io.load_table(cur, "enterprises", actor=self.actor)
            finally:
                cur.execute("COMMIT")
        return options, enterprises

    def load_scores(self, enterprise_id: str | None = None) -> pd.DataFrame:
        """:func:`store.io.load_scores` of the enterprises the actor may read."""
        with session(self.path) as cur:
            return io.load_scores(cur, enterprise_id, actor=self.actor)

    def counts(self) -> dict[str, int]:
        """How many enterprises and options the actor may read (from memory while the file is unchanged)."""
        return while_unchanged(self.path, ("counts", self.actor), self._counts)  # type: ignore[return-value]

    def _counts(self) -> dict[str, int]:
        with session(self.path) as cur:
            seen = access.readable_ids(cur, self.actor)
            out = {}
            for t in ("enterprises", "options"):
                if seen is None:
                    out[t] = cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                else:
                    out[t] = cur.execute(f"SELECT count(*) FROM {t} WHERE enterprise_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(seen)]).fetchone()[0]
            return out

    def load_options(self, enterprise_id: str) -> edits.Snapshot:
        """:func:`store.edits.load_options` (none when the actor may not read the enterprise).

        From memory while the file is unchanged (each caller gets its own copy of the frame).
        """
        snap = while_unchanged(self.path, ("options", self.actor, enterprise_id), lambda: self._load_options(enterprise_id))
        return edits.Snapshot(snap.options.copy(), snap.revision)  # type: ignore[attr-defined]

    def _load_options(self, enterprise_id: str) -> edits.Snapshot:
        with session(self.path) as cur:
            return edits.load_options(cur, enterprise_id, actor=self.actor)

    def load_appraisals(self, on_date: date | None = None) -> pd.DataFrame:
        """:func:`store.results.load_appraisals` of the enterprises the actor may read."""
        with session(self.path) as cur:
            return results.load_appraisals(cur, on_date, actor=self.actor)

    def load_scenarios(self) -> list[dict[str, Any]]:
        """:func:`store.results.load_scenarios` of the programmes the actor may run."""
        with session(self.path) as cur:
            return results.load_scenarios(cur, actor=self.actor)

    def export_dir(self, directory: str | os.PathLike[str], fmt: str = "csv", *, force: bool = False) -> list[Path]:
        """:func:`store.io.export_dir` of the enterprises the actor may read."""
        with session(self.path) as cur:
            return io.export_dir(cur, directory, fmt, force=force, actor=self.actor)

    def grants(self) -> list[tuple[str, str]]:
        """The actor's (role, scope) pairs as stored now (from memory while the file is unchanged)."""
        return list(while_unchanged(self.path, ("grants", self.actor), self._grants))  # type: ignore[call-overload]

    def _grants(self) -> list[tuple[str, str]]:
        with session(self.path) as cur:
            return access.grants(cur, self.actor)

    def is_admin(self) -> bool:
        """Whether the actor is an admin now (local mode is; from memory while the file is unchanged)."""
        if self.actor.is_local:
            return True
        return bool(while_unchanged(self.path, ("admin", self.actor), self._is_admin))

    def _is_admin(self) -> bool:
        with session(self.path) as cur:
            return access.is_admin(cur, self.actor)

    def may_write(self, enterprise_id: str) -> bool:
        """Whether the actor may change ``enterprise_id``'s data now (from memory while the file is unchanged).

        What a page offers to edit; the store checks again inside each change's transaction.
        """
        return bool(while_unchanged(self.path, ("may_write", self.actor, enterprise_id),
                                    lambda: self._may_write(enterprise_id)))

    def _may_write(self, enterprise_id: str) -> bool:
        with session(self.path) as cur:
            ids = access.writable_ids(cur, self.actor)
            return ids is None or enterprise_id in ids

    def audit(self, limit: int | None = None) -> pd.DataFrame:
        """The audit trail, newest first (admins only, :func:`store.audit.load_audit`)."""
        with session(self.path) as cur:
            return audit.load_audit(cur, self.actor, limit=limit)

    # --- changes (each one transaction with its audit row) -------------------------------------

    def import_batch(self, batch: io.RawBatch) -> io.ImportReport:
        """:func:`store.io.import_batch` as the actor."""
        with session(self.path) as cur:
            return io.import_batch(cur, batch, actor=self.actor)

    def import_files(self, paths: Sequence[str | os.PathLike[str]]) -> io.ImportReport:
        """Read the files (no lock held), then import them as the actor in one transaction."""
        batch = io.read_files(paths)
        return self.import_batch(batch)

    def save_options(self, enterprise_id: str, edited: pd.DataFrame, base_revision: str, **kwargs: Any) -> edits.Snapshot:
        """:func:`store.edits.save_options` as the actor."""
        with session(self.path) as cur:
            return edits.save_options(cur, enterprise_id, edited, base_revision, actor=self.actor, **kwargs)

    def delete_options(self, option_ids: Sequence[str], *, enterprise_id: str | None = None) -> int:
        """:func:`store.io.delete_options` as the actor."""
        with session(self.path) as cur:
            return io.delete_options(cur, option_ids, enterprise_id=enterprise_id, actor=self.actor)

    def save_appraisals(self, frame: Any, on_date: date) -> int:
        """:func:`store.results.save_appraisals` as the actor."""
        with session(self.path) as cur:
            return results.save_appraisals(cur, frame, on_date, actor=self.actor)

    def save_scenario(self, name: str, pack: str, params: Any, rule: Any, description: str = "") -> None:
        """:func:`store.results.save_scenario` as the actor."""
        with session(self.path) as cur:
            results.save_scenario(cur, name, pack, params, rule, description, actor=self.actor)

    def add_user(self, email: str, name: str = "") -> dict[str, object]:
        """:func:`store.users.add_user` as the actor (admins only)."""
        with session(self.path) as cur:
            return users.add_user(cur, self.actor, email, name)

    def list_users(self) -> pd.DataFrame:
        """:func:`store.users.list_users` (admins only)."""
        with session(self.path) as cur:
            return users.list_users(cur, self.actor)

    def grant(self, email: str, role: str, scope: str | None = None) -> dict[str, object]:
        """:func:`store.users.grant` as the actor (admins only)."""
        with session(self.path) as cur:
            return users.grant(cur, self.actor, email, role, scope)

    def revoke(self, email: str, role: str, scope: str | None = None) -> dict[str, object]:
        """:func:`store.users.revoke` as the actor (admins only)."""
        with session(self.path) as cur:
            return users.revoke(cur, self.actor, email, role, scope)


__all__ = ["Store", "VERSION_TABLES", "VersionMoved"]

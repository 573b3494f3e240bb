"""The store's errors, in words: :class:`StoreError`, :class:`DatabaseBusy`, and DuckDB's and the OS's errors
put into words (:func:`store_fault`).

Every failure to open, read or write the database reaches the CLI and the app as a :class:`StoreError`
(missing, damaged, of a newer schema, disk full, another writer at the same moment): one line saying what
happened and what to do.  :class:`DatabaseBusy` is the one a file locked by another process raises after
the bounded wait (:func:`store.db.session`).

``duckdb`` is imported by the functions that tell its errors apart, not with this module: its import
costs 0.15-0.25 s of CPU, and the CLI imports this module for :class:`StoreError` in every command, most
of which (``--help``, commands on ``--options/--enterprises`` files) never open a database.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb


class StoreError(RuntimeError):
    """The database cannot be opened, read or written (missing, damaged, newer, disk full), in words."""


class DatabaseBusy(StoreError):
    """Another process (the app, another ``cpscreen``) held the database file longer than
    :data:`store.backoff.BUSY_TIMEOUT`."""


def _path_of(cur: duckdb.DuckDBPyConnection | None) -> str:
    if cur is None:
        return "the database"
    try:
        row = cur.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
        return f"the database {row[0]}" if row and row[0] else "the database"
    except Exception:  # noqa: BLE001 - only for the message
        return "the database"


def store_fault(exc: BaseException, cur: duckdb.DuckDBPyConnection | str | os.PathLike[str] | None = None) -> StoreError:
    """A DuckDB or OS error as a :class:`StoreError` in words: disk full, damaged file, missing table."""
    import duckdb

    where = f"the database {cur}" if isinstance(cur, (str, os.PathLike)) else _path_of(cur)
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    low = text.lower()
    if "no space left" in low or "disk full" in low or "file too large" in low or "quota" in low:
        why = "File too large (the file size limit)" if "file too large" in low else "No space left on device"
        return StoreError(f"cannot write to {where}: {why}; nothing was changed (free space and try again)")
    if isinstance(exc, duckdb.CatalogException) or "does not exist" in low and "table" in low:
        return StoreError(f"{where} lacks a table cpscreen keeps ({first[:160]}): it is damaged or was changed by another "
                          "program; restore a copy or import into a new database")
    if _is_write_conflict(exc):
        # two writers of one enterprise at the same moment: its key row in meta (store.upsert._take_keys)
        return StoreError(f"{where}: another write of the same enterprises ran at the same moment (a write-write "
                          f"conflict: {first[:160]}); nothing was changed: try again")
    if "invalidated" in low:
        return StoreError(f"{where} stopped after an earlier write error ({first[:160]}); nothing more was changed: run the command again")
    if isinstance(exc, (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException)) or "not a valid" in low:
        return StoreError(f"{where} cannot be read: it is damaged or not a cpscreen database ({first[:160]})")
    return StoreError(f"{where}: {first[:200]}")


def _is_write_conflict(exc: BaseException) -> bool:
    """DuckDB refused a write because another transaction wrote the same rows (an enterprise's key row,
    :func:`store.upsert._take_keys`) since this one's snapshot began, or has not committed yet."""
    import duckdb

    low = str(exc).lower()
    return isinstance(exc, duckdb.TransactionException) and ("conflict" in low or 'duplicate key "keys:' in low)

"""One write transaction: committed whole, or rolled back and reported in words.

Imports, scenarios, users and their roles, and the migrations write through
:func:`write_transaction`; a writer refused because another one wrote the same rows at the same
moment (a write-write conflict) runs again after a pause (:mod:`store.backoff`), so both land whole,
one after the other.

``duckdb`` is imported inside the function, as in :mod:`store.errors`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from store.backoff import CONFLICT_PAUSE, CONFLICT_PAUSE_MAX, _back_off, busy_timeout
from store.errors import _is_write_conflict, store_fault

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb


def write_transaction(cur: duckdb.DuckDBPyConnection, work: Callable[[], object], *,
                      timeout: float | None = None) -> None:
    """Run ``work`` in one transaction: committed whole, or rolled back and reported in words.

    Two writers of the same enterprise at the same moment (two sessions' imports, the CLI beside the
    app) cannot both commit: DuckDB refuses one with a write-write conflict.  That one is rolled back
    and ``work`` run again in a new transaction, which sees the other's committed rows, with
    randomised exponential back-off (:data:`store.backoff.CONFLICT_PAUSE` doubling to
    :data:`store.backoff.CONFLICT_PAUSE_MAX`, :func:`store.backoff._back_off`) for at most
    ``timeout`` seconds (default :func:`store.backoff.busy_timeout`); so both land whole, one after
    the other, and only a writer that stays in the way longer is reported (nothing changed).
    ``work`` must therefore only write through ``cur``.  A failed COMMIT (disk full) is reported as
    itself, not as the "no transaction is active" of the ROLLBACK that follows it.
    """
    import duckdb

    deadline = time.monotonic() + (busy_timeout() if timeout is None else timeout)
    pause = CONFLICT_PAUSE
    while True:
        cur.execute("BEGIN TRANSACTION")
        try:
            work()
            cur.execute("COMMIT")
            return
        except BaseException as exc:
            try:
                cur.execute("ROLLBACK")
            except duckdb.Error:
                pass  # the transaction was already ended by the failure being reported
            if _is_write_conflict(exc):
                then = _back_off(deadline, pause, CONFLICT_PAUSE_MAX)
                if then is not None:
                    pause = then
                    continue
            if isinstance(exc, (duckdb.Error, OSError)):
                raise store_fault(exc, cur) from exc
            raise

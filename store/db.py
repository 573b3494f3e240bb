"""The cpscreen database file: where it is, the process's connections to it, and sessions.

Only this package opens the database file.  DuckDB lets one process at a time open a file for
writing (it takes a file lock), so the app and the CLI share a file by holding it only for an
operation: :func:`session` opens the file, yields a connection for one read or one transaction
and closes it again, releasing the lock.  When the other process holds it, :func:`session`
waits with growing pauses (:mod:`store.backoff`) and, after :data:`store.backoff.BUSY_TIMEOUT`,
raises :class:`store.errors.DatabaseBusy` ("database busy", in one line).  :func:`connect` and
:func:`cursor` keep one connection open for the life of the process (scripts and tests on a
private file); the app and the CLI use :func:`session`.  The first opening of a file in a process
migrates it to the current schema (:mod:`store.schema`).  All SQL is parameterised.

The path defaults to ``data/cpscreen.duckdb`` beside the project and is set by the environment
variable ``CPSCREEN_DB``.

``duckdb`` is imported by the functions that open a database, not with this module: its import
costs 0.15-0.25 s of CPU, and the CLI imports this module in every command (for
:func:`require_existing` and :func:`opened_a_database`), most of which (``--help``, commands on
``--options/--enterprises`` files) never open a database.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from store.backoff import BUSY_PAUSE, BUSY_PAUSE_MAX, _back_off, busy_timeout
from store.errors import DatabaseBusy, StoreError, store_fault
from store.schema import _check_tables, migrate

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb

#: The project root (the folder holding ``data/``).
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "data" / "cpscreen.duckdb"

_lock = threading.Lock()
_connections: dict[str, duckdb.DuckDBPyConnection] = {}
_opened: list[str] = []  # every database this process opened or tried to open (see opened_a_database)


def opened_a_database() -> bool:
    """Whether this process has opened, or tried to open, a database through the store (file or memory).

    The console script may end without the interpreter's teardown only where it has not
    (``cli.may_skip_teardown``): a connection still open would not be checkpointed or closed.  DuckDB
    used as an engine on an in-memory connection of its own (``records.write``: nested columns as JSON,
    JSON and CSV writers), closed where it was opened, needs no teardown.
    """
    return bool(_opened)


#: When True, :func:`connect` refuses a path where no database exists yet instead of creating one.
_must_exist = False


def require_existing(flag: bool) -> None:
    """Refuse (True) or allow (False) creating a new database file on the next :func:`connect`.

    The CLI sets it for commands that only read or change a database named with ``--db`` or
    ``CPSCREEN_DB``, so a typo in the name is an error instead of a new, empty database.
    """
    global _must_exist
    _must_exist = flag


def db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database path: ``path``, else ``$CPSCREEN_DB``, else ``data/cpscreen.duckdb``."""
    if path is not None:
        return Path(path)
    env = os.environ.get("CPSCREEN_DB")
    return Path(env) if env else DEFAULT_DB


def _check_file(p: Path) -> None:
    """Refuse a database path that cannot be opened: missing (with :func:`require_existing`), not a
    file, or in a folder that cannot be created."""
    if _must_exist and not p.exists():
        raise StoreError(f"no database at {p}: check --db or CPSCREEN_DB for a typo; import files (or give "
                         "--create) to start a new one")
    if p.exists() and not p.is_file():
        raise StoreError(f"cannot open database {p}: not a file")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create database {p}: {exc.strerror or exc}") from exc


def connect(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """The process's connection to the database at ``path`` (opened and migrated once)."""
    import duckdb

    p = db_path(path)
    key = str(p.resolve()) if str(p) != ":memory:" else ":memory:"
    with _lock:
        con = _connections.get(key)
        if con is None:
            _opened.append(key)
            if key != ":memory:":
                _check_file(p)
            try:
                con = duckdb.connect(str(p))
            except duckdb.Error as exc:
                raise StoreError(f"cannot open database {p}: {_open_reason(exc)}") from exc
            try:
                migrate(con)
                _check_tables(con, p)
            except StoreError:
                con.close()
                raise
            except duckdb.Error as exc:
                con.close()
                raise store_fault(exc, str(p)) from exc
            _connections[key] = con
        return con


def _is_lock_error(exc: BaseException) -> bool:
    return "could not set lock" in str(exc).lower() or "conflicting lock" in str(exc).lower()


def _open_waiting(p: Path, timeout: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect(p)``, waiting with doubling pauses (and jitter) while another process holds the file."""
    import duckdb

    _opened.append(str(p))
    deadline = time.monotonic() + timeout
    pause = BUSY_PAUSE
    while True:
        try:
            return duckdb.connect(str(p))
        except duckdb.Error as exc:
            if not _is_lock_error(exc):
                raise StoreError(f"cannot open database {p}: {_open_reason(exc)}") from exc
            then = _back_off(deadline, pause, BUSY_PAUSE_MAX)
            if then is None:
                raise DatabaseBusy(f"database busy: another program (the app or another cpscreen) kept {p} locked for "
                                   f"{timeout:g} s; nothing was changed: try again (CPSCREEN_BUSY_TIMEOUT sets the wait)") from exc
            pause = then


def file_state(path: str | os.PathLike[str] | None = None) -> tuple[object, ...]:
    """The database file's and its write-ahead log's (inode, size, mtime) [ns]: any committed write changes it.

    DuckDB appends every commit to ``<file>.wal`` and a checkpoint rewrites the file and removes
    the log, so an unchanged state means unchanged data, read without opening (locking) the file.
    """
    p = db_path(path)
    out: list[object] = []
    for f in (p, p.with_name(p.name + ".wal")):
        try:
            st = f.stat()
            out.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


_memo_guard = threading.Lock()
_memo: dict[tuple[str, object], tuple[tuple[object, ...], object]] = {}


def while_unchanged(path: str | os.PathLike[str] | None, key: object, compute: Callable[[], object]) -> object:
    """``compute()`` once per state of the database file (:func:`file_state`); again after any write.

    For what a page rerun asks every time (the data fingerprint, whether a user exists): an
    unchanged file answers from memory, without opening it, so reruns do not take the lock the CLI
    waits for.  The state is read before ``compute`` runs, so a write during it only causes one
    more computation, never a stale answer.
    """
    p = db_path(path)
    if str(p) == ":memory:":
        return compute()
    k = (str(p.resolve()), key)
    state = file_state(p)
    with _memo_guard:
        hit = _memo.get(k)
    if hit is not None and hit[0] == state:
        return hit[1]
    value = compute()
    with _memo_guard:
        if len(_memo) > 4096:
            _memo.clear()
        _memo[k] = (state, value)
    return value


#: Database files this process has migrated and checked (by resolved path).
_ready: set[str] = set()


class _Shared:
    """This process's open connection to one database file, shared by the sessions using it at once."""

    def __init__(self) -> None:
        self.guard = threading.Lock()  # held while the file is opened or closed, and to count users
        self.con: duckdb.DuckDBPyConnection | None = None
        self.users = 0


_shared: dict[str, _Shared] = {}
_shared_guard = threading.Lock()


def _acquire(key: str, p: Path, timeout: float) -> duckdb.DuckDBPyConnection:
    """A connection of its own for one session: a cursor on the process's open connection to ``p``,
    opened (waiting while another process holds the file) if no other session of this process has it.

    Threads of one process (the app's browser sessions) thus share one database instance while any
    of them uses it, and the file is opened and closed under one lock: DuckDB refused an open that met
    another thread's close of the last connection ("Unique file handle conflict ... already attached").
    """
    with _shared_guard:
        shared = _shared.setdefault(key, _Shared())
    with shared.guard:
        if shared.con is None:
            shared.con = _open_waiting(p, timeout)
        shared.users += 1
        try:
            return shared.con.cursor()
        except BaseException:
            _release_count(shared)
            raise


def _release_count(shared: _Shared) -> None:
    shared.users -= 1
    if shared.users == 0 and shared.con is not None:
        con, shared.con = shared.con, None
        con.close()  # the last session of this process: the file is free for the CLI or another server


def _release(key: str, con: duckdb.DuckDBPyConnection) -> None:
    shared = _shared[key]
    with shared.guard:
        try:
            con.close()
        finally:
            _release_count(shared)


@contextmanager
def session(path: str | os.PathLike[str] | None = None, *, timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the database for one operation: opened (waiting while locked), then closed.

    The file lock is held only while a session of this process is inside its ``with`` block, so the
    app and the CLI can take turns on one file; sessions of one process at the same moment (the app's
    browser sessions, each on its own thread) share the open file (:func:`_acquire`).  The first
    session on a path in a process migrates it (:func:`store.schema.migrate`).  An in-memory database
    (``:memory:``) has no file to share: the process's connection is used.

    Parameters
    ----------
    path : str or PathLike, optional
        The database (default :func:`db_path`).
    timeout : float, optional
        Longest wait for another process to release the file (default :func:`store.backoff.busy_timeout`). [s]

    Raises
    ------
    DatabaseBusy
        The file stayed locked for ``timeout``; nothing was done.
    StoreError
        The file is missing (with :func:`require_existing`), damaged or of a newer schema.
    """
    import duckdb

    p = db_path(path)
    if str(p) == ":memory:":
        yield connect(p).cursor()
        return
    key = str(p.resolve())
    _check_file(p)
    con = _acquire(key, p, busy_timeout() if timeout is None else timeout)
    try:
        if key not in _ready:
            try:
                migrate(con)
                _check_tables(con, p)
            except duckdb.Error as exc:
                raise store_fault(exc, str(p)) from exc
            _ready.add(key)
        yield con
    finally:
        _release(key, con)


def _open_reason(exc: duckdb.Error) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if "lock" in text.lower():
        return f"another program holds it ({text[:160]})"
    return f"it is damaged or not a cpscreen database ({text[:160]})"


def cursor(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A new cursor on the process's connection: one per user session or thread."""
    return connect(path).cursor()


def close_all() -> None:
    """Close every connection this process opened (tests, CLI exit)."""
    with _lock:
        for con in _connections.values():
            con.close()
        _connections.clear()
        _ready.clear()
    with _memo_guard:
        _memo.clear()

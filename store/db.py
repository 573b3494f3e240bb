"""The cpscreen database: one DuckDB file, its schema, and forward migrations.

Only this package opens the database file.  DuckDB lets one process at a time open a file for
writing (it takes a file lock), so the app and the CLI share a file by holding it only for an
operation: :func:`session` opens the file, yields a connection for one read or one transaction
and closes it again, releasing the lock.  When the other process holds it, :func:`session`
waits with growing pauses and, after :data:`BUSY_TIMEOUT`, raises :class:`DatabaseBusy`
("database busy", in one line).  :func:`connect` and :func:`cursor` keep one connection open for
the life of the process (scripts and tests on a private file); the app and the CLI use
:func:`session`.  All SQL is parameterised.

The path defaults to ``data/cpscreen.duckdb`` beside the project and is set by the environment
variable ``CPSCREEN_DB``.

``duckdb`` is imported by the functions that open or report on a database, not with this module:
its import costs 0.15-0.25 s of CPU, and the CLI imports this module for :class:`StoreError` in
every command, most of which (``--help``, commands on ``--options/--enterprises`` files) never
open a database.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from screening.schema import fields

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb

#: The project root (the folder holding ``data/``).
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "data" / "cpscreen.duckdb"

_SQL_TYPES = {"float": "DOUBLE", "int": "INTEGER", "bool": "BOOLEAN"}


#: Import-format columns each migration adds (schema version -> table -> columns); the first is
#: the field table as released with version 1.  A field added to ``fields.csv`` comes with a new
#: migration that adds its column (``tests/store`` checks that a new database has every field).
_COLUMNS_ADDED: dict[int, dict[str, tuple[str, ...]]] = {
    1: {
        "enterprises": ("enterprise_id", "name", "jurisdiction", "size_class", "sector", "tax_rate", "discount_rate",
                        "tax_capacity", "currency", "material_input_t", "product_output_t"),
        "options": ("option_id", "enterprise_id", "title", "category", "investment", "annual_savings", "annual_cost_change",
                    "lifetime_years", "depreciation_years", "salvage_value", "eligible_investment", "energy_saved_mwh",
                    "co2e_avoided_t", "waste_avoided_t", "water_saved_m3", "technical_feasibility", "implementability",
                    "mandatory", "hierarchy", "excludes", "status"),
    },
    # real escalation of savings and cost change, and the option attributes the policy packs read
    2: {"options": ("savings_escalation", "cost_escalation", "project_type", "mia_tier", "vamil", "environmental_share",
                    "ghg_saving_share", "ghg_reduction_share", "prevailing_wage", "extra_investment_cost", "other_grants")},
    # the asset's tax depreciation class in its pack (policies.schedules)
    3: {"options": ("asset_class",)},
    # general inflation of the enterprise; the option's own debt (finance.financing)
    4: {"enterprises": ("inflation",), "options": ("debt_share", "debt_rate", "debt_term_years", "debt_repayment")},
    # implementation tracking: what was spent and saved once implemented (issue 15 item 3)
    5: {"options": ("implemented_on", "actual_investment", "actual_annual_savings", "actual_energy_saved_mwh",
                    "actual_co2e_avoided_t")},
    # Total Cost Assessment tiers II-IV (finance.tca)
    6: {"options": ("tier2_annual_savings", "tier3_liability_cost", "tier3_probability", "tier4_annual_benefit")},
}


def _sql_type(f: object) -> str:
    return _SQL_TYPES.get(f.type, "VARCHAR")  # type: ignore[attr-defined]


def _table_ddl(table: str, key: str, version: int = 1, name: str | None = None, *, primary_key: bool = True) -> str:
    """CREATE TABLE of ``table`` with the columns of the migrations up to ``version`` (from version 8
    without the primary key: see :func:`_unkeyed`)."""
    have = {c for v in range(1, version + 1) for c in _COLUMNS_ADDED.get(v, {}).get(table, ())}
    cols = [f"{f.column} {_sql_type(f)}{' NOT NULL' if f.required else ''}" for f in fields(table) if f.column in have]
    cols.append("attributes JSON")  # extra import columns, kept as given
    cols.append("position INTEGER")  # import order, so exports come back in the order they went in
    return f"CREATE TABLE {name or table} ({', '.join(cols)}{f', PRIMARY KEY ({key})' if primary_key else ''})"


#: Forward migrations: version -> statements.  Never edit a released step; append a new one.
MIGRATIONS: list[tuple[int, list[str]]] = [
    (
        1,
        [
            _table_ddl("enterprises", "enterprise_id"),
            _table_ddl("options", "enterprise_id, option_id"),
            """CREATE TABLE assessor_scores (
                enterprise_id VARCHAR NOT NULL, option_id VARCHAR NOT NULL, assessor VARCHAR NOT NULL,
                criterion VARCHAR NOT NULL, score DOUBLE NOT NULL,
                PRIMARY KEY (enterprise_id, option_id, assessor, criterion))""",
            """CREATE TABLE appraisals (
                enterprise_id VARCHAR NOT NULL, option_id VARCHAR NOT NULL, appraisal_date DATE NOT NULL,
                computed_at TIMESTAMP NOT NULL, pack VARCHAR, pack_version VARCHAR, payback_basis VARCHAR,
                metrics JSON NOT NULL, support JSON,
                PRIMARY KEY (enterprise_id, option_id, appraisal_date))""",
            """CREATE TABLE scenarios (
                name VARCHAR PRIMARY KEY, pack VARCHAR NOT NULL, params JSON NOT NULL, rule JSON,
                description VARCHAR, created_at TIMESTAMP NOT NULL)""",
        ],
    ),
]


_KEYS = {"enterprises": "enterprise_id", "options": "enterprise_id, option_id"}


def _add_columns(version: int) -> list[str]:
    """Statements adding a migration's columns, moving values kept among the extra attributes into them.

    Before a column was a field, a file's value for it was kept in ``attributes`` (JSON); the
    value moves to the new column (text as is, numbers and yes/no converted, a yes/no absent is
    its default; a number that does not convert is left NULL) and leaves ``attributes``.  The
    table is rebuilt (DuckDB does not update a table altered in the same transaction).
    """
    out: list[str] = []
    by_name = {f.column: f for t in ("enterprises", "options") for f in fields(t)}
    for table, added in _COLUMNS_ADDED[version].items():
        old = [c for v in range(1, version) for c in _COLUMNS_ADDED.get(v, {}).get(table, ())]
        values, attrs = [], "attributes"
        for c in added:
            f = by_name[c]
            raw = f"json_extract_string(attributes, '$.{c}')"
            if f.type == "bool":
                default = "true" if f.default in ("yes", "true", "1") else "false"
                values.append(f"coalesce(CASE WHEN lower(trim({raw})) IN ('yes', 'y', 'true', '1', '1.0') THEN true "
                              f"WHEN lower(trim({raw})) IN ('no', 'n', 'false', '0', '0.0') THEN false END, {default})")
            elif f.type in ("float", "int"):
                values.append(f"TRY_CAST({raw} AS {_sql_type(f)})")
            else:
                values.append(raw)
            attrs = f"json_merge_patch({attrs}, '{{\"{c}\": null}}')"
        cols = old + list(added) + ["attributes", "position"]
        out += [_table_ddl(table, _KEYS[table], version, name=f"{table}_v{version}"),
                f"INSERT INTO {table}_v{version} ({', '.join(cols)}) SELECT {', '.join(old)}, {', '.join(values)}, "
                f"CASE WHEN attributes IS NULL THEN NULL ELSE {attrs} END, position FROM {table}",
                f"DROP TABLE {table}",
                f"ALTER TABLE {table}_v{version} RENAME TO {table}"]
    return out


MIGRATIONS.append((2, _add_columns(2)))
MIGRATIONS.append((3, _add_columns(3)))
MIGRATIONS.append((4, _add_columns(4)))
MIGRATIONS.append((5, _add_columns(5)))
MIGRATIONS.append((6, _add_columns(6)))
# the service's users, their roles and memberships, and the audit trail of every change (issue 14)
MIGRATIONS.append((7, [
    """CREATE TABLE users (email VARCHAR PRIMARY KEY, name VARCHAR, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE memberships (
        email VARCHAR NOT NULL, role VARCHAR NOT NULL, scope VARCHAR NOT NULL, granted_at TIMESTAMP NOT NULL,
        PRIMARY KEY (email, role, scope))""",
    "CREATE SEQUENCE audit_seq START 1",
    """CREATE TABLE audit (
        seq BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'), changed_at TIMESTAMP NOT NULL, user_email VARCHAR NOT NULL,
        action VARCHAR NOT NULL, what VARCHAR NOT NULL, enterprises JSON, before_digest VARCHAR, after_digest VARCHAR)""",
]))


def _unkeyed(version: int) -> list[str]:
    """Statements rebuilding enterprises and options without their PRIMARY KEY, rows and columns unchanged.

    DuckDB's primary-key index cost more than half of a 1,000,000-option import (issue 11: the
    insert building the index and the commit writing it, 3.9 of 6.6 s of CPU against 2.7 without
    it), and DuckDB cannot drop a constraint, so the tables are rebuilt.  A key stays unique
    without it because every row reaches these tables through :func:`store.upsert.upsert`, which
    refuses a batch repeating a key (validation), updates the stored row of a key it is given and
    inserts only keys its transaction sees unstored, after taking each of the batch's enterprises'
    key rows in ``meta`` (:data:`store.upsert.KEY_LOCK`): a transaction writing an enterprise that
    another one wrote since its snapshot began is refused by DuckDB (a write-write conflict), so
    two writers never both insert one key (``tests/store/test_unique_keys.py``).  The rows copied
    come from the keyed tables, so they are unique.
    """
    out: list[str] = []
    for table, key in _KEYS.items():
        cols = [c for v in range(1, version + 1) for c in _COLUMNS_ADDED.get(v, {}).get(table, ())] + ["attributes", "position"]
        out += [_table_ddl(table, key, version, name=f"{table}_v{version}", primary_key=False),
                f"INSERT INTO {table}_v{version} ({', '.join(cols)}) SELECT {', '.join(cols)} FROM {table}",
                f"DROP TABLE {table}",
                f"ALTER TABLE {table}_v{version} RENAME TO {table}"]
    return out


# enterprises and options without the primary key (uniqueness kept by store.upsert; issue 11)
MIGRATIONS.append((8, _unkeyed(8)))
SCHEMA_VERSION = MIGRATIONS[-1][0]

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


#: Tables a database of the current schema has; one missing means the file was damaged or changed.
TABLES: tuple[str, ...] = ("meta", "enterprises", "options", "assessor_scores", "appraisals", "scenarios",
                           "users", "memberships", "audit")


class StoreError(RuntimeError):
    """The database cannot be opened, read or written (missing, damaged, newer, disk full), in words."""


class DatabaseBusy(StoreError):
    """Another process (the app, another ``cpscreen``) held the database file longer than :data:`BUSY_TIMEOUT`."""


#: Longest wait for the other process to release the database file; ``CPSCREEN_BUSY_TIMEOUT`` sets it. [s]
BUSY_TIMEOUT = 30.0
#: First pause after finding the file locked; each further pause doubles, up to :data:`BUSY_PAUSE_MAX`. [s]
BUSY_PAUSE = 0.005
#: Longest single pause while waiting for the file. [s]
BUSY_PAUSE_MAX = 0.1
#: First and longest pause before running a writer refused by a write-write conflict again. [s]
CONFLICT_PAUSE = 0.02
CONFLICT_PAUSE_MAX = 0.5


def _back_off(deadline: float, pause: float, most: float) -> float | None:
    """One step of a bounded, randomised exponential back-off.

    Sleeps ``pause`` scaled by a random factor in [0.5, 1.5) (so two waiters do not retry in step),
    never past ``deadline`` (a :func:`time.monotonic` time), and returns the next pause (doubled, at
    most ``most``); returns None without sleeping once the deadline has passed.
    """
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    time.sleep(min(left, pause * (0.5 + random.random())))
    return min(2 * pause, most)


#: When True, :func:`connect` refuses a path where no database exists yet instead of creating one.
_must_exist = False


def require_existing(flag: bool) -> None:
    """Refuse (True) or allow (False) creating a new database file on the next :func:`connect`.

    The CLI sets it for commands that only read or change a database named with ``--db`` or
    ``CPSCREEN_DB``, so a typo in the name is an error instead of a new, empty database.
    """
    global _must_exist
    _must_exist = flag


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


def write_transaction(cur: duckdb.DuckDBPyConnection, work: Callable[[], object], *,
                      timeout: float | None = None) -> None:
    """Run ``work`` in one transaction: committed whole, or rolled back and reported in words.

    Two writers of the same enterprise at the same moment (two sessions' imports, the CLI beside the
    app) cannot both commit: DuckDB refuses one with a write-write conflict.  That one is rolled back
    and ``work`` run again in a new transaction, which sees the other's committed rows, with
    randomised exponential back-off (:data:`CONFLICT_PAUSE` doubling to :data:`CONFLICT_PAUSE_MAX`,
    :func:`_back_off`) for at most ``timeout`` seconds (default :func:`busy_timeout`); so both land
    whole, one after the other, and only a writer that stays in the way longer is reported (nothing
    changed).  ``work`` must therefore only write
    through ``cur``.  A failed COMMIT (disk full) is reported as itself, not as the "no transaction
    is active" of the ROLLBACK that follows it.
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


def db_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The database path: ``path``, else ``$CPSCREEN_DB``, else ``data/cpscreen.duckdb``."""
    if path is not None:
        return Path(path)
    env = os.environ.get("CPSCREEN_DB")
    return Path(env) if env else DEFAULT_DB


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The schema version recorded in the database (0 for a new, empty file)."""
    has = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()
    if not has or not has[0]:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply the migrations the database lacks, each in its own transaction; return the version."""
    current = schema_version(con)
    if current == 0:
        have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if have & set(TABLES):
            raise StoreError(f"{_path_of(con)} has cpscreen tables ({', '.join(sorted(have & set(TABLES)))}) but no schema "
                             "version: it is damaged or was changed by another program")
    if current > SCHEMA_VERSION:
        raise StoreError(f"database schema version {current} is newer than this cpscreen ({SCHEMA_VERSION}); upgrade cpscreen")
    for version, statements in MIGRATIONS:
        if version <= current:
            continue
        def step(version: int = version, statements: list[str] = statements) -> None:
            if version == 1:
                con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            for sql in statements:
                con.execute(sql)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])

        write_transaction(con, step)
        current = version
    return current


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


def busy_timeout() -> float:
    """The bounded wait for a locked database file: ``$CPSCREEN_BUSY_TIMEOUT``, else :data:`BUSY_TIMEOUT`. [s]"""
    raw = os.environ.get("CPSCREEN_BUSY_TIMEOUT")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise StoreError(f"CPSCREEN_BUSY_TIMEOUT={raw!r}: expected a number of seconds such as 30") from None
        if value >= 0:
            return value
        raise StoreError(f"CPSCREEN_BUSY_TIMEOUT={raw!r}: must not be negative")
    return BUSY_TIMEOUT


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
    session on a path in a process migrates it (:func:`migrate`).  An in-memory database
    (``:memory:``) has no file to share: the process's connection is used.

    Parameters
    ----------
    path : str or PathLike, optional
        The database (default :func:`db_path`).
    timeout : float, optional
        Longest wait for another process to release the file (default :func:`busy_timeout`). [s]

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


def _check_tables(con: duckdb.DuckDBPyConnection, p: Path) -> None:
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    missing = [t for t in TABLES if t not in have]
    if missing:
        raise StoreError(f"the database {p} lacks table(s) {', '.join(missing)}: it is damaged or was changed by another "
                         "program; restore a copy or import into a new database")


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

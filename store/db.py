"""The cpscreen database: one DuckDB file, its schema, and forward migrations.

Only this package opens the database file.  A process holds one connection per database path
(:func:`connect`); each user session (a Streamlit browser session, a CLI call) works through its
own cursor (:func:`cursor`), which DuckDB makes safe to use from several threads.  All SQL is
parameterised.

The path defaults to ``data/cpscreen.duckdb`` beside the project and is set by the environment
variable ``CPSCREEN_DB``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import duckdb

from screening.schema import fields

#: The project root (the folder holding ``data/``).
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = ROOT / "data" / "cpscreen.duckdb"

_SQL_TYPES = {"float": "DOUBLE", "int": "INTEGER", "bool": "BOOLEAN"}


def _table_ddl(table: str, key: str) -> str:
    cols = [f"{f.column} {_SQL_TYPES.get(f.type, 'VARCHAR')}{' NOT NULL' if f.required else ''}" for f in fields(table)]
    cols.append("attributes JSON")  # extra import columns, kept as given
    cols.append("position INTEGER")  # import order, so exports come back in the order they went in
    return f"CREATE TABLE {table} ({', '.join(cols)}, PRIMARY KEY ({key}))"


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
SCHEMA_VERSION = MIGRATIONS[-1][0]

_lock = threading.Lock()
_connections: dict[str, duckdb.DuckDBPyConnection] = {}


#: Tables a database of the current schema has; one missing means the file was damaged or changed.
TABLES: tuple[str, ...] = ("meta", "enterprises", "options", "assessor_scores", "appraisals", "scenarios")


class StoreError(RuntimeError):
    """The database cannot be opened, read or written (missing, damaged, newer, disk full), in words."""


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
    if "invalidated" in low:
        return StoreError(f"{where} stopped after an earlier write error ({first[:160]}); nothing more was changed: run the command again")
    if isinstance(exc, (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException)) or "not a valid" in low:
        return StoreError(f"{where} cannot be read: it is damaged or not a cpscreen database ({first[:160]})")
    return StoreError(f"{where}: {first[:200]}")


def write_transaction(cur: duckdb.DuckDBPyConnection, work: Callable[[], object]) -> None:
    """Run ``work`` in one transaction: committed whole, or rolled back and reported in words.

    A failed COMMIT (disk full) is reported as itself, not as the "no transaction is active" of
    the ROLLBACK that follows it.
    """
    cur.execute("BEGIN TRANSACTION")
    try:
        work()
        cur.execute("COMMIT")
    except BaseException as exc:
        try:
            cur.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the transaction was already ended by the failure being reported
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
    _add_new_fields(con)
    return current


def _add_new_fields(con: duckdb.DuckDBPyConnection) -> None:
    """Add the optional fields the field table (screening/fields.csv) gained since the file was made.

    New fields are only ever added (DESIGN.md section 5: add, never rename), and optional, so an
    older file gains them as NULL columns in one transaction; nothing else changes.
    """
    for table in ("enterprises", "options"):
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall()}
        new = [f for f in fields(table) if f.column not in have]
        if not have or not new:  # a missing table is the integrity check's to report, in its words
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            for f in new:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{f.column}" {_SQL_TYPES.get(f.type, "VARCHAR")}')
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise


def connect(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """The process's connection to the database at ``path`` (opened and migrated once)."""
    p = db_path(path)
    key = str(p.resolve()) if str(p) != ":memory:" else ":memory:"
    with _lock:
        con = _connections.get(key)
        if con is None:
            if key != ":memory:":
                if _must_exist and not p.exists():
                    raise StoreError(f"no database at {p}: check --db or CPSCREEN_DB for a typo; import files (or give "
                                     "--create) to start a new one")
                if p.exists() and not p.is_file():
                    raise StoreError(f"cannot open database {p}: not a file")
                try:
                    p.parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise StoreError(f"cannot create database {p}: {exc.strerror or exc}") from exc
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

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


class StoreError(RuntimeError):
    """The database cannot be opened or is of a newer schema than this code knows."""


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
    if current > SCHEMA_VERSION:
        raise StoreError(f"database schema version {current} is newer than this cpscreen ({SCHEMA_VERSION}); upgrade cpscreen")
    for version, statements in MIGRATIONS:
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            if version == 1:
                con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            for sql in statements:
                con.execute(sql)
            con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
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
        if not new:
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
                p.parent.mkdir(parents=True, exist_ok=True)
            try:
                con = duckdb.connect(str(p))
            except duckdb.IOException as exc:
                raise StoreError(f"cannot open database {p}: {str(exc).splitlines()[0]}") from exc
            migrate(con)
            _connections[key] = con
        return con


def cursor(path: str | os.PathLike[str] | None = None) -> duckdb.DuckDBPyConnection:
    """A new cursor on the process's connection: one per user session or thread."""
    return connect(path).cursor()


def close_all() -> None:
    """Close every connection this process opened (tests, CLI exit)."""
    with _lock:
        for con in _connections.values():
            con.close()
        _connections.clear()

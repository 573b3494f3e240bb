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
}


def _sql_type(f: object) -> str:
    return _SQL_TYPES.get(f.type, "VARCHAR")  # type: ignore[attr-defined]


def _table_ddl(table: str, key: str, version: int = 1, name: str | None = None) -> str:
    """CREATE TABLE of ``table`` with the columns of the migrations up to ``version``."""
    have = {c for v in range(1, version + 1) for c in _COLUMNS_ADDED.get(v, {}).get(table, ())}
    cols = [f"{f.column} {_sql_type(f)}{' NOT NULL' if f.required else ''}" for f in fields(table) if f.column in have]
    cols.append("attributes JSON")  # extra import columns, kept as given
    cols.append("position INTEGER")  # import order, so exports come back in the order they went in
    return f"CREATE TABLE {name or table} ({', '.join(cols)}, PRIMARY KEY ({key}))"


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
    return current


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

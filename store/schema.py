"""The database's schema: its tables, the forward migrations that build and change them, and the check
that a file holds every table of this schema.

:data:`MIGRATIONS` lists each schema version's statements; :func:`migrate` applies those a database
lacks, each in its own transaction, and records the version in the ``meta`` table.  The columns of
enterprises and options follow the import format's field table (``screening/fields.csv``):
a field added there comes with a new migration that adds its column.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from screening.schema import fields
from store.errors import StoreError, _path_of
from store.transaction import write_transaction

if TYPE_CHECKING:  # pragma: no cover - typing only
    import duckdb

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

#: Tables a database of the current schema has; one missing means the file was damaged or changed.
TABLES: tuple[str, ...] = ("meta", "enterprises", "options", "assessor_scores", "appraisals", "scenarios",
                           "users", "memberships", "audit")


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


def _check_tables(con: duckdb.DuckDBPyConnection, p: Path) -> None:
    have = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    missing = [t for t in TABLES if t not in have]
    if missing:
        raise StoreError(f"the database {p} lacks table(s) {', '.join(missing)}: it is damaged or was changed by another "
                         "program; restore a copy or import into a new database")

"""The database holds every field of the import format, and an old database gains the new ones."""

from __future__ import annotations

import json

import duckdb

from screening.schema import columns
from store import schema


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                      "ORDER BY ordinal_position", [table]).fetchall()]


def test_new_database_has_every_field():
    con = duckdb.connect(":memory:")
    schema.migrate(con)
    for table in ("enterprises", "options"):
        assert set(columns(table)) <= set(_table_columns(con, table)), f"{table}: a field of fields.csv has no migration"


def test_version_1_database_moves_attributes_into_the_new_columns():
    con = duckdb.connect(":memory:")
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for sql in schema.MIGRATIONS[0][1]:
        con.execute(sql)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    insert = ("INSERT INTO options (option_id, enterprise_id, title, category, investment, annual_savings, lifetime_years, "
              "mandatory, attributes, position) VALUES (?, 'e', 't', 'byproduct', 1, 1, 5, false, ?, ?)")
    con.execute(insert, ["o", json.dumps({"project_type": "development", "vamil": "yes", "other_grants": "12.5", "note": "x"}), 1])
    con.execute(insert, ["p", None, 2])
    assert schema.migrate(con) == schema.SCHEMA_VERSION >= 2
    got = con.execute("SELECT option_id, project_type, vamil, other_grants, attributes, position FROM options ORDER BY position").fetchall()
    assert got == [("o", "development", True, 12.5, '{"note":"x"}', 1), ("p", None, False, None, None, 2)]

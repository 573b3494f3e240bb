"""The import's write path (issue 11): the audit digest and the rows handed to DuckDB.

* :func:`store.audit.enterprise_digest` is checked against a second method: every row's DuckDB
  hash fetched into Python, filtered by enterprise there, summed as a Python int and put through
  md5, both on committed rows and on rows still local to an open transaction (the case whose
  query plan the digest's form is written for).
* The Arrow table :func:`store.upsert.upsert` builds column by column and the pandas frame it
  falls back to store the same rows (compared with EXCEPT ALL both ways, and column types).
"""

from __future__ import annotations

import hashlib
from collections import Counter

import duckdb
import pandas as pd
import pytest

from store import audit, io, upsert
from store.db import close_all, cursor
from tests.conftest import DEMO_FILES

TABLES = audit.ENTERPRISE_TABLES


def _digest_by_python(cur: duckdb.DuckDBPyConnection, ids: set[str]) -> str:
    """The digest's definition done by hand: ``<rows>:<md5 of the sum of the row hashes>``."""
    n, total = 0, 0
    for t in TABLES:
        for e, h in cur.execute(f"SELECT enterprise_id, hash(x) FROM {t} x").fetchall():
            if e in ids:
                n += 1
                total += int(h)
    return f"{n}:{hashlib.md5(str(total).encode()).hexdigest()}"


@pytest.fixture
def cur(tmp_path):
    c = cursor(tmp_path / "write.duckdb")
    io.import_files(c, [str(p) for p in DEMO_FILES])
    yield c
    close_all()


@pytest.mark.parametrize("grouped_from", [audit.GROUPED_FROM, 0, 2])  # each form, and each form by the ids' count
def test_the_digest_is_the_row_hash_sum_of_the_enterprises_committed_and_in_a_transaction(cur, grouped_from, monkeypatch):
    monkeypatch.setattr(audit, "GROUPED_FROM", grouped_from)
    every = {r[0] for r in cur.execute("SELECT enterprise_id FROM enterprises").fetchall()}
    assert len(every) >= 3
    one = {sorted(every)[0]}
    for ids in (every, one, {"no_such_enterprise"}):
        assert audit.enterprise_digest(cur, ids) == _digest_by_python(cur, ids)
    assert audit.enterprise_digest(cur, {"no_such_enterprise"}) == f"0:{hashlib.md5(b'0').hexdigest()}"
    # rows local to an open transaction: an upsert of every option with one title changed
    options = io.load_table(cur, "options")
    options.loc[0, "title"] = "changed inside the transaction"
    before = audit.enterprise_digest(cur, every)
    cur.execute("BEGIN TRANSACTION")
    try:
        io._upsert(cur, "options", options, ["enterprise_id", "option_id"])
        inside = audit.enterprise_digest(cur, every)
        assert inside == _digest_by_python(cur, every)
        assert inside != before and inside.split(":")[0] == before.split(":")[0]  # same rows, one changed
        assert audit.enterprise_digest(cur, one) == _digest_by_python(cur, one)
    finally:
        cur.execute("ROLLBACK")
    assert audit.enterprise_digest(cur, every) == before


def _rows(cur: duckdb.DuckDBPyConnection, table: str) -> tuple[list, list]:
    types = cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                        "ORDER BY ordinal_position", [table]).fetchall()
    return types, cur.execute(f"SELECT * FROM {table}").fetchall()


def test_the_arrow_rows_and_the_pandas_fallback_store_the_same_rows(tmp_path, monkeypatch):
    import pyarrow as pa

    options = pd.read_csv(DEMO_FILES[1], dtype=str, keep_default_na=False)
    options["site_note"] = ["kept as an attribute"] + [""] * (len(options) - 1)  # an extra column: JSON attributes
    enterprises = pd.read_csv(DEMO_FILES[0], dtype=str, keep_default_na=False)
    stored = {}
    for way in ("arrow", "pandas"):
        if way == "pandas":
            def refuse(*_a, **_k):
                raise pa.ArrowInvalid("refused by the test")

            monkeypatch.setattr(upsert, "_arrow_array", refuse)
        c = cursor(tmp_path / f"{way}.duckdb")
        io.import_frames(c, enterprises, options, source="test")
        stored[way] = c
    a, p = stored["arrow"], stored["pandas"]
    assert a.execute("SELECT count(*) FROM options WHERE attributes = '{\"site_note\": \"kept as an attribute\"}'").fetchone()[0] == 1
    for table in ("enterprises", "options"):
        (types_a, rows_a), (types_p, rows_p) = _rows(a, table), _rows(p, table)
        assert types_a == types_p
        assert len(rows_a) > 0 and Counter(rows_a) == Counter(rows_p)  # the same rows, as a multiset
    close_all()


def test_an_upsert_stores_what_a_fresh_import_of_the_result_stores(tmp_path):
    """Re-importing some stored options (changed) with new ones updates the stored rows in place and
    appends the new: the table equals a new database's import of the whole result in that order."""
    enterprises = pd.read_csv(DEMO_FILES[0], dtype=str, keep_default_na=False)
    options = pd.read_csv(DEMO_FILES[1], dtype=str, keep_default_na=False)
    options["site_note"] = ""  # an extra column in both imports: attributes "{}" unless a note is given
    again = options.iloc[[1, 4, 7]].copy()
    again["title"] = again["title"] + " (revised)"
    again["annual_savings"] = "1234.5"
    again["site_note"] = "new attribute"
    new = options.iloc[[0, 2]].copy()
    new["option_id"] = new["option_id"] + "_new"
    batch = pd.concat([again, new], ignore_index=True)
    up = cursor(tmp_path / "upsert.duckdb")
    io.import_frames(up, enterprises, options, source="first")
    io.import_frames(up, enterprises, batch, source="second")
    final = options.copy()
    final.loc[again.index, :] = again[final.columns]
    final = pd.concat([final, new], ignore_index=True)
    fresh = cursor(tmp_path / "fresh.duckdb")
    io.import_frames(fresh, enterprises, final, source="whole")
    for table in ("enterprises", "options"):
        (types_u, rows_u), (types_f, rows_f) = _rows(up, table), _rows(fresh, table)
        assert types_u == types_f
        assert Counter(rows_u) == Counter(rows_f)
    assert up.execute("SELECT count(*) FROM options WHERE title LIKE '% (revised)'").fetchone()[0] == 3
    assert len(rows_u) == len(options) + 2
    close_all()


def test_rows_handed_over_in_row_group_chunks_store_the_same_rows(tmp_path, monkeypatch):
    """Chunks of whole row groups (store.upsert._in_row_groups) are the same rows, in the same import order."""
    options = pd.read_csv(DEMO_FILES[1], dtype=str, keep_default_na=False)
    enterprises = pd.read_csv(DEMO_FILES[0], dtype=str, keep_default_na=False)
    stored = {}
    for chunk in (upsert.ROW_GROUP_ROWS, 4):
        monkeypatch.setattr(upsert, "ROW_GROUP_ROWS", chunk)
        assert upsert._in_row_groups(upsert._as_arrow(options, list(options.columns), None)).column(0).num_chunks == (
            1 if chunk > len(options) else -(-len(options) // chunk))
        c = cursor(tmp_path / f"chunk{chunk}.duckdb")
        io.import_frames(c, enterprises, options, source="test")
        io.import_frames(c, enterprises, options.iloc[::2], source="again")  # an update of stored rows
        stored[chunk] = c
    whole, small = stored.values()
    for table in ("enterprises", "options"):
        (types_w, rows_w), (types_s, rows_s) = _rows(whole, table), _rows(small, table)
        assert types_w == types_s and len(rows_w) > 0 and Counter(rows_w) == Counter(rows_s)
        pd.testing.assert_frame_equal(io.load_table(whole, table), io.load_table(small, table))
    close_all()


def test_the_columns_built_directly_are_the_arrays_arrow_makes_from_pandas():
    """store.upsert._arrow_array builds float and empty text columns itself: the same Arrow arrays."""
    import numpy as np
    import pyarrow as pa

    options = pd.read_csv(DEMO_FILES[1], dtype=str, keep_default_na=False)
    enterprises = pd.read_csv(DEMO_FILES[0], dtype=str, keep_default_na=False)
    from screening.schema import columns, validate

    v = validate(enterprises, options)
    cases = [v.options[c] for c in columns("options")] + [v.enterprises[c] for c in columns("enterprises")] + [
        pd.Series([1.5, np.nan, -0.0, np.inf, -np.inf]), pd.Series([np.nan, np.nan]), pd.Series([], dtype=float),
        pd.Series([None, None], dtype=object), pd.Series([None, "text"], dtype=object), pd.Series([None, np.nan], dtype=object),
        pd.Series([], dtype=object), pd.Series(np.array([1.5, np.nan], dtype=np.float32))]
    kinds = set()
    for s in cases:
        got, want = upsert._arrow_array(s), pa.Array.from_pandas(s)
        assert got.type == want.type and got.equals(want) and got.null_count == want.null_count, s
        kinds.add(str(got.type))
    assert {"double", "null", "string"} <= kinds

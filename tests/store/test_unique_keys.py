"""Keys stay unique without a primary key (issue 11, schema version 8).

Enterprises and options have no PRIMARY KEY since version 8 (:func:`store.schema._unkeyed`); every
write goes through :func:`store.upsert.upsert`, which takes the key row of each enterprise it
writes in ``meta``.  Here two cursors (two sessions of the app) interleave by hand every way two
writers of the same keys can overlap, and in each one of them is refused by DuckDB and every key
is stored once; writers of different enterprises both commit, as with the primary key.  Through
:func:`store.transaction.write_transaction` the refused writer runs again once the other commits (both land
whole), within a bounded wait.  An
existing (version 7) database loses the constraint and keeps its rows.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from screening.schema import validate
from store import schema
from store.db import close_all, cursor
from store.errors import StoreError, store_fault
from store.io import import_files, load_table
from store.readers import read_files
from store.transaction import write_transaction
from store.upsert import KEY_LOCK, upsert
from tests.conftest import DEMO_FILES

OPTION_KEY = ["enterprise_id", "option_id"]


@pytest.fixture
def two(tmp_path):
    """Two cursors on one database file holding the demo enterprises (no options)."""
    path = tmp_path / "keys.duckdb"
    a = cursor(path)
    b = cursor(path)
    batch = read_files(DEMO_FILES[:1])
    ent, _, _ = batch.combined("enterprises")
    write_transaction(a, lambda: upsert(a, "enterprises", validate(ent, None).enterprises, ["enterprise_id"]))
    yield a, b
    close_all()


def _options(cur: duckdb.DuckDBPyConnection, enterprise_id: str | None = None, title: str = "x") -> pd.DataFrame:
    """The demo options (of one enterprise), validated against the stored enterprises, retitled."""
    ent, _, _ = read_files(DEMO_FILES[:1]).combined("enterprises")
    opt, _, _ = read_files(DEMO_FILES[1:2]).combined("options")
    if enterprise_id is not None:
        opt = opt[opt["enterprise_id"] == enterprise_id].reset_index(drop=True)
    return validate(ent, opt.assign(title=title)).options


def _repeated_keys(cur: duckdb.DuckDBPyConnection) -> int:
    return cur.execute("SELECT count(*) FROM (SELECT enterprise_id, option_id FROM options "
                       "GROUP BY ALL HAVING count(*) > 1)").fetchone()[0]


def _rollback(*curs: duckdb.DuckDBPyConnection) -> None:
    for c in curs:
        try:
            c.execute("ROLLBACK")
        except duckdb.Error:
            pass


def test_the_tables_have_no_primary_key_and_an_upsert_takes_its_enterprises_key_rows(two):
    a, _ = two
    kinds = a.execute("SELECT table_name, constraint_type FROM duckdb_constraints() "
                      "WHERE table_name IN ('enterprises', 'options') AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')").fetchall()
    assert kinds == []
    opts = _options(a)
    write_transaction(a, lambda: upsert(a, "options", opts, OPTION_KEY))
    taken = {r[0] for r in a.execute("SELECT key FROM meta WHERE starts_with(key, ?)", [KEY_LOCK]).fetchall()}
    assert taken == {KEY_LOCK + e for e in set(load_table(a, "enterprises")["enterprise_id"])}
    write_transaction(a, lambda: upsert(a, "options", opts, OPTION_KEY))  # again: updated in place
    assert a.execute("SELECT count(*) FROM options").fetchone()[0] == len(opts)
    assert _repeated_keys(a) == 0


def test_a_second_writer_of_the_same_keys_while_the_first_is_open_is_refused(two):
    a, b = two
    a.execute("BEGIN TRANSACTION")
    upsert(a, "options", _options(a, title="A"), OPTION_KEY)
    b.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.TransactionException, match="(?i)conflict"):
        upsert(b, "options", _options(b, title="B"), OPTION_KEY)
    _rollback(b)
    a.execute("COMMIT")
    assert set(load_table(a, "options")["title"]) == {"A"}
    assert _repeated_keys(a) == 0


def test_a_writer_whose_snapshot_predates_the_others_commit_is_refused(two):
    a, b = two
    b.execute("BEGIN TRANSACTION")
    assert b.execute("SELECT count(*) FROM options").fetchone() == (0,)  # b's snapshot: no options
    write_transaction(a, lambda: upsert(a, "options", _options(a, title="A"), OPTION_KEY))
    with pytest.raises(duckdb.TransactionException, match="(?i)conflict"):
        upsert(b, "options", _options(b, title="B"), OPTION_KEY)  # would insert every key again
    _rollback(b)
    assert a.execute("SELECT count(*) FROM options").fetchone()[0] == len(_options(a))
    assert _repeated_keys(a) == 0


def test_a_writer_starting_after_the_others_commit_updates_its_rows(two):
    a, b = two
    write_transaction(a, lambda: upsert(a, "options", _options(a, title="A"), OPTION_KEY))
    write_transaction(b, lambda: upsert(b, "options", _options(b, title="B"), OPTION_KEY))
    assert set(load_table(a, "options")["title"]) == {"B"}
    assert a.execute("SELECT count(*) FROM options").fetchone()[0] == len(_options(a))


def test_two_writers_of_a_new_enterprise_cannot_both_commit_and_the_refusal_says_conflict(two):
    a, b = two
    ent, _, _ = read_files(DEMO_FILES[:1]).combined("enterprises")
    new = validate(ent.head(1).assign(enterprise_id="NEW1", name="A"), None).enterprises
    a.execute("BEGIN TRANSACTION")
    upsert(a, "enterprises", new, ["enterprise_id"])
    write_transaction(b, lambda: upsert(b, "enterprises", new.assign(name="B"), ["enterprise_id"]))  # the first commit wins
    with pytest.raises(duckdb.TransactionException) as err:  # both created the key row: DuckDB refuses a's commit
        a.execute("COMMIT")
    _rollback(a)
    said = str(store_fault(err.value, a))
    assert "conflict" in said and "nothing was changed" in said
    assert a.execute("SELECT count(*), min(name) FROM enterprises WHERE enterprise_id = 'NEW1'").fetchone() == (1, "B")


def test_writers_of_different_enterprises_both_commit(two):
    a, b = two
    ids = sorted(set(_options(a)["enterprise_id"]))
    assert len(ids) >= 2
    a.execute("BEGIN TRANSACTION")
    b.execute("BEGIN TRANSACTION")
    upsert(a, "options", _options(a, ids[0]), OPTION_KEY)
    upsert(b, "options", _options(b, ids[1]), OPTION_KEY)
    a.execute("COMMIT")
    b.execute("COMMIT")
    stored = load_table(a, "options")
    assert len(stored) == len(_options(a, ids[0])) + len(_options(a, ids[1])) and _repeated_keys(a) == 0


def test_a_version_7_database_loses_the_primary_keys_and_keeps_its_rows(tmp_path, monkeypatch):
    path = tmp_path / "v7.duckdb"
    monkeypatch.setattr(schema, "MIGRATIONS", [m for m in schema.MIGRATIONS if m[0] <= 7])
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 7)
    cur = cursor(path)
    import_files(cur, DEMO_FILES)
    keyed = cur.execute("SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                        "AND table_name IN ('enterprises', 'options') ORDER BY 1").fetchall()
    assert keyed == [("enterprises",), ("options",)]
    cur.execute("EXPORT DATABASE '" + str(tmp_path / "before") + "' (FORMAT parquet)")
    close_all()
    monkeypatch.undo()
    cur = cursor(path)
    assert schema.schema_version(cur) == 8
    assert cur.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                       "AND table_name IN ('enterprises', 'options')").fetchone() == (0,)
    for t in ("enterprises", "options"):
        before = f"read_parquet('{tmp_path / 'before' / (t + '.parquet')}')"
        n = cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        assert n > 0 and n == cur.execute(f"SELECT count(*) FROM {before}").fetchone()[0]
        assert cur.execute(f"SELECT count(*) FROM (SELECT * FROM {t} EXCEPT ALL SELECT * FROM {before})").fetchone() == (0,)
        assert cur.execute(f"SELECT count(*) FROM (SELECT * FROM {before} EXCEPT ALL SELECT * FROM {t})").fetchone() == (0,)
    close_all()


def _hold_open(cur: duckdb.DuckDBPyConnection, title: str, opened, seconds: float) -> None:
    """A write of the demo options whose transaction stays open ``seconds`` after its upsert."""
    import time

    def work() -> None:
        upsert(cur, "options", _options(cur, title=title), OPTION_KEY)
        opened.set()
        time.sleep(seconds)

    write_transaction(cur, work)


def _first_writer(cur: duckdb.DuckDBPyConnection, seconds: float):
    """A thread writing the demo options titled "A", its transaction open ``seconds`` after its upsert,
    started and seen inside that transaction; with the list its failure would be put in."""
    import threading

    opened, failed = threading.Event(), []
    first = threading.Thread(target=lambda: _run(failed, _hold_open, cur, "A", opened, seconds))
    first.start()
    assert opened.wait(10)
    return first, failed


def test_a_refused_writer_runs_again_once_the_other_commits_and_both_land_whole(two):
    # issue 14: two imports at once both land whole, one after the other
    a, b = two
    first, failed = _first_writer(a, 0.5)
    write_transaction(b, lambda: upsert(b, "options", _options(b, title="B"), OPTION_KEY), timeout=20)  # waits for A
    first.join(20)
    assert not failed and not first.is_alive()
    assert set(load_table(a, "options")["title"]) == {"B"}  # B ran again after A's commit: it updated A's rows
    assert a.execute("SELECT count(*) FROM options").fetchone()[0] == len(_options(a))
    assert _repeated_keys(a) == 0


def test_a_writer_kept_out_past_the_bounded_wait_is_refused_in_words_and_changes_nothing(two):
    a, b = two
    first, failed = _first_writer(a, 1.5)
    with pytest.raises(StoreError, match="write-write conflict.*nothing was changed"):
        write_transaction(b, lambda: upsert(b, "options", _options(b, title="B"), OPTION_KEY), timeout=0.3)
    first.join(20)
    assert not failed
    assert set(load_table(a, "options")["title"]) == {"A"}
    assert _repeated_keys(a) == 0


def _run(failed: list, fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - reported by the test's assertion
        failed.append(exc)

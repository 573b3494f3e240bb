"""Schema version, migrations, the default path, seeding, and sessions on one database."""

from __future__ import annotations

import threading

import duckdb
import pytest

from store.db import SCHEMA_VERSION, StoreError, close_all, cursor, db_path, migrate, schema_version
from store.io import import_frames, load_table
from store.seed import ensure_seeded


def test_new_database_is_migrated_to_the_current_version(db):
    assert schema_version(db) == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"enterprises", "options", "assessor_scores", "appraisals", "scenarios", "meta"} <= tables
    assert migrate(db) == SCHEMA_VERSION  # idempotent


def test_a_newer_database_is_refused(tmp_path):
    p = tmp_path / "future.duckdb"
    con = duckdb.connect(str(p))
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(StoreError, match="newer"):
        cursor(p)
    close_all()


def test_path_comes_from_cpscreen_db(monkeypatch, tmp_path):
    monkeypatch.setenv("CPSCREEN_DB", str(tmp_path / "x.duckdb"))
    assert db_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("CPSCREEN_DB")
    assert db_path().name == "cpscreen.duckdb" and db_path().parent.name == "data"


def test_seed_imports_the_demo_data_once(db):
    assert ensure_seeded() is True
    n = len(load_table(db, "options"))
    assert n >= 15 and len(load_table(db, "enterprises")) >= 2
    assert ensure_seeded() is False
    assert len(load_table(db, "options")) == n


def test_two_sessions_see_each_others_saves_and_concurrent_writes_stay_whole(db):
    ensure_seeded()
    a, b = cursor(), cursor()
    import_frames(a, options=load_table(a, "options").assign(title=lambda d: d["title"] + " (A)").head(3))
    assert load_table(b, "options").head(3)["title"].str.endswith("(A)").all()
    errors: list[BaseException] = []

    def write(tag: str) -> None:
        cur = cursor()
        try:
            for i in range(5):
                import_frames(cur, options=load_table(cur, "options").head(5).assign(title=f"{tag}{i}"))
        except BaseException as exc:  # conflicts are allowed; corruption is not
            errors.append(exc)

    ts = [threading.Thread(target=write, args=(t,)) for t in "XY"]
    [t.start() for t in ts]
    [t.join() for t in ts]
    titles = load_table(b, "options").head(5)["title"]
    assert titles.nunique() == 1 and titles.iloc[0][0] in "XY"  # one whole write won, never a mixture
    assert all("conflict" in str(e).lower() for e in errors)

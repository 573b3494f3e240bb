"""Schema version, migrations, the default path, seeding, and sessions on one database."""

from __future__ import annotations

import threading

import duckdb
import pytest

from store.db import close_all, cursor, db_path
from store.errors import StoreError
from store.io import import_frames, load_table
from store.schema import SCHEMA_VERSION, migrate, schema_version
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


def test_back_off_doubles_up_to_its_cap_and_never_sleeps_past_the_deadline(monkeypatch):
    """The one back-off step both waits use (a locked file, a write-write conflict), on a fake clock."""
    from store import backoff

    clock = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock[0] += s

    monkeypatch.setattr(backoff.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(backoff.time, "sleep", sleep)
    monkeypatch.setattr(backoff.random, "random", lambda: 0.5)  # jitter factor 0.5 + 0.5 = 1
    deadline = 100.0 + 0.25
    pauses = []
    pause: float | None = 0.02
    while pause is not None:
        pauses.append(pause)
        pause = backoff._back_off(deadline, pause, 0.08)
    # by hand: sleeps 0.02, 0.04, 0.08, 0.08 (cap) = 0.22 s; the next 0.08 is cut to the 0.03 s left;
    # then the deadline has passed: None, without sleeping
    assert pauses == [0.02, 0.04, 0.08, 0.08, 0.08, 0.08]
    assert slept == pytest.approx([0.02, 0.04, 0.08, 0.08, 0.03])
    assert clock[0] == pytest.approx(deadline)


def test_sessions_opened_and_closed_by_many_threads_at_once_never_collide(tmp_path):
    """The app serves each browser session on its own thread, and each store call opens and closes the
    file (store.db.session).  A thread opening the file while another closes the process's last
    connection to it met DuckDB's "Unique file handle conflict ... already attached" (a Options page
    shown as 'damaged or not a cpscreen database', tests/browser/test_two_sessions.py 1 run in 5)."""
    from store.db import session

    path = tmp_path / "threads.duckdb"
    with session(path) as con:
        con.execute("CREATE TABLE IF NOT EXISTS t (i INTEGER)")
    errors: list[BaseException] = []
    counts: list[int] = []
    start = threading.Barrier(6)

    def work() -> None:
        start.wait()
        try:
            for _ in range(60):
                with session(path) as con:
                    counts.append(con.execute("SELECT count(*) FROM options").fetchone()[0])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    ts = [threading.Thread(target=work) for _ in range(6)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    close_all()
    assert not errors, errors[:3]
    assert counts == [0] * 360
    # and the file is released when the last session in the process ends: another connection may lock it
    duckdb.connect(str(path)).close()

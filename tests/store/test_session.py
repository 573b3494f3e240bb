"""store.db.session: the database file is locked only inside an operation; a locked file is waited
for, and after the bounded wait the CLI says "database busy" in one line (issue 14, item 5).

The other process is a real one holding DuckDB's file lock until the test tells it to let go
(through its standard input), so nothing here depends on timing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from store.db import close_all, session
from store.errors import DatabaseBusy

ROOT = Path(__file__).resolve().parents[2]
HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read(); con.close()"


@pytest.fixture
def path(tmp_path, monkeypatch):
    p = tmp_path / "shared.duckdb"
    monkeypatch.setenv("CPSCREEN_DB", str(p))
    with session(p) as cur:  # a migrated database, then closed again
        cur.execute("SELECT 1")
    yield p
    close_all()


def _holder(p: Path) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(p)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def _release(proc: subprocess.Popen) -> None:
    proc.stdin.close()
    proc.wait(timeout=30)


def test_a_session_releases_the_file_for_another_process(path):
    with session(path) as cur:
        assert cur.execute("SELECT count(*) FROM enterprises").fetchone() == (0,)
    holder = _holder(path)  # would fail with "Could not set lock" if the session had kept the file
    _release(holder)


def test_a_session_waits_while_another_process_holds_the_file(path):
    holder = _holder(path)
    got: list[object] = []
    t = threading.Thread(target=lambda: got.append(_count(path)))
    t.start()
    t.join(0.3)
    assert t.is_alive() and not got  # still waiting for the holder (30 s bound)
    _release(holder)
    t.join(30)
    assert got == [0]


def _count(p: Path) -> object:
    try:
        with session(p, timeout=30) as cur:
            return cur.execute("SELECT count(*) FROM options").fetchone()[0]
    except Exception as exc:  # noqa: BLE001 - reported to the test
        return exc


def test_after_the_bounded_wait_a_session_raises_database_busy(path):
    holder = _holder(path)
    try:
        with pytest.raises(DatabaseBusy, match="database busy"):
            with session(path, timeout=0.2):
                pass
    finally:
        _release(holder)


def test_the_cli_exits_2_with_database_busy_in_one_line(path):
    holder = _holder(path)
    try:
        env = {**os.environ, "CPSCREEN_DB": str(path), "CPSCREEN_BUSY_TIMEOUT": "0.3"}
        for argv in (["list"], ["import", str(ROOT / "data" / "demo_enterprises.csv")]):
            out = subprocess.run([str(Path(sys.executable).with_name("cpscreen")), *argv], env=env, capture_output=True,
                                 text=True, timeout=120)
            assert out.returncode == 2, out.stderr
            lines = out.stderr.strip().splitlines()
            assert len(lines) == 1 and "database busy" in lines[0], out.stderr
    finally:
        _release(holder)
    with session(path) as cur:  # the refused import stored nothing
        assert cur.execute("SELECT count(*) FROM enterprises").fetchone() == (0,)


def test_a_bad_busy_timeout_is_named(path, monkeypatch):
    from store.errors import StoreError

    monkeypatch.setenv("CPSCREEN_BUSY_TIMEOUT", "soon")
    with pytest.raises(StoreError, match="CPSCREEN_BUSY_TIMEOUT='soon'"):
        with session(path):
            pass


def test_answers_kept_while_the_file_is_unchanged_are_recomputed_after_any_write(path):
    from store.db import while_unchanged

    calls = []

    def count():
        calls.append(1)
        with session(path) as cur:
            return cur.execute("SELECT count(*) FROM enterprises").fetchone()[0]

    assert while_unchanged(path, "n", count) == 0 and while_unchanged(path, "n", count) == 0
    assert len(calls) == 1  # the second answer came without opening the file
    env = {**os.environ, "CPSCREEN_DB": str(path)}
    out = subprocess.run([str(Path(sys.executable).with_name("cpscreen")), "import", str(ROOT / "data" / "demo_enterprises.csv")],
                         env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert while_unchanged(path, "n", count) == 3 and len(calls) == 2  # another process wrote: computed again

"""The console script ends the process without the interpreter's teardown after a command that
succeeded, where nothing is left to close (cli.may_skip_teardown): the same output and exit status
as a run that tears down, and the normal exit wherever the store opened a database."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq

import cli

ROOT = Path(__file__).resolve().parents[2]
ENT, OPT = ROOT / "data" / "demo_enterprises.csv", ROOT / "data" / "demo_options.csv"
# the console script's way (main() reads the process's own command line), with an atexit handler
# that tells whether the teardown ran
SCRIPT = ("import atexit, sys; atexit.register(lambda: print('teardown ran', file=sys.stderr)); "
          "sys.argv[0] = 'cpscreen'; from cli import main; sys.exit(main())")


def _console(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", SCRIPT, *argv], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_parquet_output_is_the_same_without_the_teardown(tmp_path) -> None:
    out = tmp_path / "console.parquet"
    args = ["appraise", "--options", str(OPT), "--enterprises", str(ENT), "--date", "2025-06-01", "--format", "parquet"]
    done = _console(*args, "--output", str(out))
    assert done.returncode == 0, done.stderr
    assert "teardown ran" not in done.stderr  # no database module, no thread left: ended at once
    inproc = tmp_path / "inproc.parquet"
    assert cli.main([*args, "--output", str(inproc)]) == 0  # in this process (argv given): returns
    assert pq.read_table(out).equals(pq.read_table(inproc))
    assert out.read_bytes() == inproc.read_bytes()


def test_json_and_csv_through_duckdb_in_memory_end_without_the_teardown_and_the_same_output(tmp_path, capsys) -> None:
    # JSON and CSV go through DuckDB as an in-memory engine (JSON writer; nested columns as JSON text),
    # closed where it was used: nothing to close at the end, the whole output written
    args = ["appraise", "--options", str(OPT), "--enterprises", str(ENT), "--date", "2025-06-01"]
    done = _console(*args, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "teardown ran" not in done.stderr
    assert cli.main([*args, "--format", "json"]) == 0
    assert done.stdout == capsys.readouterr().out and done.stdout.rstrip().endswith("]")
    out, inproc = tmp_path / "console.csv", tmp_path / "inproc.csv"
    done = _console(*args, "--format", "csv", "--output", str(out))
    assert done.returncode == 0 and "teardown ran" not in done.stderr, done.stderr
    assert cli.main([*args, "--format", "csv", "--output", str(inproc)]) == 0
    assert out.read_bytes() == inproc.read_bytes() and b'"support"' in out.read_bytes().splitlines()[0]


def test_where_the_store_opened_a_database_the_process_tears_down_as_before(tmp_path) -> None:
    db = tmp_path / "store.duckdb"
    done = _console("import", str(ENT), str(OPT), "--db", str(db), "--create")
    assert done.returncode == 0, done.stderr
    assert "teardown ran" in done.stderr  # the connection is checkpointed and closed by the normal exit
    done = _console("list", "--db", str(db), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert "teardown ran" in done.stderr and done.stdout.rstrip().endswith("]")
    assert _console("list", "--db", str(db), "--format", "csv").stdout.count("\n") > 2  # what was imported is there


def test_a_refused_input_exits_as_before(tmp_path) -> None:
    done = _console("appraise", "--options", str(tmp_path / "missing.csv"), "--enterprises", str(ENT),
                    "--date", "2025-06-01")
    assert done.returncode == 2 and done.stderr.startswith("cpscreen: error:")
    assert "teardown ran" in done.stderr


def test_what_is_written_to_stdout_is_flushed_before_the_end() -> None:
    code = ("import sys; import cli; sys.stdout.write('x' * 100000 + 'end'); sys.stderr.write('err'); "
            "cli._finished(); print('not reached')")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert done.stdout == "x" * 100000 + "end" and done.stderr == "err"


def test_not_skipped_once_the_store_opened_a_database_or_with_another_thread(monkeypatch) -> None:
    import store.db

    monkeypatch.setattr(store.db, "_opened", [])
    assert cli.may_skip_teardown() == (threading.active_count() == 1)
    monkeypatch.setattr(store.db, "_opened", ["/some/file.duckdb"])
    assert not cli.may_skip_teardown()
    monkeypatch.setattr(store.db, "_opened", [])
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        assert not cli.may_skip_teardown()
    finally:
        stop.set()
        worker.join()


def test_the_store_notes_every_database_it_opens(tmp_path, monkeypatch) -> None:
    import store.db

    monkeypatch.setattr(store.db, "_opened", [])
    assert not store.db.opened_a_database()
    with store.db.session(tmp_path / "new.duckdb") as cur:
        cur.execute("SELECT 1")
    assert store.db.opened_a_database()
    store.db.close_all()

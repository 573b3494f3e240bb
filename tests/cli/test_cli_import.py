"""The CLI's import contract (issue 16): every bad cell listed with --errors, a named database must
exist, environment faults in one line with exit 2 and nothing changed, no warning lines."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd

from tests.cli.helpers import run

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, str(ROOT / "cli.py")]
OPT = "option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years\n"


def test_errors_file_lists_every_bad_cell_and_the_line_says_how_many(seeded, tmp_path, capsys):
    p = tmp_path / "o.csv"
    p.write_text(OPT + "".join(f"B{i},nl_plating,A,good_housekeeping,x{i},1,5\n" for i in range(40)))
    code, _, err = run(capsys, "import", str(p))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "40 bad cell(s)" in err and "(and 35 more)" in err and "--errors FILE lists all 40" in err
    listed = tmp_path / "errors.csv"
    code, _, err = run(capsys, "import", str(p), "--errors", str(listed))
    assert code == 2 and f"all 40 written to {listed}" in err
    frame = pd.read_csv(listed, keep_default_na=False)
    assert list(frame.columns) == ["source", "table", "row", "column", "value", "reason"]
    assert frame["row"].tolist() == list(range(2, 42)) and frame["value"].tolist() == [f"x{i}" for i in range(40)]


def test_a_named_database_that_does_not_exist_is_refused_not_created(tmp_path, capsys, monkeypatch):
    typo = tmp_path / "typo.duckdb"
    monkeypatch.setenv("CPSCREEN_DB", str(typo))
    code, _, err = run(capsys, "list")
    assert code == 2 and "no database at" in err and len(err.strip().splitlines()) == 1
    assert not typo.exists()
    code, _, err = run(capsys, "list", "--db", str(tmp_path / "other.duckdb"))
    assert code == 2 and not (tmp_path / "other.duckdb").exists()
    assert run(capsys, "list", "--create", "--db", str(typo))[0] == 0 and typo.exists()
    fresh = tmp_path / "fresh.duckdb"
    assert run(capsys, "import", str(ROOT / "data" / "demo_enterprises.csv"), "--db", str(fresh))[0] == 0


def test_a_dropped_table_is_one_line_exit_2(tmp_path, capsys, monkeypatch):
    import duckdb

    from store.db import close_all, cursor

    p = tmp_path / "x.duckdb"
    cursor(p)
    close_all()
    con = duckdb.connect(str(p))
    con.execute("DROP TABLE enterprises")
    con.close()
    monkeypatch.setenv("CPSCREEN_DB", str(p))
    code, _, err = run(capsys, "list")
    close_all()
    assert code == 2 and len(err.strip().splitlines()) == 1 and "lacks table(s) enterprises" in err


def test_runtime_warnings_add_no_stderr_line(seeded, capsys, monkeypatch):
    import numpy as np

    import commands.stored

    def noisy(args):
        np.log(np.zeros(2))  # divide by zero: a RuntimeWarning
        return []

    monkeypatch.setattr(commands.stored, "cmd_list", noisy)  # where the parser finds it
    code, _, err = run(capsys, "list")
    assert code == 0 and err == ""


def test_a_full_disk_is_one_line_exit_2_and_nothing_changed(tmp_path):
    """The file-size limit (RLIMIT_FSIZE) makes every write past it fail as a full disk does."""
    env = dict(os.environ, CPSCREEN_DB=str(tmp_path / "d.duckdb"))
    demo = [str(ROOT / "data" / f) for f in ("demo_enterprises.csv", "demo_options.csv")]
    assert subprocess.run([*CLI, "import", *demo], env=env, capture_output=True).returncode == 0
    before = subprocess.run([*CLI, "list", "--format", "csv"], env=env, capture_output=True, text=True).stdout
    size = os.path.getsize(tmp_path / "d.duckdb")
    big = tmp_path / "big.csv"
    big.write_text(OPT + "".join(f"X{i},nl_plating,Option {i} with a title long enough to fill pages,good_housekeeping,{i},1,5\n"
                                 for i in range(30000)))

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 65536, size + 65536))

    r = subprocess.run([*CLI, "import", str(big)], env=env, capture_output=True, text=True, preexec_fn=limit)
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "cannot write to the database" in r.stderr and "nothing was changed" in r.stderr
    assert "no transaction is active" not in r.stderr
    after = subprocess.run([*CLI, "list", "--format", "csv"], env=env, capture_output=True, text=True).stdout
    assert after == before

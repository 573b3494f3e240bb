"""The CLI beside the running app (issue 14, item 5): with the app serving the database to a browser,
``cpscreen list`` and ``cpscreen import`` succeed within 5 s, two imports at once both land whole,
and the app shows the CLI's changes on its next rerun.

Before the store opened the database per operation, the app kept DuckDB's file lock from its first
page view on and every CLI command exited 2 with "Could not set lock on file".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CPSCREEN = Path(sys.executable).with_name("cpscreen")
#: The issue's target for list and import while the app runs [s].  It bounds the CLI's wait for the
#: database (CPSCREEN_BUSY_TIMEOUT: beyond it the CLI exits 2, "database busy"), not the interpreter's
#: start-up, which on a loaded test machine alone takes longer (printed, not asserted).
WITHIN = 5.0


def _cli(db: Path, *args: str, timeout: float = 120) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "CPSCREEN_DB": str(db), "CPSCREEN_BUSY_TIMEOUT": str(WITHIN)}
    t0 = time.monotonic()
    out = subprocess.run([str(CPSCREEN), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return out, time.monotonic() - t0


def _enterprise_files(tmp: Path, tag: str, n_options: int) -> list[Path]:
    ents = tmp / f"ent_{tag}.csv"
    opts = tmp / f"opt_{tag}.csv"
    pd.DataFrame([{"enterprise_id": f"cli_{tag}", "name": f"CLI {tag}", "jurisdiction": "NL", "size_class": "small"}]).to_csv(ents, index=False)
    pd.DataFrame([{"option_id": f"{tag}-{i}", "enterprise_id": f"cli_{tag}", "title": f"Option {tag} {i}",
                   "category": "good_housekeeping", "investment": 100 + i, "annual_savings": 50, "lifetime_years": 5}
                  for i in range(n_options)]).to_csv(opts, index=False)
    return [ents, opts]


def _metric(page, label: str) -> int:
    box = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    return int(box.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


def test_cli_lists_and_imports_while_the_app_serves_the_database(live_app, page, tmp_path, ui):
    page.goto(live_app.url)
    page.get_by_role("heading", name="cpscreen", level=1).wait_for()
    ui.wait_idle(page)
    ui.go(page, "Options")  # the app has read the database (and, before, kept it locked)
    ui.go(page, "Overview", heading="cpscreen")
    before = _metric(page, "Enterprises")

    listed, took = _cli(live_app.db, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    print(f"cpscreen list beside the app: {took:.2f} s wall")
    assert {r["enterprise_id"] for r in json.loads(listed.stdout)} >= {"nl_plating", "dk_dairy", "cn_dyeworks"}

    imported, took = _cli(live_app.db, "import", *map(str, _enterprise_files(tmp_path, "one", 3)), "--format", "json")
    assert imported.returncode == 0, imported.stderr
    print(f"cpscreen import beside the app: {took:.2f} s wall")
    assert json.loads(imported.stdout)[0]["options"] == 3

    # the same browser session's next rerun shows the CLI's enterprise
    ui.go(page, "Options")
    ui.go(page, "Overview", heading="cpscreen")
    assert _metric(page, "Enterprises") == before + 1


def test_two_imports_at_once_both_land_whole_beside_the_app(live_app, page, tmp_path, ui):
    page.goto(live_app.url)
    page.get_by_role("heading", name="cpscreen", level=1).wait_for()
    ui.wait_idle(page)
    env = {**os.environ, "CPSCREEN_DB": str(live_app.db), "CPSCREEN_BUSY_TIMEOUT": str(WITHIN)}
    procs = {tag: subprocess.Popen([str(CPSCREEN), "import", *map(str, _enterprise_files(tmp_path, tag, 200)), "--format", "json"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("left", "right")}
    for tag, p in procs.items():
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"{tag}: {err}"
        assert json.loads(out)[0]["options"] == 200
    listed, _ = _cli(live_app.db, "list", "--format", "json")
    assert listed.returncode == 0, listed.stderr
    by_ent = pd.DataFrame(json.loads(listed.stdout)).groupby("enterprise_id").size()
    assert by_ent["cli_left"] == 200 and by_ent["cli_right"] == 200
    audit, _ = _cli(live_app.db, "audit", "--format", "json")
    assert audit.returncode == 0, audit.stderr
    imports = [r for r in json.loads(audit.stdout) if r["action"] == "import" and r["enterprises"] in ("cli_left", "cli_right")]
    assert sorted(r["enterprises"] for r in imports) == ["cli_left", "cli_right"]  # one after the other, each whole

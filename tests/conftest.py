"""Shared fixtures: a fresh database per test, the demo data, and the shared IAC folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
# CPSCREEN_SHARED names the shared folder where it is not the sibling ../shared (e.g. in a git worktree)
SHARED = Path(os.environ.get("CPSCREEN_SHARED") or ROOT.parent / "shared")
IAC = SHARED / "data" / "iac"
DEMO_FILES = [DATA / "demo_enterprises.csv", DATA / "demo_options.csv", DATA / "demo_assessor_scores.csv"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With pytest-xdist (scripts/test.sh runs ``-n N --dist loadgroup``) the browser tests run as one
    group on one worker: they share one Chromium and the harness's kernel warm-up, and each starts
    its own servers; the other workers take the rest."""
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture
def db(tmp_path, monkeypatch):
    """A cursor on a new, empty database file in tmp_path (CPSCREEN_DB points at it)."""
    from store.db import close_all, cursor

    path = tmp_path / "test.duckdb"
    monkeypatch.setenv("CPSCREEN_DB", str(path))
    cur = cursor(path)
    yield cur
    close_all()


@pytest.fixture
def iac_dir() -> Path:
    """The shared IAC data folder; skips the test where ../shared is absent."""
    if not (IAC / "SNE_IAC_Database.xlsx").exists():
        pytest.skip(f"shared IAC data not found at {IAC} (the repository's sibling folder ../shared)")
    return IAC

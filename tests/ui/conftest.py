"""Fixtures for the app's AppTests: a fresh database seeded with the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


@pytest.fixture
def seeded_db(tmp_path, monkeypatch):
    """CPSCREEN_DB points at a new database file holding the demo data; caches cleared."""
    import streamlit as st

    from store.db import close_all
    from store.seed import ensure_seeded

    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("CPSCREEN_DB", str(path))
    monkeypatch.chdir(ROOT)
    assert ensure_seeded(path)
    st.cache_data.clear()
    yield path
    close_all()
    st.cache_data.clear()


@pytest.fixture
def app(seeded_db):
    """A factory: ``app(page)`` runs the app on ``ui/pages/<page>.py`` and returns the AppTest."""
    from streamlit.testing.v1 import AppTest

    def run(page: str | None = None, timeout: float = 30) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=timeout)
        at.run()
        if page is not None:
            at.switch_page(f"ui/pages/{page}.py")
            at.run()
        return at

    return run

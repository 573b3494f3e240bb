"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def seeded(db):
    """The ``db`` fixture's new database, seeded with the demo data (as ``scripts/run.sh`` seeds it)."""
    from store.seed import ensure_seeded

    ensure_seeded()
    return db

"""Seed the database with the shipped demo data when it holds no enterprises yet.

Run as ``python -m store.seed`` (the README's run command does).  An existing database with data
is left alone, so the user's work is never overwritten.
"""

from __future__ import annotations

import sys
from pathlib import Path

from store.db import ROOT, db_path, session
from store.io import import_files

DEMO_FILES = tuple(ROOT / "data" / f for f in ("demo_enterprises.csv", "demo_options.csv", "demo_assessor_scores.csv"))


def ensure_seeded(path: str | Path | None = None) -> bool:
    """Import the demo data if the database has no enterprises; True when it seeded."""
    with session(path) as cur:  # held for this only: the app or the CLI may use the file next
        (count,) = cur.execute("SELECT count(*) FROM enterprises").fetchone()
        if count:
            return False
        import_files(cur, [str(p) for p in DEMO_FILES])
    return True


def main() -> int:
    seeded = ensure_seeded()
    where = db_path()
    print(f"cpscreen: {'seeded ' if seeded else ''}database {where}" + (" with the demo data" if seeded else " (existing data kept)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

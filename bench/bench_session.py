"""What opening the database per operation costs a page rerun (issue 14, item 5).

The app used to keep one DuckDB connection for the life of the server (and with it the file lock,
which locked the CLI out); now every read that misses the cache, and the data fingerprint every
rerun checks, open and close the file (:func:`store.db.session`).  This prints, as medians of
interleaved repetitions on a new database with the demo data (or a copy of ``--db FILE``):

* the fingerprint query on a connection kept open (the old way),
* an empty session (open + close the file),
* :meth:`store.service.Store.version` (session + fingerprint: the new way),

then, per page, the warm reruns (AppTest, as on the server) with the file opened per operation and
with a connection kept open beside them (so opening costs nearly nothing, as when the app held
the file), interleaved, and the sessions each rerun opens.

Usage: ``.venv/bin/python bench/bench_session.py [--repeat 200] [--db FILE] [--pages home,screening]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["home", "options", "screening", "appraisal", "portfolio", "programme", "policies", "report"]


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--db", metavar="FILE", help="a copy of this database (default: a new one with the demo data)")
    ap.add_argument("--pages", help=f"comma-separated pages (default all: {','.join(PAGES)})")
    ap.add_argument("--reruns", type=int, default=5, help="warm reruns per page counted")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cpscreen-bench-session-"))
    db = tmp / "bench.duckdb"
    os.environ["CPSCREEN_DB"] = str(db)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    if args.db:
        shutil.copyfile(args.db, db)
    from store import db as store_db
    from store.access import Actor
    from store.seed import ensure_seeded
    from store.service import VERSION_TABLES, Store

    if not args.db:
        ensure_seeded(db)
    store = Store(Actor.local(), db)

    def held_fingerprint(cur=None) -> None:
        for t in VERSION_TABLES:
            cur.execute(f"SELECT count(*), coalesce(sum(hash(x)), 0) FROM {t} x").fetchone()

    def empty_session() -> None:
        with store_db.session(db):
            pass

    held = {}
    with store_db.session(db) as cur:  # a connection kept open for the old way only
        held["t"] = _median(lambda: held_fingerprint(cur), args.repeat)
    t_empty = _median(empty_session, args.repeat)
    t_version = _median(store.version, args.repeat)
    print(f"database: {args.db or 'demo data'}; medians of {args.repeat} [ms]")
    print(f"  fingerprint on an open connection (before)   {held['t'] * 1e3:8.2f}")
    print(f"  empty session: open + close the file        {t_empty * 1e3:8.2f}")
    print(f"  Store.version(): session + fingerprint (now) {t_version * 1e3:8.2f}")

    opens = {"n": 0}
    real = store_db._open_waiting

    def counting(p, timeout):
        opens["n"] += 1
        return real(p, timeout)

    store_db._open_waiting = counting
    import duckdb
    from streamlit.testing.v1 import AppTest

    pages = args.pages.split(",") if args.pages else PAGES
    print(f"warm reruns, {args.reruns} each, interleaved: sessions opened per rerun, median rerun [ms] with the file "
          "opened per operation (now) and with a connection kept open beside (the file's instance stays loaded, "
          "as before), and the difference")
    for page in pages:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.run()
        at.switch_page(f"ui/pages/{page}.py")
        at.run()
        opens["n"] = 0
        now, kept = [], []
        for _ in range(args.reruns):
            t0 = time.perf_counter()
            at.run()
            now.append(time.perf_counter() - t0)
            held_con = duckdb.connect(str(db))
            t0 = time.perf_counter()
            at.run()
            kept.append(time.perf_counter() - t0)
            held_con.close()
        n = opens["n"] / (2 * args.reruns)
        a_, b_ = statistics.median(now), statistics.median(kept)
        print(f"  {page:<11} {n:4.1f} sessions  now {a_ * 1e3:8.1f}  kept open {b_ * 1e3:8.1f}  difference "
              f"{(a_ - b_) * 1e3:+7.1f} ms ({(a_ - b_) / b_:+6.1%})")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

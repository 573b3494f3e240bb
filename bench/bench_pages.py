"""Server-side render time of every page on the demo data (target: under 1 s each) or a database.

Runs the app with ``streamlit.testing`` (the script executes exactly as on the server, without a
browser) on a new database seeded with the demo data, per enterprise and page: a cold run (caches
empty, a new session) and the median of warm reruns (same session, caches filled, as when a user
moves a widget).  Prints one line per page with the wall times, their ratio to the 1 s target, and the
CPU seconds the process spent on them over all its threads (a busy machine stretches wall times, much
less CPU times; the load average is printed before and after).

With ``--db FILE`` (e.g. ``data/iac.duckdb`` from ``scripts/build_iac_db.py``) it runs on a copy of
that database instead, for its first ``--enterprises`` enterprises (default 1), against the
national-scale targets of issue 11: first render under 3 s, every rerun under 1 s.

Usage: ``.venv/bin/python bench/bench_pages.py [--repeat 5] [--db FILE [--enterprises K]] [--pages a,b]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["home", "options", "screening", "appraisal", "portfolio", "programme", "policies", "report"]
TARGET = 1.0  # [s]
TARGET_FIRST_DB, TARGET_RERUN_DB = 3.0, 1.0  # [s] on a given (national-scale) database


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="warm reruns per page")
    ap.add_argument("--db", metavar="FILE", help="run on a copy of this database (default: a new one with the demo data)")
    ap.add_argument("--enterprises", type=int, default=1, metavar="K", help="with --db: the first K enterprises (default 1)")
    ap.add_argument("--pages", help=f"comma-separated pages (default all: {','.join(PAGES)})")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cpscreen-bench-")
    os.environ["CPSCREEN_DB"] = str(Path(tmp) / "bench.duckdb")
    if args.db:
        import shutil

        if not Path(args.db).exists():
            print(f"bench_pages: no database at {args.db}", file=sys.stderr)
            return 2
        shutil.copyfile(args.db, os.environ["CPSCREEN_DB"])  # pages may write (stored appraisals): never the original
    first_target, rerun_target = (TARGET_FIRST_DB, TARGET_RERUN_DB) if args.db else (TARGET, TARGET)
    pages = args.pages.split(",") if args.pages else PAGES
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from store.seed import ensure_seeded

    if not args.db:
        ensure_seeded()
    from store.db import session
    from store.io import load_table, stored_counts

    with session() as cur:  # closed again: the pages open the database per operation, as on a server
        ents = list(load_table(cur, "enterprises")["enterprise_id"])
        counts = stored_counts(cur)
    what = (f"{args.db}: {counts['enterprises']:,} enterprises, {counts['options']:,} options; the first {args.enterprises}"
            if args.db else f"demo data ({len(ents)} enterprises)")
    if args.db:
        ents = ents[: args.enterprises]
    # One-time imports of a server process (scikit-criteria, the policy packs, the kernels), timed apart: a
    # running server pays them once, on its warm-up thread at its first page view, not per page.
    from ui.warmup import warm_process

    warmed = warm_process()  # what the server's warm-up thread does at its first page view (ui.warmup.warm_up)
    print(f"one-time imports, policy-pack and kernel loading per server process (ui.warmup.warm_process): {warmed:.3f} s")
    print(f"cpscreen page render times [s], {what}, {args.repeat} warm reruns; "
          f"targets: first render {first_target:.1f} s, rerun {rerun_target:.1f} s")
    print(f"{'page':<11}{'enterprise':<13}{'cold':>8}{'warm':>8}{'cold/target':>13}{'warm/target':>13}"
          f"{'cold CPU':>10}{'warm CPU':>10}")
    print(f"(wall seconds, then the process's CPU seconds over all its threads: a busy machine stretches the wall "
          f"times, much less the CPU; load average {os.getloadavg()[0]:.2f})")
    worst = worst_warm = 0.0
    for page in pages:
        for eid in ents:
            st.cache_data.clear()
            st.cache_resource.clear()  # the Programme page's baseline and runs too: a cold run is cold
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.run()
            at.sidebar.selectbox(key="enterprise_id").select(eid)
            at.switch_page(f"ui/pages/{page}.py")
            t0, c0 = time.perf_counter(), time.process_time()
            at.run()
            cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
            if at.exception:
                print(f"{page:<11}{eid:<13} EXCEPTION: {at.exception[0].value}")
                return 1
            warm_runs, warm_cpus = [], []
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                at.run()
                warm_runs.append(time.perf_counter() - t0)
                warm_cpus.append(time.process_time() - c0)
            warm, warm_cpu = statistics.median(warm_runs), statistics.median(warm_cpus)
            worst, worst_warm = max(worst, cold), max(worst_warm, warm)
            print(f"{page:<11}{eid:<13}{cold:8.3f}{warm:8.3f}{cold / first_target:13.2f}{warm / rerun_target:13.2f}"
                  f"{cold_cpu:10.3f}{warm_cpu:10.3f}", flush=True)
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"slowest cold render: {worst:.3f} s ({worst / first_target:.2f} x target); "
          f"slowest rerun: {worst_warm:.3f} s ({worst_warm / rerun_target:.2f} x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

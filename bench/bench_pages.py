"""Server-side render time of every page on the demo data (target: under 1 s each).

Runs the app with ``streamlit.testing`` (the script executes exactly as on the server, without a
browser) on a new database seeded with the demo data, per enterprise and page: a cold run (caches
empty, a new session) and the median of warm reruns (same session, caches filled, as when a user
moves a widget).  Prints one line per page with the times and their ratio to the 1 s target.

Usage: ``.venv/bin/python bench/bench_pages.py [--repeat 5]``
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="warm reruns per page")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="cpscreen-bench-")
    os.environ["CPSCREEN_DB"] = str(Path(tmp) / "bench.duckdb")
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from store.seed import ensure_seeded

    ensure_seeded()
    from store.db import cursor
    from store.io import load_table

    ents = list(load_table(cursor(), "enterprises")["enterprise_id"])
    # One-time imports of a server process (scikit-criteria, the policy packs), timed apart: a
    # running server pays them once, at its first screening/appraisal render, not per page.
    t0 = time.perf_counter()
    import finance.appraise  # noqa: F401
    import policies.engine
    import screening.rank  # noqa: F401

    policies.engine.load_packs()
    print(f"one-time imports and policy-pack loading per server process: {time.perf_counter() - t0:.3f} s")
    print(f"cpscreen page render times [s], demo data ({len(ents)} enterprises), {args.repeat} warm reruns; target {TARGET:.1f} s")
    print(f"{'page':<11}{'enterprise':<13}{'cold':>8}{'warm':>8}{'cold/target':>13}{'warm/target':>13}")
    worst = 0.0
    for page in PAGES:
        for eid in ents:
            st.cache_data.clear()
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
            at.run()
            at.sidebar.selectbox(key="enterprise_id").select(eid)
            at.switch_page(f"ui/pages/{page}.py")
            t0 = time.perf_counter()
            at.run()
            cold = time.perf_counter() - t0
            if at.exception:
                print(f"{page:<11}{eid:<13} EXCEPTION: {at.exception[0].value}")
                return 1
            warm_runs = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                at.run()
                warm_runs.append(time.perf_counter() - t0)
            warm = statistics.median(warm_runs)
            worst = max(worst, cold)
            print(f"{page:<11}{eid:<13}{cold:8.3f}{warm:8.3f}{cold / TARGET:13.2f}{warm / TARGET:13.2f}")
    print(f"slowest cold render: {worst:.3f} s ({worst / TARGET:.2f} x target)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

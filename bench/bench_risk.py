"""Benchmark: Monte Carlo risk (finance.risk) in-process.

Prints, measured in one run: seconds (wall, and CPU seconds of all threads: the machine may be
shared) for 10,000 draws of one option (target < 0.1 s) and for
10,000 options x 1,000 draws = 10^7 appraisals with the support of the real CN/DK/NL packs
(target < 20 s), the appraisals per second, and peak resident memory [GiB].

Run: ``.venv/bin/python bench/bench_risk.py [--options 10000] [--draws 1000]``
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_appraise import synthetic  # noqa: E402
from finance.risk import risk  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--options", type=int, default=10_000)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--date", default="2025-06-01")
    args = ap.parse_args()
    on = date.fromisoformat(args.date)
    opts, ents = synthetic(max(args.options, 50), seed=4)
    opts = opts.iloc[: args.options].reset_index(drop=True)
    risk(opts.iloc[:5], ents, on, draws=20)  # load the compiled kernels from their cache
    one = opts.iloc[:1]
    t, c = time.perf_counter(), time.process_time()
    risk(one, ents, on, draws=10_000, seed=1)
    t_one, c_one = time.perf_counter() - t, time.process_time() - c
    print(f"10,000 draws of one option: {t_one:.3f} s, {c_one:.3f} CPU s (target < 0.1 s: {t_one / 0.1:.2f}x the target)")
    t, c = time.perf_counter(), time.process_time()
    r = risk(opts, ents, on, draws=args.draws, seed=1)
    t_all, c_all = time.perf_counter() - t, time.process_time() - c
    n = len(opts) * args.draws
    print(f"{len(opts):,} options x {args.draws:,} draws = {n:,} appraisals: {t_all:.2f} s "
          f"({n / t_all:,.0f} per s; target < 20 s: {t_all / 20:.2f}x the target); {c_all:.2f} CPU s "
          f"({n / c_all:,.0f} per CPU s; {c_all / t_all:.2f} cores busy on average)")
    print(f"options with P(NPV < 0) > 0.5: {(r['prob_npv_negative'] > 0.5).mean():.1%}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()

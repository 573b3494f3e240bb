"""Benchmark: ranking plus 1,000-draw robustness for 10,000 options.

Prints seconds for each step measured in this one run (target: ranking + robustness of the
default weighted sum under 2 s on the project's 2-core machine), and the ratio of the vectorised
Monte Carlo to one scikit-criteria evaluation (how many scikit-criteria calls it costs).

Run:  .venv/bin/python bench/bench_rank.py [n_options] [n_draws]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screening.rank import rank_options  # noqa: E402
from screening.robustness import acceptability, flip_points  # noqa: E402


def synthetic(n: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ent = pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(100)], "currency": "CNY", "product_output_t": rng.uniform(1e3, 1e5, 100)})
    investment = rng.lognormal(11, 1.5, n)
    opt = pd.DataFrame(
        {
            "enterprise_id": [f"E{i % 100}" for i in range(n)],
            "option_id": [f"o{i:05d}" for i in range(n)],
            "category": rng.choice(["good_housekeeping", "process_control", "onsite_recovery", "end_of_pipe"], n),
            "investment": investment,
            "annual_savings": investment / rng.uniform(0.3, 12, n),
            "annual_cost_change": 0.0,
            "energy_saved_mwh": np.where(rng.random(n) < 0.1, np.nan, rng.lognormal(3, 1, n)),
            "co2e_avoided_t": rng.lognormal(2, 1, n),
            "waste_avoided_t": rng.lognormal(1, 1, n),
            "technical_feasibility": rng.integers(1, 11, n).astype(float),
            "implementability": rng.integers(1, 11, n).astype(float),
            "mandatory": rng.random(n) < 0.01,
        }
    )
    return opt, ent


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    draws = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000
    opt, ent = synthetic(n)
    rank_options(opt.head(50), ent)  # warm-up (imports, first calls)

    t0 = time.perf_counter()
    ranking = rank_options(opt, ent)  # default profile, wsm, minmax, with the preliminary sort
    t1 = time.perf_counter()
    acc = acceptability(ranking.prepared, "wsm", n_draws=draws, k=10)
    t2 = time.perf_counter()
    fp = flip_points(ranking.prepared)
    t3 = time.perf_counter()
    print(f"options {n}, criteria {len(ranking.criteria)}, draws {draws}")
    print(f"rank (sort + default profile wsm via scikit-criteria): {t1 - t0:.3f} s")
    print(f"robustness, {draws} draws, wsm (vectorised):          {t2 - t1:.3f} s")
    print(f"flip points, wsm:                                     {t3 - t2:.3f} s")
    total = t3 - t0
    print(f"total ranking + robustness:                           {total:.3f} s (target < 2 s: {'met' if total < 2 else 'MISSED'})")
    print(f"most robust leader: first in {acc.first.max():.1%} of draws")
    for method in ("topsis", "vikor", "wpm"):
        a = time.perf_counter()
        from screening.mcda import evaluate

        evaluate(ranking.prepared, method)
        b = time.perf_counter()
        acceptability(ranking.prepared, method, n_draws=draws, k=10)
        c = time.perf_counter()
        print(f"{method:6s}: one scikit-criteria ranking {b - a:.3f} s; {draws} draws {c - b:.3f} s "
              f"(= {(c - b) / max(b - a, 1e-9):.0f} single rankings)")
    del fp


if __name__ == "__main__":
    main()

"""Benchmark the policy engine: support_table over many options (prints figures, asserts nothing).

Run: .venv/bin/python bench/bench_policies.py [N]
"""

from __future__ import annotations

import sys
import time
from datetime import date

import numpy as np
import pandas as pd

from policies.corporate_tax import tax_rates
from policies.engine import support_table
from policies.registry import load_packs

CATS = ["good_housekeeping", "input_substitution", "process_control", "equipment_modification",
        "technology_change", "onsite_recovery", "byproduct", "product_modification", "end_of_pipe"]


def frames(n: int, n_ent: int, codes: list[str], seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ent_ids = np.array([f"E{i}" for i in range(n_ent)], dtype=object)
    ents = pd.DataFrame({"enterprise_id": ent_ids, "jurisdiction": rng.choice(codes, n_ent),
                         "size_class": rng.choice(["micro", "small", "medium", "large"], n_ent)})
    opts = pd.DataFrame({
        "option_id": np.arange(n).astype(str), "enterprise_id": ent_ids[rng.integers(0, n_ent, n)],
        "category": rng.choice(CATS, n), "investment": rng.uniform(1e3, 5e6, n),
        "annual_savings": rng.uniform(0, 5e5, n), "annual_cost_change": 0.0, "lifetime_years": rng.integers(3, 25, n),
        "energy_saved_mwh": rng.uniform(0, 1000, n) * (rng.random(n) < 0.6),
        "co2e_avoided_t": rng.uniform(0, 500, n) * (rng.random(n) < 0.5),
        "water_saved_m3": 0.0, "waste_avoided_t": 0.0,
        "mia_tier": rng.choice(["I", "II", "III", ""], n), "ghg_saving_share": rng.uniform(0, 0.6, n),
    })
    return opts, ents


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    load_packs()
    on = date(2025, 6, 1)
    for codes in (["NL"], ["NL", "DK", "DE", "FR", "UK", "CN", "US", "none"]):
        opts, ents = frames(n, max(n // 20, 1), codes)
        support_table(opts.iloc[:1000], ents, on)  # warm-up
        t0 = time.perf_counter()
        table = support_table(opts, ents, on)
        t1 = time.perf_counter()
        tax_rates(opts, ents, on)
        t2 = time.perf_counter()
        one = opts.iloc[:1]
        t3 = time.perf_counter()
        for _ in range(20):
            support_table(one, ents, on)
        t4 = time.perf_counter()
        print(f"packs {','.join(codes)}: support_table {n:,} options -> {len(table):,} items in {t1 - t0:.2f} s "
              f"({(t1 - t0) / n * 1e6:.2f} us/option); tax_rates {t2 - t1:.2f} s; "
              f"one option {(t4 - t3) / 20 * 1e3:.1f} ms; batch/single per-option ratio {(t4 - t3) / 20 / ((t1 - t0) / n):.0f}x")


if __name__ == "__main__":
    main()

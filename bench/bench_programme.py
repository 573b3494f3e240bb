"""Benchmark: a programme over 100,000 enterprises x 10 options, three scenarios.

Run: ``.venv/bin/python bench/bench_programme.py [N_ENTERPRISES] [OPTIONS_PER_ENTERPRISE]``.
Prints the seconds of the shared no-support baseline, of each scenario, the total, and the peak
resident memory of the process (``resource.getrusage``, Linux KiB), with the targets
(under 10 s and 4 GiB for 100,000 x 10) and the measured/target ratios.

Pack: CA-ECOENERGY (lowest of CAD 10/GJ, share of net cost, savings x (payback - 1); caps per
application and per company), scenarios share 15 % / 25 % / 40 %; decision rule payback <= 3 years.
Synthetic data from a seeded generator (no shared data needed).
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import date

import numpy as np
import pandas as pd

from programme.budget import baseline, run_programme
from programme.scenarios import scenario_grid
from programme.uptake import DecisionRule

TARGET_SECONDS = 10.0
TARGET_GIB = 4.0


def synthetic(n_ent: int, per: int, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    n = n_ent * per
    inv = np.round(rng.lognormal(11.0, 1.2, n), 0)
    payback = rng.lognormal(1.2, 0.6, n)
    ent_id = np.repeat(np.char.add("E", np.arange(n_ent).astype(str)), per)
    opts = pd.DataFrame({
        "enterprise_id": ent_id,
        "option_id": np.tile(np.char.add("o", np.arange(per).astype(str)), n_ent),
        "title": "option",
        "category": "equipment_modification",
        "investment": inv,
        "annual_savings": np.round(inv / payback, 0),
        "annual_cost_change": 0.0,
        "lifetime_years": rng.integers(5, 21, n),
        "salvage_value": 0.0,
        "eligible_investment": inv,
        "energy_saved_mwh": np.round(inv / rng.uniform(50, 400, n), 1),
        "co2e_avoided_t": np.round(inv / rng.uniform(200, 2000, n), 2),
        "waste_avoided_t": np.where(rng.random(n) < 0.3, np.round(rng.uniform(0, 50, n), 1), np.nan),
        "other_grants": 0.0,
        "mandatory": False,
        "excludes": "",
    })
    ents = pd.DataFrame({
        "enterprise_id": np.char.add("E", np.arange(n_ent).astype(str)),
        "name": "enterprise",
        "jurisdiction": "none",
        "size_class": rng.choice(["micro", "small", "medium", "large"], n_ent),
        "tax_rate": rng.choice([0.0, 0.15, 0.265], n_ent),
        "discount_rate": 0.08,
        "tax_capacity": True,
    })
    return opts, ents


def main() -> None:
    n_ent = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    per = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    opts, ents = synthetic(n_ent, per)
    on = date(2010, 6, 1)
    rule = DecisionRule("payback", payback_limit=3.0)
    grid = scenario_grid("CA-ECOENERGY", {}, {
        f"share-{int(s * 100)}": {"CA-ECOENERGY-RETROFIT.rate.terms.share.share": s} for s in (0.15, 0.25, 0.40)
    }, rule=rule)
    t0 = time.perf_counter()
    base = baseline(opts, ents, on_date=on)
    t_base = time.perf_counter() - t0
    print(f"options: {len(opts):,} ({n_ent:,} enterprises x {per}); baseline (no support) {t_base:.2f} s")
    for s in grid:
        t1 = time.perf_counter()
        r = run_programme(opts, ents, s.pack, params=s.params, on_date=on, rule=s.rule, scenario=s.name, base=base)
        sm = r.summary
        print(f"  {s.name}: {time.perf_counter() - t1:.2f} s; outlay {sm['total_outlay']:,.0f}, deadweight share "
              f"{sm['deadweight_share']:.3f}, additional uptake {sm['additional_uptake']:,.0f}, "
              f"cost per t CO2e {sm['cost_per_t_co2e']:,.1f}, leverage {sm['leverage']:.2f}")
    total = time.perf_counter() - t0
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"total {total:.2f} s (target {TARGET_SECONDS:.0f} s, ratio {total / TARGET_SECONDS:.2f}); "
          f"peak RSS {peak_gib:.2f} GiB (target {TARGET_GIB:.0f} GiB, ratio {peak_gib / TARGET_GIB:.2f})")


if __name__ == "__main__":
    main()

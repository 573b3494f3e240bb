"""Benchmark: whole `cpscreen import` processes on large, bad and over-the-limit files.

Each case runs the CLI in its own subprocess (through a small wrapper process, so that
``resource.getrusage(RUSAGE_CHILDREN)`` sees that one CLI only) on a fresh database, and prints
the wall time, CPU time, peak RSS and exit status, then the ratios the targets name (issue 16):

- 1,000,000 options of which 500,000 share ids: refused in < 30 s with < 3 GiB;
- a file under the limits imports or is refused within 2x the time of a valid file of its size;
- a file over a limit is refused in < 2 s.

Run:  .venv/bin/python bench/bench_import.py [n_options]      (default 1,000,000)
Also: .venv/bin/python bench/bench_import.py --validate [n]    (validate() alone, in process)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screening.limits import MAX_COLUMNS, MAX_IMPORT_BYTES, MAX_ROWS  # noqa: E402

CLI = [sys.executable, str(ROOT / "cli.py")]
WRAP = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter(); r = subprocess.run(sys.argv[1:], capture_output=True, text=True); w = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'wall': w, 'cpu': u.ru_utime + u.ru_stime, 'rss_mib': u.ru_maxrss / 1024, 'code': r.returncode,"
    " 'err': r.stderr.strip()[:160]}))\n"
)


def synthetic(n: int, n_ent: int = 100, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises and ``n`` valid options (ids unique), with a few optional columns."""
    rng = np.random.default_rng(seed)
    ent = pd.DataFrame({"enterprise_id": [f"E{i}" for i in range(n_ent)], "name": [f"Enterprise {i}" for i in range(n_ent)],
                        "jurisdiction": "NL", "size_class": "small"})
    inv = rng.lognormal(11, 1.5, n).round(2)
    opt = pd.DataFrame({
        "option_id": pd.Series(np.arange(n)).map("O{:07d}".format), "enterprise_id": pd.Series(np.arange(n) % n_ent).map("E{}".format),
        "title": pd.Series(np.arange(n)).map("Option number {}".format),
        "category": rng.choice(["good_housekeeping", "process_control", "onsite_recovery", "end_of_pipe"], n),
        "investment": inv, "annual_savings": (inv / rng.uniform(0.3, 12, n)).round(2), "lifetime_years": rng.integers(3, 20, n),
        "energy_saved_mwh": rng.lognormal(3, 1, n).round(3), "technical_feasibility": rng.integers(1, 11, n),
        "mandatory": rng.choice(["yes", "no"], n), "status": "proposed",
    })
    return ent, opt


def run(files: list[Path], tmp: Path, tag: str) -> dict:
    db = tmp / f"{tag}.duckdb"
    env = dict(os.environ, CPSCREEN_DB=str(db))
    out = subprocess.run([sys.executable, "-c", WRAP, *CLI, "import", *map(str, files)], env=env, capture_output=True, text=True)
    rec = json.loads(out.stdout)
    for p in tmp.glob(f"{tag}.duckdb*"):
        p.unlink()
    return rec


def show(name: str, size: int, r: dict) -> None:
    print(f"{name:<44} {size / 2**20:8.1f} MiB  exit {r['code']}  wall {r['wall']:6.2f} s  cpu {r['cpu']:6.2f} s  "
          f"peak RSS {r['rss_mib']:7.0f} MiB   {r['err'][:70]}")


def bench_validate(n: int) -> None:
    from screening.schema import validate

    ent, opt = synthetic(n)
    with tempfile.TemporaryDirectory() as d:
        opt.to_csv(Path(d) / "o.csv", index=False)
        ent.to_csv(Path(d) / "e.csv", index=False)
        o = pd.read_csv(Path(d) / "o.csv", dtype=str, keep_default_na=False)
        e = pd.read_csv(Path(d) / "e.csv", dtype=str, keep_default_na=False)
    best = []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        validate(e, o)
        best.append((time.perf_counter() - t, time.process_time() - c))
    w, c = min(best)
    print(f"validate() on {n:,} options read from CSV: {w:.2f} s wall, {c:.2f} s CPU (best of 3)")


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        ent, opt = synthetic(n)
        ent.to_csv(tmp / "e.csv", index=False)
        opt.to_csv(tmp / "valid.csv", index=False)
        dup = opt.copy()
        half = n // 2
        dup.loc[half:, "option_id"] = "O0000000"  # 500,000 rows share one id
        dup.loc[half:, "enterprise_id"] = "E0"
        dup.to_csv(tmp / "dup.csv", index=False)
        bad = opt.assign(investment="x")  # every row one bad cell
        bad.to_csv(tmp / "bad.csv", index=False)
        print(f"cpscreen import, whole process, {n:,} options ({os.cpu_count()} CPUs):")
        r_valid = run([tmp / "e.csv", tmp / "valid.csv"], tmp, "valid")
        show("valid file (stored)", (tmp / "valid.csv").stat().st_size, r_valid)
        r_dup = run([tmp / "e.csv", tmp / "dup.csv"], tmp, "dup")
        show(f"{n - half:,} rows sharing one id (refused)", (tmp / "dup.csv").stat().st_size, r_dup)
        r_bad = run([tmp / "e.csv", tmp / "bad.csv"], tmp, "bad")
        show(f"{n:,} bad cells (refused)", (tmp / "bad.csv").stat().st_size, r_bad)

        over = []
        huge = tmp / "huge.csv"
        with open(huge, "wb") as fh:
            fh.write(b"option_id,enterprise_id\n")
            fh.truncate(MAX_IMPORT_BYTES + 1)  # sparse: its size is what the reader checks first
        over.append(("over the byte limit", huge))
        wide = tmp / "wide.csv"
        wide.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS * 20)) + "\n" + ",".join("1" * MAX_COLUMNS * 20) + "\n")
        over.append((f"{MAX_COLUMNS * 20:,} columns", wide))
        tall = tmp / "tall.csv"
        with open(tall, "w") as fh:
            fh.write("option_id,enterprise_id\n")
            fh.write("a,b\n" * (MAX_ROWS + 1))
        over.append((f"{MAX_ROWS + 1:,} rows", tall))
        bomb = tmp / "bomb.xlsx"
        pd.DataFrame({"option_id": ["a"], "enterprise_id": ["b"]}).to_excel(bomb, index=False)
        with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/padding.xml", "<x>" + "0" * 1_500_000_000 + "</x>")
        over.append(("XLSX inflating to 1.5 GB", bomb))
        pq = tmp / "tall.parquet"
        pd.DataFrame({"option_id": np.arange(MAX_ROWS + 1).astype(str), "enterprise_id": "E0"}).to_parquet(pq)
        over.append((f"Parquet of {MAX_ROWS + 1:,} rows", pq))
        worst_over = 0.0
        for name, p in over:
            r = run([p], tmp, "over")
            worst_over = max(worst_over, r["wall"])
            show(name + " (refused)", p.stat().st_size, r)

        print()
        print(f"target: {n - half:,} shared ids refused in < 30 s and < 3 GiB: {r_dup['wall']:.1f} s, {r_dup['rss_mib'] / 1024:.2f} GiB "
              f"({'met' if r_dup['wall'] < 30 and r_dup['rss_mib'] < 3072 and r_dup['code'] == 2 else 'NOT met'})")
        for name, r in (("shared ids", r_dup), ("bad cells", r_bad)):
            print(f"target: refused within 2x a valid file of its size ({name}): {r['wall'] / r_valid['wall']:.2f}x "
                  f"({'met' if r['wall'] < 2 * r_valid['wall'] else 'NOT met'})")
        print(f"target: over a limit refused in < 2 s: slowest {worst_over:.2f} s ({'met' if worst_over < 2 else 'NOT met'})")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    size = int(args[0]) if args else 1_000_000
    if "--validate" in sys.argv:
        bench_validate(int(args[0]) if args else 200_000)
    else:
        main(size)

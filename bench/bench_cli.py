"""End to end at the kernel's speed (issue 11): whole-process timings of the ``cpscreen`` CLI.

Every figure is one child process of ``.venv/bin/cpscreen`` (process start, imports, reading,
validation, the work, writing), timed with ``time.perf_counter`` around it; its peak resident
memory is the child's own ``ru_maxrss``, read by a small wrapper process that runs only that one
child (so one child's peak is never another's).  The inputs are the synthetic options of
``bench/bench_appraise.py`` (``synthetic()``: lives 5-25 years, NL, CN and DK enterprises),
written in the import format to a temporary folder.  Printed, from one run:

* ``cpscreen appraise``, N options, Parquet in and out, against the per-option numpy-financial
  loop (``npf.npv`` + ``npf.irr`` + a simple payback on each option's net cash flow, flows handed
  over for free), timed on a sample and extrapolated: target >= 20x (aim 50x), peak < 3 GiB;
* ``cpscreen appraise``, N/5 options, Parquet in, CSV out: >= 20x the loop;
* ``cpscreen import`` of N options from CSV, against DuckDB's own ``read_csv`` of the same file
  into a table in this process (the floor for this machine): <= 8x;
* ``cpscreen rank`` (wsm, default profile, with ``--draws 1000`` robustness where the command has
  it) of N/10 options: < 5 s;
* ``cpscreen budget`` of N options x 3 scenarios (``--all-jurisdictions``, ``--by summary``, three EIA
  deduction rates) in one process with ``--sweep``: < 15 s; and, for comparison, the same three scenarios
  as three processes (each reads, validates and appraises without support again), with their sum.

Run: ``.venv/bin/python bench/bench_cli.py [--n 1000000] [--quick] [--sample 2000] [--keep DIR [--reuse]]
[--only appraise|csv|import|rank|budget ...]``.
``--quick`` uses 2,000 options (a smoke run; the targets are for the full sizes).
The machine is shared: run it when nothing else is, and read the ratios with that in mind.

Each line also prints the child's user and system CPU seconds and its minor page faults.  On a virtual
machine whose host backs guest memory lazily, the first touch of a page the guest never used costs far
more than a page fault: on 2026-12-04, in a new Firecracker VM, the first GiB numpy filled took 2.3 s of
system time and the next 0.11 s, and one ``appraise`` of 1M options took 6.7 s of system time on one run and
1.3-1.6 s on every run after 20 GiB had been touched once (the same ~520k faults each time).  A high
``sys`` beside the usual faults is that, not the command.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import numpy_financial as npf
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_appraise import synthetic  # noqa: E402

CPSCREEN = ROOT / ".venv" / "bin" / "cpscreen"
DATE = "2025-06-01"
GIB = 2**20  # ru_maxrss is in KiB on Linux
#: The three budget scenarios: the Dutch energy investment allowance (EIA, in force on DATE) at three rates.
SCENARIO_PARAM, SCENARIO_RATES = "NL-EIA-2024.rate.value", (0.3, 0.4, 0.45)

#: Runs one command, then prints (JSON, last line of stdout) its wall time, and the peak RSS, the user and
#: system CPU time and the minor page faults of that one child.
WRAPPER = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "s = time.perf_counter() - t\n"
    "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': r.returncode, 'seconds': s, 'maxrss_kib': u.ru_maxrss, 'user': u.ru_utime, 'sys': u.ru_stime,"
    " 'faults': u.ru_minflt, 'stderr': r.stderr.decode(errors='replace')[-800:]}))\n"
)


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall time [s], peak RSS [GiB], user and system CPU [s] and minor page faults of one ``cpscreen``
    process (fails loudly on a non-zero exit)."""
    import os

    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", WRAPPER, str(CPSCREEN), *args], capture_output=True, text=True,
                         env={**os.environ, **(env or {})}, check=True)
    outer = time.perf_counter() - t
    rec = json.loads(out.stdout.strip().splitlines()[-1])
    if rec["rc"] != 0:
        raise SystemExit(f"cpscreen {' '.join(args)} exited {rec['rc']}: {rec['stderr'].strip()}")
    return {"seconds": rec["seconds"], "outer": outer, "peak_gib": rec["maxrss_kib"] / GIB, "user": rec["user"],
            "sys": rec["sys"], "faults": rec["faults"]}


def import_format(options: pd.DataFrame, enterprises: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """synthetic()'s validated frames as import-format files hold them (yes/no flags, no empty columns)."""
    ent = enterprises.drop(columns=["tax_rate"]).assign(tax_capacity=np.where(enterprises["tax_capacity"], "yes", "no"))
    opt = options.assign(mandatory="no")
    return opt, ent


def write(frame: pd.DataFrame, path: Path) -> None:
    con = duckdb.connect()
    con.register("f", frame)
    fmt = "(FORMAT parquet)" if path.suffix == ".parquet" else "(FORMAT csv, HEADER true)"
    con.execute(f"COPY f TO '{path}' {fmt}")
    con.close()


def loop_seconds_per_option(options: pd.DataFrame, enterprises: pd.DataFrame, sample: int, repeat: int = 3) -> float:
    """Per-option numpy-financial loop (NPV + IRR + simple payback), flows given free. [s/option]"""
    from finance.batch_flows import batch_cash_flows
    from policies import corporate_tax

    rng = np.random.default_rng(2)
    rows = np.sort(rng.choice(len(options), min(sample, len(options)), replace=False))
    opt = options.iloc[rows].reset_index(drop=True)
    ents = enterprises[enterprises["enterprise_id"].isin(opt["enterprise_id"])]
    on = date.fromisoformat(DATE)
    tax = np.asarray(corporate_tax.tax_rates(opt, ents, on), dtype=float)
    disc = ents.set_index("enterprise_id")["discount_rate"].reindex(opt["enterprise_id"]).to_numpy(dtype=float)
    cap = ents.set_index("enterprise_id")["tax_capacity"].reindex(opt["enterprise_id"]).to_numpy(dtype=bool)
    flows = batch_cash_flows(opt, tax, cap, None)
    nets = [flows.net[i, : flows.life[i] + 1] for i in range(len(opt))]
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for i, v in enumerate(nets):
            npf.npv(disc[i], v)
            npf.irr(v)
            c = np.cumsum(v)  # simple payback: the year cumulative cash turns non-negative, interpolated
            j = int(np.argmax(c >= 0))
            _ = None if c[j] < 0 else (0.0 if j == 0 else j - 1 + (-c[j - 1]) / v[j])
        best = min(best, time.perf_counter() - t)
    return best / len(nets)


def duckdb_read_csv_seconds(path: Path, repeat: int = 3) -> float:
    """DuckDB's in-process read_csv of ``path`` into a table, best of ``repeat``. [s]"""
    best = np.inf
    for _ in range(repeat):
        con = duckdb.connect()
        t = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        best = min(best, time.perf_counter() - t)
        con.close()
    return best


def has_option(command: str, option: str) -> bool:
    out = subprocess.run([str(CPSCREEN), command, "--help"], capture_output=True, text=True)
    return option in out.stdout


#: The benchmark's sections, each one or more cpscreen processes.
SECTIONS = ("appraise", "csv", "import", "rank", "budget")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000, help="options for appraise, import and budget (rank: n/10, CSV appraise: n/5)")
    ap.add_argument("--quick", action="store_true", help="2,000 options: a smoke run (the targets are for the full sizes)")
    ap.add_argument("--sample", type=int, default=2000, help="options in the timed per-option loop")
    ap.add_argument("--keep", metavar="DIR", help="write the files to DIR and keep them (default a temporary folder)")
    ap.add_argument("--only", choices=SECTIONS, action="append",
                    help="run only this section (repeatable; default all): " + ", ".join(SECTIONS))
    ap.add_argument("--reuse", action="store_true", help="with --keep: reuse the input files already in DIR")
    args = ap.parse_args(argv)
    n = 2000 if args.quick else args.n
    sizes = {"appraise": n, "csv": max(n // 5, 1), "import": n, "rank": max(n // 10, 1), "budget": n}
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cpscreen-bench-cli-"))
    tmp.mkdir(parents=True, exist_ok=True)

    only = set(args.only or SECTIONS)
    t = time.perf_counter()
    options, enterprises = synthetic(n)
    opt, ent = import_format(options, enterprises)
    files = {"ent.parquet": tmp / "enterprises.parquet", "ent.csv": tmp / "enterprises.csv",
             "opt.parquet": tmp / "options.parquet", "opt.csv": tmp / "options.csv",
             **{f"{what}.parquet": tmp / f"options_{sizes[what]}.parquet" for what in ("csv", "rank")}}
    if args.reuse and args.keep and all(p.exists() for p in files.values()):
        print(f"inputs: {n:,} synthetic options of {len(ent):,} enterprises, reused from {tmp}")
    else:
        write(ent, files["ent.parquet"])
        write(ent, files["ent.csv"])
        write(opt, files["opt.parquet"])
        write(opt, files["opt.csv"])
        for what in ("csv", "rank"):
            write(opt.iloc[: sizes[what]], files[f"{what}.parquet"])
        print(f"inputs: {n:,} synthetic options of {len(ent):,} enterprises in {tmp} (written in {time.perf_counter() - t:.1f} s)")

    # the kernels compile once per checkout (numba, cached on disk): a small call first, not timed
    run_child(["appraise", "--options", str(files["rank.parquet"]), "--enterprises", str(files["ent.parquet"]),
               "--date", DATE, "--format", "parquet", "--output", str(tmp / "warm.parquet")])
    # ... and the budget's own kernels (programme.appraisal, programme.outlay), which no appraise compiles
    subprocess.run([sys.executable, "-m", "programme.warm"], cwd=ROOT, check=True, capture_output=True)

    per_option = 0.0
    if only & {"appraise", "csv"}:
        per_option = loop_seconds_per_option(options, enterprises, args.sample)
        print(f"per-option numpy-financial loop (npv + irr + payback, flows given): {per_option * 1e6:.0f} us/option "
              f"on {min(args.sample, n):,} options")
    rows = []

    def line(name: str, r: dict[str, float], target: str, ratio: float | None, ok: bool | None) -> None:
        rows.append((name, r, target, ratio, ok))
        ratio_txt = f"{ratio:8.1f}x" if ratio is not None else " " * 9
        print(f"{name:<44}{r['seconds']:9.2f} s{r['peak_gib']:8.2f} GiB  {ratio_txt}  {target:<22}"
              f"{'' if ok is None else ('ok' if ok else 'MISSED'):<8}{r['user']:6.2f} {r['sys']:6.2f} {r['faults'] / 1e3:7.0f}k",
              flush=True)

    print(f"{'command (one process each, end to end)':<44}{'time':>11}{'peak':>12}  {'ratio':>9}  {'target':<30}"
          f"{'user':>6} {'sys':>6} {'faults':>8}")
    ent_pq = str(files["ent.parquet"])
    if "appraise" in only:
        r = run_child(["appraise", "--options", str(files["opt.parquet"]), "--enterprises", ent_pq, "--date", DATE,
                       "--format", "parquet", "--output", str(tmp / "appraised.parquet")])
        ratio = per_option * sizes["appraise"] / r["seconds"]
        line(f"appraise {sizes['appraise']:,}, parquet -> parquet", r, ">= 20x loop (aim 50x)", ratio, ratio >= 20 and r["peak_gib"] < 3)
        print(f"{'':<44}peak RSS target < 3 GiB: {'ok' if r['peak_gib'] < 3 else 'MISSED'}")

    if "csv" in only:
        r = run_child(["appraise", "--options", str(files["csv.parquet"]), "--enterprises", ent_pq, "--date", DATE,
                       "--format", "csv", "--output", str(tmp / "appraised.csv")])
        ratio = per_option * sizes["csv"] / r["seconds"]
        line(f"appraise {sizes['csv']:,}, parquet -> csv", r, ">= 20x loop", ratio, ratio >= 20)

    if "import" in only:
        floor = duckdb_read_csv_seconds(files["opt.csv"])
        db = tmp / "imported.duckdb"
        db.unlink(missing_ok=True)
        r = run_child(["import", str(files["ent.csv"]), str(files["opt.csv"]), "--db", str(db)])
        ratio = r["seconds"] / floor
        print(f"{'duckdb read_csv of the same options.csv':<44}{floor:9.2f} s (in this process, best of 3)")
        line(f"import {sizes['import']:,} from csv", r, "<= 8x duckdb read_csv", ratio, ratio <= 8)

    if "rank" in only:
        draws = has_option("rank", "--draws")
        rank_args = ["rank", "--options", str(files["rank.parquet"]), "--enterprises", ent_pq, "--date", DATE,
                     "--method", "wsm", "--format", "parquet", "--output", str(tmp / "ranked.parquet")]
        r = run_child(rank_args + (["--draws", "1000"] if draws else []))
        line(f"rank wsm {sizes['rank']:,}" + (", 1,000 draws" if draws else ", NO robustness (no --draws)"), r, "< 5 s",
             None, r["seconds"] < 5)

    if "budget" in only:
        budget_args = ["budget", "--programme", "NL", "--all-jurisdictions", "--options", str(files["opt.parquet"]),
                       "--enterprises", ent_pq, "--date", DATE, "--by", "summary", "--format", "json"]
        if has_option("budget", "--sweep"):
            # the three scenarios as a programme officer runs them: one process, the data read and the options
            # appraised without support once, the programme run once per rate
            r = run_child(budget_args + ["--sweep", f"{SCENARIO_PARAM}={','.join(map(str, SCENARIO_RATES))}",
                                         "--output", str(tmp / "budget_sweep.json")])
            line(f"budget {sizes['budget']:,} x 3 scenarios (--sweep)", r, "< 15 s", None, r["seconds"] < 15)
        total = {"seconds": 0.0, "outer": 0.0, "peak_gib": 0.0}
        for rate in SCENARIO_RATES:
            r = run_child(budget_args + ["--param", f"{SCENARIO_PARAM}={rate}", "--output", str(tmp / f"budget_{rate}.json")])
            print(f"{'  budget ' + SCENARIO_PARAM + '=' + str(rate):<44}{r['seconds']:9.2f} s{r['peak_gib']:8.2f} GiB")
            total = {"seconds": total["seconds"] + r["seconds"], "outer": total["outer"] + r["outer"],
                     "peak_gib": max(total["peak_gib"], r["peak_gib"])}
        print(f"{'budget ' + format(sizes['budget'], ',') + ' x 3 scenarios, 3 processes (sum)':<44}{total['seconds']:9.2f} s"
              f"{total['peak_gib']:8.2f} GiB   (for comparison: each process reads, validates and appraises again)")
        if has_option("budget", "--sweep"):  # one truth: the sweep's records are the three runs' records
            swept = json.loads((tmp / "budget_sweep.json").read_text())
            alone = [json.loads((tmp / f"budget_{rate}.json").read_text())[0] for rate in SCENARIO_RATES]
            same = len(swept) == len(alone) and all({k: s[k] for k in a} == a for s, a in zip(swept, alone))
            print(f"  --sweep records equal the three processes' records: {'yes' if same else 'NO'}")
    if args.quick:
        print("(--quick: small sizes, a smoke run; the targets hold for the full sizes only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

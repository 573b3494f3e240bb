"""Benchmark: the programme's Monte Carlo, in-process and on a Dask LocalCluster of 1 and 2 workers.

Run: ``.venv/bin/python bench/bench_programme_mc.py [N_OPTIONS] [DRAWS]`` (default 1,000,000 x 200,
the issue's size; on a shared machine pass a smaller one and say so).  Prints one JSON line with:

* ``inprocess_option_draws_per_cpu_second``: option-draws per CPU-second of this process on one
  partition (``time.process_time``: all its threads), the "per core" figure, target >= 2e6;
* ``workers_1_seconds``, ``workers_2_seconds`` (wall, after the workers are warm: each has run a
  tiny draw first, so imports and kernel loading are not timed), their throughputs and the ratio
  2 workers / 1 worker, target >= 1.7 (bounded by the free cores: ``cpu_count`` and the load
  average at the start are printed);
* ``workers_N_cpu_seconds``: the workers' CPU time for the run (``time.process_time`` in each), a
  figure the other jobs of a shared machine do not distort as they do the wall times, with
  ``client_cpu_seconds_N_worker(s)`` (the client's serial part: sending paths, merging sums) and
  ``ratio_2_to_1_workers_by_cpu`` = (1 worker's CPU + client) / (busier of 2 workers' CPU + client):
  the ratio free cores would give;
* ``write_partitions_seconds``: the client writing the Parquet partitions once (as to shared
  storage), not part of the timed runs, which send only paths;
* ``engine_path``: ``columnar`` (the compiled kernel, :mod:`programme.mc_columnar`) or
  ``general`` with ``engine_path_reason``;
* ``worker_peak_rss_mib``: each worker's peak resident memory (``resource.getrusage``) and the
  partition size it was given, run twice with 2x the draws to show it does not grow with draws.

Pack CA-ECOENERGY (grants with caps per project and per company), rule payback <= 3 yr, inputs
drawn with the default spreads; the synthetic data of ``bench/bench_programme.py``.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_programme import synthetic  # noqa: E402

from programme.distributed import OPTIONS_PER_PARTITION, local_cluster, partitions, run_partitions, write_partitions  # noqa: E402
from programme.montecarlo import McSpec, draw_sums, engine_path  # noqa: E402
from programme.uptake import DecisionRule  # noqa: E402

ON = date(2010, 6, 1)
RULE = DecisionRule("payback", payback_limit=3.0)
TARGET_PER_CORE = 2e6
TARGET_RATIO = 1.7


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm() -> float:
    opts, ents = synthetic(5, 4, seed=9)
    draw_sums(opts, ents, McSpec("CA-ECOENERGY", ON, RULE, draws=2))
    return _peak_rss_mib()


def _cluster_run(workers: int, paths: list[tuple[str, str]], spec: McSpec) -> dict[str, object]:
    with local_cluster(workers) as client:
        client.run(_warm)
        cpu0 = client.run(time.process_time)
        t, c = time.perf_counter(), time.process_time()
        sums = run_partitions(paths, spec, client=client)
        seconds, client_cpu = time.perf_counter() - t, time.process_time() - c
        cpu1 = client.run(time.process_time)
        rss = sorted(client.run(_peak_rss_mib).values())
    by_worker = [cpu1[w] - cpu0[w] for w in cpu1]
    return {"seconds": seconds, "cpu": sum(by_worker), "cpu_by_worker": by_worker, "client_cpu": client_cpu, "total_p50": float(sorted(sums.total())[spec.draws // 2]), "rss": rss}


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    draws = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    per = 10
    opts, ents = synthetic(max(1, n // per), per)
    n = len(opts)
    parts = max(4, -(-n // OPTIONS_PER_PARTITION))
    spec = McSpec("CA-ECOENERGY", ON, RULE, draws=draws, seed=1)
    out: dict[str, object] = {"options": n, "draws": draws, "option_draws": n * draws, "partitions": parts,
                              "cpu_count": os.cpu_count(), "load_average_at_start": round(os.getloadavg()[0], 1)}
    # in-process, one partition (the worker's unit of work), after a warm-up
    _warm()
    o1, e1 = partitions(opts, ents, parts)[0]
    path, why = engine_path(o1, e1, spec)
    out["engine_path"] = path
    out["engine_path_reason"] = why if isinstance(why, str) else None
    t, c = time.perf_counter(), time.process_time()
    draw_sums(o1, e1, spec)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    out.update({"inprocess_partition_options": len(o1), "inprocess_seconds": round(wall, 2), "inprocess_cpu_seconds": round(cpu, 2),
                "inprocess_option_draws_per_cpu_second": round(len(o1) * draws / cpu),
                "inprocess_option_draws_per_second_wall": round(len(o1) * draws / wall)})
    out["inprocess_ratio_to_target"] = round(out["inprocess_option_draws_per_cpu_second"] / TARGET_PER_CORE, 3)
    with tempfile.TemporaryDirectory(prefix="cpscreen-bench-mc-") as tmp:
        # the partitions are written once, as on shared storage: the timed runs only send paths
        t = time.perf_counter()
        paths = write_partitions(opts, ents, parts, Path(tmp) / "parts")
        out["write_partitions_seconds"] = round(time.perf_counter() - t, 2)
        one = _cluster_run(1, paths, spec)
        two = _cluster_run(2, paths, spec)
        assert one["total_p50"] == two["total_p50"], "1 and 2 workers must give identical figures"
        more = _cluster_run(2, paths, McSpec("CA-ECOENERGY", ON, RULE, draws=2 * draws, seed=1))
    out.update({
        "workers_1_seconds": round(one["seconds"], 2), "workers_2_seconds": round(two["seconds"], 2),
        "workers_1_option_draws_per_second": round(n * draws / one["seconds"]),
        "workers_2_option_draws_per_second": round(n * draws / two["seconds"]),
        "ratio_2_to_1_workers": round(one["seconds"] / two["seconds"], 3), "ratio_target": TARGET_RATIO,
        "workers_1_cpu_seconds": round(one["cpu"], 2), "workers_2_cpu_seconds": round(two["cpu"], 2),
        "workers_1_option_draws_per_cpu_second": round(n * draws / one["cpu"]),
        "workers_2_option_draws_per_cpu_second": round(n * draws / two["cpu"]),
        # on free cores the 2-worker wall time is the busier worker's CPU time (plus the client's):
        # the ratio the cores would give, read from CPU times the machine's other jobs do not inflate
        "ratio_2_to_1_workers_by_cpu": round((one["cpu"] + one["client_cpu"]) / (max(two["cpu_by_worker"]) + two["client_cpu"]), 3),
        "workers_2_cpu_by_worker": [round(x, 2) for x in two["cpu_by_worker"]],
        "client_cpu_seconds_1_worker": round(one["client_cpu"], 3), "client_cpu_seconds_2_workers": round(two["client_cpu"], 3),
        "worker_peak_rss_mib": [round(x) for x in two["rss"]], "worker_peak_rss_mib_2x_draws": [round(x) for x in more["rss"]],
        "options_per_partition": -(-n // parts),
    })
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""The same figures in-process, on 1 worker and on 2 workers (``programme.distributed``).

A LocalCluster on 127.0.0.1 is started and closed by each run; the workers read their partitions
from Parquet.  Checked against each other (bit for bit: same partitions, sums added in partition
order) and against the whole frame run in one piece (equal to rounding).  No worker process is
left behind.
"""

from __future__ import annotations

import json
import sys
import types
from datetime import date

import numpy as np
import psutil
import pytest

from programme.distributed import local_cluster, partition_codes, partitions, run_draws, run_rationed
from programme.montecarlo import McSpec, draw_sums, summary_record
from programme.uptake import DecisionRule
from tests.programme.test_montecarlo import demo

SPEC = McSpec("NL", date(2026, 6, 1), DecisionRule("logistic", intercept=0.5, slope=-0.3), draws=8, seed=5,
              rows_per_chunk=400)


def test_in_process_one_worker_and_two_workers_give_identical_figures(tmp_path, monkeypatch):
    # Worker processes are spawned, and a spawned child re-imports the parent's __main__ module.  After
    # an AppTest in the same pytest process, __main__ is the app script (Streamlit runs pages as
    # __main__), which the children would run; a plain __main__ stands for the CLI's console script.
    monkeypatch.setitem(sys.modules, "__main__", types.ModuleType("__main__"))
    opts, ents = demo()
    from tests.programme.test_mc_columnar import frames

    copts, cents = frames()  # a programme the columnar kernel runs
    cspec = McSpec("CA-ECOENERGY", date(2010, 6, 1), DecisionRule("payback", payback_limit=3.0), draws=8, seed=5)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    inproc = run_draws(opts, ents, SPEC, parts=3)
    c_inproc = run_draws(copts, cents, cspec, parts=3)
    r_inproc = run_rationed(copts, cents, cspec, 5e5, parts=3)
    n_parts = len(partitions(opts, ents, 3))
    assert n_parts >= 2
    # one cluster, first of 1 worker, then scaled to 2 (one start-up: the test stays well within a minute)
    with local_cluster(1) as client:
        one = run_draws(opts, ents, SPEC, parts=3, client=client, directory=tmp_path / "one")
        c_one = run_draws(copts, cents, cspec, parts=3, client=client)
        client.cluster.scale(2)
        client.wait_for_workers(2, timeout=60)
        assert len(client.scheduler_info()["workers"]) == 2
        two = run_draws(opts, ents, SPEC, parts=3, client=client, directory=tmp_path / "two")
        c_two = run_draws(copts, cents, cspec, parts=3, client=client)
        r_two = run_rationed(copts, cents, cspec, 5e5, parts=3, client=client)
    assert c_inproc.engines == ("columnar",) and r_inproc[1].left_count.sum() > 0
    for other in (c_one, c_two, r_two[0]):
        assert other.keys == c_inproc.keys
        np.testing.assert_array_equal(other.outlay, c_inproc.outlay)
        np.testing.assert_array_equal(other.uptake_with, c_inproc.uptake_with)
    for name in ("spent", "asked_left_out", "bought", "funded_count", "left_count"):
        np.testing.assert_array_equal(getattr(r_two[1], name), getattr(r_inproc[1], name))
    assert len(list((tmp_path / "two").glob("*.options.parquet"))) == n_parts  # what the workers read
    for other in (one, two):
        assert other.keys == inproc.keys
        np.testing.assert_array_equal(other.outlay, inproc.outlay)
        np.testing.assert_array_equal(other.additional, inproc.additional)
        np.testing.assert_array_equal(other.uptake_with, inproc.uptake_with)
        # as text: NaN (undefined cost per unit) equals NaN
        assert json.dumps(summary_record(other, envelope=5_000.0)) == json.dumps(summary_record(inproc, envelope=5_000.0))
    whole = draw_sums(opts, ents, SPEC)
    np.testing.assert_allclose(inproc.outlay, whole.outlay, rtol=1e-12, atol=1e-9)
    assert np.ptp(inproc.total()) > 0
    # multiprocessing's resource tracker lives as long as this process, by design; no worker may
    left = [" ".join(p.cmdline()) for p in psutil.Process().children(recursive=True)
            if p.pid not in before and p.is_running() and "resource_tracker" not in " ".join(p.cmdline())]
    assert not left, f"processes left running: {left}"


def test_partitions_keep_enterprises_whole_and_the_frame_order():
    opts, ents = demo()
    codes = partition_codes(opts, 3)
    for e, c in zip(opts["enterprise_id"], codes):
        assert (codes[opts["enterprise_id"].to_numpy() == e] == c).all()
    assert (np.diff(codes) >= 0).all()
    parts = partitions(opts, ents, 3)
    assert sum(len(o) for o, _ in parts) == len(opts)
    with pytest.raises(ValueError, match="partitions"):
        partition_codes(opts, 0)


def test_two_clusters_at_once_are_refused():
    opts, ents = demo()
    with pytest.raises(ValueError, match="one of workers, scheduler"):
        run_draws(opts, ents, SPEC, workers=1, scheduler="tcp://127.0.0.1:8786")

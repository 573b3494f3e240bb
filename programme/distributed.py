"""The programme's Monte Carlo on one machine or a Dask cluster, with the same figures.

The options are split into partitions of whole enterprises (every cumulative cap of the engine runs
within an enterprise), in frame order.  Each partition's per-draw sums come from the same kernel,
:func:`programme.montecarlo.draw_sums`; the partitions' sums are added in partition order.  Random
numbers are keyed on (seed, option's ids, draw, stream), so a partition's sums do not depend on
where it runs: in-process, on a ``LocalCluster`` of N workers or on a running cluster, the figures
are identical (bit for bit, for the same partitions; and equal to rounding for another split).

On a cluster the client writes each partition as two Parquet files (options, enterprises) into a
directory the workers can read at the same path (a local temporary directory for a
``LocalCluster``; shared storage for a cluster of several machines), and sends only the paths and
the :class:`~programme.montecarlo.McSpec`: the workers read their partitions themselves.  A
worker holds one partition and ``McSpec.rows_per_chunk`` stacked (option, draw) rows at a time,
so its memory is bounded by the partition size, not by the number of draws.

References
----------
.. [1] Dask Development Team, "Dask: Library for dynamic task scheduling", 2016,
   https://dask.org (``distributed.Client.map``, ``LocalCluster``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from programme.montecarlo import DrawSums, McSpec, empty_sums, draw_sums

__all__ = ["OPTIONS_PER_PARTITION", "partition_codes", "partitions", "write_partitions", "partition_sums", "run_draws",
           "run_partitions", "run_rationed", "local_cluster"]

#: Default partition size: options per partition (whole enterprises). [options]  At 1,000,000
#: options x 200 draws on 2 cores (bench/bench_programme_mc.py), 25,000 kept each worker's working
#: set small enough that two workers ran as fast per CPU-second as one (50,000: 6 % slower each).
OPTIONS_PER_PARTITION: int = 25_000


def partition_codes(options: pd.DataFrame, parts: int) -> np.ndarray:
    """Partition of each option, 0..parts-1: consecutive enterprises (in order of first appearance)
    in blocks of about equal numbers of options; an enterprise is never split.

    Parameters
    ----------
    options : pandas.DataFrame
        With ``enterprise_id``.
    parts : int
        Number of partitions (>= 1); fewer are used when there are fewer enterprises.
    """
    if int(parts) != parts or parts < 1:
        raise ValueError(f"partitions is {parts!r} (expected a whole number >= 1)")
    code, uniq = pd.factorize(options["enterprise_id"])
    if len(uniq) == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = np.bincount(code, minlength=len(uniq))
    start = np.cumsum(sizes) - sizes  # options before each enterprise
    part_of_ent = np.minimum((start * int(parts)) // max(len(options), 1), int(parts) - 1)
    return part_of_ent[code].astype(np.int64)


def partitions(options: pd.DataFrame, enterprises: pd.DataFrame, parts: int) -> list[tuple[pd.DataFrame, pd.DataFrame]]:
    """The (options, enterprises) frames of each non-empty partition, in order."""
    opts = options.reset_index(drop=True)
    codes = partition_codes(opts, parts)
    out = []
    for p in np.unique(codes):
        o = opts[codes == p].reset_index(drop=True)
        e = enterprises[enterprises["enterprise_id"].isin(set(o["enterprise_id"]))].reset_index(drop=True)
        out.append((o, e))
    return out


def write_partitions(options: pd.DataFrame, enterprises: pd.DataFrame, parts: int, directory: Path) -> list[tuple[str, str]]:
    """Write each partition as ``part-NNNNN.options.parquet`` and ``part-NNNNN.enterprises.parquet``
    under ``directory``; returns the (options, enterprises) paths in partition order."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (o, e) in enumerate(partitions(options, enterprises, parts)):
        po, pe = directory / f"part-{i:05d}.options.parquet", directory / f"part-{i:05d}.enterprises.parquet"
        o.to_parquet(po, index=False)
        e.to_parquet(pe, index=False)
        paths.append((str(po), str(pe)))
    return paths


def partition_sums(options_path: str, enterprises_path: str, spec: McSpec) -> DrawSums:
    """The task a worker runs: read one partition from Parquet and return its per-draw sums."""
    return draw_sums(pd.read_parquet(options_path), pd.read_parquet(enterprises_path), spec)


def _merge(parts: list[DrawSums], draws: int) -> DrawSums:
    total = empty_sums(draws)
    for s in parts:  # in partition order: the same float sums wherever the partitions ran
        total = total.merge(s)
    return total


@contextmanager
def local_cluster(workers: int) -> Iterator[Any]:
    """A Dask ``LocalCluster`` of ``workers`` single-threaded worker processes on 127.0.0.1 (no
    dashboard) and its client; both closed on exit."""
    from distributed import Client, LocalCluster

    if int(workers) != workers or workers < 1:
        raise ValueError(f"workers is {workers!r} (expected a whole number >= 1)")
    cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, protocol="tcp")
    try:
        client = Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def run_draws(options: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec, *, parts: int | None = None,
              workers: int | None = None, scheduler: str | None = None, directory: Path | None = None,
              client: Any = None) -> DrawSums:
    """Per-draw sums of the whole programme, in-process or on Dask.

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames.
    spec : McSpec
    parts : int, optional
        Partitions; default one per :data:`OPTIONS_PER_PARTITION` options.  Figures do not depend
        on where the partitions run.
    workers : int, optional
        Run on a new ``LocalCluster`` of this many workers (closed after).
    scheduler : str, optional
        Address of a running Dask scheduler, e.g. ``tcp://10.0.0.5:8786``.
    directory : pathlib.Path, optional
        Where the partitions are written for the workers (default a temporary directory, removed
        after); with ``scheduler`` it must be readable by every worker at the same path.
    client : distributed.Client, optional
        An open client to use (then ``workers`` and ``scheduler`` must be None).

    Returns
    -------
    DrawSums

    Raises
    ------
    ValueError
        On both ``workers`` and ``scheduler``, bad counts; OSError where a worker cannot read its
        partition (the path is named).
    """
    if sum(x is not None for x in (workers, scheduler, client)) > 1:
        raise ValueError("give one of workers, scheduler or client (they name different clusters)")
    n = len(options)
    parts = max(1, -(-n // OPTIONS_PER_PARTITION)) if parts is None else parts
    if workers is None and scheduler is None and client is None:
        return _merge([draw_sums(o, e, spec) for o, e in partitions(options, enterprises, parts)], spec.draws)
    with tempfile.TemporaryDirectory(prefix="cpscreen-parts-") as tmp:
        paths = write_partitions(options, enterprises, parts, directory or Path(tmp))
        if client is not None:
            return _gather(client, paths, spec)
        if workers is not None:
            with local_cluster(workers) as c:
                return _gather(c, paths, spec)
        from distributed import Client

        with Client(scheduler, timeout="30s") as c:
            return _gather(c, paths, spec)


def run_partitions(paths: list[tuple[str, str]], spec: McSpec, *, client: Any) -> DrawSums:
    """Per-draw sums of partitions already written (:func:`write_partitions`, e.g. on shared
    storage): the client sends each worker two paths and the spec, and gathers (instruments x
    periods + 5) x draws numbers per partition; nothing else crosses the network.

    Parameters
    ----------
    paths : list of (str, str)
        (options, enterprises) Parquet paths of each partition, in partition order, readable by
        every worker.
    spec : McSpec
    client : distributed.Client
    """
    return _gather(client, paths, spec)


def _gather(client: Any, paths: list[tuple[str, str]], spec: McSpec) -> DrawSums:
    futures = client.map(partition_sums, [p[0] for p in paths], [p[1] for p in paths], spec=spec, pure=False)
    return _merge(client.gather(futures), spec.draws)


def _pass_task(options_path: str, enterprises_path: str, offset: np.ndarray | None, spec: McSpec,
               envelope: float) -> tuple[DrawSums, np.ndarray, Any]:
    """The task of a rationing pass: read one partition, return its per-draw figures."""
    from programme.ration_partitions import partition_pass

    return partition_pass(pd.read_parquet(options_path), pd.read_parquet(enterprises_path), spec, envelope, offset)


def run_rationed(options: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec, envelope: float, *,
                 parts: int | None = None, workers: int | None = None, scheduler: str | None = None,
                 directory: Path | None = None, client: Any = None) -> tuple[DrawSums, Any]:
    """Per-draw sums and the first-come rationing of ``envelope``, in-process or on Dask, in two
    passes over the partitions (:mod:`programme.ration_partitions`); arguments as :func:`run_draws`.

    Returns
    -------
    sums : DrawSums
    rationed : programme.ration_partitions.RationedDraws

    Raises
    ------
    ValueError
        Where an enterprise's options are not together in the frame (the first-come order would
        then run across partitions), and as :func:`run_draws`.
    """
    from programme.ration_partitions import RationedDraws, grouped_by_enterprise, partition_pass

    if sum(x is not None for x in (workers, scheduler, client)) > 1:
        raise ValueError("give one of workers, scheduler or client (they name different clusters)")
    if not (np.isfinite(envelope) and envelope >= 0):
        raise ValueError(f"envelope is {envelope!r} (expected an amount >= 0)")
    if not grouped_by_enterprise(options):
        raise ValueError("first-come rationing over partitions needs each enterprise's options together in the frame "
                         "(sort the options by enterprise, keeping their order within it), or run it in-process")
    n = len(options)
    parts = max(1, -(-n // OPTIONS_PER_PARTITION)) if parts is None else parts
    D = spec.draws

    def finish(first: list[tuple[DrawSums, np.ndarray, Any]], second: list[tuple[DrawSums, np.ndarray, Any]]) -> tuple[DrawSums, Any]:
        out = RationedDraws.empty(envelope, D)
        for _, _, r in second:  # in partition order
            out = out.merge(r)
        return _merge([f[0] for f in first], D), out

    def offsets(first: list[tuple[DrawSums, np.ndarray, Any]]) -> list[np.ndarray]:
        asked = np.array([f[1] for f in first]).reshape(len(first), D)
        return list(np.cumsum(asked, axis=0) - asked)  # asked before each partition, added in partition order

    if workers is None and scheduler is None and client is None:
        frames = partitions(options, enterprises, parts)
        first = [partition_pass(o, e, spec, envelope) for o, e in frames]
        second = [partition_pass(o, e, spec, envelope, off) for (o, e), off in zip(frames, offsets(first))]
        return finish(first, second)

    def on(c: Any, paths: list[tuple[str, str]]) -> tuple[DrawSums, Any]:
        po, pe = [p[0] for p in paths], [p[1] for p in paths]
        first = c.gather(c.map(_pass_task, po, pe, [None] * len(po), spec=spec, envelope=envelope, pure=False))
        second = c.gather(c.map(_pass_task, po, pe, offsets(first), spec=spec, envelope=envelope, pure=False))
        return finish(first, second)

    with tempfile.TemporaryDirectory(prefix="cpscreen-parts-") as tmp:
        paths = write_partitions(options, enterprises, parts, directory or Path(tmp))
        if client is not None:
            return on(client, paths)
        if workers is not None:
            with local_cluster(workers) as c:
                return on(c, paths)
        from distributed import Client

        with Client(scheduler, timeout="30s") as c:
            return on(c, paths)

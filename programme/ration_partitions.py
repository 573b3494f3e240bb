"""First-come rationing of an envelope over partitions: per-draw sums only, in two passes.

:func:`programme.ration.ration` funds each draw's applications in a stated order until the money
runs out; it holds every option's draws in one process.  In the first-come order (the frame order)
and with every enterprise's options together in the frame, the partitions of
:mod:`programme.distributed` (consecutive enterprises) are consecutive stretches of that order, so
an application's place in the queue is: the money asked by the partitions before its own, plus
what its own partition asked before it.  Hence two passes, each returning per-draw numbers only:

1. every partition returns, per draw, the money its applications ask for (and its
   :class:`~programme.montecarlo.DrawSums`);
2. the client adds those up in partition order (the offsets); every partition, given its offsets,
   funds its applications while the money asked so far stays within the envelope, and returns per
   draw the money funded, the money asked by those left out, the CO2e bought and the counts.

The figures are :func:`programme.ration.ration`'s (to the rounding of the sums' order).  The draws
are run twice (once per pass): the price of holding no option's draws across passes.

The other orders (``cost-per-tonne``, ``npv-ratio``) rank each draw's applications over all
partitions by a per-application key: where the money runs out depends on every application's key
and amount, a global sort per draw, which per-draw sums cannot carry (each pass would have to ship
per-application data, or bisect on the key with many passes over all draws).  They run in-process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from programme.montecarlo import DrawSums, McSpec, _chunks_run, _sums, empty_sums, engine_path, option_keys

__all__ = ["RationedDraws", "partition_pass", "grouped_by_enterprise"]


@dataclass(frozen=True)
class RationedDraws:
    """Per-draw figures of a rationed envelope (the fields :func:`programme.ration.ration_summary`
    and :func:`programme.ration.ration_draw_columns` read).

    Attributes
    ----------
    envelope : float
        [currency]
    order : str
        ``first-come``.
    spent, asked_left_out : ndarray, shape (draws,)
        Money funded; money the applications left out asked for. [currency]
    bought : ndarray, shape (draws,)
        Additional CO2e of the funded applications over their lives. [t]
    funded_count, left_count : ndarray, shape (draws,)
        [applications]
    """

    envelope: float
    order: str
    spent: np.ndarray
    asked_left_out: np.ndarray
    bought: np.ndarray
    funded_count: np.ndarray
    left_count: np.ndarray

    def merge(self, other: "RationedDraws") -> "RationedDraws":
        return RationedDraws(self.envelope, self.order, self.spent + other.spent, self.asked_left_out + other.asked_left_out,
                             self.bought + other.bought, self.funded_count + other.funded_count,
                             self.left_count + other.left_count)

    def cost_per_tonne(self) -> np.ndarray:
        """Money spent per additional tonne bought, per draw; NaN where none is bought. [currency/t]"""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.bought > 0, self.spent / np.where(self.bought > 0, self.bought, 1.0), np.nan)

    @classmethod
    def empty(cls, envelope: float, draws: int) -> "RationedDraws":
        z = np.zeros(draws)
        return cls(float(envelope), "first-come", z, z.copy(), z.copy(), z.copy(), z.copy())


def grouped_by_enterprise(options: pd.DataFrame) -> bool:
    """True when every enterprise's options stand together in the frame (the condition under which
    partitions are consecutive stretches of the first-come order)."""
    code = pd.factorize(options["enterprise_id"])[0]
    return bool((np.diff(code) >= 0).all()) if len(code) else True


def partition_pass(options: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec, envelope: float,
                   offset: np.ndarray | None = None) -> tuple[DrawSums, np.ndarray, RationedDraws | None]:
    """One pass over one partition (module docstring).

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        A partition of whole enterprises, in frame order.
    spec : McSpec
    envelope : float
        [currency]
    offset : ndarray, shape (draws,), optional
        Money asked by the partitions before this one, per draw [currency]; None for pass 1.

    Returns
    -------
    sums : DrawSums
    asked : ndarray, shape (draws,)
        Money the partition's applications ask for. [currency]
    rationed : RationedDraws or None
        With ``offset``: the partition's share of the rationing.
    """
    opts = options.reset_index(drop=True)
    D = spec.draws
    if len(opts) == 0:
        return empty_sums(D), np.zeros(D), None if offset is None else RationedDraws.empty(envelope, D)
    path, found = engine_path(opts, enterprises, spec)
    if path == "columnar":
        from dataclasses import replace

        from programme.mc_columnar import columnar_run

        sums, asked, rat = columnar_run(found, spec, envelope=None if offset is None else envelope, offset=offset)
        sums = replace(sums, engines=("columnar",))
        if rat is None:
            return sums, asked, None
        return sums, asked, RationedDraws(float(envelope), "first-come", rat[0], rat[1], rat[2], rat[3], rat[4])
    return _general_pass(opts, enterprises, spec, envelope, offset, path, found)


def _general_pass(opts: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec, envelope: float,
                  offset: np.ndarray | None, path: str, why: object) -> tuple[DrawSums, np.ndarray, RationedDraws | None]:
    """:func:`partition_pass` on the general path, chunk by chunk (as :func:`programme.montecarlo.option_draws`
    reads a chunk: an application is an option taken up whose nominal outlay over its life is > 0)."""
    from dataclasses import replace

    n, D = len(opts), spec.draws
    total = empty_sums(D)
    asked = np.zeros(D)
    out = RationedDraws.empty(envelope, D) if offset is not None else None
    over = envelope * (1 + 1e-12)
    for c in _chunks_run(opts, enterprises, spec, option_keys(opts)):
        total = total.merge(_sums(c, D))
        k = len(c.d)
        rows = c.out["row"].to_numpy(dtype=np.int64)
        gross = np.bincount(rows, weights=c.out["outlay"].to_numpy(dtype=float), minlength=n * k).reshape(k, n)
        applied = c.taken.reshape(k, n) & (gross > 0)
        g = np.where(applied, gross, 0.0)
        asked[c.d] = g.sum(axis=1)
        if out is not None:
            funded = applied & (offset[c.d][:, None] + np.cumsum(g, axis=1) <= over)
            left = applied & ~funded
            bought = np.where(funded & ~c.taken_without.reshape(k, n), c.life_effect["co2e_avoided_t"].reshape(k, n), 0.0)
            out.spent[c.d] = np.where(funded, gross, 0.0).sum(axis=1)
            out.asked_left_out[c.d] = np.where(left, gross, 0.0).sum(axis=1)
            out.bought[c.d] = bought.sum(axis=1)
            out.funded_count[c.d] = funded.sum(axis=1)
            out.left_count[c.d] = left.sum(axis=1)
    engines = ("fixed",) if path == "fixed" else (f"general ({why})",)
    return replace(total, engines=engines), asked, out

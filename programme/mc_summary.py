"""Distribution figures of a Monte Carlo's per-draw sums (:class:`programme.montecarlo.DrawSums`):
percentiles by year and instrument, of the whole programme, and one record per draw.

References
----------
.. [1] D. Vose, "Risk Analysis: A Quantitative Guide", 3rd ed., Wiley, 2008 (Monte Carlo percentiles).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from programme.budget import EFFECTS

if TYPE_CHECKING:
    from programme.montecarlo import DrawSums

__all__ = ["percentiles_undefined_high", "year_records", "year_totals", "summary_record", "draw_records"]

#: Effect columns whose additional amounts the draws record, in :data:`programme.budget.EFFECTS` order.
EFFECT_COLUMNS: tuple[str, ...] = tuple(EFFECTS)


def percentiles_undefined_high(x: np.ndarray, q: tuple[float, ...] = (10, 50, 90)) -> list[float]:
    """Percentiles where NaN (undefined, e.g. no additional tonne) ranks above every number; NaN
    where the percentile falls on an undefined draw. [unit of x]"""
    filled = np.where(np.isnan(x), np.inf, np.asarray(x, dtype=float))
    v = np.percentile(filled, q, method="lower") if np.isinf(filled).any() else np.percentile(filled, q)
    return [float(a) if np.isfinite(a) else float("nan") for a in np.atleast_1d(v)]


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def year_records(sums: DrawSums, on_date: date) -> pd.DataFrame:
    """One row per (calendar_year, instrument_id, kind): ``t``, ``outlay_mean``, ``outlay_p10``,
    ``outlay_p50``, ``outlay_p90`` over the draws. [currency]"""
    rows = []
    for (t, inst, kind), v in zip(sums.keys, sums.outlay):
        p10, p50, p90 = np.percentile(v, [10, 50, 90])
        rows.append({"calendar_year": on_date.year + t, "t": t, "instrument_id": inst, "kind": kind,
                     "outlay_mean": float(v.mean()), "outlay_p10": float(p10), "outlay_p50": float(p50),
                     "outlay_p90": float(p90)})
    return pd.DataFrame(rows, columns=["calendar_year", "t", "instrument_id", "kind", "outlay_mean", "outlay_p10",
                                       "outlay_p50", "outlay_p90"])


def year_totals(sums: DrawSums) -> tuple[np.ndarray, np.ndarray]:
    """Periods t and the outlay of every period and draw summed over instruments, shape (periods, draws)."""
    ts = np.array(sorted({k[0] for k in sums.keys}), dtype=np.int64)
    mat = np.zeros((len(ts), sums.draws))
    where = {t: i for i, t in enumerate(ts)}
    for k, v in zip(sums.keys, sums.outlay):
        mat[where[k[0]]] += v
    return ts, mat


def summary_record(sums: DrawSums, *, envelope: float | None = None) -> dict[str, Any]:
    """Distribution figures of the whole programme over the draws.

    Returns
    -------
    dict
        ``draws``, ``total_outlay_mean``, ``total_outlay_p10``, ``total_outlay_p50``,
        ``total_outlay_p90`` [currency], ``envelope`` [currency] (None without one),
        ``prob_over_envelope`` [/1] (None without an envelope), ``engine`` (how the draws ran,
        :attr:`DrawSums.engines` joined by "; "), per effect ``additional_<s>_p10/_p50/_p90``
        [unit over the lives] and ``cost_per_<s>_p10/_p50/_p90`` [currency/unit] (a draw with no
        additional unit counts as the most costly; a percentile on such draws is None), and
        ``cost_per_<s>_undefined_draws`` [draws]: how many draws have no additional unit, so a None
        percentile says why.
    """
    total = sums.total()
    p10, p50, p90 = np.percentile(total, [10, 50, 90])
    rec: dict[str, Any] = {"draws": sums.draws, "total_outlay_mean": float(total.mean()), "total_outlay_p10": float(p10),
                           "total_outlay_p50": float(p50), "total_outlay_p90": float(p90),
                           "envelope": None if envelope is None else float(envelope),
                           "prob_over_envelope": None if envelope is None else float((total > envelope).mean()),
                           "engine": "; ".join(sums.engines) or None}
    for j, col in enumerate(EFFECT_COLUMNS):
        s = EFFECTS[col]
        add = sums.additional[j]
        a10, a50, a90 = np.percentile(add, [10, 50, 90])
        rec.update({f"additional_{s}_p10": float(a10), f"additional_{s}_p50": float(a50), f"additional_{s}_p90": float(a90)})
        c10, c50, c90 = percentiles_undefined_high(_ratio(total, add))
        rec.update({f"cost_per_{s}_p10": c10, f"cost_per_{s}_p50": c50, f"cost_per_{s}_p90": c90,
                    f"cost_per_{s}_undefined_draws": int((~(add > 0)).sum())})
    return rec


def draw_records(sums: DrawSums, *, envelope: float | None = None) -> pd.DataFrame:
    """One row per draw: ``draw``, ``total_outlay`` [currency], ``uptake_with_support``,
    ``uptake_without_support`` [options], ``additional_t_co2e`` [t], ``cost_per_t_co2e``
    [currency/t] (NaN with none), ``over_envelope`` (None without an envelope)."""
    total = sums.total()
    add = sums.additional[EFFECT_COLUMNS.index("co2e_avoided_t")]
    return pd.DataFrame({"draw": np.arange(sums.draws), "total_outlay": total, "uptake_with_support": sums.uptake_with,
                         "uptake_without_support": sums.uptake_without, "additional_t_co2e": add,
                         "cost_per_t_co2e": _ratio(total, add),
                         "over_envelope": [None] * sums.draws if envelope is None else list(total > envelope)})

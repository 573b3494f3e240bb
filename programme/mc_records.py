"""The records of ``cpscreen budget --draws``: today's budget records with the draws' fields added.

Fields are only ever added (DESIGN.md section 5): ``--by year`` and ``--by instrument`` records keep
every field of :func:`programme.budget.budget_frame` and gain ``outlay_mean, outlay_p10,
outlay_p50, outlay_p90``; ``--by summary`` keeps :data:`programme.budget.SUMMARY_KEYS` and gains
:func:`programme.montecarlo.summary_record` (``total_outlay_p10/_p50/_p90``,
``prob_over_envelope``, ``cost_per_t_co2e_p50``, ...) and, with an envelope that rations,
:func:`programme.ration.ration_summary`; ``--by draw`` (new) gives one record per draw;
``--by option`` gains ``share_taken_up`` and ``outlay_mean`` per option and, rationed,
``share_applied, share_funded, share_left_out``.  The page and the CLI read these functions.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from programme.budget import ProgrammeResult, budget_frame
from programme.montecarlo import DrawSums, OptionDraws, draw_records, summary_record, year_records
from programme.ration import Rationed, ration_draw_columns, ration_option_columns, ration_summary

__all__ = ["BY", "mc_budget_frame", "instrument_records", "fan_frame"]

#: ``--by`` values with draws.
BY: tuple[str, ...] = ("year", "instrument", "option", "summary", "draw")

_KEYS = ["calendar_year", "t", "instrument_id", "kind"]
_Q = ("outlay_mean", "outlay_p10", "outlay_p50", "outlay_p90")


def instrument_records(sums: DrawSums) -> pd.DataFrame:
    """One row per (instrument_id, kind): the draws' outlay summed over the periods, its mean and
    P10, P50, P90. [currency]"""
    groups: dict[tuple[str, str], np.ndarray] = {}
    for (_, inst, kind), v in zip(sums.keys, sums.outlay):
        groups[(inst, kind)] = groups.get((inst, kind), np.zeros(sums.draws)) + v
    rows = [{"instrument_id": i, "kind": k, "outlay_mean": float(v.mean()),
             **dict(zip(_Q[1:], (float(x) for x in np.percentile(v, [10, 50, 90]))))} for (i, k), v in sorted(groups.items())]
    return pd.DataFrame(rows, columns=["instrument_id", "kind", *_Q])


def fan_frame(sums: DrawSums, on_date: date) -> pd.DataFrame:
    """Outlay by calendar year over all instruments: ``year``, ``p10``, ``p50``, ``p90``, ``mean``
    [currency] (the fan chart's data)."""
    from programme.montecarlo import year_totals

    ts, mat = year_totals(sums)
    if len(ts) == 0:
        return pd.DataFrame(columns=["year", "p10", "p50", "p90", "mean"])
    p = np.percentile(mat, [10, 50, 90], axis=1)
    return pd.DataFrame({"year": on_date.year + ts, "p10": p[0], "p50": p[1], "p90": p[2], "mean": mat.mean(axis=1)})


def mc_budget_frame(result: ProgrammeResult, sums: DrawSums, by: str, *, on_date: date, envelope: float | None = None,
                    rationed: Rationed | None = None, od: OptionDraws | None = None) -> pd.DataFrame:
    """Today's records (``result``) with the draws' fields added; see the module docstring.

    Parameters
    ----------
    result : ProgrammeResult
        Today's budget of the same options (no draws).
    sums : DrawSums
    by : {"year", "instrument", "option", "summary", "draw"}
    on_date : datetime.date
        Appraisal date (calendar year of t = 0).
    envelope : float, optional
        [currency]
    rationed : Rationed, optional
        The envelope's rationing (in-process).
    od : OptionDraws, optional
        Per-option draws; needed for ``by="option"``.
    """
    if by == "year":
        base = budget_frame(result, "year")
        mc = year_records(sums, on_date)
        out = base.merge(mc, on=_KEYS, how="outer", sort=True)
        return out.fillna({c: 0.0 for c in out.columns if c not in _KEYS}).reset_index(drop=True)
    if by == "instrument":
        base = budget_frame(result, "instrument")
        out = base.merge(instrument_records(sums), on=["instrument_id", "kind"], how="outer", sort=True)
        return out.fillna({c: 0.0 for c in out.columns if c not in ("instrument_id", "kind")}).reset_index(drop=True)
    if by == "summary":
        rec = {**result.summary, **summary_record(sums, envelope=envelope)}
        if rationed is not None:
            rec.update(ration_summary(rationed))
        return pd.DataFrame([rec])
    if by == "draw":
        out = draw_records(sums, envelope=envelope)
        if rationed is not None:
            out = pd.concat([out, ration_draw_columns(rationed)], axis=1)
        return out
    if by == "option":
        if od is None:
            raise ValueError("by='option' with draws needs the per-option draws (option_draws)")
        out = budget_frame(result, "option").copy()
        out["share_taken_up"] = od.taken.mean(axis=1)
        out["outlay_mean"] = np.where(od.taken, od.gross, 0.0).mean(axis=1)
        if rationed is not None:
            out = pd.concat([out, ration_option_columns(rationed)], axis=1)
        return out
    raise ValueError(f"by is {by!r} (expected one of {', '.join(BY)})")

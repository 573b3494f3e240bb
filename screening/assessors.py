"""Several assessors: combined scores, agreement (Kendall's W) and the most disputed options.

Scores come as a long frame with columns ``enterprise_id, option_id, assessor, criterion,
score`` (score on the 1..10 scale of DESIGN.md section 2).  Agreement is measured per enterprise
and criterion over the options every assessor scored, by Kendall's coefficient of concordance
with the correction for tied ranks [1]_ [2]_:

``W = 12 S / (m^2 (n^3 - n) - m T)``, ``S = sum_i (R_i - m (n + 1) / 2)^2``,
``T = sum over assessors and tie groups of (t^3 - t)``, for m assessors ranking n options;
W = 1 is complete agreement, W = 0 none.

References
----------
.. [1] Kendall, M. G., Babington Smith, B. (1939). The problem of m rankings. Annals of
   Mathematical Statistics 10(3), 275-287.
.. [2] Legendre, P. (2005). Species associations: the Kendall coefficient of concordance
   revisited. Journal of Agricultural, Biological and Environmental Statistics 10(2), 226-245.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata

COLUMNS: tuple[str, ...] = ("enterprise_id", "option_id", "assessor", "criterion", "score")
COMBINE: tuple[str, ...] = ("mean", "median")


def validate_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """Check the long score frame; raise ValueError naming row, field and reason."""
    missing = [c for c in COLUMNS if c not in scores.columns]
    if missing:
        raise ValueError(f"assessor scores: missing column(s) {', '.join(missing)}")
    out = scores.loc[:, list(COLUMNS)].copy()
    values = pd.to_numeric(out["score"], errors="coerce")
    for pos, (raw, val) in enumerate(zip(out["score"].tolist(), values.tolist())):
        if val is None or not np.isfinite(val) or not 1 <= val <= 10:
            raise ValueError(f"assessor scores row {pos + 2}, field score: {raw!r} is not a number within 1..10")
    out["score"] = values.astype("float64")
    dup = out.duplicated(["enterprise_id", "option_id", "assessor", "criterion"], keep=False)
    if dup.any():
        pos = int(np.flatnonzero(dup.to_numpy())[0])
        r = out.iloc[pos]
        raise ValueError(
            f"assessor scores row {pos + 2}: assessor {r['assessor']!r} scored option {r['option_id']!r} "
            f"on {r['criterion']!r} more than once"
        )
    return out


def combine_scores(scores: pd.DataFrame, how: str = "mean") -> pd.DataFrame:
    """Combine the assessors' scores per option and criterion.

    Parameters
    ----------
    scores : DataFrame
        Long frame (``enterprise_id, option_id, assessor, criterion, score``). [score 1..10]
    how : {'mean', 'median'}

    Returns
    -------
    DataFrame
        One row per option: ``enterprise_id``, ``option_id`` and one column per criterion with
        the combined score [score], plus ``n_assessors``.
    """
    if how not in COMBINE:
        raise ValueError(f"unknown way to combine scores {how!r}; expected 'mean' or 'median'")
    s = validate_scores(scores)
    wide = s.pivot_table(index=["enterprise_id", "option_id"], columns="criterion", values="score", aggfunc=how)
    wide.columns.name = None
    counts = s.groupby(["enterprise_id", "option_id"])["assessor"].nunique().rename("n_assessors")
    return wide.join(counts).reset_index()


def apply_scores(options: pd.DataFrame, combined: pd.DataFrame) -> pd.DataFrame:
    """Options with the combined assessor scores written into their criterion columns
    (an option's own value is kept where no assessor scored it)."""
    out = options.copy()
    crit = [c for c in combined.columns if c not in ("enterprise_id", "option_id", "n_assessors")]
    merged = out[["enterprise_id", "option_id"]].astype(str).merge(
        combined.astype({"enterprise_id": str, "option_id": str}), on=["enterprise_id", "option_id"], how="left"
    )
    for c in crit:
        new = merged[c].to_numpy(dtype=float)
        old = pd.to_numeric(out[c], errors="coerce").to_numpy(dtype=float) if c in out.columns else np.full(len(out), np.nan)
        out[c] = np.where(np.isnan(new), old, new)
    return out


def kendalls_w(ratings: np.ndarray) -> float:
    """Kendall's W of an (m assessors x n options) array of scores, tie-corrected.

    Returns
    -------
    float
        W in 0..1 [/1]; NaN with fewer than two assessors or two options, or when every assessor
        gives every option the same score (no ranking to agree on).
    """
    x = np.asarray(ratings, dtype=float)
    m, n = x.shape
    if m < 2 or n < 2:
        return float("nan")
    ranks = np.vstack([rankdata(row) for row in x])
    R = ranks.sum(axis=0)
    S = float(((R - m * (n + 1) / 2.0) ** 2).sum())
    T = 0.0
    for row in x:
        _, counts = np.unique(row, return_counts=True)
        T += float((counts**3 - counts).sum())
    denom = m**2 * (n**3 - n) - m * T
    return float("nan") if denom <= 0 else 12.0 * S / denom


def agreement(scores: pd.DataFrame, top: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assessors' agreement per enterprise and criterion, and the most disputed options.

    Parameters
    ----------
    scores : DataFrame
        Long frame of scores.
    top : int
        How many disputed options to list per enterprise and criterion.

    Returns
    -------
    concordance : DataFrame
        ``enterprise_id, criterion, n_assessors, n_options, kendalls_w`` [/1], over the options
        every assessor of that enterprise and criterion scored.
    disputed : DataFrame
        ``enterprise_id, criterion, option_id, spread`` (standard deviation of the scores
        [score]), ``min``, ``max``, largest spread first, ``top`` per group.
    """
    s = validate_scores(scores)
    rows = []
    disputed = []
    for (ent, crit), g in s.groupby(["enterprise_id", "criterion"], sort=True):
        table = g.pivot(index="assessor", columns="option_id", values="score").dropna(axis=1)
        rows.append(
            {
                "enterprise_id": ent,
                "criterion": crit,
                "n_assessors": table.shape[0],
                "n_options": table.shape[1],
                "kendalls_w": kendalls_w(table.to_numpy()) if table.size else float("nan"),
            }
        )
        spread = g.groupby("option_id")["score"].agg(spread=lambda v: float(np.std(v, ddof=0)), min="min", max="max")
        spread = spread.sort_values(["spread", "max"], ascending=[False, False], kind="stable").head(top).reset_index()
        spread.insert(0, "criterion", crit)
        spread.insert(0, "enterprise_id", ent)
        disputed.append(spread)
    cols = ["enterprise_id", "criterion", "option_id", "spread", "min", "max"]
    return pd.DataFrame(rows), (pd.concat(disputed, ignore_index=True) if disputed else pd.DataFrame(columns=cols))

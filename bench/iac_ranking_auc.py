"""How well do the weight profiles separate implemented from not implemented options?

Since issue 15 the default profile follows the cleaner-production assessment (a third each for
technical, economic and environmental merit) and is not chosen on these data; the fit of real
uptake is profile ``observed`` (``scripts/fit_observed_profile.py``, held-out ROC AUC printed
there).  The share search below is how the former default was chosen, kept for the record.

Ranks the shared IAC recommendations (US DOE ITAC database, primary resource stream only, FY1981-
2025) with the default profile (weighted sum of min-max scaled criteria) and reports the ROC AUC
of the score against IMPSTATUS (I = implemented, N = not implemented; P, K and blank left out).

How the profile was chosen, without looking at the test split: the data are split by fiscal year,
train FY < 2010 and test FY >= 2010.  On the train years only, each single criterion the data
hold (pre-tax simple payback, investment, yearly savings, energy saved) is scored; payback and
investment are the two best and form the economics group with equal weights.  The environmental
share of (environment + economics) is then the largest value of a fixed grid whose train AUC is
still at least the best single criterion's.  Technical feasibility and implementability are not
in the IAC data and keep the handbook's 0.15 each.  Test-year figures are printed for the record,
never used to choose.

Run:  .venv/bin/python bench/iac_ranking_auc.py
Cite: US DOE ITAC database (Industrial Assessment Centers).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from screening.criteria import FALLBACK_PAYBACK, Criterion, Group, add_derived_columns, resolve_profile  # noqa: E402
from screening.mcda import evaluate, prepare  # noqa: E402
from screening.rank import rank_options  # noqa: E402

DATA = ROOT / ".." / "shared" / "data" / "iac" / "iac_recommendations_primary.parquet"
KWH = {"EC", "E1"}
MMBTU = {f"E{i}" for i in range(2, 13)}
MMBTU_TO_MWH = 0.29307107  # MWh per MMBtu
SPLIT_FY = 2010


def auc(score: np.ndarray, implemented: np.ndarray) -> float:
    """ROC AUC by the Mann-Whitney rank sum (ties count one half)."""
    r = rankdata(score)
    n1 = implemented.sum()
    n0 = len(implemented) - n1
    return float((r[implemented].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def load() -> pd.DataFrame:
    d = pd.read_parquet(DATA)
    d = d[d["impstatus"].isin(["I", "N"])].reset_index(drop=True)
    code = d["psourccode"].fillna("").astype(str).str.strip()
    amount = d["pconserved"].astype("float64")
    energy = np.where(code.isin(KWH), amount / 1000.0, np.where(code.isin(MMBTU), amount * MMBTU_TO_MWH, np.nan))
    return pd.DataFrame(
        {
            "enterprise_id": d["id"].astype(str),
            "option_id": d["superid"].astype(str),
            "investment": d["impcost"].astype("float64"),
            "annual_savings": d["psaved"].astype("float64"),
            "energy_saved_mwh": np.where(energy >= 0, energy, np.nan),
            "mandatory": False,
            "fy": d["fy"].astype("int64"),
            "implemented": (d["impstatus"] == "I").to_numpy(),
        }
    )


def score_of(frame: pd.DataFrame, criteria: list[Criterion]) -> np.ndarray:
    res = evaluate(prepare(frame, criteria), "wsm")
    return res.score


def main() -> None:
    if not DATA.exists():
        print(f"shared IAC data not found at {DATA}")
        return
    t0 = time.perf_counter()
    frame = add_derived_columns(load())
    y = frame["implemented"].to_numpy()
    train = (frame["fy"] < SPLIT_FY).to_numpy()
    complete = (frame["investment"].notna() & frame[FALLBACK_PAYBACK].notna()).to_numpy()
    print(f"IAC recommendations with IMPSTATUS I or N: {len(frame)} (train FY<{SPLIT_FY}: {train.sum()}, test: {(~train).sum()})")
    print(f"implemented share: train {y[train].mean():.3f}, test {y[~train].mean():.3f}")
    print(f"investment missing: {frame['investment'].isna().mean():.3f}; payback undefined or unknown: "
          f"{frame[FALLBACK_PAYBACK].isna().mean():.3f} (the library gives them the criterion's worst value)")

    def split_auc(score: np.ndarray) -> tuple[float, float, float]:
        return auc(score[train], y[train]), auc(score[~train], y[~train]), auc(score[~train & complete], y[~train & complete])

    # 1. choose the environmental share on the train years only
    best_single_train = 0.0
    singles = {
        "pre-tax simple payback (min)": [Criterion(FALLBACK_PAYBACK, "min", 1)],
        "investment (min)": [Criterion("investment", "min", 1)],
        "yearly savings (max)": [Criterion("annual_savings", "max", 1)],
        "energy saved (max)": [Criterion("energy_saved_mwh", "max", 1)],
    }
    rows = []
    for name, crit in singles.items():
        a = split_auc(score_of(frame, crit))
        best_single_train = max(best_single_train, a[0])
        rows.append(("single", name) + a)
    chosen = 0.0
    print(f"\nchoice of the environmental share of (environment + economics), train years only;"
          f" best single criterion there: {best_single_train:.4f}")
    for share in (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5):
        crit = [Criterion("energy_saved_mwh", "max", share), Criterion(FALLBACK_PAYBACK, "min", (1 - share) / 2),
                Criterion("investment", "min", (1 - share) / 2)]
        a_train = auc(score_of(frame, [c for c in crit if c.weight > 0])[train], y[train])
        ok = a_train >= best_single_train
        chosen = share if ok else chosen
        print(f"  share {share:4.2f}: train AUC {a_train:.4f} {'>=' if ok else '< '} best single")
    print(f"  -> largest share that keeps up with the best single criterion: {chosen}")

    # 2. the shipped profiles through the full library path (preliminary sort + wsm ranking)
    for name in ("default", "handbook", "economic"):
        ranking = rank_options(frame, None, profile=name)
        rows.append(("profile", name) + split_auc(ranking.table["score"].to_numpy()))
        if name == "default":
            default_crit = ranking.criteria
            default_all = auc(ranking.table["score"].to_numpy(), y)
            default_cc = auc(ranking.table["score"].to_numpy()[complete], y[complete])

    print("\nROC AUC, implemented vs not implemented (0.5 = no separation; test-cc = test years, options"
          " with known investment and positive savings)")
    print(f"{'kind':8s} {'ranking':32s} {'train':>7s} {'test':>7s} {'test-cc':>8s}")
    for kind, name, tr, te, tecc in rows:
        print(f"{kind:8s} {name:32s} {tr:7.4f} {te:7.4f} {tecc:8.4f}")
    print("\ndefault profile criteria on these data (weights normalised):")
    for c in default_crit:
        print(f"  {c.column:30s} {c.direction}  {c.weight:.4f}")
    print(f"\ndefault profile ROC AUC, all years: {default_all:.4f}; all years, complete cases: {default_cc:.4f}")
    print(f"seconds: {time.perf_counter() - t0:.1f}")


if __name__ == "__main__":
    main()

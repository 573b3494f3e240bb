"""Fit the ``observed`` weight profile on US DOE IAC decisions before FY2010; report FY2010 onwards.

Reads the shared national IAC tables through the same mapping as ``scripts/build_iac_db.py``
(import-format frames: one enterprise per assessment, one option per recommendation), keeps the
recommendations the plant implemented (IMPSTATUS I) or rejected (N), and fits
:func:`screening.observed.fit_logistic` on the import-format features of
:func:`screening.observed.base_features` (never the status).  The step terms' edges are the
training years' deciles.  Writes ``screening/observed_profile.json`` (the coefficients, the
edges, the counts and the ROC AUC on the training and the held-out years) and prints the figures,
with the best single criterion on the same split for comparison.

Run:  .venv/bin/python scripts/fit_observed_profile.py [--iac DIR] [--check]
      (``--check`` refits and compares with the shipped file instead of writing it)
Cite: US DOE ITAC database (Industrial Assessment Centers).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from build_iac_db import DEFAULT_IAC, national_frames  # noqa: E402

from screening.observed import MODEL_FILE, base_features, design, fit_logistic, roc_auc  # noqa: E402

SPLIT_FY = 2010
L2 = 1.0
STEP_FEATURES = ("log_investment_usd", "log_payback")


def decided(iac: Path):
    """Import-format enterprises and the implemented-or-rejected options, with the fiscal year."""
    ent, opt, _ = national_frames(iac)
    opt = opt[opt["status"].isin(["implemented", "rejected"])].reset_index(drop=True)
    fy = opt["enterprise_id"].map(ent.set_index("enterprise_id")["iac_fy"]).astype("int64").to_numpy()
    return ent, opt, fy


def fit(iac: Path) -> dict:
    ent, opt, fy = decided(iac)
    y = (opt["status"] == "implemented").to_numpy()
    train = fy < SPLIT_FY
    base = base_features(opt.drop(columns=["status", "iac_impstatus", "iac_payback_years"]), ent)
    steps: dict[str, list[float]] = {}
    for f in STEP_FEATURES:
        v = base.loc[train, f].to_numpy()
        if f == "log_payback":
            v = v[base.loc[train, "payback_never"].to_numpy() == 0]
        steps[f] = [float(e) for e in np.unique(np.round(np.quantile(v, np.linspace(0.1, 0.9, 9)), 4))]
    X, names = design(base, steps)
    ok = np.isfinite(X).all(axis=1)
    b0, beta = fit_logistic(X[ok & train], y[ok & train], l2=L2)
    eta = b0 + X @ beta
    single = {
        "investment (min)": -base["log_investment_usd"].to_numpy(),
        "pre-tax simple payback (min)": -np.where(base["payback_never"].to_numpy() == 1, np.inf, base["log_payback"].to_numpy()),
    }
    test = ok & ~train
    return {
        "name": "observed",
        "description": "what plants like yours implemented: logistic model of US DOE IAC implementation decisions",
        "source": "US DOE ITAC database (Industrial Assessment Centers), ../shared/data/iac, recommendations "
                  "with IMPSTATUS I (implemented) or N (rejected), mapped by scripts/build_iac_db.py",
        "fitted_on": f"FY < {SPLIT_FY}", "reported_on": f"FY >= {SPLIT_FY}",
        "n_train": int((ok & train).sum()), "n_test": int(test.sum()),
        "implemented_share_train": float(y[ok & train].mean()), "implemented_share_test": float(y[test].mean()),
        "auc_train": roc_auc(eta[ok & train], y[ok & train]), "auc_test": roc_auc(eta[test], y[test]),
        "auc_test_single": {k: roc_auc(v[test], y[test]) for k, v in single.items()},
        "l2": L2, "steps": steps, "intercept": b0,
        "terms": [{"term": n, "coef": float(c)} for n, c in zip(names, beta)],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iac", default=str(DEFAULT_IAC), help="folder of the shared IAC tables")
    ap.add_argument("--check", action="store_true", help="refit and compare with the shipped file; write nothing")
    args = ap.parse_args(argv)
    iac = Path(args.iac)
    if not (iac / "iac_recommendations_primary.parquet").exists():
        print(f"fit_observed_profile: the shared IAC tables are not at {iac} (give --iac DIR)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    model = fit(iac)
    print(f"train {model['fitted_on']}: {model['n_train']:,} decisions, ROC AUC {model['auc_train']:.4f}")
    print(f"test  {model['reported_on']}: {model['n_test']:,} decisions, ROC AUC {model['auc_test']:.4f}")
    for k, v in model["auc_test_single"].items():
        print(f"  single criterion on the test years, {k}: {v:.4f}")
    print(f"seconds: {time.perf_counter() - t0:.1f}")
    if args.check:
        shipped = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
        same = np.allclose([t["coef"] for t in shipped["terms"]], [t["coef"] for t in model["terms"]], rtol=1e-8, atol=1e-10)
        print("shipped coefficients reproduced" if same else "shipped coefficients DIFFER from a refit")
        return 0 if same else 1
    MODEL_FILE.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {MODEL_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

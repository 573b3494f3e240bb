"""Fit the logistic uptake curve of payback on the full shared IAC table and report its AUC.

Run: ``.venv/bin/python bench/iac_uptake_fit.py [PATH]`` (default ``../shared/data/iac/
iac_recommendations_primary.parquet`` beside the repository).  Prints the fitted parameters, the
held-out ROC AUC for a seeded random 70/30 split and for a split by fiscal year, and the seconds.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from programme.uptake import fit_iac_uptake

DEFAULT = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "iac" / "iac_recommendations_primary.parquet"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.exists():
        sys.exit(f"IAC table not found at {path}")
    for kwargs in ({"transform": "none"}, {"transform": "log"}, {"transform": "log", "split_year": 2016}):
        t0 = time.perf_counter()
        fit = fit_iac_uptake(path, **kwargs)
        s = fit.summary()
        s["seconds"] = round(time.perf_counter() - t0, 3)
        print(json.dumps(s))


if __name__ == "__main__":
    main()

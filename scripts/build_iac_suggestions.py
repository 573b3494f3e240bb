"""Build the suggestion table ``data/iac_suggestions.csv`` from the shared US DOE IAC tables.

Aggregates only (counts, shares and medians per group), never a copied row.  Which rows are used:

* **Full-ARC rows** (``arc2_full_if_known`` given: 11,995 of 164,154, FY1990-2010): the measure is
  known (e.g. 2.7142 "utilize higher efficiency lamps"), so they make the suggestions: grouped by
  ARC code at three levels, sector (SIC major group, 2 digits) x size class, sector, and all
  plants.  The suggestion for an enterprise comes from the most specific level with enough
  recommendations (``scripts`` keep groups of at least ``MIN_N``).
* **The other rows** keep only ``arc2_rounded_int``: the code rounded to an integer (2.7142 became
  3), which is not even the first digit (2.5-3.49 all became 3), so it names no measure.  They are
  not suggestions; they are summarised by resource stream (primary stream's code: electricity,
  natural gas, water, ...) at the same levels, as the base rates shown beside the suggestions.

Per group: ``recommended`` (rows), ``decided`` (rows with IMPSTATUS I or N), ``implemented_share``
= I / (I + N) [/1], and medians over the rows where each is recorded: implementation cost [USD],
primary yearly savings [USD/yr], simple payback IMPCOST / PSAVED [yr] (rows with PSAVED > 0).
Dollars are nominal, of each visit's fiscal year; no price index is applied.  Size class from the
assessment's employee count (EU 2003/361/EC head-count thresholds, as ``store.iac``).

Run:  .venv/bin/python scripts/build_iac_suggestions.py [--iac DIR] [--out data/iac_suggestions.csv]
Cite: US DOE ITAC database (Industrial Assessment Centers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from store.iac import _arc_text, _longest, arc_category, arc_titles  # noqa: E402

DEFAULT_IAC = Path(os.environ.get("CPSCREEN_SHARED") or ROOT.parent / "shared") / "data" / "iac"
DEFAULT_OUT = ROOT / "data" / "iac_suggestions.csv"
MIN_N = 5  # smallest group kept [recommendations]
LEVELS = (("sector_size", ["sic2", "size_class"]), ("sector", ["sic2"]), ("all", []))


def size_class(employees: pd.Series) -> pd.Series:
    e = employees.astype("float64")
    return pd.Series(np.select([e < 10, e < 50, e < 250], ["micro", "small", "medium"], "large"), index=e.index).where(e.notna(), "")


def rows(iac: Path) -> pd.DataFrame:
    """Recommendations joined to their assessment's sector and size (kept in memory only)."""
    r = pd.read_parquet(iac / "iac_recommendations_primary.parquet",
                        columns=["id", "impstatus", "impcost", "psaved", "psourccode", "arc2_full_if_known", "arc2_rounded_int"])
    a = pd.read_parquet(iac / "iac_assessments_full.parquet", columns=["id", "sic", "employees"])
    d = r.merge(a, on="id", how="left")
    d["sic2"] = d["sic"].astype("string").str.strip().str[:2].fillna("")
    d["size_class"] = size_class(d["employees"])
    d["arc_code"] = d["arc2_full_if_known"].map(_arc_text)
    d["impcost"] = pd.to_numeric(d["impcost"], errors="coerce").astype("float64")
    d["psaved"] = pd.to_numeric(d["psaved"], errors="coerce").astype("float64")
    d["payback"] = np.where(d["psaved"] > 0, d["impcost"] / d["psaved"].where(d["psaved"] > 0), np.nan)
    d["status"] = d["impstatus"].astype("string").str.strip().str.upper().fillna("")
    d["stream"] = d["psourccode"].astype("string").str.strip().fillna("")
    return d


def aggregate(d: pd.DataFrame, key: str) -> pd.DataFrame:
    """Counts, implemented share and medians per group, at the three levels; groups of >= MIN_N."""
    parts = []
    for level, cols in LEVELS:
        g = d.groupby(cols + [key], observed=True, sort=True)
        out = pd.DataFrame({
            "recommended": g.size(),
            "implemented": g["status"].agg(lambda s: int((s == "I").sum())),
            "decided": g["status"].agg(lambda s: int(s.isin(["I", "N"]).sum())),
            "median_investment_usd": g["impcost"].median(),
            "median_annual_savings_usd": g["psaved"].median(),
            "median_payback_years": g["payback"].median(),
        }).reset_index()
        out = out[out["recommended"] >= MIN_N]
        out.insert(0, "level", level)
        for c in ("sic2", "size_class"):
            if c not in out.columns:
                out[c] = ""
        parts.append(out)
    res = pd.concat(parts, ignore_index=True)
    res["implemented_share"] = np.where(res["decided"] > 0, res["implemented"] / res["decided"].where(res["decided"] > 0), np.nan)
    return res


def _title(t: str | None) -> str | None:
    """The dictionary's title, upper case turned to sentence case (as ``store.iac`` does)."""
    return (t.strip().capitalize() if t.isupper() else t.strip()) if t else None


def build(iac: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    d = rows(iac)
    full = d[d["arc_code"] != ""]
    titles = arc_titles(None, iac / "arc_codes_v21_1.csv")
    sug = aggregate(full, "arc_code")
    sug["title"] = sug["arc_code"].map(lambda c: _title(_longest(c, titles)) or f"ARC {c}")
    sug["category"] = sug["arc_code"].map(lambda c: arc_category(c)[0])
    coarse = aggregate(d[d["arc_code"] == ""], "stream")
    meta = {"rows": int(len(d)), "full_arc_rows": int(len(full)), "coarse_rows": int(len(d) - len(full)),
            "min_n": MIN_N, "source": "US DOE ITAC database: iac_recommendations_primary.parquet, iac_assessments_full.parquet, arc_codes_v21_1.csv"}
    cols = ["level", "sic2", "size_class", "arc_code", "title", "category", "recommended", "decided", "implemented",
            "implemented_share", "median_investment_usd", "median_annual_savings_usd", "median_payback_years"]
    ccols = ["level", "sic2", "size_class", "stream", "recommended", "decided", "implemented", "implemented_share",
             "median_investment_usd", "median_annual_savings_usd", "median_payback_years"]
    return sug[cols], coarse[ccols], meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iac", default=str(DEFAULT_IAC), help="folder of the shared IAC tables")
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="suggestion table to write (the stream table goes beside it)")
    args = ap.parse_args(argv)
    iac, out = Path(args.iac), Path(args.out)
    if not (iac / "iac_recommendations_primary.parquet").exists():
        print(f"build_iac_suggestions: the shared IAC tables are not at {iac} (give --iac DIR)", file=sys.stderr)
        return 2
    sug, coarse, meta = build(iac)
    sug.to_csv(out, index=False, float_format="%.6g")
    coarse.to_csv(out.with_name("iac_stream_base_rates.csv"), index=False, float_format="%.6g")
    print(json.dumps(meta | {"suggestion_groups": len(sug), "stream_groups": len(coarse)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Build a cpscreen database from the national IAC tables (US DOE ITAC database, FY1981-2025).

One enterprise per assessment (``iac_assessments_full.parquet``), one option per recommendation
(``iac_recommendations_primary.parquet``), mapped by the IAC workbook import's own mapping
(:func:`store.iac.iac_tables`, categories from ``store/iac_categories.csv``): jurisdiction US,
currency USD, ``lifetime_years`` 10 with the attribute ``lifetime_assumed``.  The frames go through
the store's import (:func:`store.io.import_batch`: validated, one transaction, columnar).

What the national tables do not hold, and what is therefore dropped (each count is printed):

* recommendations of an assessment that is not in the assessments table (no enterprise to attach);
* recommendations without IMPCOST or without PSAVED: the workbook import keeps such a row with
  investment or savings 0 and a flag, which is right for one plant's workbook read by its auditor,
  but at national scale 21,000 costless "options" would dominate every payback, ranking and
  programme figure; ``--keep-incomplete`` keeps them, flagged, as the workbook import does;
* assessments without an employee count (the import format requires a size class), with their
  recommendations; assessments left without any recommendation.

Caveats of the source (its README): only the primary resource stream is present, so multi-stream
measures are undercounted; the ARC code is known for only about 12,000 recommendations
(``arc2_full_if_known``; ``arc2_rounded_int`` is not a category): the others keep ``arc_code``
blank and the mapping's fallback category, and their ``iac_flag`` says so.

Run: ``.venv/bin/python scripts/build_iac_db.py [DB] [--iac DIR] [--replace] [--assessments N]``
(default DB ``data/iac.duckdb``, git-ignored; default DIR ``../shared/data/iac``).  Then
``CPSCREEN_DB=data/iac.duckdb bash scripts/run.sh`` opens the app on it.
Cite: US DOE ITAC database (Industrial Assessment Centers).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from store.iac import iac_tables  # noqa: E402

DEFAULT_IAC = Path(os.environ.get("CPSCREEN_SHARED") or ROOT.parent / "shared") / "data" / "iac"
DEFAULT_DB = ROOT / "data" / "iac.duckdb"
#: national (lower-case) names -> the official upper-case RECC / ASSESS names the mapping reads
RECC_NAMES = {"superid": "SUPERID", "id": "ID", "impstatus": "IMPSTATUS", "impcost": "IMPCOST",
              "psourccode": "PSOURCCODE", "pconserved": "PCONSERVED", "psaved": "PSAVED", "arc2_full_if_known": "ARC2"}
ASSESS_NAMES = {"id": "ID", "center": "CENTER", "fy": "FY", "naics": "NAICS", "employees": "EMPLOYEES",
                "sales": "SALES", "products": "PRODUCTS"}


def national_frames(iac: Path, *, keep_incomplete: bool = False, assessments: int | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Raw import-format frames from the national IAC tables, and notes on what was dropped.

    Parameters
    ----------
    iac : Path
        Folder with ``iac_assessments_full.parquet``, ``iac_recommendations_primary.parquet`` and
        ``arc_codes_v21_1.csv``.
    keep_incomplete : bool
        Keep recommendations without IMPCOST or PSAVED (flagged, 0 assumed, as the workbook import).
    assessments : int, optional
        Only the first N assessments (in the table's order) and their recommendations: a sample.

    Returns
    -------
    enterprises, options : DataFrame
        Raw frames for :func:`store.io.import_batch`.
    notes : list of str
        Counts of what was dropped and why, and the mapping's own notes.
    """
    assess = pd.read_parquet(iac / "iac_assessments_full.parquet", columns=list(ASSESS_NAMES))
    recc = pd.read_parquet(iac / "iac_recommendations_primary.parquet", columns=list(RECC_NAMES))
    notes: list[str] = []
    if assessments is not None:
        assess = assess.iloc[:assessments]
        recc = recc[recc["id"].isin(assess["id"])]
        notes.append(f"sample: the first {len(assess):,} assessments and their {len(recc):,} recommendations")

    def drop(mask: pd.Series, why: str) -> None:
        nonlocal recc
        if int(mask.sum()):
            notes.append(f"dropped {int(mask.sum()):,} recommendation(s): {why}")
        recc = recc[~mask]

    drop(~recc["id"].isin(assess["id"]), "their assessment is not in iac_assessments_full")
    if not keep_incomplete:
        drop(recc["impcost"].isna(), "no implementation cost (IMPCOST) recorded")
        drop(recc["psaved"].isna(), "no savings (PSAVED) recorded")
    no_size = assess["employees"].isna()
    if int(no_size.sum()):
        drop(recc["id"].isin(assess.loc[no_size, "id"]), "their assessment records no employee count")
        notes.append(f"dropped {int(no_size.sum()):,} assessment(s) without an employee count "
                     "(the import format requires a size class)")
    assess = assess[~no_size]
    empty = ~assess["id"].isin(recc["id"])
    if int(empty.sum()):
        notes.append(f"dropped {int(empty.sum()):,} assessment(s) left without any recommendation")
    assess = assess[~empty]
    # the tables as the workbook reader hands its sheets over: sheet -> (cells, row numbers)
    book = {"ASSESS": (assess.rename(columns=ASSESS_NAMES).reset_index(drop=True), np.arange(len(assess)) + 2),
            "RECC": (recc.rename(columns=RECC_NAMES).reset_index(drop=True), recc.index.to_numpy() + 2)}
    errors: list = []
    ent, _, opt, _, more = iac_tables(book, "iac", errors, arc_dictionary=iac / "arc_codes_v21_1.csv")
    if errors:
        from screening.schema import ValidationError

        raise ValidationError(errors)
    unknown = int((opt["arc_code"] == "").sum())
    if unknown:
        notes.append(f"{unknown:,} option(s) without a known ARC code (the table rounded it): arc_code blank, "
                     "the mapping's fallback category, flagged in iac_flag")
    return ent, opt, notes + more


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", nargs="?", default=str(DEFAULT_DB), help=f"database file to create (default {DEFAULT_DB.relative_to(ROOT)})")
    ap.add_argument("--iac", default=str(DEFAULT_IAC), help="folder of the shared IAC tables (default ../shared/data/iac)")
    ap.add_argument("--replace", action="store_true", help="delete an existing database file first")
    ap.add_argument("--keep-incomplete", action="store_true",
                    help="keep recommendations without cost or savings (flagged, 0 assumed, as the workbook import does)")
    ap.add_argument("--assessments", type=int, metavar="N", help="only the first N assessments (a sample)")
    args = ap.parse_args(argv)
    iac, db = Path(args.iac), Path(args.db)
    if not (iac / "iac_recommendations_primary.parquet").exists():
        print(f"build_iac_db: the shared IAC tables are not at {iac} (give --iac DIR)", file=sys.stderr)
        return 2
    if db.exists():
        if not args.replace:
            print(f"build_iac_db: {db} exists; --replace deletes it first", file=sys.stderr)
            return 2
        db.unlink()
        Path(f"{db}.wal").unlink(missing_ok=True)

    from store.db import close_all, cursor
    from store.io import RawBatch, import_batch

    t0 = time.perf_counter()
    ent, opt, notes = national_frames(iac, keep_incomplete=args.keep_incomplete, assessments=args.assessments)
    t_map = time.perf_counter() - t0
    batch = RawBatch(notes=notes)
    batch.add("enterprises", ent, "iac_assessments_full.parquet")
    batch.add("options", opt, "iac_recommendations_primary.parquet")
    t1 = time.perf_counter()
    report = import_batch(cursor(db), batch)
    t_import = time.perf_counter() - t1
    close_all()
    for note in report.notes:
        print(f"note: {note}")
    cats = opt["category"].value_counts()
    print(f"categories: {', '.join(f'{k} {v:,}' for k, v in cats.items())}")
    print(f"stored in {db}: {report.enterprises:,} enterprises, {report.options:,} options "
          f"(read and mapped in {t_map:.1f} s, validated and imported in {t_import:.1f} s)")
    return 0 if report.options == len(opt) and np.all(report.enterprises == len(ent)) else 1


if __name__ == "__main__":
    sys.exit(main())

"""``cpscreen``: the command line over the same library the app uses (DESIGN.md section 5).

Every command takes ``--format json|csv|table`` (default a readable table) and works on the stored
database (``CPSCREEN_DB``, default ``data/cpscreen.duckdb``) or, where it reads options, on files
given with ``--options FILE --enterprises FILE`` (validated as on import, not stored).  Bad input
exits with status 2 and one line on stderr naming the problem; never a traceback.  JSON output is a
list of records; a missing value is ``null``.

The command names and record fields are a public interface: add, never rename.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


# ----------------------------------------------------------------------------- output


def _clean(v: Any) -> Any:
    """A value as plain JSON: NaN/NA -> None, numpy scalars -> Python, containers recursively."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_clean(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, (pd.Timestamp, date)):
        return v.isoformat()
    return v


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready records (missing values as None)."""
    return [_clean(r) for r in frame.to_dict(orient="records")]


def emit(records: list[dict[str, Any]], fmt: str, out: Any = None) -> None:
    """Write records as JSON, CSV or a readable table."""
    out = out or sys.stdout
    if fmt == "json":
        json.dump(records, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    frame = pd.DataFrame.from_records(records)
    for c in frame.columns:
        if frame[c].map(lambda v: isinstance(v, (dict, list))).any():
            frame[c] = frame[c].map(lambda v: json.dumps(_clean(v), ensure_ascii=False) if isinstance(v, (dict, list)) else v)
    if fmt == "csv":
        frame.to_csv(out, index=False)
        return
    if frame.empty:
        out.write("(no records)\n")
        return
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
        out.write(frame.to_string(index=False, na_rep="-") + "\n")


# ----------------------------------------------------------------------------- data access


def _load_data(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Options and enterprises from ``--options/--enterprises`` files, else from the database."""
    from screening.schema import validate
    from store.io import read_files

    if getattr(args, "options", None) or getattr(args, "enterprises", None):
        if not (args.options and args.enterprises):
            raise UsageError("--options and --enterprises go together: give both files")
        batch = read_files([args.enterprises, args.options])
        ent, esrc, erow = batch.combined("enterprises")
        opt, osrc, orow = batch.combined("options")
        if ent is None:
            raise UsageError(f"{args.enterprises}: holds no enterprises (expected columns enterprise_id, name, jurisdiction, size_class)")
        if opt is None:
            raise UsageError(f"{args.options}: holds no options (expected columns option_id, enterprise_id, ...)")
        v = validate(ent, opt, sources={"enterprises": esrc, "options": osrc}, row_offsets={"enterprises": erow, "options": orow})
        options, enterprises = v.options, v.enterprises
    else:
        from store.db import cursor
        from store.io import load_table

        cur = cursor()
        options = load_table(cur, "options", getattr(args, "enterprise", None))
        enterprises = load_table(cur, "enterprises")
    if getattr(args, "enterprise", None):
        options = options[options["enterprise_id"] == args.enterprise].reset_index(drop=True)
        if options.empty and args.enterprise not in set(enterprises["enterprise_id"]):
            raise UsageError(f"unknown enterprise {args.enterprise!r}")
    return options, enterprises


# ----------------------------------------------------------------------------- commands


def cmd_import(args: argparse.Namespace) -> list[dict[str, Any]]:
    from store.db import cursor
    from store.io import import_files

    report = import_files(cursor(), args.files)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    return [report.as_record()]


def cmd_export(args: argparse.Namespace) -> list[dict[str, Any]]:
    from store.db import cursor
    from store.io import export_dir

    fmt = args.file_format
    paths = export_dir(cursor(), args.dir, fmt)
    return [{"file": str(p)} for p in paths]


def cmd_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    from screening.schema import columns
    from store.io import to_export_frame

    options, _ = _load_data(args)
    cols = columns("options") + [c for c in options.columns if c not in columns("options")]
    frame = to_export_frame(options[cols], "options", formula_safe=args.format == "csv")
    return records_of(frame)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate such as 0.08, got {text!r}") from None
    if not -0.99 < v < 10:
        raise argparse.ArgumentTypeError(f"rate {v} out of range (-0.99, 10)")
    return v


# ----------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage in one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _common(p: argparse.ArgumentParser, *, files: bool = True) -> None:
    p.add_argument("--format", choices=("table", "json", "csv"), default="table", help="output format (default: a readable table)")
    p.add_argument("--db", help="database file (default: $CPSCREEN_DB or data/cpscreen.duckdb)")
    if files:
        p.add_argument("--options", metavar="FILE", help="options file in the import format (validated, not stored)")
        p.add_argument("--enterprises", metavar="FILE", help="enterprises file in the import format (with --options)")




def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cpscreen",
        description="Screen, rank and appraise cleaner-production options, with and without subsidies and tax incentives.",
        epilog="Data: the stored database ($CPSCREEN_DB, default data/cpscreen.duckdb) or files in the import format.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", help="import files (CSV, XLSX, Parquet, IAC workbook) in one all-or-nothing transaction",
                       description="Import enterprises, options and assessors' scores. Each file's kind is recognised from its "
                       "columns (a workbook's from its sheets; an IAC workbook from ASSESS and RECC). All files of one call go "
                       "in one transaction: one bad cell anywhere and nothing is stored.")
    p.add_argument("files", nargs="+", metavar="FILE")
    _common(p, files=False)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export enterprises and options in the import format, formula-safe",
                       description="Write enterprises, options and assessors' scores to DIR in the import format. Text cells "
                       "starting with = + - @ are prefixed with an apostrophe in CSV and XLSX.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--format", dest="file_format", choices=("csv", "xlsx", "parquet"), default="csv",
                   help="file format of the export (default csv); the list of files written is printed as a table")
    p.add_argument("--db", help="database file (default: $CPSCREEN_DB or data/cpscreen.duckdb)")
    p.set_defaults(func=cmd_export, format="table")

    p = sub.add_parser("list", help="one record per stored option (import-format columns)",
                       description="List options in the import format, from the database or from files.")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=cmd_list)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cpscreen`` console script; returns the exit status."""
    from screening.schema import ValidationError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        if getattr(args, "db", None):
            import os

            os.environ["CPSCREEN_DB"] = args.db
        records = args.func(args)
        emit(records, args.format)
        return 0
    except UsageError as exc:
        print(f"cpscreen: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        print(f"cpscreen: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"cpscreen: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - the contract: one line, never a traceback
        from store.db import StoreError

        if isinstance(exc, StoreError):
            print(f"cpscreen: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"cpscreen: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1
    finally:
        try:
            from store.db import close_all

            close_all()
        except Exception:
            pass


if __name__ == "__main__":
    sys.exit(main())

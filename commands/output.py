"""What every command shares on the way out: the bad-input error and its exit status, and the writers of
records (DESIGN.md section 5: JSON, CSV, Parquet or a table; one line on stderr for bad input)."""

from __future__ import annotations

import sys
from typing import Any

import pandas as pd

from records.plain import plain

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready records (missing values as None)."""
    return [plain(r) for r in frame.to_dict(orient="records")]


def emit(records: Any, fmt: str, out: Any = None, output: str | None = None) -> None:
    """Write records (a list of dicts, a frame or ``records.write.Records``) as JSON, CSV, Parquet or a
    readable table, to ``output`` or to ``out`` (default stdout); columnar, no per-record Python."""
    from records.write import write

    write(records, fmt, output, stream=out or sys.stdout)


def write_errors(exc: Any, path: str) -> str:
    """Every bad cell of a refused input to ``path``; returns the words the error line adds."""
    frame = exc.frame()
    low = path.lower()
    if low.endswith(".json"):
        frame.astype(object).where(frame.notna(), None).to_json(path, orient="records", force_ascii=False, indent=1)
    elif low.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return f"; all {len(frame):,} written to {path}"

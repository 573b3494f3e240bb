"""Bad-cell records of an import: one per bad cell, kept as a table so a million of them stay cheap.

:class:`ValidationError` carries every bad cell of a refused import.  Its records live in one
DataFrame (source, table, row, column, value, reason); :attr:`ValidationError.errors` gives them
as :class:`CellError` objects for callers that want objects.  Values are cut to a readable length
(:data:`screening.cells.SHOWN_VALUE_CHARS`) when the record is made, so a 10 MB cell is never
echoed whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from screening.cells import Cells, shown

#: Tables in the order errors are sorted (import format tables, then assessors' scores).
ERROR_TABLES: tuple[str, ...] = ("enterprises", "options", "assessor_scores")
ERROR_COLUMNS: list[str] = ["source", "table", "row", "column", "value", "reason"]
#: How many bad cells the one-line message names before saying how many more there are.
SHOWN_ERRORS = 5


@dataclass(frozen=True)
class CellError:
    """One bad cell (or a missing column, where ``row`` is None).

    Attributes
    ----------
    table : str
        "enterprises", "options" or "assessor_scores".
    row : int or None
        Spreadsheet row (header = 1, first data row = 2); None for a whole-column problem.
    column : str
        The column's name.
    value : str
        The offending value as text ('' for an empty cell), cut to a readable length.
    reason : str
        What is wrong, in words a user can act on.
    source : str
        The file (or sheet) the row came from, '' when not known.
    """

    table: str
    row: int | None
    column: str
    value: str
    reason: str
    source: str = ""

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        row = f"row {self.row}" if self.row is not None else "header"
        val = f" value {self.value!r}" if self.value != "" else ""
        return f"{where}{self.table} {row}, column {self.column!r}:{val} {self.reason}"


def _frame_of(errors: list[CellError]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": [e.source for e in errors],
            "table": [e.table for e in errors],
            "row": pd.array([e.row for e in errors], dtype="Int64"),
            "column": [e.column for e in errors],
            "value": list(shown(np.array([e.value for e in errors], dtype=object))) if errors else [],
            "reason": [e.reason for e in errors],
        },
        columns=ERROR_COLUMNS,
    )


def _record(r: tuple) -> CellError:
    source, table, row, column, value, reason = r
    return CellError(str(table), None if pd.isna(row) else int(row), str(column), "" if value is None or value is pd.NA else str(value),
                     str(reason), "" if source is None else str(source))


class ValidationError(ValueError):
    """Raised when import data has bad cells; ``errors`` lists every one of them.

    Parameters
    ----------
    errors : list of CellError, or DataFrame
        The bad cells, as objects or as a table with the columns of :data:`ERROR_COLUMNS`.
    """

    def __init__(self, errors: list[CellError] | pd.DataFrame):
        self._frame = errors.reset_index(drop=True)[ERROR_COLUMNS] if isinstance(errors, pd.DataFrame) else _frame_of(list(errors))
        self._errors: list[CellError] | None = None
        self.count = len(self._frame)
        super().__init__(self.summary())

    @property
    def errors(self) -> list[CellError]:
        """Every bad cell as a :class:`CellError`, in the table's order."""
        if self._errors is None:
            self._errors = [_record(r) for r in self._frame.itertuples(index=False, name=None)]
        return self._errors

    def first(self, n: int = SHOWN_ERRORS) -> list[CellError]:
        """The first ``n`` bad cells (without building all of them)."""
        return [_record(r) for r in self._frame.head(n).itertuples(index=False, name=None)]

    def summary(self, n: int = SHOWN_ERRORS) -> str:
        """One line: the count, the first ``n`` bad cells, and how many more there are."""
        shown_ = "; ".join(str(e) for e in self.first(n))
        more = f" (and {self.count - n:,} more)" if self.count > n else ""
        return f"{self.count:,} bad cell(s): {shown_}{more}"

    def frame(self) -> pd.DataFrame:
        """Every error as a table (source, table, row, column, value, reason)."""
        return self._frame.copy()

    @classmethod
    def merge(cls, *parts: ValidationError | None) -> ValidationError:
        """One error holding the bad cells of several, in order."""
        frames = [p._frame for p in parts if p is not None and p.count]
        return cls(pd.concat(frames, ignore_index=True) if frames else _frame_of([]))


class Collector:
    """Gathers bad cells column by column, as arrays, and sorts them once at the end."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def cells(self, table: str, mask: np.ndarray, rows: np.ndarray, srcs: np.ndarray, column: str,
              values: pd.Series | np.ndarray | Cells, reason: str | np.ndarray) -> None:
        """Record the cells where ``mask`` is true, or at the positions ``mask`` lists (integers).

        ``values`` holds every cell's text, or is the classified column (its text made for the
        recorded cells only).

        ``reason`` is one text, or one per recorded cell.
        """
        mask = np.asarray(mask)
        idx = mask if mask.dtype.kind in "iu" else np.flatnonzero(mask)
        if not len(idx):
            return
        vals = values.text_at(idx) if isinstance(values, Cells) else np.asarray(values, dtype=object)[idx]
        self._parts.append(pd.DataFrame({
            "source": np.asarray(srcs, dtype=object)[idx],
            "table": table,
            "row": pd.array(np.asarray(rows)[idx].astype(np.int64), dtype="Int64"),
            "column": column,
            "value": shown(vals),
            "reason": reason,
        }, columns=ERROR_COLUMNS))

    def header(self, table: str, column: str, reason: str, source: str = "") -> None:
        """Record a whole-column problem (missing or repeated column)."""
        self._parts.append(_frame_of([CellError(table, None, column, "", reason, source)]))

    def __bool__(self) -> bool:
        return any(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """Every recorded bad cell, sorted by source, table, row (headers first) and column."""
        if not self._parts:
            return _frame_of([])
        f = pd.concat(self._parts, ignore_index=True)
        order = f.assign(
            _t=f["table"].map({t: i for i, t in enumerate(ERROR_TABLES)}).fillna(len(ERROR_TABLES)),
            _r=f["row"].fillna(-1),
            _s=f["source"].fillna("").astype(str),
            _c=f["column"].astype(str),
        ).sort_values(["_s", "_t", "_r", "_c"], kind="stable").index
        return f.loc[order].reset_index(drop=True)

    def raise_if_any(self) -> None:
        """Raise :class:`ValidationError` with every recorded bad cell, if there is one."""
        if self:
            raise ValidationError(self.frame())

"""Reading import files (CSV, XLSX, Parquet, an IAC workbook) within the import's bounds.

Each reader checks what a file would cost before it reads cells (:mod:`screening.limits`):
the bytes of all files, a CSV's columns from its header, an XLSX file's unzipped size and
inflation ratio from its zip directory, a Parquet file's rows, columns and uncompressed size
from its footer; rows are counted while reading and reading stops one row past the bound.  A
file over a bound is refused in one line naming the bound.

Readers keep what a cell holds: CSV cells as text, XLSX cells as the spreadsheet typed them
(numbers, text, booleans, dates, error values such as ``#N/A``), Parquet columns with their
types; :func:`screening.schema.validate` then decides what each field accepts.  Repeated headers
are kept as they are so validation can refuse them (pandas would rename them ``title.1``).
"""

from __future__ import annotations

import csv
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from screening.formula_escape import unescape_frame
from store.writers import xlsx_decode_frame

from screening.cells import repeated
from screening.errors import CellError
from screening.limits import MAX_COLUMNS, MAX_IMPORT_BYTES, MAX_INFLATED_BYTES, MAX_ROWS, MAX_XLSX_INFLATION
from screening.schema import detect_kind

SCORE_COLUMNS = ("enterprise_id", "option_id", "assessor", "criterion", "score")


class ImportFileError(ValueError):
    """A file that cannot be read, is over a bound, or whose kind cannot be recognised."""


@dataclass
class RawBatch:
    """Raw frames read from one or more files, with each row's file and spreadsheet row."""

    frames: dict[str, list[tuple[pd.DataFrame, str]]] = field(
        default_factory=lambda: {"enterprises": [], "options": [], "assessor_scores": []}
    )
    notes: list[str] = field(default_factory=list)
    #: Bad cells found while reading (e.g. an IAC workbook's non-numeric cost), reported with the rest.
    errors: list[CellError] = field(default_factory=list)
    rows: dict[int, np.ndarray] = field(default_factory=dict)

    def add(self, kind: str, frame: pd.DataFrame, source: str, rows: np.ndarray | None = None) -> None:
        """Add a frame; its spreadsheet rows are ``rows``, ``frame.attrs['rows']`` or position + 2."""
        self.frames[kind].append((frame, source))
        if rows is None and "rows" in frame.attrs:
            rows = np.asarray(frame.attrs.pop("rows"))
        if rows is not None:
            self.rows[id(frame)] = np.asarray(rows, dtype=np.int64)

    def combined(self, kind: str) -> tuple[pd.DataFrame | None, np.ndarray, np.ndarray]:
        """All frames of one kind stacked, with per-row source names and row numbers."""
        parts = self.frames[kind]
        if not parts:
            return None, np.array([], dtype=object), np.array([], dtype=np.int64)
        frame = parts[0][0] if len(parts) == 1 else pd.concat([f for f, _ in parts], ignore_index=True, sort=False)
        srcs = np.concatenate([repeated(s, len(f)) for f, s in parts])
        rows = np.concatenate([self.rows.get(id(f), np.arange(len(f), dtype=np.int64) + 2) for f, _ in parts])
        return frame, srcs, rows


def detect(frame: pd.DataFrame) -> str | None:
    """A frame's kind: "enterprises", "options", "assessor_scores" or None."""
    cols = {str(c).strip() for c in frame.columns}
    kind = detect_kind(frame)
    if kind is None and set(SCORE_COLUMNS) <= cols:
        return "assessor_scores"
    if kind == "options" and {"assessor", "criterion", "score"} <= cols:
        return "assessor_scores"
    return kind


def _too_big(what: str, limit: str) -> ImportFileError:
    return ImportFileError(f"{what}; the limit is {limit} (README, Limits): split the file")


def read_csv(p: Path) -> pd.DataFrame:
    """A CSV file as text cells, its header as written (repeats kept)."""
    with open(p, newline="", encoding="utf-8-sig", errors="strict") as fh:
        try:
            first = fh.readline()
            fh.seek(0)
            header = next(csv.reader(fh), None)
        except csv.Error as exc:
            raise ImportFileError(f"{p.name}: cannot be read: {exc}") from exc
    simple_header = '"' not in first and first.endswith(("\n", "\r"))  # one physical line: Arrow may skip it
    if not header:
        raise ImportFileError(f"{p.name}: the file is empty (expected a header row)")
    if len(header) > MAX_COLUMNS:
        raise _too_big(f"{p.name}: {len(header):,} columns", f"{MAX_COLUMNS:,} columns")
    frame = _read_csv_arrow(p, len(header), simple_header)
    if frame is None:
        frame = pd.read_csv(p, dtype=str, keep_default_na=False, header=None, skiprows=1, names=range(len(header)),
                            nrows=MAX_ROWS + 1, encoding="utf-8-sig")
    if len(frame) > MAX_ROWS:
        raise _too_big(f"{p.name}: more than {MAX_ROWS:,} rows", f"{MAX_ROWS:,} rows")
    frame.columns = [h.strip() for h in header]
    return frame


def _read_csv_arrow(p: Path, width: int, simple_header: bool) -> pd.DataFrame | None:
    """The data rows of a CSV file as text cells by Arrow's reader (multi-threaded, in C), or None
    where Arrow refuses the file (ragged rows, bad UTF-8, ...): pandas' reader then gives what it
    always gave, or its error.  Where both read a file they give the same frame (compared in tests)."""
    if not simple_header:
        return None
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [str(i) for i in range(width)]
    try:
        table = pacsv.read_csv(
            p,
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=names, encoding="utf8"),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, UnicodeDecodeError):
        return None
    frame = table.to_pandas()
    if any(not (pd.api.types.is_string_dtype(t) and not pd.api.types.is_object_dtype(t)) for t in frame.dtypes) and len(frame.columns):
        return None
    return frame


def check_xlsx(p: Path) -> None:
    """Refuse an XLSX file that would inflate beyond the bounds, from its zip directory alone."""
    try:
        with zipfile.ZipFile(p) as z:
            infos = z.infolist()
    except zipfile.BadZipFile as exc:
        raise ImportFileError(f"{p.name}: cannot be read: not an XLSX workbook ({exc})") from exc
    inflated = sum(i.file_size for i in infos)
    size = max(p.stat().st_size, 1)
    if inflated > MAX_INFLATED_BYTES:
        raise _too_big(f"{p.name}: unzips to {inflated:,} bytes", f"{MAX_INFLATED_BYTES:,} bytes unzipped")
    if inflated > MAX_XLSX_INFLATION * size and inflated > 16 * 1024 * 1024:
        raise _too_big(f"{p.name}: unzips to {inflated / size:,.0f} times its size (a zip bomb?)",
                       f"{MAX_XLSX_INFLATION} times")


def read_xlsx(p: Path) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    """Every sheet of a workbook: its cells as the spreadsheet typed them, and each row's number.

    The first row is the header; rows with no value at all are left out (their numbers with them).
    """
    from openpyxl import load_workbook

    check_xlsx(p)
    wb = load_workbook(p, read_only=True, data_only=True, keep_links=False)
    out: dict[str, tuple[pd.DataFrame, np.ndarray]] = {}
    try:
        for ws in wb.worksheets:
            it = ws.iter_rows(values_only=True)
            header = next(it, None)
            if header is None:
                continue
            header = list(header)
            while header and header[-1] is None:
                header.pop()
            width = len(header)
            data: list[tuple] = []
            numbers: list[int] = []
            for r, row in enumerate(it, start=2):
                if len(row) > width:
                    extra = row[width:]
                    if any(v is not None for v in extra):
                        if len(row) > MAX_COLUMNS:
                            raise _too_big(f"{p.name}[{ws.title}]: row {r} has {len(row):,} columns", f"{MAX_COLUMNS:,} columns")
                        header += [None] * (len(row) - width)
                        width = len(row)
                if all(v is None for v in row):
                    continue
                data.append(row)
                numbers.append(r)
                if len(data) > MAX_ROWS:
                    raise _too_big(f"{p.name}[{ws.title}]: more than {MAX_ROWS:,} rows", f"{MAX_ROWS:,} rows")
            if width > MAX_COLUMNS:
                raise _too_big(f"{p.name}[{ws.title}]: {width:,} columns", f"{MAX_COLUMNS:,} columns")
            frame = pd.DataFrame([tuple(row[:width]) + (None,) * (width - len(row)) for row in data],
                                 columns=range(width), dtype=object) if data else pd.DataFrame(columns=range(width), dtype=object)
            frame.columns = ["" if h is None else str(h).strip() for h in header]
            out[ws.title] = (frame, np.asarray(numbers, dtype=np.int64))
    finally:
        wb.close()
    return out


def read_parquet(p: Path) -> pd.DataFrame:
    """A Parquet file with its column types, after its footer says it is within the bounds."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(p) as pf:
        meta = pf.metadata
        if meta.num_rows > MAX_ROWS:
            raise _too_big(f"{p.name}: {meta.num_rows:,} rows", f"{MAX_ROWS:,} rows")
        if meta.num_columns > MAX_COLUMNS:
            raise _too_big(f"{p.name}: {meta.num_columns:,} columns", f"{MAX_COLUMNS:,} columns")
        raw = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
        if raw > MAX_INFLATED_BYTES:
            raise _too_big(f"{p.name}: {raw:,} bytes uncompressed", f"{MAX_INFLATED_BYTES:,} bytes")
        # the file's own reader: read_table goes through pyarrow.dataset, whose import alone
        # costs 0.3 s of CPU in every process that reads a Parquet file
        table = pf.read()
    names = list(table.column_names)
    table = table.rename_columns([str(i) for i in range(len(names))])
    # one block per column, each column's Arrow buffers released as it is converted: the frame is
    # not consolidated into 2-D blocks (a copy of every numeric column into fresh memory: 0.2 s of
    # CPU and as many bytes again at 1,000,000 options); the same columns, values and dtypes
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    del table
    frame.columns = [str(n).strip() for n in names]
    return frame


def read_files(paths: Sequence[str | os.PathLike[str]]) -> RawBatch:
    """Read import files; recognise each file's (or sheet's) kind from its columns.

    An XLSX workbook with sheets ASSESS and RECC is read as an official US DOE IAC workbook.

    Raises
    ------
    ImportFileError
        A missing, unreadable or unrecognised file, or one over a bound of :mod:`screening.limits`.
    """
    from store.iac import IAC_SHEETS, iac_frames

    batch = RawBatch()
    files = [Path(p) for p in paths]
    for p in files:
        if not p.is_file():
            raise ImportFileError(f"{p}: no such file" if not p.exists() else f"{p}: not a file")
    total = sum(p.stat().st_size for p in files)
    if total > MAX_IMPORT_BYTES:
        raise ImportFileError(f"{', '.join(p.name for p in files)}: {total:,} bytes together; the limit is "
                              f"{MAX_IMPORT_BYTES:,} bytes per import (README, Limits): import them in parts")
    for p in files:
        suffix = p.suffix.lower()
        sheets: dict[str, tuple[pd.DataFrame, np.ndarray | None]]
        try:
            if suffix == ".csv":
                sheets = {p.name: (unescape_frame(read_csv(p)), None)}
            elif suffix in (".xlsx", ".xlsm"):
                book = read_xlsx(p)
                if IAC_SHEETS <= set(book):
                    iac_frames(book, p.name, batch)
                    continue
                sheets = {f"{p.name}[{name}]": (unescape_frame(xlsx_decode_frame(df)), rows) for name, (df, rows) in book.items()}
            elif suffix == ".parquet":
                sheets = {p.name: (read_parquet(p), None)}
            else:
                raise ImportFileError(f"{p}: unknown file type {suffix!r}; expected .csv, .xlsx or .parquet")
        except ImportFileError:
            raise
        except UnicodeDecodeError as exc:
            raise ImportFileError(f"{p}: cannot be read: not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset {exc.start:,})") from exc
        except MemoryError as exc:
            raise ImportFileError(f"{p}: cannot be read: not enough memory") from exc
        except Exception as exc:  # a corrupt file: say which one and why, in one line
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ImportFileError(f"{p}: cannot be read: {msg[:200]}") from exc
        recognised = 0
        for name, (df, rows) in sheets.items():
            kind = detect(df)
            if kind is None:
                if len(sheets) == 1:
                    raise ImportFileError(
                        f"{name}: cannot tell whether it holds enterprises or options: expected an "
                        f"enterprise_id column with option_id (options) or name/jurisdiction/size_class (enterprises)"
                    )
                continue
            batch.add(kind, df, name, rows)
            recognised += 1
        if not recognised:
            raise ImportFileError(f"{p}: no sheet holds enterprises or options")
    return batch


def read_bytes_limit_message(size: int) -> str | None:
    """Why an upload of ``size`` bytes is refused before it is written anywhere, or None."""
    if size > MAX_IMPORT_BYTES:
        return f"{size:,} bytes; the limit is {MAX_IMPORT_BYTES:,} bytes per import (README, Limits)"
    return None


__all__ = ["ImportFileError", "RawBatch", "SCORE_COLUMNS", "check_xlsx", "detect", "read_csv", "read_files", "read_parquet",
           "read_xlsx", "read_bytes_limit_message"]

"""Write records (a table, possibly with nested list columns) as JSON, CSV, Parquet or a readable table.

Everything runs over columns: the frame goes to Arrow once (NaN and infinities become null), nested
columns are built as Arrow lists of structs from a long table (row i's entries are the long table's
rows with ``row == i``, in order), and DuckDB or pyarrow write the file.  No Python code runs per
record, so writing a million appraisals costs about what reading them does.

Contracts (DESIGN.md section 5): JSON is a list of records with every field present, ``null`` for a
missing value (no IRR, payback never reached); a nested list is ``[]`` when empty.  CSV has one
header line, text quoted, nested columns as JSON text, missing values empty, and every text cell and
header that a spreadsheet would run as a formula escaped (``screening.schema.escape_formula``).  Parquet keeps the
types (nested columns as list<struct>).  The table is for people: long cells cut to 60 characters.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from records.arrow import Nested, Records, _array_column, _arrow_column, _few_text, as_records  # noqa: F401 - re-exported
from records.parquet import write_records, write_table

__all__ = ["FORMATS", "Nested", "Records", "as_records", "write"]

#: Output formats of :func:`write`.
FORMATS: tuple[str, ...] = ("table", "json", "csv", "parquet")


def _escape_csv(table: pa.Table) -> pa.Table:
    """Formula-escape every text cell and header (the one escape function of the import format)."""
    from screening.formula_escape import NEEDS_FIRST, escape_text
    from screening.schema import escape_formula

    names = [str(escape_formula(pd.Series([c], dtype=object)).iloc[0]) for c in table.column_names]
    cols = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):  # categorical text: decoded, so that each cell is escaped
            col = col.cast(col.type.value_type)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            # only cells whose first character can begin a formula start (NEEDS_FIRST, one Arrow scan)
            # go through the escape; nested columns' JSON text starts with [ and is left alone
            maybe = pc.fill_null(pc.match_substring_regex(col, NEEDS_FIRST), False)
            if pc.any(maybe).as_py():
                col = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
                mask = maybe.combine_chunks() if isinstance(maybe, pa.ChunkedArray) else maybe
                idx = np.flatnonzero(mask.to_numpy(zero_copy_only=False))
                escaped = [escape_text(v) for v in pc.take(col, pa.array(idx)).to_pylist()]
                col = pc.replace_with_mask(col, mask, pa.array(escaped, type=col.type))
        cols.append(col)
    return pa.table(cols, names=names)


def _duckdb_copy(table: pa.Table, path: str, options: str) -> None:
    import duckdb  # imported where used: 0.15-0.25 s, which Parquet output never needs

    con = duckdb.connect()
    try:
        con.register("records_out", table)
        con.execute(f"COPY (SELECT * FROM records_out) TO '{_q_sql(path)}' ({options})")
    finally:
        con.close()


def _is_nested(t: pa.DataType) -> bool:
    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_struct(t) or pa.types.is_map(t)


def _q(name: str) -> str:
    return name.replace('"', '""')


def _q_sql(path: str) -> str:
    return path.replace("'", "''")


def _nested_to_json(table: pa.Table) -> pa.Table:
    """Nested columns as JSON text (for CSV and the readable table), by DuckDB's ``to_json``.

    Only the nested columns go through DuckDB (in order: insertion order is kept); the others
    stay the Arrow arrays they are.
    """
    nested = [i for i, t in enumerate(table.schema.types) if _is_nested(t)]
    if not nested:
        return table
    part = table.select(nested)
    import duckdb  # imported where used: 0.15-0.25 s, which Parquet output never needs

    con = duckdb.connect()
    try:
        con.register("records_out", part)
        sel = ", ".join(f'to_json("{_q(n)}")::VARCHAR AS "{_q(n)}"' for n in part.column_names)
        text = con.execute(f"SELECT {sel} FROM records_out").to_arrow_table()
    finally:
        con.close()
    for k, i in enumerate(nested):
        table = table.set_column(i, table.field(i).name, text.column(k))
    return table


def write(records: Records | pd.DataFrame | Sequence[Mapping[str, Any]], fmt: str, output: str | os.PathLike[str] | None = None,
          *, stream: IO[str] | None = None) -> None:
    """Write records to ``output`` (a file path) or, without one, to ``stream`` (default stdout).

    Parameters
    ----------
    records : Records, DataFrame or list of dict
    fmt : {"table", "json", "csv", "parquet"}
        Output format; ``parquet`` needs ``output``.
    output : path, optional
        File to write (replaced if it exists).
    stream : text stream, optional
        Where to write without ``output`` (default ``sys.stdout``).

    Raises
    ------
    ValueError
        On an unknown format, or ``parquet`` without ``output``.
    """
    if fmt not in FORMATS:
        raise ValueError(f"output format {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise ValueError("--format parquet writes a file: give --output FILE")
    rec = as_records(records)
    if fmt == "parquet":  # converted and written slice by slice (records.parquet)
        write_records(rec, str(output))
        return
    # CSV and JSON: categorical text (the support items' kinds, instruments and sources) goes to
    # DuckDB's to_json as dictionaries, not decoded first (190 MB of sources for a million options);
    # Parquet: decoded here, as pyarrow's writer would decode dictionaries inside list<struct>
    table = rec.to_arrow(dictionaries=fmt in ("csv", "json"))
    if output is not None:
        target = Path(output)
        if fmt == "table":
            with open(target, "w", encoding="utf-8") as fh:
                _write_table(table, fh)
            return
        _write_file(table, fmt, str(target))
        return
    out = stream or sys.stdout
    if fmt == "table":
        _write_table(table, out)
        return
    with tempfile.TemporaryDirectory(prefix="cpscreen-out-") as tmp:
        path = os.path.join(tmp, f"records.{fmt}")
        _write_file(table, fmt, path)
        with open(path, encoding="utf-8", newline="") as fh:
            shutil.copyfileobj(fh, out, length=1 << 20)


def _write_file(table: pa.Table, fmt: str, path: str) -> None:
    if fmt == "parquet":
        write_table(table, path)
        return
    if table.num_columns == 0 or table.num_rows == 0:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            if fmt == "json":
                fh.write("[]\n")
            elif table.num_columns:
                fh.write(",".join(_escape_csv(table).column_names) + "\n")
        return
    if fmt == "json":
        _duckdb_copy(table, path, "FORMAT JSON, ARRAY true")
        return
    _write_csv(_escape_csv(_nested_to_json(table)), path)


#: Rows per slice of :func:`_write_csv` (each slice formatted on its own, in memory).
CSV_SLICE_ROWS = 16384

#: Threads formatting CSV slices at once: the machine's cores, at most 8.
CSV_WORKERS: int = max(1, min(8, os.cpu_count() or 1))


def _write_csv(table: pa.Table, path: str) -> None:
    """``table`` as CSV by pyarrow's writer: quotes text (so CR, LF, quotes and separators inside a
    cell survive), nulls empty, one header line.

    Formatting numbers is most of the cost and each cell's text depends on that cell alone, so
    slices of rows are formatted at once on several threads (pyarrow releases the GIL) and written
    in order: the bytes of one pass over the whole table.
    """
    def text(lo: int) -> pa.Buffer:
        sink = pa.BufferOutputStream()
        pacsv.write_csv(table.slice(lo, CSV_SLICE_ROWS), sink,
                        write_options=pacsv.WriteOptions(include_header=lo == 0, quoting_style="needed"))
        return sink.getvalue()

    starts = range(0, max(table.num_rows, 1), CSV_SLICE_ROWS)
    with open(path, "wb") as fh:
        if CSV_WORKERS == 1 or len(starts) == 1:
            for lo in starts:
                fh.write(text(lo))
            return
        with ThreadPoolExecutor(max_workers=CSV_WORKERS) as pool:
            pending: deque[Future[pa.Buffer]] = deque()
            for lo in starts:  # at most two slices per thread held in memory
                pending.append(pool.submit(text, lo))
                if len(pending) > 2 * CSV_WORKERS:
                    fh.write(pending.popleft().result())
            while pending:
                fh.write(pending.popleft().result())



def _write_table(table: pa.Table, out: IO[str]) -> None:
    if table.num_rows == 0:
        out.write("(no records)\n")
        return
    frame = _nested_to_json(table).to_pandas()
    for i, t in enumerate(table.schema.types):  # whole numbers stay whole beside a missing one (rank 1, not 1.0)
        if pa.types.is_integer(t) and table.column(i).null_count:
            col = frame.iloc[:, i]
            whole = pd.Series(pd.array(col, dtype="Int64"), index=frame.index).astype(object)
            frame[frame.columns[i]] = whole.where(col.notna(), np.nan)
    # a terminal table: long cells (support items as JSON, sources) cut to 60 characters and the
    # columns wrapped in blocks of 160 characters; --format json or csv give everything in full
    for c in frame.columns[[pd.api.types.is_float_dtype(t) for t in frame.dtypes]]:
        frame[c] = _readable(frame[c])
    frame = frame.astype(object).where(frame.notna(), np.nan)  # every missing value shown as '-' (None too)
    out.write(frame.to_string(index=False, na_rep="-", max_colwidth=60, line_width=160) + "\n")


def _readable(col: pd.Series) -> pd.Series:
    """A number column of the readable table as text: amounts (a column reaching 1,000) in whole
    units with thousands separators, not 2.597340e+06 (nor 4311.18 beside 14,180 in one summary);
    other figures (rates, years, shares, ratios: none reaches 1,000) to 6 significant digits; '-'
    where missing."""
    fmt = "{:,.0f}" if col.abs().max() >= 1e3 else "{:.6g}"
    return pd.Series([np.nan if x != x else fmt.format(x) for x in col.tolist()], index=col.index, dtype=object)

"""Parquet output: one table at once (:func:`write_table`), or records converted and written slice
by slice (:func:`write_records`).

:func:`write_records` turns a slice of rows into Arrow on this thread while pyarrow encodes and
writes the previous slice on another (its writer releases the interpreter lock), each slice one row
group.  The file holds the same table as :func:`write_table` of the whole records' ``to_arrow()``
(tests read both back and compare), in row groups of :data:`SLICE_ROWS`.  Only records whose every
column converts to one Arrow type whatever the slice are streamed: numbers, booleans, text (an
object column of strings and missing values), categories and Arrow columns.  A column of mixed
Python objects (numbers and text, say) takes the type of all its values together, so such records
are converted whole first, as before.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["SLICE_ROWS", "open_output", "text_paths", "write_records", "write_table"]

#: Rows per slice (and row group) of :func:`write_records`; records of at most two slices are
#: written at once.
SLICE_ROWS = 131_072


def text_paths(schema: pa.Schema) -> list[str]:
    """Parquet paths of the text columns, nested ones included (``support.list.element.kind``)."""
    out: list[str] = []

    def walk(name: str, typ: pa.DataType) -> None:
        if pa.types.is_string(typ) or pa.types.is_large_string(typ):
            out.append(name)
        elif pa.types.is_list(typ) or pa.types.is_large_list(typ):
            walk(f"{name}.list.{typ.value_field.name}", typ.value_type)
        elif pa.types.is_struct(typ):
            for f in typ:
                walk(f"{name}.{f.name}", f.type)

    for f in schema:
        walk(f.name, f.type)
    return out


def write_table(table: pa.Table, path: str | pa.NativeFile) -> None:
    """``table`` as one Parquet file (a path, or a file opened for writing): dictionary pages for
    text only (ids, packs, support kinds): numbers rarely repeat, and trying costs a third of the
    write; same values, a smaller file."""
    pq.write_table(table, path, use_dictionary=text_paths(table.schema))


def write_records(rec: Any, path: str) -> None:
    """Records (``records.write.Records``) as one Parquet file, converted and written slice by slice.

    The slices' Arrow types are the whole records' (:func:`_settled`): a text column that holds no
    value in the first slice gets the type the whole column converts to.

    The file is opened on the writer's thread while the first slice is converted: opening replaces
    a file that exists, and truncating one of a previous run's size (260 MB for a million options)
    took 0.14 s before the first byte could be written.  (A first slice that fails to convert
    leaves the file empty, as a later one leaves it cut short.)
    """
    n = len(rec)
    if n <= 2 * SLICE_ROWS or not _streamable(rec):
        write_table(rec.to_arrow(), path)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpscreen-parquet") as pool:
        opening = pool.submit(open_output, path)
        try:
            first = rec.slice(0, SLICE_ROWS).to_arrow()
            schema = _settled(rec, first)
        except BaseException:
            with suppress(Exception):
                opening.result().close()
            raise
        with opening.result() as sink, pq.ParquetWriter(sink, schema, use_dictionary=text_paths(schema)) as writer:
            pending = pool.submit(writer.write_table, _as(first, schema))
            for lo in range(SLICE_ROWS, n, SLICE_ROWS):
                part = _as(rec.slice(lo, min(lo + SLICE_ROWS, n)).to_arrow(), schema)  # while the last is written
                pending.result()
                pending = pool.submit(writer.write_table, part)
            pending.result()


def open_output(path: str) -> pa.NativeFile:
    """``path`` opened for writing (created, or truncated where it exists) as ``pq.ParquetWriter``
    and ``pq.write_table`` open a path they are given: the same file system and path resolution,
    the same errors."""
    from pyarrow.fs import _resolve_filesystem_and_path  # pyarrow's own, as its writer calls it

    filesystem, where = _resolve_filesystem_and_path(path)
    return filesystem.open_output_stream(where, compression=None)


def _streamable(rec: Any) -> bool:
    """Whether every column converts to one Arrow type in any slice: no object column holds
    anything but text and missing values (the nested tables' columns included)."""
    frames: list[Any] = [rec.frame] + [nd.table for nd in rec.nested.values()]
    for frame in frames:  # a DataFrame or a dict of arrays: (name, column) pairs either way
        for _, values in frame.items():
            dtype = getattr(values, "dtype", None)
            if dtype is None:
                return False
            if dtype == object and pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
                return False
    return True


def _has_null(t: pa.DataType) -> bool:
    if pa.types.is_null(t):
        return True
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return _has_null(t.value_type)
    if pa.types.is_struct(t):
        return any(_has_null(f.type) for f in t)
    return False


def _settled(rec: Any, first: pa.Table) -> pa.Schema:
    """The first slice's schema, where a column's type is open there (null: no value in the slice)
    the type of the whole column."""
    fields = []
    for key, field in zip(rec.keys(), first.schema):
        fields.append(pa.field(field.name, rec.arrow_column(key).type) if _has_null(field.type) else field)
    return pa.schema(fields)


def _as(part: pa.Table, schema: pa.Schema) -> pa.Table:
    """A slice in the settled schema (a column with no value in this slice: null cast to the column's type)."""
    return part if part.schema.equals(schema) else part.cast(schema)

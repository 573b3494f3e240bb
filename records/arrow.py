"""Records held as columns, and their conversion to one Arrow table.

A frame (or its columns as arrays) goes to Arrow once (NaN and infinities become null); nested
columns are built as Arrow lists of structs from a long table (row i's entries are the long table's
rows with ``row == i``, in order).  No Python code runs per record.  The writers of each format are
in :mod:`records.write`, which re-exports these names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from records.plain import plain

__all__ = ["Nested", "Records", "as_records"]


@dataclass(frozen=True)
class Nested:
    """A column whose cell i is the list of records of ``table`` with ``row == i``, in table order.

    Attributes
    ----------
    table : DataFrame
        Long table with an integer column ``row`` (the record's position) and the fields.
    fields : tuple of str
        Fields of each entry, in order (those absent from ``table`` are left out).
    """

    table: pd.DataFrame
    fields: tuple[str, ...]


@dataclass
class Records:
    """Records held as columns: a frame plus nested list columns placed after ``after`` (or last).

    Attributes
    ----------
    frame : DataFrame or dict of str -> array
        One row per record: a frame, or its columns (name -> 1-D array, all of one length, in
        output order), which go to Arrow as the frame's would, without building the frame.
    nested : dict of str -> Nested
        Nested list columns, in output order, appended after the frame's columns.
    """

    frame: pd.DataFrame | Mapping[str, Any]
    nested: dict[str, Nested] = field(default_factory=dict)

    def __len__(self) -> int:
        if isinstance(self.frame, pd.DataFrame):
            return len(self.frame)
        return len(next(iter(self.frame.values()))) if self.frame else 0

    def to_arrow(self, *, dictionaries: bool = False) -> pa.Table:
        """The records as one Arrow table (NaN and infinities as null, nested columns as list<struct>).

        ``dictionaries``: categorical text stays Arrow dictionary<string> (the same values, not
        decoded), for the writers that read dictionaries as they are (DuckDB's).
        """
        arrays = {str(key): self.arrow_column(key, dictionaries=dictionaries) for key in self.keys()}
        return pa.table(arrays) if arrays else pa.table({})

    def keys(self) -> list[Any]:
        """The columns, in output order: the frame's (as it names them), then the nested ones."""
        return [*(self.frame.columns if isinstance(self.frame, pd.DataFrame) else self.frame), *self.nested]

    def arrow_column(self, key: Any, *, dictionaries: bool = False) -> pa.Array:
        """One column of :meth:`to_arrow` (by its key in :meth:`keys`), converted alone."""
        if isinstance(key, str) and key in self.nested:
            return _nested_column(self.nested[key], len(self), dictionaries)
        if isinstance(self.frame, pd.DataFrame):
            return _arrow_column(self.frame[key].reset_index(drop=True), dictionaries)
        return _array_column(self.frame[key])

    def slice(self, lo: int, hi: int) -> Records:
        """Records ``lo..hi-1`` (positions), nested entries renumbered from ``lo``; no value copied
        where a view will do."""
        if isinstance(self.frame, pd.DataFrame):
            frame: pd.DataFrame | dict[str, Any] = self.frame.iloc[lo:hi]
        else:
            frame = {k: (v.iloc[lo:hi] if isinstance(v, pd.Series) else v[lo:hi]) for k, v in self.frame.items()}
        nested = {}
        for name, nd in self.nested.items():
            rows = nd.table["row"].to_numpy(dtype=np.int64) if len(nd.table) else np.zeros(0, dtype=np.int64)
            if rows.size and np.any(rows[1:] < rows[:-1]):
                keep = np.flatnonzero((rows >= lo) & (rows < hi))
            else:
                a, b = np.searchsorted(rows, [lo, hi])
                keep = np.arange(a, b)
            nested[name] = Nested(nd.table.iloc[keep].assign(row=rows[keep] - lo), nd.fields)
        return Records(frame, nested)

    def to_dicts(self) -> list[dict[str, Any]]:
        """The records as plain JSON-ready dicts (for tests and small outputs)."""
        return [plain(r) for r in self.to_arrow().to_pylist()]


def _array_column(values: Any) -> pa.Array:
    """One column given as an array, to Arrow as :func:`_arrow_column` takes it from a frame's column
    (pandas reads a text array as ``str``, which Arrow holds as large_string), without the Series
    where the array is numbers or text."""
    if isinstance(values, np.ndarray) and values.ndim == 1:
        if values.dtype.kind == "f":
            v = values.astype(float, copy=False)
            return pa.array(v, mask=~np.isfinite(v), type=pa.float64())
        if values.dtype.kind in "biu":
            return pa.array(values)
        if values.dtype.kind in "OU":
            few = _few_text(values)
            if few is not None:
                return few
            try:
                arr = pa.array(values, from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                arr = None
            if arr is not None and (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
                return arr.cast(pa.large_string())
    return _arrow_column(pd.Series(values))


def _few_text(values: np.ndarray) -> pa.Array | None:
    """A text array that is one string throughout, or short codes of fixed width ('<U1', '<U2': a pack
    code), as large_string built from its distinct values; else None.  The same array as converting
    each cell (``pa.array``), at a fraction of the cost: a million cells of one Python string took
    70 ms, of '<U2' codes 155 ms."""
    n = len(values)
    if not n:
        return None
    if values.dtype.kind == "U":
        if values.dtype.itemsize not in (4, 8):
            return None
        codes, uniques = pd.factorize(values.view(np.int32 if values.dtype.itemsize == 4 else np.int64))
        words = pa.array(np.asarray(uniques).view(values.dtype), type=pa.large_string())
        return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), words).dictionary_decode()
    first = values[0]
    if type(first) is not str or not (values[:4096] == first).all() or not (values == first).all():
        return None
    return pa.repeat(pa.scalar(first, type=pa.large_string()), n)


def _categories(s: pd.Series, keep: bool = False) -> pa.Array | None:
    """A categorical column of text as Arrow text (the categories taken by code, in C), else None;
    ``keep``: as the dictionary<string> array itself (codes and categories, nothing decoded)."""
    cats = s.cat.categories
    try:
        dictionary = pa.array(cats.to_numpy(dtype=object), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        return None
    if not pa.types.is_string(dictionary.type) or dictionary.null_count:
        return None
    codes = s.cat.codes.to_numpy()
    coded = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), dictionary)
    return coded if keep else coded.dictionary_decode()


def _arrow_column(s: pd.Series, dictionaries: bool = False) -> pa.Array:
    if isinstance(s.dtype, pd.ArrowDtype):  # already Arrow (e.g. a map column): as is
        arr = s.array.__arrow_array__()
        return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype=float, na_value=np.nan)
        return pa.array(v, mask=~np.isfinite(v), type=pa.float64())
    if pd.api.types.is_bool_dtype(s.dtype) or pd.api.types.is_integer_dtype(s.dtype):
        return pa.array(s, from_pandas=True)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return pa.array(s, from_pandas=True)
    if isinstance(s.dtype, pd.CategoricalDtype):
        text = _categories(s, keep=dictionaries)
        if text is not None:
            return text
        return pa.array(s.astype(object).where(s.notna(), None), from_pandas=True)
    if pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype):
        return pa.array(s, from_pandas=True)  # text only: no cell to look at
    if pd.api.types.is_object_dtype(s.dtype):
        # Arrow infers the type in C; only mappings (a struct to Arrow) and mixed cells need the slow paths
        try:
            arr = pa.array(s, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
            arr = None
        if arr is not None and not (pa.types.is_struct(arr.type) or pa.types.is_list(arr.type)
                                    or pa.types.is_binary(arr.type) or pa.types.is_large_binary(arr.type)):
            return arr
    values = s.to_numpy(dtype=object)
    present = [v for v in values if v is not None and not (isinstance(v, float) and v != v)]
    if present and all(isinstance(v, Mapping) for v in present):
        return _map_column(values)
    try:
        return pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        # mixed objects (numbers and text, dates): each as its plain JSON value, as text where mixed
        values = [plain(v) for v in s.to_numpy(dtype=object)]
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _map_column(values: np.ndarray) -> pa.Array:
    """Mappings (e.g. criterion -> contribution, input -> share) as an Arrow map<string, value>: every
    key kept per row, an empty mapping written as {} (a struct would need the same keys everywhere)."""
    pairs = [None if not isinstance(v, Mapping) else [(str(k), plain(x)) for k, x in v.items()] for v in values]
    items = [x for p in pairs if p for _, x in p]
    numeric = all(x is None or (isinstance(x, (int, float)) and not isinstance(x, bool)) for x in items)
    value_type = pa.float64() if numeric else pa.string()
    if not numeric:
        pairs = [None if p is None else [(k, None if x is None else str(x)) for k, x in p] for p in pairs]
    return pa.array(pairs, type=pa.map_(pa.string(), value_type))


def _nested_column(nested: Nested, n: int, dictionaries: bool = False) -> pa.Array:
    table = nested.table
    fields = [f for f in nested.fields if f in table.columns]
    rows = table["row"].to_numpy(dtype=np.int64) if len(table) else np.zeros(0, dtype=np.int64)
    if rows.size and np.any(rows[1:] < rows[:-1]):
        order = np.argsort(rows, kind="stable")
        table, rows = table.iloc[order], rows[order]
    offsets = np.searchsorted(rows, np.arange(n + 1)).astype(np.int32)
    children = [_arrow_column(table[f].reset_index(drop=True), dictionaries) for f in fields]
    if children:
        struct = pa.StructArray.from_arrays(children, names=fields)
    else:
        struct = pa.array([], type=pa.struct([]))
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), struct)


def as_records(x: Records | pd.DataFrame | Sequence[Mapping[str, Any]]) -> Records:
    """Records from a :class:`Records`, a frame, or a list of dicts (plain values, nested lists allowed)."""
    if isinstance(x, Records):
        return x
    if isinstance(x, pd.DataFrame):
        return Records(x)
    rows = [plain(dict(r)) for r in x]
    if not rows:
        return Records(pd.DataFrame())
    cols: dict[str, None] = {}
    for r in rows:
        cols.update(dict.fromkeys(r))
    return Records(pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in cols}))

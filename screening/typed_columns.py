"""The fast path of validation: a whole column that cannot hold a bad cell, checked in Arrow and numpy.

:func:`screening.schema.validate` checks every column by :func:`screening.columns.check_column`,
which classifies each cell and collects every bad one with its row and reason.  Nearly every
column of a real import holds no bad cell at all; for those the same typed column comes out of a
few whole-column passes, with no classification and no error text:

- a numeric field read as a numpy number column (Parquet ``double``/``int64``, an editor column),
  or as text (CSV) that Arrow parses in full: missing cells, whole numbers and the ranges are
  checked on the floats;
- a boolean field read as a numpy bool column, or as text that is yes/no words;
- a field with a list of values (category, status, size class, jurisdiction, ...) read as text
  whose every cell is one of them, case ignored;
- a text or id-list field read as text that passes the text checks every cell gets (no
  spreadsheet error value, no control, bidirectional or zero-width character, not too long).

:func:`fast_column` returns None as soon as one cell might be bad (or the column is of another
kind): the caller then takes the full path, so every bad cell is reported exactly as before, and
the fast path never decides a refusal.  Where both paths accept a column they give the same
typed column, value for value and dtype for dtype (``tests/test_validate_fastpath.py``).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from screening.cells import MAX_CELL_CHARS, SPREADSHEET_ERRORS
from screening.limits import AMOUNT_BOUND

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pyarrow as pa

    from screening.schema import Field


def arrow_text(raw: pd.Series) -> pa.ChunkedArray | None:
    """The cells of a text column (pandas ``str`` backed by Arrow) as Arrow strings, or None for
    another kind of column (object, numbers, ...)."""
    import pyarrow as pa

    dt = raw.dtype
    if not (isinstance(dt, pd.StringDtype) and dt.storage == "pyarrow"):
        return None
    arr = raw.array.__arrow_array__()
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    return arr


def _stripped(arr: pa.ChunkedArray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """Text cells stripped of surrounding white space (as ``Series.str.strip``), null where blank,
    and the mask of the blank (missing) cells."""
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(arr)
    blank = pc.fill_null(pc.equal(pc.binary_length(text), 0), True)
    missing = np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)
    if missing.any():
        text = pc.if_else(blank, None, text)
    return text, missing


def _given_text(f: Field, raw: pd.Series) -> tuple[pa.ChunkedArray, np.ndarray] | None:
    """:func:`_stripped` text of ``raw`` and its missing mask, or None where the column is not
    text to Arrow or a required field has a blank cell (the full path then names those cells)."""
    arr = arrow_text(raw)
    if arr is None:
        return None
    text, missing = _stripped(arr)
    if f.required and missing.any():
        return None
    return text, missing


def _clean_text(text: pa.ChunkedArray) -> bool:
    """True when no cell can fail :func:`screening.cells.text_problems` (of either strictness):
    none longer than the bound, none a spreadsheet error value, every character printable."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(text) or text.null_count == len(text):
        return True
    if pc.max(pc.binary_length(text)).as_py() > MAX_CELL_CHARS:  # bytes >= characters: may be long
        return False
    if pc.any(pc.is_in(text, value_set=pa.array(SPREADSHEET_ERRORS, type=pa.string()))).as_py():
        return False
    ascii_ok = pc.fill_null(pc.ascii_is_printable(text), True)
    if pc.all(ascii_ok).as_py():
        return True
    rest = pc.filter(text, pc.invert(ascii_ok))
    return bool(pc.all(pc.fill_null(pc.utf8_is_printable(rest), True)).as_py())


def _numbers_of(f: Field, raw: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Each cell's number and the missing mask of a numeric field's column, or None where a cell
    is not a plain number (text that does not parse, a boolean, an object, ...)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dt = raw.dtype
    if isinstance(dt, np.dtype) and dt.kind in "fi":
        if dt.kind == "f":
            num = raw.to_numpy(dtype=float, copy=True)
            return num, np.isnan(num)
        return raw.to_numpy().astype(float), np.zeros(len(raw), dtype=bool)
    arr = arrow_text(raw)
    if arr is None:
        return None
    lengths = pc.binary_length(arr)
    longest = pc.max(lengths).as_py()
    if longest is not None and longest > MAX_CELL_CHARS:  # bytes >= characters: may be too long
        return None
    # Arrow's parser refuses white space around a number: where the cells as given parse, they
    # are what the stripped cells are, and the empty ones the missing ones; else strip and retry
    missing = np.asarray(pc.fill_null(pc.equal(lengths, 0), True).to_numpy(zero_copy_only=False), dtype=bool)
    text = pc.if_else(pc.equal(lengths, 0), None, arr) if missing.any() else arr
    try:
        parsed = pc.cast(text, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        text, missing = _stripped(arr)
        try:
            parsed = pc.cast(text, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None
    num = np.array(parsed.to_numpy(zero_copy_only=False), dtype=float)
    nan = np.isnan(num)
    if (nan != missing).any():  # the text 'nan': not a number (the full path says so)
        return None
    return num, missing


def _numeric(f: Field, raw: pd.Series) -> pd.Series | None:
    got = _numbers_of(f, raw)
    if got is None:
        return None
    num, missing = got
    if f.required and missing.any():
        return None
    any_missing = bool(missing.any())
    given = num[~missing] if any_missing else num
    if len(given):
        lo = max(f.min, -AMOUNT_BOUND) if math.isfinite(f.min) else -AMOUNT_BOUND
        hi = min(f.max, AMOUNT_BOUND) if math.isfinite(f.max) else AMOUNT_BOUND
        if not (given.min() >= lo and given.max() <= hi):  # also refuses inf (beyond every bound)
            return None
        if f.type == "int" and (np.floor(given) != given).any():  # finite here: v % 1 != 0
            return None
    out = pd.Series(num, index=raw.index, dtype=float, copy=False)
    if f.default != "" and any_missing:
        out = out.where(~missing, float(f.default))
    return out.astype("Int64") if f.type == "int" else out


def _bool(f: Field, raw: pd.Series, true_words: frozenset[str], false_words: frozenset[str]) -> pd.Series | None:
    import pyarrow as pa
    import pyarrow.compute as pc

    default = (f.default or "no") in true_words
    if isinstance(raw.dtype, np.dtype) and raw.dtype.kind == "b":
        return pd.Series(raw.to_numpy(dtype=bool, copy=True), index=raw.index, dtype=bool, copy=False)
    given = _given_text(f, raw)
    if given is None:
        return None
    text, missing = given
    low = pc.utf8_lower(text)
    is_t = np.asarray(pc.fill_null(pc.is_in(low, value_set=pa.array(sorted(true_words), type=pa.string())), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)
    is_f = np.asarray(pc.fill_null(pc.is_in(low, value_set=pa.array(sorted(false_words), type=pa.string())), False)
                      .to_numpy(zero_copy_only=False), dtype=bool)
    if (~missing & ~is_t & ~is_f).any():
        return None
    return pd.Series(np.where(is_t, True, np.where(is_f, False, default)), index=raw.index, dtype=bool, copy=False)


def _words(f: Field, raw: pd.Series, allowed: tuple[str, ...]) -> tuple[pd.Series, np.ndarray] | None:
    """A field with a list of values: each cell's value in the list's spelling, and its position
    in the list (-1 where missing)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not allowed or len(set(a.lower() for a in allowed)) != len(allowed):
        return None
    given = _given_text(f, raw)
    if given is None:
        return None
    text, missing = given
    if f.type == "jurisdiction" and not _clean_text(text):  # codes come from the packs: checked as text
        return None
    found = pc.index_in(pc.utf8_lower(text), value_set=pa.array([a.lower() for a in allowed], type=pa.string()))
    pos = np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    if (~missing & (pos < 0)).any():
        return None
    canon = np.array(allowed + (f.default if f.default != "" else None,), dtype=object)
    vals = canon[pos]  # -1: the last entry, the default (or None) for a missing cell
    return pd.Series(vals, index=raw.index, dtype=object, copy=False), pos


def _text(f: Field, raw: pd.Series) -> Fast | None:
    given = _given_text(f, raw)
    if given is None:
        return None
    text, missing = given
    if not _clean_text(text):
        return None
    if f.type == "idlist":  # parts stripped, empty parts dropped; an empty list is ''
        import pyarrow.compute as pc

        joined = bool(pc.any(pc.match_substring(text, ";")).as_py())
        if joined:
            s = pd.Series(text, dtype="str", index=raw.index)
            s = s.str.replace(r"\s*;\s*", ";", regex=True).str.replace(r";{2,}", ";", regex=True).str.strip(";")
            vals = s.to_numpy(dtype=object)
        else:
            vals = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
        vals[missing] = ""
        return Fast(pd.Series(vals, index=raw.index, dtype=object, copy=False), None, None if joined else ~missing, None)
    values = pd.Series(_objects(text), index=raw.index, dtype=object, copy=False)
    return Fast(values, None, ~missing, text)


#: Rows from which a text column is looked at for repeats, and the share of distinct values in
#: them below which its cells share one string object per distinct value.
_SAMPLE_ROWS, _REPEATED = 4096, 0.25


def _objects(text: pa.ChunkedArray) -> np.ndarray:
    """Arrow strings as an object array of Python strings (None where null).  A column that
    repeats a few values (an enterprise id on each option, a stock title) gets one string object
    per distinct value, taken by the dictionary's indices: the same values, a fraction of the
    allocations and memory."""
    import pyarrow.compute as pc

    n = len(text)
    if n > 2 * _SAMPLE_ROWS and pc.count_distinct(text.slice(0, _SAMPLE_ROWS)).as_py() < _REPEATED * _SAMPLE_ROWS:
        enc = pc.dictionary_encode(text.combine_chunks())
        words = np.append(np.asarray(enc.dictionary.to_numpy(zero_copy_only=False), dtype=object), None)
        return words[np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)]
    return np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)


class Fast(NamedTuple):
    """A column the fast path read.

    Attributes
    ----------
    values : Series
        The typed column, as :func:`screening.columns.check_column` makes it.
    codes : ndarray of int64 or None
        For a field with a list of values, each cell's position in the list (-1 where missing).
    present : ndarray of bool or None
        For a text or id-list field, where the typed value is neither missing nor ''.
    text : pyarrow.ChunkedArray or None
        For a text field, the typed values as Arrow strings (null where missing), for hash joins.
    """

    values: pd.Series
    codes: np.ndarray | None
    present: np.ndarray | None
    text: pa.ChunkedArray | None


def fast_column(f: Field, raw: pd.Series, *, allowed: tuple[str, ...] | None, true_words: frozenset[str],
                false_words: frozenset[str]) -> Fast | None:
    """The typed column of a field whose column holds no bad cell, or None.

    Parameters
    ----------
    f : Field
        The field (its type, whether required, default and range).
    raw : Series
        The column as read.
    allowed : tuple of str or None
        For a field with a list of values, the list (in its spelling); else None.
    true_words, false_words : frozenset of str
        The words a boolean field takes, lower case.

    Returns
    -------
    Fast or None
        The typed column and what the checks learnt on the way; None where a cell might be bad,
        or the column is not one this path reads: the full path decides.
    """
    if f.type in ("float", "int"):
        out = _numeric(f, raw)
        return None if out is None else Fast(out, None, None, None)
    if f.type == "bool":
        out = _bool(f, raw, true_words, false_words)
        return None if out is None else Fast(out, None, None, None)
    if allowed is not None:
        got = _words(f, raw, allowed)
        return None if got is None else Fast(got[0], got[1], None, None)
    if f.type in ("text", "idlist"):
        return _text(f, raw)
    return None


__all__ = ["Fast", "arrow_text", "fast_column"]

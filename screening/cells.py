"""What a raw import cell holds, for a whole column at once (no per-cell Python on typed input).

:func:`classify` sorts every cell of a raw column into one kind (missing, text, number, boolean,
date-time, date, time, duration, or another object such as a list or bytes) and gives its text
and its number, so validation can decide on whole arrays: a numeric field takes numbers and
numeric text only, a text field text and numbers, and so on.  Columns of one type (CSV text,
Parquet and editor columns) are classified from their dtype; only an object column of mixed
Python values (a spreadsheet column) is looked at cell by cell, once.

The text checks here are the ones every cell gets: no spreadsheet error value (``#N/A``), no
control character, not longer than :data:`MAX_CELL_CHARS`; identifiers also refuse bidirectional
and zero-width characters, which make two different ids look the same.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import re

import numpy as np
import pandas as pd

MISSING, TEXT, NUMBER, BOOL, DATETIME, DATE, TIME, DURATION, OTHER = range(9)
#: Words for a kind of cell, as error messages say it ("expected a number, got a date").
KIND_WORDS = {BOOL: "a boolean", DATETIME: "a date and time", DATE: "a date", TIME: "a time", DURATION: "a duration"}

#: Longest text a cell may hold [characters] (Excel's own cell limit).
MAX_CELL_CHARS = 32_767
#: Longest value an error message repeats [characters]; longer values are cut and their length said.
SHOWN_VALUE_CHARS = 80

#: Error values a spreadsheet writes into a cell whose formula failed.
SPREADSHEET_ERRORS: tuple[str, ...] = (
    "#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!",
    "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#N/A!",
)
#: C0 control characters other than tab, line feed and carriage return, and DEL.
_CONTROL = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
#: What an identifier may not hold besides: tab/LF/CR, C1 controls, bidi marks and overrides,
#: zero-width characters and the byte-order mark.
_ID_EXTRA = "[\t\n\r\x80-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
_CONTROL_RE = re.compile(_CONTROL)
_ID_RE = re.compile(f"{_CONTROL}|{_ID_EXTRA}")

_PY_KIND: dict[type, int] = {
    str: TEXT, np.str_: TEXT, bool: BOOL, np.bool_: BOOL, int: NUMBER, float: NUMBER,
    decimal.Decimal: NUMBER, pd.Timestamp: DATETIME, _dt.datetime: DATETIME, _dt.date: DATE,
    _dt.time: TIME, _dt.timedelta: DURATION, pd.Timedelta: DURATION, type(None): MISSING,
    type(pd.NA): MISSING, type(pd.NaT): MISSING,
}
_PY_KIND.update({t: NUMBER for t in (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                                     np.float16, np.float32, np.float64)})
_PY_KIND.update({np.datetime64: DATETIME, np.timedelta64: DURATION})
_INFERRED: dict[str, int] = {
    "datetime": DATETIME, "datetime64": DATETIME, "date": DATE, "time": TIME, "timedelta": DURATION,
    "timedelta64": DURATION, "boolean": BOOL,
}


class Cells:
    """One raw column, classified.

    Attributes
    ----------
    kind : ndarray of uint8
        The kind of each cell (``MISSING``, ``TEXT``, ``NUMBER``, ...).
    text : Series of str
        Each non-missing cell as text: text cells stripped, numbers as written ("101", "2.5"),
        dates, times and durations in ISO 8601, booleans TRUE/FALSE, other objects their type name.
        For a column of numbers it is made when first asked for; :meth:`text_at` gives the text of
        a few cells (the bad ones) without making all of it.
    raw_text : Series of str
        Text cells as given (unstripped), for extra columns kept unchanged; NA elsewhere.
    num : ndarray of float
        The number of each number cell, NaN elsewhere. [as given]
    other : ndarray of object
        For ``OTHER`` cells, what they hold in words ("a list", "bytes"); '' elsewhere.
    objects : ndarray of object or None
        JSON-ready values of non-text cells (ints, floats, booleans, ISO text); None where the
        column has none.
    """

    def __init__(self, kind: np.ndarray, text: pd.Series | None, raw_text: pd.Series | None, num: np.ndarray,
                 other: np.ndarray, objects: np.ndarray | None = None, *, index: pd.Index | None = None,
                 ints: np.ndarray | None = None) -> None:
        self.kind = kind
        self.num = num
        self.other = other
        self._text = text
        self._raw_text = raw_text
        self._objects = objects
        self._index = index if index is not None else (text.index if text is not None else pd.RangeIndex(len(kind)))
        #: a column of whole numbers: each cell's int64 (text and objects are made from it when asked)
        self._ints = ints
        self._numbers_lazy = text is None

    @property
    def text(self) -> pd.Series:
        if self._text is None:
            self._text = _str_series(self._number_cells_text(np.arange(len(self.kind))), self._index)
        return self._text

    @property
    def raw_text(self) -> pd.Series:
        if self._raw_text is None:
            self._raw_text = pd.Series(np.nan, index=self._index, dtype="str")
        return self._raw_text

    @property
    def objects(self) -> np.ndarray | None:
        if self._objects is None and self._numbers_lazy:
            out = np.full(len(self.kind), None, dtype=object)
            ok = self.kind == NUMBER
            if self._ints is not None:
                out[ok] = self._ints[ok].astype(object)
            else:
                out[ok] = self.num[ok].astype(object)
            self._objects = out
        return self._objects

    def _number_cells_text(self, idx: np.ndarray) -> np.ndarray:
        """Text of the cells at positions ``idx`` of a column of numbers (None where missing)."""
        out = np.full(len(idx), None, dtype=object)
        sel = self.kind[idx] == NUMBER
        if sel.any():
            at = idx[sel]
            out[sel] = _number_text(self.num[at], self._ints[at] if self._ints is not None else None)
        return out

    def text_at(self, idx: np.ndarray) -> np.ndarray:
        """The text of the cells at positions ``idx`` (as :attr:`text` holds it), as objects."""
        if self._text is None:
            return self._number_cells_text(np.asarray(idx, dtype=np.int64))
        return np.asarray(self._text, dtype=object)[idx]

    def values(self) -> np.ndarray:
        """A JSON-ready value per cell (text as given; None where missing)."""
        objects = self.objects
        out = objects.copy() if objects is not None else np.full(len(self.kind), None, dtype=object)
        num = self.kind == NUMBER
        if objects is None and num.any():
            out[num] = self.num[num].astype(object)
        ist = self.kind == TEXT
        if ist.any():
            out[ist] = self.raw_text[ist].to_numpy(dtype=object)
        out[self.kind == MISSING] = None
        return out


def repeated(value: object, n: int) -> np.ndarray:
    """An object array of ``n`` references to one ``value`` (``np.full`` of a string makes a new
    string per cell, and is 40 times slower)."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def _str_series(values: object, index: pd.Index) -> pd.Series:
    return pd.Series(values, index=index, dtype="str")


def _type_word(v: object) -> str:
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(v, (list, tuple, np.ndarray)):
        return "a list"
    if isinstance(v, (dict,)):
        return "a mapping"
    if isinstance(v, str):
        return "text that is not valid Unicode"
    return f"a {type(v).__name__} object"


def _iso(v: object) -> str:
    if isinstance(v, (pd.Timedelta, _dt.timedelta)):
        return pd.Timedelta(v).isoformat()
    if isinstance(v, np.datetime64):
        v = pd.Timestamp(v)
    if isinstance(v, _dt.datetime) and v.time() == _dt.time(0) and v.tzinfo is None:
        return v.date().isoformat()
    return v.isoformat()  # type: ignore[attr-defined]


def _number_text(num: np.ndarray, ints: np.ndarray | None = None) -> np.ndarray:
    """Numbers as a person writes them: 101 not 101.0, 2.5, 1e+20 (vectorised through Arrow)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(ints) if ints is not None else pa.array(num, from_pandas=True)
    return np.asarray(pc.cast(arr, pa.string()).to_numpy(zero_copy_only=False), dtype=object)


_SURROGATE = re.compile("[\ud800-\udfff]")


def classify(s: pd.Series) -> Cells:
    """Classify every cell of a raw column (see :class:`Cells`).

    A text cell holding a lone surrogate (possible in a frame from Parquet or the editor, never in
    a UTF-8 file) is no valid Unicode text: it is an ``OTHER`` cell in words, which every field
    refuses by name; the scan runs only when Arrow refuses the column.
    """
    try:
        return _classify(s)
    except UnicodeEncodeError:
        bad = np.array([isinstance(v, str) and _SURROGATE.search(v) is not None for v in s.to_numpy(dtype=object)],
                       dtype=bool)
        cells = _classify(s.astype(object).where(~pd.Series(bad, index=s.index), None))
        cells.kind[bad] = OTHER
        cells.other[bad] = "text with a lone surrogate (not valid Unicode)"
        return cells


def _classify(s: pd.Series) -> Cells:
    n = len(s)
    idx = s.index
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype(object)
    dt = s.dtype
    none = np.full(n, None, dtype=object)
    other = repeated("", n)
    if pd.api.types.is_string_dtype(dt) and not pd.api.types.is_object_dtype(dt):
        return _text_cells(s.astype("str"), other)
    if pd.api.types.is_object_dtype(dt):
        inferred = pd.api.types.infer_dtype(s, skipna=True)
        if inferred in ("string", "empty"):
            return _text_cells(s.astype("str"), other)
        if inferred not in ("integer", "floating", "mixed-integer-float", "decimal", "boolean"):
            return _mixed_cells(s, other)
    kind = np.full(n, MISSING, dtype=np.uint8)
    num = np.full(n, np.nan)
    text = none.copy()
    objects = none.copy()
    na = s.isna().to_numpy()
    ok = ~na
    if pd.api.types.is_bool_dtype(dt) or (pd.api.types.is_object_dtype(dt) and pd.api.types.infer_dtype(s, skipna=True) == "boolean"):
        kind[ok] = BOOL
        b = s[ok].to_numpy(dtype=object).astype(bool)
        objects[ok] = b
        text[ok] = np.where(b, "TRUE", "FALSE")
    elif pd.api.types.is_datetime64_any_dtype(dt) or pd.api.types.is_timedelta64_dtype(dt):
        kind[ok] = DURATION if pd.api.types.is_timedelta64_dtype(dt) else DATETIME
        iso = np.array([_iso(v) for v in s[ok]], dtype=object)
        text[ok] = iso
        objects[ok] = iso
    else:  # numbers (numpy, nullable or object ints, floats, decimals): text and objects made when asked
        kind[ok] = NUMBER
        ints = None
        if pd.api.types.is_integer_dtype(dt) or (pd.api.types.is_object_dtype(dt) and pd.api.types.infer_dtype(s, skipna=True) == "integer"):
            try:
                ints = s[ok].to_numpy(dtype=np.int64) if not ok.all() else s.to_numpy(dtype=np.int64)
            except (OverflowError, ValueError, TypeError):  # beyond int64: kept as a float
                ints = None
        full_ints = None
        if ints is not None:
            if ok.all():
                full_ints = ints
            else:
                full_ints = np.zeros(n, dtype=np.int64)
                full_ints[ok] = ints
            num = full_ints.astype(float)
            num[~ok] = np.nan
        elif ok.all() and pd.api.types.is_float_dtype(dt) and not isinstance(dt, pd.api.extensions.ExtensionDtype):
            num = s.to_numpy(dtype=float, copy=True)
        else:
            num[ok] = s[ok].astype(float).to_numpy(dtype=float)
        nan = ok & np.isnan(num)
        kind[nan] = MISSING
        return Cells(kind, None, None, num, other, None, index=idx, ints=full_ints)
    return Cells(kind, _str_series(text, idx), pd.Series(np.nan, index=idx, dtype="str"), num, other, objects)


def _text_cells(raw: pd.Series, other: np.ndarray) -> Cells:
    """A column of text (CSV, a text column of Parquet or the editor): Arrow string kernels only."""
    text = raw.str.strip()
    kind = np.where(text.fillna("").eq("").to_numpy(dtype=bool), MISSING, TEXT).astype(np.uint8)
    return Cells(kind, text.where(text != ""), raw, np.full(len(raw), np.nan), other)


def _mixed_cells(s: pd.Series, other: np.ndarray) -> Cells:
    """An object column of mixed Python values (a spreadsheet column): classified once per cell."""
    idx = s.index
    n = len(s)
    num = np.full(n, np.nan)
    text = np.full(n, None, dtype=object)
    raw_text = np.full(n, None, dtype=object)
    objects = np.full(n, None, dtype=object)
    vals = s.to_numpy(dtype=object)
    kinds = np.fromiter((_PY_KIND.get(type(v), OTHER) for v in vals), dtype=np.uint8, count=n)
    for i in np.flatnonzero(kinds == OTHER):  # subclasses (a str subclass, a datetime subclass)
        v = vals[i]
        kinds[i] = next((k for t, k in _PY_KIND.items() if t is not type(None) and isinstance(v, t)), OTHER)
    isnum = kinds == NUMBER
    if isnum.any():
        f = np.array([float(v) for v in vals[isnum]], dtype=float)
        num[isnum] = f
        nanpos = np.flatnonzero(isnum)[np.isnan(f)]
        kinds[nanpos] = MISSING
        num[nanpos] = np.nan
        isnum = kinds == NUMBER
        text[isnum] = _number_text(num[isnum])
        objects[isnum] = [int(v) if isinstance(v, (int, np.integer)) and not isinstance(v, bool) else float(x)
                          for v, x in zip(vals[isnum], num[isnum])]
    ist = kinds == TEXT
    bad = np.array([_bad_unicode(v) for v in vals[ist]], dtype=bool) if ist.any() else np.zeros(0, dtype=bool)
    if bad.any():  # a lone surrogate: not text any file or store can keep
        pos = np.flatnonzero(ist)[bad]
        kinds[pos] = OTHER
        other[pos] = "text that is not valid Unicode"
        ist = kinds == TEXT
    if ist.any():
        raw_text[ist] = vals[ist]
        text[ist] = pd.Series(vals[ist], dtype="str").str.strip().to_numpy(dtype=object)
        blank = ist.copy()
        blank[ist] = text[ist] == ""
        kinds[blank] = MISSING
        text[blank] = raw_text[blank] = None
    isb = kinds == BOOL
    text[isb] = ["TRUE" if v else "FALSE" for v in vals[isb]]
    objects[isb] = [bool(v) for v in vals[isb]]
    for k in (DATETIME, DATE, TIME, DURATION):
        m = kinds == k
        if m.any():
            iso = np.array([_iso(v) for v in vals[m]], dtype=object)
            text[m] = iso
            objects[m] = iso
    for i in np.flatnonzero(kinds == OTHER):
        other[i] = other[i] or _type_word(vals[i])
        text[i] = other[i]
    return Cells(kinds, _str_series(text, idx), _str_series(raw_text, idx), num, other, objects)


def _bad_unicode(v: object) -> bool:
    try:
        str(v).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def text_problems(text: pd.Series, is_text: np.ndarray, *, identifier: bool) -> list[tuple[np.ndarray, str | np.ndarray]]:
    """Masks of text cells that no field accepts, each with its reason.

    Parameters
    ----------
    text : Series of str
        The cells as text (stripped).
    is_text : ndarray of bool
        Which cells are text cells (others are not checked).
    identifier : bool
        Also refuse tab, line breaks, C1 controls, bidi and zero-width characters.
    """
    out: list[tuple[np.ndarray, str | np.ndarray]] = []
    if not is_text.any():
        return out
    t = text.where(pd.Series(is_text, index=text.index), "")
    length = t.str.len().to_numpy()
    long_ = is_text & (length > MAX_CELL_CHARS)
    if long_.any():
        out.append((long_, np.array([f"text longer than {MAX_CELL_CHARS:,} characters ({n:,})" for n in length[long_]], dtype=object)))
    err = is_text & ~long_ & t.isin(SPREADSHEET_ERRORS).to_numpy()
    if err.any():
        out.append((err, np.array([f"spreadsheet error {v} in the cell: fix the formula it came from" for v in t[err]], dtype=object)))
    rest = is_text & ~long_ & ~err
    pattern = _ID_RE if identifier else _CONTROL_RE
    ctl = np.zeros(len(t), dtype=bool)
    # only cells with a non-printable character (controls, format characters such as bidi marks
    # and zero-width spaces, tabs, line breaks) can fail: Arrow's scan finds them, the regex decides
    maybe = rest & ~_printable(t)
    if maybe.any():
        ctl[maybe] = t[maybe].str.contains(pattern.pattern, regex=True).fillna(False).to_numpy(dtype=bool)
    if ctl.any():
        what = "an identifier may not hold control, bidirectional or zero-width characters" if identifier else "text may not hold control characters"
        reasons = []
        for v in t[ctl]:
            ch = pattern.search(v)
            reasons.append(f"contains the invisible character U+{ord(ch.group(0)):04X}: {what}" if ch else what)
        out.append((ctl, np.array(reasons, dtype=object)))
    return out


def _printable(t: pd.Series) -> np.ndarray:
    """True where every character of the text is printable (Unicode: no control or format character)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(t, type=pa.string(), from_pandas=True)
    # printable ASCII is printable Unicode: the cheap test first, Unicode's on the other cells only
    ok = np.array(pc.fill_null(pc.ascii_is_printable(arr), True).to_numpy(zero_copy_only=False), dtype=bool)
    if not ok.all():
        rest = np.flatnonzero(~ok)
        ok[rest] = np.asarray(pc.fill_null(pc.utf8_is_printable(pc.take(arr, pa.array(rest))), True)
                              .to_numpy(zero_copy_only=False), dtype=bool)
    return ok


def shown(values: pd.Series | np.ndarray) -> np.ndarray:
    """Values as an error message repeats them: cut to :data:`SHOWN_VALUE_CHARS`, length said."""
    v = pd.Series(np.asarray(values, dtype=object), dtype="str").fillna("")
    n = v.str.len().to_numpy()
    out = v.to_numpy(dtype=object)
    long_ = n > SHOWN_VALUE_CHARS
    if long_.any():
        cut = v[long_].str.slice(0, SHOWN_VALUE_CHARS).to_numpy(dtype=object)
        out[long_] = [f"{c}... ({k:,} characters)" for c, k in zip(cut, n[long_])]
    return out

"""Checking one column of an import table, column-wise: a field of the field table
(:func:`check_column`, typed with its default; the whole-column fast path first), an extra column kept
as given (:func:`check_extra`), the headers (:func:`check_headers`) and the column a file lacks
(:func:`absent_column`).  Bad cells go to the table's :class:`CheckContext`.  Used by
:mod:`screening.schema`, which checks whole tables (duplicates, references)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field as _dc_field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from screening.cells import BOOL, DATE, DATETIME, KIND_WORDS, MAX_CELL_CHARS, MISSING, NUMBER, OTHER, TEXT, Cells, classify, repeated, text_problems
from screening.errors import Collector
from screening.import_format import ENUMS, FALSE_WORDS, ID_COLUMNS, TRUE_WORDS, Field
from screening.limits import AMOUNT_BOUND

if TYPE_CHECKING:  # pragma: no cover - typing only
    from screening.typed_columns import Fast

#: An ISO 4217 currency code, as a currency field's text must match it (upper-cased).
_CURRENCY = r"[A-Z]{3}"


@dataclass
class CheckContext:
    """Where one table's rows came from, and where its bad cells go."""

    table: str
    rows: np.ndarray
    srcs: np.ndarray
    errors: Collector
    #: what the fast path learnt of the columns it read (:class:`screening.typed_columns.Fast`):
    #: list positions, where a text value is present, text fields as Arrow strings
    codes: dict[str, np.ndarray] = _dc_field(default_factory=dict)
    present: dict[str, np.ndarray] = _dc_field(default_factory=dict)
    text: dict[str, object] = _dc_field(default_factory=dict)

    def bad(self, mask: np.ndarray, column: str, values: pd.Series | np.ndarray | Cells, reason: str | np.ndarray) -> None:
        self.errors.cells(self.table, mask, self.rows, self.srcs, column, values, reason)


def _unit(f: Field) -> str:
    return f" [{f.unit}]" if f.unit else ""


def _words(c: Cells, mask: np.ndarray) -> np.ndarray:
    """What the masked (non-text, non-number) cells hold, in words."""
    return np.array([KIND_WORDS.get(int(k)) or (o or "an object") for k, o in zip(c.kind[mask], c.other[mask])], dtype=object)


def _bounds(f: Field) -> tuple[float, float]:
    lo = f.min if math.isfinite(f.min) else -AMOUNT_BOUND
    hi = f.max if math.isfinite(f.max) else AMOUNT_BOUND
    return lo, hi


def _numbers(f: Field, c: Cells, open_: np.ndarray, ctx: CheckContext, parsed: np.ndarray | None = None) -> np.ndarray:
    """Numbers of a numeric field; refuses text, booleans, dates, durations, objects, non-finite values.

    Error values are the cells' text (``c``: made for the bad cells only); ``parsed`` holds the
    number of every text cell where all of them parsed (:func:`_parse_all`)."""
    text = c
    num = c.num.copy()
    k = c.kind
    ist = open_ & (k == TEXT)
    if ist.any():
        num[ist] = parsed[ist] if parsed is not None else parse_numbers(c.text[ist])
        badt = ist & np.isnan(num)
        ctx.bad(badt, f.column, text, f"expected a number{_unit(f)}, got text")
        open_ &= ~badt
    notnum = open_ & (k != TEXT) & (k != NUMBER)
    if notnum.any():
        ctx.bad(notnum, f.column, text, np.array([f"expected a number{_unit(f)}, got {w}" for w in _words(c, notnum)], dtype=object))
        open_ &= ~notnum
    v = np.where(open_, num, 0.0)
    inf = open_ & ~np.isfinite(v)
    ctx.bad(inf, f.column, text, "must be a finite number")
    open_ &= ~inf
    v = np.where(open_, v, 0.0)
    if f.type == "int":
        frac = open_ & (v % 1 != 0)
        ctx.bad(frac, f.column, text, "expected a whole number")
        open_ &= ~frac
    lo, hi = _bounds(f)
    own = open_ & ((v < f.min) | (v > f.max))
    if own.any():
        rng = f"{f.min:g}..{f.max:g}" if math.isfinite(f.max) and math.isfinite(f.min) else (f">= {f.min:g}" if math.isfinite(f.min) else f"<= {f.max:g}")
        ctx.bad(own, f.column, text, f"out of range: must be {rng}")
        open_ &= ~own
    general = open_ & ((v < lo) | (v > hi))
    if general.any():
        ctx.bad(general, f.column, text, f"out of range: amounts lie within -{AMOUNT_BOUND:g}..{AMOUNT_BOUND:g} (the import format's bound)")
        open_ &= ~general
    return np.where(open_, num, np.nan)


def _positions(keys: list[str], text: pd.Series) -> np.ndarray:
    """Position of each cell's text among ``keys``, -1 where absent (``Index.get_indexer``, by
    Arrow's hash lookup when the keys are distinct)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if len(set(keys)) != len(keys) or not keys:
        return pd.Index(keys).get_indexer(text)
    try:
        arr = pa.array(text, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return pd.Index(keys).get_indexer(text)
    found = pc.index_in(arr, value_set=pa.array(keys, type=pa.string()))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _parse_all(text: pd.Series, is_text: np.ndarray) -> np.ndarray | None:
    """The number of every text cell (NaN elsewhere) when Arrow parses all of them, else None."""
    import pyarrow as pa
    import pyarrow.compute as pc

    sub = text if is_text.all() else text[is_text]
    try:
        nums = np.asarray(pc.cast(pa.array(sub, type=pa.string(), from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False),
                          dtype=float)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return None
    if is_text.all():
        return nums
    out = np.full(len(text), np.nan)
    out[is_text] = nums
    return out


def _clean_words(f: Field, text: pd.Series, is_text: np.ndarray, parsed: np.ndarray | None) -> np.ndarray:
    """Text cells that cannot fail :func:`~screening.cells.text_problems`: a number Arrow parsed
    (digits, sign, point, exponent, inf, nan) within the length bound, or one of the field's own
    words (yes/no, a category, ...); False where not known."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if parsed is not None:
        arr = pa.array(text, type=pa.string(), from_pandas=True)
        length = np.asarray(pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False))
        return is_text & (length <= MAX_CELL_CHARS)
    words: tuple[str, ...] | None = None
    if f.type == "bool":
        words = tuple(TRUE_WORDS | FALSE_WORDS)
    elif f.type in ENUMS and f.type != "jurisdiction":
        words = ENUMS[f.type]
    if words is None:
        return np.zeros(len(text), dtype=bool)
    return is_text & text.str.lower().isin([w.lower() for w in words]).to_numpy(dtype=bool)


def parse_numbers(text: pd.Series) -> np.ndarray:
    """Numeric text as floats, NaN where it is not a number (Arrow's parser; pandas' on failure)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return np.asarray(pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return np.asarray(pd.to_numeric(text, errors="coerce"), dtype=float)


def fast_path_column(f: Field, raw: pd.Series, jurisdictions: tuple[str, ...]) -> Fast | None:
    """:func:`screening.typed_columns.fast_column` with this module's words and lists."""
    from screening.typed_columns import fast_column

    allowed = (jurisdictions if f.type == "jurisdiction" else ENUMS[f.type]) if f.type in ENUMS else None
    return fast_column(f, raw, allowed=allowed, true_words=TRUE_WORDS, false_words=FALSE_WORDS)


def check_column(f: Field, raw: pd.Series, ctx: CheckContext, jurisdictions: tuple[str, ...], present: bool = True) -> pd.Series:
    """Validate and convert one column of the field table, column-wise; bad cells go to ``ctx``.

    ``present`` is False for a required column missing from the file: that is reported once, as a
    header error, not again for every row.
    """
    return checked_column(f, raw, ctx, jurisdictions, fast_path_column(f, raw, jurisdictions) if present else None,
                          present)


def checked_column(f: Field, raw: pd.Series, ctx: CheckContext, jurisdictions: tuple[str, ...], fast: Fast | None,
                   present: bool = True) -> pd.Series:
    """:func:`check_column` given what the fast path made of the column (:func:`fast_path_column`,
    None where it did not read it): the fast path only reads (it records nothing in ``ctx``), so
    it may run before, elsewhere; what it learnt and every bad cell go to ``ctx`` here, in order."""
    if present:
        if fast is not None:  # no cell can be bad: the typed column from whole-column passes
            for seen, got in ((ctx.codes, fast.codes), (ctx.present, fast.present), (ctx.text, fast.text)):
                if got is not None:
                    seen[f.column] = got
            return fast.values
    c = classify(raw)
    k = c.kind
    missing = k == MISSING
    idx = raw.index
    if f.required and present:
        ctx.bad(missing, f.column, c, "required value is missing")
    open_ = ~missing
    is_text = open_ & (k == TEXT)
    parsed = None
    if is_text.any():
        # cells that are a number or one of the field's words hold no control character, error
        # value or excess length: only the others are looked at (the same bad cells, found faster)
        if f.type in ("float", "int"):
            parsed = _parse_all(c.text, is_text)
        unchecked = is_text & ~_clean_words(f, c.text, is_text, parsed)
        if unchecked.any():
            for mask, reason in text_problems(c.text, unchecked, identifier=f.column in ID_COLUMNS or f.type == "idlist"):
                ctx.bad(mask, f.column, c, reason)
                open_ &= ~mask
    if k.max(initial=0) == OTHER:
        obj = open_ & (k == OTHER)
        ctx.bad(obj, f.column, c, np.array([f"{w} cannot be imported: a cell holds text, a number, a boolean or a date" for w in c.other[obj]], dtype=object))
        open_ &= ~obj

    if f.type in ("float", "int"):
        num = _numbers(f, c, open_, ctx, parsed)
        out = pd.Series(num, index=idx, dtype=float)
        if f.default != "":
            out = out.where(~missing, float(f.default))
        return out.astype("Int64") if f.type == "int" else out
    text = c.text
    if f.type == "bool":
        low = text.str.lower()
        is_t = open_ & (((k == TEXT) & low.isin(TRUE_WORDS).to_numpy()) | ((k == BOOL) & (text == "TRUE").to_numpy()) | ((k == NUMBER) & (c.num == 1)))
        is_f = open_ & (((k == TEXT) & low.isin(FALSE_WORDS).to_numpy()) | ((k == BOOL) & (text == "FALSE").to_numpy()) | ((k == NUMBER) & (c.num == 0)))
        ctx.bad(open_ & ~is_t & ~is_f, f.column, text, "expected yes or no")
        default = (f.default or "no") in TRUE_WORDS
        return pd.Series(np.where(is_t, True, np.where(is_f, False, default)), index=idx, dtype=bool)
    if f.type == "date":
        return _dates(f, c, open_, ctx, idx)
    nontext = open_ & (k != TEXT) & (k != NUMBER)
    if nontext.any():
        ctx.bad(nontext, f.column, text, np.array([f"expected text, got {w}" for w in _words(c, nontext)], dtype=object))
        open_ &= ~nontext
    if f.type == "attribute":
        return _check_attribute(f, text, open_, ctx, idx)
    if f.type in ENUMS:
        allowed = jurisdictions if f.type == "jurisdiction" else ENUMS[f.type]
        canon = np.array(allowed, dtype=object)
        if f.type == "jurisdiction":
            pos = _positions([a.lower() for a in allowed], text.str.lower())
        else:
            pos = _positions(list(allowed), text.str.lower())
        unknown = open_ & (pos < 0)
        what = "jurisdiction" if f.type == "jurisdiction" else f.type.replace("_", " ")
        ctx.bad(unknown, f.column, text, f"unknown {what}: expected one of {', '.join(allowed)}")
        ok = open_ & ~unknown
        vals = np.where(ok, canon[np.clip(pos, 0, None)] if len(canon) else None, None)
        out = pd.Series(vals, index=idx, dtype=object)
        if f.default != "":
            out = out.where(~missing, f.default)
        return out
    if f.type == "currency":
        up = text.str.upper()
        badc = open_ & ~up.str.fullmatch(_CURRENCY).fillna(False).to_numpy(dtype=bool)
        ctx.bad(badc, f.column, text, "expected an ISO 4217 currency code such as EUR")
        ok = open_ & ~badc
        return pd.Series(np.where(ok, up.to_numpy(dtype=object), None), index=idx, dtype=object)
    # text and idlist
    if f.type == "idlist":  # parts stripped, empty parts dropped; an empty list is ''
        text = text.str.replace(r"\s*;\s*", ";", regex=True).str.replace(r";{2,}", ";", regex=True).str.strip(";")
        return pd.Series(np.where(open_, text.to_numpy(dtype=object), np.where(missing, "", None)), index=idx, dtype=object)
    return pd.Series(np.where(open_, text.to_numpy(dtype=object), None), index=idx, dtype=object)


#: A date as the import format writes it (ISO 8601 calendar date).
_ISO_DATE = r"\d{4}-\d{2}-\d{2}"


def _dates(f: Field, c: Cells, open_: np.ndarray, ctx: CheckContext, idx: pd.Index) -> pd.Series:
    """A date field: ISO ``YYYY-MM-DD`` text or a spreadsheet date (a date-time at midnight); kept
    as ISO text.  Refuses other text, impossible dates (2026-02-30), numbers, booleans, times and
    date-times with a time of day, each with its reason."""
    k, text = c.kind, c.text
    iso = text.str.fullmatch(_ISO_DATE).fillna(False).to_numpy(dtype=bool)
    cand = open_ & ((k == TEXT) | (k == DATE) | (k == DATETIME))
    shape = cand & ~iso
    ctx.bad(shape & (k == TEXT), f.column, text, "expected a date as YYYY-MM-DD (e.g. 2026-06-01), got text")
    ctx.bad(shape & (k != TEXT), f.column, text, "expected a date as YYYY-MM-DD, got a date and time (with a time of day)")
    when = pd.to_datetime(text.where(cand & iso), format="%Y-%m-%d", errors="coerce")
    impossible = cand & iso & when.isna().to_numpy()
    ctx.bad(impossible, f.column, text, "not a calendar date (month 01-12, day within the month)")
    other = open_ & ~cand
    if other.any():
        words = np.array(["a number" if kk == NUMBER else w for kk, w in zip(k[other], _words(c, other))], dtype=object)
        full = repeated("", len(k))
        full[other] = [f"expected a date as YYYY-MM-DD, got {w}" for w in words]
        ctx.bad(other, f.column, text, full[other])
    ok = cand & iso & ~impossible
    return pd.Series(np.where(ok, text.to_numpy(dtype=object), None), index=idx, dtype=object)


def absent_column(f: Field, index: pd.Index) -> pd.Series:
    """The typed column of a field the file does not have: what :func:`check_column` makes of a
    column of empty cells (the default, else missing), without looking at a cell.  A required
    column that is absent is reported once, as a header error, by the caller."""
    n = len(index)
    if f.type in ("float", "int"):
        out = pd.Series(np.full(n, float(f.default) if f.default != "" else np.nan), index=index, dtype=float, copy=False)
        return out.astype("Int64") if f.type == "int" else out
    if f.type == "bool":
        return pd.Series(np.full(n, (f.default or "no") in TRUE_WORDS), index=index, dtype=bool, copy=False)
    if f.type == "idlist":
        return pd.Series(repeated("", n), index=index, dtype=object, copy=False)
    if f.type in ENUMS and f.default != "":
        return pd.Series(repeated(f.default, n), index=index, dtype=object, copy=False)
    return pd.Series(np.full(n, None, dtype=object), index=index, dtype=object, copy=False)


def check_extra(name: str, raw: pd.Series, ctx: CheckContext) -> pd.Series:
    """An extra column, kept as given: text, numbers, booleans; dates, times, durations as ISO text."""
    c = classify(raw)
    k = c.kind
    text = c  # the cells' text, made for bad cells only
    bad = np.zeros(len(raw), dtype=bool)
    ist = k == TEXT
    for mask, reason in (text_problems(c.text, ist, identifier=False) if ist.any() else []):
        ctx.bad(mask, name, text, reason)
        bad |= mask
    obj = k == OTHER
    if obj.any():
        ctx.bad(obj, name, text, np.array([f"{w} cannot be imported: a cell holds text, a number, a boolean or a date" for w in c.other[obj]], dtype=object))
        bad |= obj
    inf = (k == NUMBER) & ~np.isfinite(np.where(k == NUMBER, c.num, 0.0))
    ctx.bad(inf, name, text, "must be a finite number")
    bad |= inf
    value = c.values()
    if ist.any():
        value[ist] = c.raw_text[ist].to_numpy(dtype=object)
    value[bad | (k == MISSING)] = None
    return pd.Series(value, index=raw.index, dtype=object)


def check_headers(raw: pd.DataFrame, ctx: CheckContext, src: str) -> pd.DataFrame:
    """Refuse repeated and empty headers (empty ones holding values); keep the first of each name."""
    names = [str(c).strip() for c in raw.columns]
    raw = raw.set_axis(range(len(names)), axis=1)
    keep = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            if name:
                ctx.errors.header(ctx.table, name, "column appears more than once", src)
            continue
        if not name or name.startswith("Unnamed: "):
            if raw[i].notna().any() and (classify(raw[i]).kind != MISSING).any():
                ctx.errors.header(ctx.table, f"(column {i + 1})", "the column holds values but has no header", src)
            continue
        seen.add(name)
        keep.append(i)
    out = raw[keep]
    out.columns = [names[i] for i in keep]
    return out


def _check_attribute(f: Field, text: pd.Series, open_: np.ndarray, ctx: CheckContext, idx: pd.Index) -> pd.Series:
    """A column a policy pack reads (type ``attribute``): its value must be one the packs list.

    The allowed values come from the packs (:func:`screening.pack_values.pack_attribute_values`),
    so a value a new pack lists is allowed without editing the field table; case is ignored and the
    pack's spelling kept (``i`` -> ``I``).
    """
    from screening.pack_values import pack_attribute_values

    allowed = pack_attribute_values().get(f.column, ())
    lower = text.str.lower()
    pos = _positions([a.lower() for a in allowed], lower)
    unknown = open_ & (pos < 0)
    ctx.bad(unknown, f.column, text,
            f"unknown {f.column}: expected one of {', '.join(allowed)} (the values the policy packs read), or empty")
    canon = np.array(allowed, dtype=object)
    ok = open_ & ~unknown
    return pd.Series(np.where(ok, canon[np.clip(pos, 0, None)] if len(canon) else None, None), index=idx, dtype=object)

"""The import format (DESIGN.md section 2) as data, and its validation.

The field table ``fields.csv`` beside this module gives every column's type, whether it is
required, its default, its range and its unit (PyPSA's way: one table that validation, docs and
the UI's column help all read).  :func:`validate` checks raw enterprise and option frames against
it and either returns typed frames with defaults applied, or raises :class:`ValidationError`
listing *every* bad cell at once (row, column, value, reason).

Row numbers in errors are spreadsheet rows: the header is row 1, the first data row is row 2, as a
user sees the file in a spreadsheet or text editor.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from dataclasses import dataclass
from dataclasses import field as _dc_field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

# the spreadsheet formula escape lives in one module; re-exported here for existing callers
from screening.formula_escape import FORMULA_PREFIXES, escape_formula, unescape_formula  # noqa: F401
from screening.cells import BOOL, DATE, DATETIME, KIND_WORDS, MAX_CELL_CHARS, MISSING, NUMBER, OTHER, TEXT, Cells, _number_text, classify, repeated, text_problems
from screening.errors import CellError, Collector, ValidationError  # noqa: F401 - CellError, ValidationError re-exported
from screening.limits import AMOUNT_BOUND, MAX_COLUMNS, MAX_ROWS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from screening.typed_columns import Fast

#: UNEP's eight cleaner-production option types plus end-of-pipe treatment.
CATEGORIES: tuple[str, ...] = (
    "good_housekeeping",
    "input_substitution",
    "process_control",
    "equipment_modification",
    "technology_change",
    "onsite_recovery",
    "byproduct",
    "product_modification",
    "end_of_pipe",
)
#: EU SME size classes (Commission Recommendation 2003/361/EC).
SIZE_CLASSES: tuple[str, ...] = ("micro", "small", "medium", "large")
#: BASF's four-step order, best first: prevent at source > reuse in the process > recover heat > treat.
HIERARCHY: tuple[str, ...] = ("prevent", "reuse_in_process", "recover_heat", "treat")
STATUSES: tuple[str, ...] = ("proposed", "implement_now", "study", "rejected", "selected", "implemented")
#: Policy pack codes an enterprise may name (DESIGN.md section 2).
JURISDICTIONS: tuple[str, ...] = ("NL", "DK", "DE", "FR", "UK", "CN", "US", "EU", "none")

#: Default place in BASF's order for each category (an option's own ``hierarchy`` overrides it).
DEFAULT_HIERARCHY: dict[str, str] = {
    "good_housekeeping": "prevent",
    "input_substitution": "prevent",
    "process_control": "prevent",
    "equipment_modification": "prevent",
    "technology_change": "prevent",
    "product_modification": "prevent",
    "onsite_recovery": "reuse_in_process",
    "byproduct": "reuse_in_process",
    "end_of_pipe": "treat",
}

#: How an option's own debt is repaid (``debt_repayment``; the model is :mod:`finance.financing`).
DEBT_REPAYMENTS: tuple[str, ...] = ("annuity", "linear")

_ENUMS: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "size_class": SIZE_CLASSES,
    "hierarchy": HIERARCHY,
    "status": STATUSES,
    "jurisdiction": JURISDICTIONS,
    "debt_repayment": DEBT_REPAYMENTS,
}
_TRUE = {"yes", "y", "true", "1", "1.0"}
_FALSE = {"no", "n", "false", "0", "0.0"}
_TRUE_WORDS, _FALSE_WORDS = frozenset(_TRUE), frozenset(_FALSE)
_CURRENCY = re.compile(r"^[A-Z]{3}$")

TABLES: tuple[str, ...] = ("enterprises", "options")
KEYS: dict[str, tuple[str, ...]] = {"enterprises": ("enterprise_id",), "options": ("enterprise_id", "option_id")}


@dataclass(frozen=True)
class Field:
    """One column of the import format, as the field table gives it."""

    table: str
    column: str
    type: str
    required: bool
    default: str
    min: float
    max: float
    unit: str
    description: str


@lru_cache(maxsize=1)
def field_table() -> pd.DataFrame:
    """The field table (``fields.csv``) as a DataFrame, one row per column of the import format."""
    return pd.read_csv(Path(__file__).with_name("fields.csv"), dtype=str, keep_default_na=False)


def fields(table: str) -> list[Field]:
    """The fields of ``table`` ("enterprises" or "options") in import-format order."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; expected one of {TABLES}")
    return list(_fields(table))


@lru_cache(maxsize=len(TABLES))
def _fields(table: str) -> tuple[Field, ...]:
    """:func:`fields`, read from the field table once (Field is frozen)."""
    ft = field_table()
    out = []
    for r in ft[ft["table"] == table].itertuples(index=False):
        out.append(
            Field(
                table=r.table,
                column=r.column,
                type=r.type,
                required=r.required == "yes",
                default=r.default,
                min=float(r.min) if r.min else -math.inf,
                max=float(r.max) if r.max else math.inf,
                unit=r.unit,
                description=r.description,
            )
        )
    return tuple(out)


def columns(table: str) -> list[str]:
    """Column names of ``table`` in import-format order."""
    return [f.column for f in fields(table)]


@dataclass(frozen=True)
class Validated:
    """Typed, defaulted frames ready to store or appraise."""

    enterprises: pd.DataFrame
    options: pd.DataFrame


#: Columns that hold identifiers (stricter text: no invisible characters).
ID_COLUMNS: frozenset[str] = frozenset({"enterprise_id", "option_id", "assessor"})


@dataclass
class _Ctx:
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


def _numbers(f: Field, c: Cells, open_: np.ndarray, ctx: _Ctx, parsed: np.ndarray | None = None) -> np.ndarray:
    """Numbers of a numeric field; refuses text, booleans, dates, durations, objects, non-finite values.

    Error values are the cells' text (``c``: made for the bad cells only); ``parsed`` holds the
    number of every text cell where all of them parsed (:func:`_parse_all`)."""
    text = c
    num = c.num.copy()
    k = c.kind
    ist = open_ & (k == TEXT)
    if ist.any():
        num[ist] = parsed[ist] if parsed is not None else _parse_numbers(c.text[ist])
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
        words = tuple(_TRUE | _FALSE)
    elif f.type in _ENUMS and f.type != "jurisdiction":
        words = _ENUMS[f.type]
    if words is None:
        return np.zeros(len(text), dtype=bool)
    return is_text & text.str.lower().isin([w.lower() for w in words]).to_numpy(dtype=bool)


def _parse_numbers(text: pd.Series) -> np.ndarray:
    """Numeric text as floats, NaN where it is not a number (Arrow's parser; pandas' on failure)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        return np.asarray(pc.cast(pa.array(text, type=pa.string(), from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False), dtype=float)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return np.asarray(pd.to_numeric(text, errors="coerce"), dtype=float)


def _fast_column(f: Field, raw: pd.Series, jurisdictions: tuple[str, ...]) -> Fast | None:
    """:func:`screening.typed_columns.fast_column` with this module's words and lists."""
    from screening.typed_columns import fast_column

    allowed = (jurisdictions if f.type == "jurisdiction" else _ENUMS[f.type]) if f.type in _ENUMS else None
    return fast_column(f, raw, allowed=allowed, true_words=_TRUE_WORDS, false_words=_FALSE_WORDS)


def _check_column(f: Field, raw: pd.Series, ctx: _Ctx, jurisdictions: tuple[str, ...], present: bool = True) -> pd.Series:
    """Validate and convert one column of the field table, column-wise; bad cells go to ``ctx``.

    ``present`` is False for a required column missing from the file: that is reported once, as a
    header error, not again for every row.
    """
    if present:
        fast = _fast_column(f, raw, jurisdictions)
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
        is_t = open_ & (((k == TEXT) & low.isin(_TRUE).to_numpy()) | ((k == BOOL) & (text == "TRUE").to_numpy()) | ((k == NUMBER) & (c.num == 1)))
        is_f = open_ & (((k == TEXT) & low.isin(_FALSE).to_numpy()) | ((k == BOOL) & (text == "FALSE").to_numpy()) | ((k == NUMBER) & (c.num == 0)))
        ctx.bad(open_ & ~is_t & ~is_f, f.column, text, "expected yes or no")
        default = (f.default or "no") in _TRUE
        return pd.Series(np.where(is_t, True, np.where(is_f, False, default)), index=idx, dtype=bool)
    if f.type == "date":
        return _dates(f, c, open_, ctx, idx)
    nontext = open_ & (k != TEXT) & (k != NUMBER)
    if nontext.any():
        ctx.bad(nontext, f.column, text, np.array([f"expected text, got {w}" for w in _words(c, nontext)], dtype=object))
        open_ &= ~nontext
    if f.type == "attribute":
        return _check_attribute(f, text, open_, ctx, idx)
    if f.type in _ENUMS:
        allowed = jurisdictions if f.type == "jurisdiction" else _ENUMS[f.type]
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
        badc = open_ & ~up.str.fullmatch(_CURRENCY.pattern.strip("^$")).fillna(False).to_numpy(dtype=bool)
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


def _dates(f: Field, c: Cells, open_: np.ndarray, ctx: _Ctx, idx: pd.Index) -> pd.Series:
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
    """The typed column of a field the file does not have: what :func:`_check_column` makes of a
    column of empty cells (the default, else missing), without looking at a cell.  A required
    column that is absent is reported once, as a header error, by the caller."""
    n = len(index)
    if f.type in ("float", "int"):
        out = pd.Series(np.full(n, float(f.default) if f.default != "" else np.nan), index=index, dtype=float, copy=False)
        return out.astype("Int64") if f.type == "int" else out
    if f.type == "bool":
        return pd.Series(np.full(n, (f.default or "no") in _TRUE), index=index, dtype=bool, copy=False)
    if f.type == "idlist":
        return pd.Series(repeated("", n), index=index, dtype=object, copy=False)
    if f.type in _ENUMS and f.default != "":
        return pd.Series(repeated(f.default, n), index=index, dtype=object, copy=False)
    return pd.Series(np.full(n, None, dtype=object), index=index, dtype=object, copy=False)


def _check_extra(name: str, raw: pd.Series, ctx: _Ctx) -> pd.Series:
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


def _headers(raw: pd.DataFrame, ctx: _Ctx, src: str) -> pd.DataFrame:
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


def _check_attribute(f: Field, text: pd.Series, open_: np.ndarray, ctx: _Ctx, idx: pd.Index) -> pd.Series:
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


def validate(
    enterprises: pd.DataFrame | None,
    options: pd.DataFrame | None,
    *,
    known_enterprise_ids: Iterable[str] = (),
    known_option_keys: Iterable[tuple[str, str]] = (),
    jurisdictions: Iterable[str] = JURISDICTIONS,
    sources: dict[str, str | np.ndarray] | None = None,
    row_offsets: dict[str, np.ndarray] | None = None,
) -> Validated:
    """Validate raw import frames; return typed frames with defaults applied.

    Every check works on whole columns (hash joins for duplicates and references), so the time
    grows linearly with rows, columns and cell length.

    Parameters
    ----------
    enterprises, options : DataFrame or None
        Raw frames in the import format (any dtypes; text cells are parsed).  Extra columns are
        kept as attributes: text, numbers and booleans as given, dates, times and durations as
        ISO 8601 text.
    known_enterprise_ids : iterable of str
        Enterprises already stored, which options may refer to.
    known_option_keys : iterable of (enterprise_id, option_id)
        Options already stored, which ``excludes`` may refer to.
    jurisdictions : iterable of str
        Accepted jurisdiction codes.
    sources : dict
        Table name -> file name (or one file name per row), used in error messages.
    row_offsets : dict
        Table name -> spreadsheet row number of each frame row (default: position + 2).

    Returns
    -------
    Validated

    Raises
    ------
    ValidationError
        With every bad cell: missing, repeated or unnamed column, missing value, wrong type (a
        numeric field takes numbers only: no booleans, dates or durations), spreadsheet error
        value, control character (identifiers: also bidi and zero-width characters), text longer
        than :data:`~screening.cells.MAX_CELL_CHARS`, out of range (amounts within
        :data:`~screening.limits.AMOUNT_BOUND`), unknown category / size class / jurisdiction,
        duplicate id, option whose enterprise does not exist, ``excludes`` naming an unknown
        option, eligible investment above the investment; more rows or columns than
        :data:`~screening.limits.MAX_ROWS` / :data:`~screening.limits.MAX_COLUMNS`.
    """
    errors = Collector()
    sources = sources or {}
    juris = tuple(jurisdictions)
    out: dict[str, pd.DataFrame] = {}
    ctxs: dict[str, _Ctx] = {}
    for table, raw in (("enterprises", enterprises), ("options", options)):
        if raw is None:
            out[table] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns(table)})
            ctxs[table] = _Ctx(table, np.array([], dtype=np.int64), np.array([], dtype=object), errors)
            continue
        raw = raw.reset_index(drop=True)
        rows = np.asarray((row_offsets or {}).get(table, np.arange(len(raw)) + 2), dtype=np.int64)
        srcs = _per_row(sources.get(table, ""), len(raw))
        src = str(srcs[0]) if len(srcs) else ""
        ctx = ctxs[table] = _Ctx(table, rows, srcs, errors)
        if len(raw) > MAX_ROWS or raw.shape[1] > MAX_COLUMNS:
            what = f"{len(raw):,} rows (at most {MAX_ROWS:,})" if len(raw) > MAX_ROWS else f"{raw.shape[1]:,} columns (at most {MAX_COLUMNS:,})"
            errors.header(table, "(table)", f"too large: {what}; split the file", src)
            out[table] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns(table)})
            continue
        raw = _headers(raw, ctx, src)
        typed: dict[str, pd.Series] = {}
        for f in fields(table):
            present = f.column in raw.columns
            if not present:
                if f.required:
                    errors.header(table, f.column, "required column is missing", src)
                typed[f.column] = absent_column(f, raw.index)
            else:
                typed[f.column] = _check_column(f, raw[f.column], ctx, juris)
        for extra in [c for c in raw.columns if c not in typed]:
            typed[extra] = _check_extra(extra, raw[extra], ctx)
        # each typed column is a fresh array: the frame takes them as they are (no copy into
        # consolidated blocks, which cost as much as all the checks)
        out[table] = pd.DataFrame(typed, index=raw.index, copy=False)

    ent, opt = out["enterprises"], out["options"]
    _check_duplicates(ent, ctxs["enterprises"])
    _check_duplicates(opt, ctxs["options"])
    if len(opt):
        _check_references(opt, ctxs["options"], ent, known_enterprise_ids, known_option_keys)
    errors.raise_if_any()

    if len(opt):
        opt["depreciation_years"] = opt["depreciation_years"].fillna(opt["lifetime_years"])
        opt["eligible_investment"] = opt["eligible_investment"].fillna(opt["investment"])
        opt["hierarchy"] = _default_hierarchy(opt, ctxs["options"])
    return Validated(ent.reset_index(drop=True), opt.reset_index(drop=True))


def _default_hierarchy(opt: pd.DataFrame, ctx: _Ctx) -> pd.Series:
    """Each option's place in BASF's order: its own, else its category's default."""
    codes = ctx.codes.get("category")
    if codes is None:
        return opt["hierarchy"].fillna(opt["category"].map(DEFAULT_HIERARCHY))
    given = opt["hierarchy"].to_numpy(dtype=object)
    unset = pd.isna(given)
    if not unset.any():
        return opt["hierarchy"]
    by_category = np.array([DEFAULT_HIERARCHY[c] for c in CATEGORIES] + [None], dtype=object)
    return pd.Series(np.where(unset, by_category[codes], given), index=opt.index, dtype=object, copy=False)


def _key_text(frame: pd.DataFrame, keys: Iterable[str]) -> pd.Series:
    """A composite key as one text (parts joined by U+001F, which no identifier may hold)."""
    keys = list(keys)
    out = frame[keys[0]].astype("str")
    for k in keys[1:]:
        out = out + "\x1f" + frame[k].astype("str")
    return out


def _is_in(values: pd.Series, text: object | None, known: pd.Index) -> np.ndarray:
    """Which values are among ``known`` (Arrow's hash lookup where the column is kept as Arrow strings)."""
    if text is not None:
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            wanted = pa.array(known.to_numpy(dtype=object), type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
            return values.isin(known).to_numpy()
        found = pc.fill_null(pc.is_in(text, value_set=wanted), False)
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)
    return values.isin(known).to_numpy()


def _check_references(opt: pd.DataFrame, ctx: _Ctx, ent: pd.DataFrame, known_enterprise_ids: Iterable[str],
                      known_option_keys: Iterable[tuple[str, str]]) -> None:
    """Options' enterprises exist; eligible investment within the investment; excludes name options."""
    eid = opt["enterprise_id"]
    known = pd.Index(list(map(str, known_enterprise_ids))).append(pd.Index(ent["enterprise_id"].dropna().astype(str))).unique()
    orphan = _present(opt, ctx, "enterprise_id") & ~_is_in(eid, ctx.text.get("enterprise_id"), known)
    ctx.bad(orphan, "enterprise_id", eid, "enterprise does not exist")
    inv, elig = opt["investment"], opt["eligible_investment"]
    over = (elig > inv + 1e-9).fillna(False).to_numpy(dtype=bool)
    if over.any():
        ctx.bad(over, "eligible_investment", _number_text(elig.to_numpy(dtype=float)),
                np.array([f"out of range: must be 0..investment ({v:g})" for v in inv[over]], dtype=object))
    ex = opt["excludes"]
    has = _present(opt, ctx, "excludes") & _present(opt, ctx, "enterprise_id") & _present(opt, ctx, "option_id")
    if not has.any():
        return
    pos = np.flatnonzero(has)
    parts = ex[has].str.split(";").explode()
    sub = pd.DataFrame({"pos": np.repeat(pos, ex[has].str.count(";").to_numpy() + 1), "other": parts.to_numpy(dtype=object)})
    sub = sub[sub["other"] != ""]
    sub["e"] = eid.to_numpy(dtype=object)[sub["pos"]]
    sub["o"] = opt["option_id"].to_numpy(dtype=object)[sub["pos"]]
    stored = pd.Index([f"{e}\x1f{o}" for e, o in known_option_keys])
    keys = stored.append(pd.Index(_key_text(opt[eid.notna() & opt["option_id"].notna()], ["enterprise_id", "option_id"])))
    self_ = (sub["other"] == sub["o"]).to_numpy()
    wanted = (sub["e"].astype(str) + "\x1f" + sub["other"].astype(str))
    unknown = ~self_ & ~wanted.isin(keys).to_numpy()
    bad = sub[self_ | unknown]
    if not len(bad):
        return
    sel = self_ | unknown
    reasons = np.where(self_[sel], "an option cannot exclude itself",
                       "excludes unknown option " + bad["other"].map(repr).to_numpy(dtype=str) + " of enterprise "
                       + bad["e"].map(repr).to_numpy(dtype=str)).astype(object)
    # one record per bad reference, as before: row, the excludes text, the reason
    ctx.bad(bad["pos"].to_numpy(dtype=np.int64), "excludes", ex.astype("str").to_numpy(dtype=object), reasons)


def _per_row(source: str | np.ndarray, n: int) -> np.ndarray:
    """One source name per row."""
    if isinstance(source, str):
        return repeated(source, n)
    return np.asarray(source, dtype=object)


def _factorized(values: pd.Series) -> tuple[np.ndarray, int]:
    """Each value's code (-1 where missing) and the number of distinct values (``pd.factorize``
    on the Python strings, whose hashes they keep: faster than Arrow's on distinct ids)."""
    part, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    return part, len(uniques)


def _present(frame: pd.DataFrame, ctx: _Ctx, column: str) -> np.ndarray:
    """Where a text column's typed value is neither missing nor ''."""
    got = ctx.present.get(column)
    if got is not None:
        return got
    col = frame[column]
    return col.notna().to_numpy() & (col.fillna("") != "").to_numpy()


def _check_duplicates(frame: pd.DataFrame, ctx: _Ctx) -> None:
    """Report every row whose key repeats an earlier row's key (hash-based: linear in rows)."""
    if not len(frame):
        return
    keys = list(KEYS[ctx.table])
    sub = frame[keys]
    # one integer per distinct key: each part's code (-1 where missing), combined (the same rows
    # repeat as with the parts joined into one text, without making that text for every row)
    parts = {keys[-1]: _factorized(sub[keys[-1]])}
    last, distinct = parts[keys[-1]]
    if distinct == int((last >= 0).sum()):  # the last part (option_id) alone never repeats
        return
    valid = np.ones(len(sub), dtype=bool)
    combined = np.zeros(len(sub), dtype=np.int64)
    for k in keys:
        part, distinct = parts[k] if k in parts else _factorized(sub[k])
        valid &= part >= 0
        combined = combined * (distinct + 1) + (part + 1)
    if not valid.any():
        return
    combined[~valid] = -1
    codes, _ = pd.factorize(combined)
    # codes number the keys in order of first appearance: a row repeats an earlier key unless its
    # code is a new maximum (Series.duplicated(keep="first"), without a second hash pass)
    seen = np.maximum.accumulate(codes)
    first = np.ones(len(codes), dtype=bool)
    first[1:] = seen[1:] > seen[:-1]
    dup = valid & ~first
    if not dup.any():
        return
    first_pos = np.full(codes.max() + 1, -1, dtype=np.int64)
    firsts = np.flatnonzero(valid & ~dup)
    first_pos[codes[firsts]] = firsts
    first_rows = ctx.rows[first_pos[codes[dup]]]
    at = np.flatnonzero(dup)
    shown_key = np.full(len(sub), None, dtype=object)
    shown_key[at] = [" / ".join(str(v) for v in parts) for parts in zip(*(sub[k].to_numpy(dtype=object)[at] for k in keys))]
    ctx.bad(dup, keys[-1], shown_key, np.char.add(np.char.add("duplicate id (first seen in row ", first_rows.astype(str)), ")").astype(object))


def detect_kind(frame: pd.DataFrame) -> str | None:
    """Recognise a frame's kind from its columns: "options", "enterprises" or None."""
    cols = {str(c).strip() for c in frame.columns}
    if {"option_id", "enterprise_id"} <= cols:
        return "options"
    if "enterprise_id" in cols and "option_id" not in cols and ({"jurisdiction", "size_class", "name"} & cols):
        return "enterprises"
    return None


#: Columns of an assessors' scores file (long format: one score per option, assessor and criterion).
SCORE_FIELDS: tuple[Field, ...] = (
    Field("assessor_scores", "enterprise_id", "text", True, "", -math.inf, math.inf, "", "The option's enterprise"),
    Field("assessor_scores", "option_id", "text", True, "", -math.inf, math.inf, "", "The option scored"),
    Field("assessor_scores", "assessor", "text", True, "", -math.inf, math.inf, "", "Who scored"),
    Field("assessor_scores", "criterion", "text", True, "", -math.inf, math.inf, "", "technical_feasibility or implementability"),
    Field("assessor_scores", "score", "float", True, "", 1.0, 10.0, "score", "The assessor's score"),
)
SCORE_CRITERIA: tuple[str, ...] = ("technical_feasibility", "implementability")


def validate_scores(
    frame: pd.DataFrame | None,
    option_keys: Iterable[tuple[str, str]],
    *,
    sources: str | np.ndarray = "",
    rows: np.ndarray | None = None,
) -> tuple[pd.DataFrame, ValidationError | None]:
    """Validate assessors' scores column-wise; return the typed scores and the bad cells (or None).

    Parameters
    ----------
    frame : DataFrame or None
        Raw scores with the columns of :data:`SCORE_FIELDS`.
    option_keys : iterable of (enterprise_id, option_id)
        Options that exist (stored or imported with the scores).
    sources, rows
        File name(s) and spreadsheet row of each frame row, for the messages.
    """
    cols = [f.column for f in SCORE_FIELDS]
    if frame is None:
        return pd.DataFrame(columns=cols), None
    errors = Collector()
    frame = frame.reset_index(drop=True)
    rows_ = np.asarray(rows if rows is not None else np.arange(len(frame)) + 2, dtype=np.int64)
    srcs = _per_row(sources, len(frame))
    ctx = _Ctx("assessor_scores", rows_, srcs, errors)
    frame = _headers(frame, ctx, str(srcs[0]) if len(srcs) else "")
    missing = [c for c in cols if c not in frame.columns]
    for c in missing:
        errors.header("assessor_scores", c, "required column is missing", str(srcs[0]) if len(srcs) else "")
    if missing:
        return frame, ValidationError(errors.frame())
    typed = {f.column: _check_column(f, frame[f.column], ctx, JURISDICTIONS) for f in SCORE_FIELDS}
    out = pd.DataFrame(typed)
    crit = out["criterion"]
    unknown = crit.notna().to_numpy() & ~crit.isin(SCORE_CRITERIA).to_numpy()
    ctx.bad(unknown, "criterion", crit.astype("str"), f"unknown criterion: expected one of {', '.join(SCORE_CRITERIA)}")
    both = (out["enterprise_id"].notna() & out["option_id"].notna()).to_numpy()
    known = pd.Index([f"{e}\x1f{o}" for e, o in option_keys])
    absent = both & ~_key_text(out, ["enterprise_id", "option_id"]).isin(known).to_numpy()
    if absent.any():
        ctx.bad(absent, "option_id", out["option_id"].astype("str"),
                np.array([f"option does not exist for enterprise {e!r}" for e in out["enterprise_id"][absent]], dtype=object))
    full = out[["enterprise_id", "option_id", "assessor", "criterion"]].notna().all(axis=1).to_numpy()
    dup = full & out.duplicated(["enterprise_id", "option_id", "assessor", "criterion"]).to_numpy()
    ctx.bad(dup, "criterion", crit.astype("str"), "duplicate score for this option, assessor and criterion")
    return out, (ValidationError(errors.frame()) if errors else None)

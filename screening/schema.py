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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

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

_ENUMS: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "size_class": SIZE_CLASSES,
    "hierarchy": HIERARCHY,
    "status": STATUSES,
    "jurisdiction": JURISDICTIONS,
}
_TRUE = {"yes", "y", "true", "1", "1.0"}
_FALSE = {"no", "n", "false", "0", "0.0"}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Leading characters that make spreadsheets evaluate a cell as a formula (OWASP CSV injection).
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

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
    return out


def columns(table: str) -> list[str]:
    """Column names of ``table`` in import-format order."""
    return [f.column for f in fields(table)]


@dataclass(frozen=True)
class CellError:
    """One bad cell (or a missing column, where ``row`` is None).

    Attributes
    ----------
    table : str
        "enterprises" or "options".
    row : int or None
        Spreadsheet row (header = 1, first data row = 2); None for a whole-column problem.
    column : str
        The column's name.
    value : str
        The offending value as text ('' for an empty cell).
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


class ValidationError(ValueError):
    """Raised when import data has bad cells; ``errors`` lists every one of them."""

    def __init__(self, errors: list[CellError]):
        self.errors = errors
        shown = "; ".join(str(e) for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} bad cell(s): {shown}{more}")

    def frame(self) -> pd.DataFrame:
        """Every error as a table (source, table, row, column, value, reason)."""
        return pd.DataFrame(
            [
                {"source": e.source, "table": e.table, "row": e.row, "column": e.column, "value": e.value, "reason": e.reason}
                for e in self.errors
            ],
            columns=["source", "table", "row", "column", "value", "reason"],
        )


@dataclass(frozen=True)
class Validated:
    """Typed, defaulted frames ready to store or appraise."""

    enterprises: pd.DataFrame
    options: pd.DataFrame


def _is_missing(s: pd.Series) -> pd.Series:
    """True where a raw cell is empty (NaN, None or blank text)."""
    txt = s.astype("string")
    return s.isna() | txt.str.strip().fillna("").eq("")


def unescape_formula(s: pd.Series) -> pd.Series:
    """Undo :func:`escape_formula`: drop a leading apostrophe put before a formula character."""
    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return s
    txt = s.astype("string")
    mask = txt.str.startswith("'").fillna(False) & txt.str[1:2].isin(list(FORMULA_PREFIXES)).fillna(False)
    if not mask.any():
        return s
    out = s.copy().astype(object)
    out[mask] = txt[mask].str[1:]
    return out


def escape_formula(s: pd.Series) -> pd.Series:
    """Prefix text cells that start with ``= + - @`` (or tab, CR) with an apostrophe.

    Spreadsheets then show the text instead of running it as a formula (OWASP, "CSV Injection").
    """
    txt = s.astype("string")
    mask = txt.str.startswith(FORMULA_PREFIXES).fillna(False)
    if not mask.any():
        return s
    out = s.copy().astype(object)
    out[mask] = "'" + txt[mask]
    return out


def _text(s: pd.Series) -> pd.Series:
    """Raw cells as stripped text, '' for missing."""
    return s.astype("string").str.strip().fillna("")


def _check_column(
    f: Field,
    raw: pd.Series,
    rows: np.ndarray,
    errors: list[CellError],
    srcs: np.ndarray,
    jurisdictions: tuple[str, ...],
    present: bool = True,
) -> pd.Series:
    """Validate and convert one column; append errors; return the typed column (NaN/None where bad).

    ``present`` is False for a required column missing from the file: that is reported once, as a
    header error, not again for every row.
    """
    missing = _is_missing(raw).to_numpy()
    text = _text(raw)

    def bad(mask: np.ndarray, reason: str) -> None:
        for i in np.flatnonzero(mask):
            errors.append(CellError(f.table, int(rows[i]), f.column, str(text.iat[i]), reason, str(srcs[i])))

    if f.required and present:
        bad(missing, "required value is missing")

    if f.type in ("float", "int"):
        if pd.api.types.is_bool_dtype(raw):
            num = pd.Series(np.full(len(raw), np.nan), index=raw.index)
            bad(~missing, f"expected a number [{f.unit or '-'}], got a boolean")
        else:
            num = pd.to_numeric(raw.where(~pd.Series(missing, index=raw.index)), errors="coerce").astype(float)
        conv_bad = ~missing & num.isna().to_numpy()
        bad(conv_bad, f"expected a number{' [' + f.unit + ']' if f.unit else ''}, got text")
        vals = num.to_numpy()
        ok = ~missing & ~conv_bad
        inf = ok & ~np.isfinite(np.where(ok, vals, 0.0))
        bad(inf, "must be a finite number")
        ok &= ~inf
        if f.type == "int":
            frac = ok & (np.where(ok, vals, 0.0) % 1 != 0)
            bad(frac, "expected a whole number")
            ok &= ~frac
        lo_bad = ok & (np.where(ok, vals, 0.0) < f.min)
        hi_bad = ok & (np.where(ok, vals, 0.0) > f.max)
        rng = f"{f.min:g}..{f.max:g}" if math.isfinite(f.max) else f">= {f.min:g}"
        bad(lo_bad | hi_bad, f"out of range: must be {rng}")
        ok &= ~(lo_bad | hi_bad)
        out = pd.Series(np.where(ok, vals, np.nan), index=raw.index, dtype=float)
        if f.default != "":
            out = out.where(~pd.Series(missing, index=raw.index), float(f.default))
        if f.type == "int":
            return out.astype("Int64")
        return out
    if f.type == "bool":
        low = text.str.lower()
        is_t = low.isin(_TRUE).to_numpy()
        is_f = low.isin(_FALSE).to_numpy()
        bad(~missing & ~is_t & ~is_f, "expected yes or no")
        default = (f.default or "no") in _TRUE
        return pd.Series(np.where(is_t, True, np.where(is_f, False, default)), index=raw.index, dtype=bool)
    if f.type == "attribute":
        return _check_attribute(f, text, missing, bad)
    if f.type in _ENUMS or f.type == "jurisdiction":
        allowed = jurisdictions if f.type == "jurisdiction" else _ENUMS[f.type]
        norm = text if f.type == "jurisdiction" else text.str.lower()
        if f.type == "jurisdiction":
            lower_map = {a.lower(): a for a in allowed}
            norm = text.str.lower().map(lambda v: lower_map.get(v, v))
        unknown = ~missing & ~norm.isin(allowed).to_numpy()
        what = "jurisdiction" if f.type == "jurisdiction" else f.type.replace("_", " ")
        bad(unknown, f"unknown {what}: expected one of {', '.join(allowed)}")
        out = norm.where(~pd.Series(missing | unknown, index=raw.index), None).astype(object)
        if f.default != "":
            out = out.where(~pd.Series(missing, index=raw.index), f.default)
        return out
    if f.type == "currency":
        up = text.str.upper()
        badc = ~missing & ~up.str.match(_CURRENCY).fillna(False).to_numpy()
        bad(badc, "expected an ISO 4217 currency code such as EUR")
        return up.where(~pd.Series(missing | badc, index=raw.index), None).astype(object)
    # text and idlist
    out = text.where(~pd.Series(missing, index=raw.index), None).astype(object)
    if f.type == "idlist":
        out = out.fillna("").map(lambda v: ";".join(p.strip() for p in str(v).split(";") if p.strip()))
    return out


def _check_attribute(f: Field, text: pd.Series, missing: np.ndarray, bad: Callable[[np.ndarray, str], None]) -> pd.Series:
    """A column a policy pack reads (type ``attribute``): its value must be one the packs list.

    The allowed values come from the packs (:func:`screening.pack_values.pack_attribute_values`),
    so a value a new pack lists is allowed without editing the field table; case is ignored and the
    pack's spelling kept (``i`` -> ``I``).
    """
    from screening.pack_values import pack_attribute_values

    allowed = pack_attribute_values().get(f.column, ())
    canonical = {a.lower(): a for a in allowed}
    norm = text.str.lower().map(lambda v: canonical.get(v, v))
    unknown = ~missing & ~norm.isin(allowed).to_numpy()
    bad(unknown, f"unknown {f.column}: expected one of {', '.join(allowed)} (the values the policy packs read), or empty")
    return norm.astype(object).where(~pd.Series(missing | unknown, index=text.index), None)


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

    Parameters
    ----------
    enterprises, options : DataFrame or None
        Raw frames in the import format (any dtypes; text cells are parsed).  Extra columns are
        kept unchanged as attributes.
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
        With every bad cell: missing required column, missing value, wrong type, out of range,
        unknown category / size class / jurisdiction, duplicate id, option whose enterprise does not
        exist, ``excludes`` naming an unknown option, eligible investment above the investment.
    """
    errors: list[CellError] = []
    sources = sources or {}
    juris = tuple(jurisdictions)
    out: dict[str, pd.DataFrame] = {}
    for table, raw in (("enterprises", enterprises), ("options", options)):
        if raw is None:
            out[table] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns(table)})
            continue
        raw = raw.reset_index(drop=True)
        raw.columns = [str(c).strip() for c in raw.columns]
        rows = (row_offsets or {}).get(table, np.arange(len(raw)) + 2)
        srcs = _per_row(sources.get(table, ""), len(raw))
        src = str(srcs[0]) if len(srcs) else ""
        dup_cols = raw.columns[raw.columns.duplicated()].unique()
        for c in dup_cols:
            errors.append(CellError(table, None, c, "", "column appears more than once", src))
        raw = raw.loc[:, ~raw.columns.duplicated()]
        typed: dict[str, pd.Series] = {}
        for f in fields(table):
            if f.column not in raw.columns:
                if f.required:
                    errors.append(CellError(table, None, f.column, "", "required column is missing", src))
                col = pd.Series([None] * len(raw), index=raw.index, dtype=object)
            else:
                col = unescape_formula(raw[f.column])
            typed[f.column] = _check_column(f, col, rows, errors, srcs, juris, present=f.column in raw.columns)
        frame = pd.DataFrame(typed, index=raw.index)
        for extra in [c for c in raw.columns if c not in frame.columns]:
            frame[extra] = unescape_formula(raw[extra])
        frame.attrs["rows"] = rows
        frame.attrs["srcs"] = srcs
        out[table] = frame

    ent, opt = out["enterprises"], out["options"]
    _check_duplicates(ent, "enterprises", errors)
    _check_duplicates(opt, "options", errors)

    known = set(map(str, known_enterprise_ids)) | set(ent["enterprise_id"].dropna())
    if len(opt):
        rows, srcs = opt.attrs["rows"], opt.attrs["srcs"]
        eid = opt["enterprise_id"]
        orphan = eid.notna() & ~eid.isin(known)
        for i in np.flatnonzero(orphan.to_numpy()):
            errors.append(CellError("options", int(rows[i]), "enterprise_id", str(eid.iat[i]), "enterprise does not exist", str(srcs[i])))
        inv, elig = opt["investment"], opt["eligible_investment"]
        over = (elig > inv + 1e-9).fillna(False).to_numpy()
        for i in np.flatnonzero(over):
            errors.append(
                CellError("options", int(rows[i]), "eligible_investment", f"{elig.iat[i]:g}",
                          f"out of range: must be 0..investment ({inv.iat[i]:g})", str(srcs[i]))
            )
        keys = set(map(tuple, known_option_keys)) | set(zip(opt["enterprise_id"], opt["option_id"]))
        for i, (e, o, ex) in enumerate(zip(opt["enterprise_id"], opt["option_id"], opt["excludes"])):
            if not (isinstance(e, str) and isinstance(o, str) and isinstance(ex, str)):
                continue  # a missing id is reported above
            for other in filter(None, ex.split(";")):
                if other == o:
                    reason = "an option cannot exclude itself"
                elif (e, other) not in keys:
                    reason = f"excludes unknown option {other!r} of enterprise {e!r}"
                else:
                    continue
                errors.append(CellError("options", int(rows[i]), "excludes", str(ex), reason, str(srcs[i])))

    if errors:
        errors.sort(key=lambda e: (e.source, TABLES.index(e.table), -1 if e.row is None else e.row, e.column))
        raise ValidationError(errors)

    if len(opt):
        opt["depreciation_years"] = opt["depreciation_years"].fillna(opt["lifetime_years"])
        opt["eligible_investment"] = opt["eligible_investment"].fillna(opt["investment"])
        opt["hierarchy"] = opt["hierarchy"].fillna(opt["category"].map(DEFAULT_HIERARCHY))
    for frame in (ent, opt):
        frame.attrs.pop("rows", None)
        frame.attrs.pop("srcs", None)
    return Validated(ent.reset_index(drop=True), opt.reset_index(drop=True))


def _per_row(source: str | np.ndarray, n: int) -> np.ndarray:
    """One source name per row."""
    if isinstance(source, str):
        return np.full(n, source, dtype=object)
    return np.asarray(source, dtype=object)


def _check_duplicates(frame: pd.DataFrame, table: str, errors: list[CellError]) -> None:
    """Report every row whose key repeats an earlier row's key."""
    if not len(frame):
        return
    keys = list(KEYS[table])
    sub = frame[keys]
    dup = sub.notna().all(axis=1) & sub.duplicated(keep="first")
    rows, srcs = frame.attrs["rows"], frame.attrs["srcs"]
    for i in np.flatnonzero(dup.to_numpy()):
        val = " / ".join(str(frame[k].iat[i]) for k in keys)
        first = int(rows[np.flatnonzero((sub == sub.iloc[i]).all(axis=1).to_numpy())[0]])
        errors.append(CellError(table, int(rows[i]), keys[-1], val, f"duplicate id (first seen in row {first})", str(srcs[i])))


def detect_kind(frame: pd.DataFrame) -> str | None:
    """Recognise a frame's kind from its columns: "options", "enterprises" or None."""
    cols = {str(c).strip() for c in frame.columns}
    if {"option_id", "enterprise_id"} <= cols:
        return "options"
    if "enterprise_id" in cols and "option_id" not in cols and ({"jurisdiction", "size_class", "name"} & cols):
        return "enterprises"
    return None

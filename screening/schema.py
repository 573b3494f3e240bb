"""The import format (DESIGN.md section 2) as data, and its validation: the one import path.

The parts: :mod:`screening.import_format` (the lists and the field table), :mod:`screening.columns`
(one column checked) and this module (whole tables: headers, columns, duplicates, references;
assessors' scores; a frame's kind).

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
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from screening.cells import _number_text, repeated
import screening.columns as column_checks  # its fast_path_column looked up at each call (the tests replace it)
from screening.columns import CheckContext, absent_column, check_column, check_extra, check_headers, checked_column, parse_numbers
# the spreadsheet formula escape lives in one module; re-exported here for existing callers
from screening.errors import CellError, Collector, ValidationError  # noqa: F401 - CellError, ValidationError re-exported
from screening.formula_escape import FORMULA_PREFIXES, escape_formula, unescape_formula  # noqa: F401
from screening.import_format import (CATEGORIES, DEBT_REPAYMENTS, DEFAULT_HIERARCHY, HIERARCHY, ID_COLUMNS,  # noqa: F401
                                     JURISDICTIONS, KEYS, SIZE_CLASSES, STATUSES, TABLES, Field, columns, field_table,
                                     fields)
from screening.limits import MAX_COLUMNS, MAX_ROWS

if TYPE_CHECKING:  # pragma: no cover - typing only
    from screening.typed_columns import Fast

__all__ = [
    "CATEGORIES", "CellError", "CheckContext", "DEBT_REPAYMENTS", "DEFAULT_HIERARCHY", "FORMULA_PREFIXES", "Field",
    "HIERARCHY", "ID_COLUMNS", "JURISDICTIONS", "KEYS", "SCORE_CRITERIA", "SCORE_FIELDS", "SIZE_CLASSES", "STATUSES",
    "TABLES", "Validated", "ValidationError", "absent_column", "check_column", "columns", "detect_kind",
    "escape_formula", "field_table", "fields", "parse_numbers", "unescape_formula", "validate", "validate_scores",
]


@dataclass(frozen=True)
class Validated:
    """Typed, defaulted frames ready to store or appraise."""

    enterprises: pd.DataFrame
    options: pd.DataFrame


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
    ctxs: dict[str, CheckContext] = {}
    for table, raw in (("enterprises", enterprises), ("options", options)):
        if raw is None:
            out[table] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns(table)})
            ctxs[table] = CheckContext(table, np.array([], dtype=np.int64), np.array([], dtype=object), errors)
            continue
        raw = raw.reset_index(drop=True)
        rows = np.asarray((row_offsets or {}).get(table, np.arange(len(raw)) + 2), dtype=np.int64)
        srcs = _per_row(sources.get(table, ""), len(raw))
        src = str(srcs[0]) if len(srcs) else ""
        ctx = ctxs[table] = CheckContext(table, rows, srcs, errors)
        if len(raw) > MAX_ROWS or raw.shape[1] > MAX_COLUMNS:
            what = f"{len(raw):,} rows (at most {MAX_ROWS:,})" if len(raw) > MAX_ROWS else f"{raw.shape[1]:,} columns (at most {MAX_COLUMNS:,})"
            errors.header(table, "(table)", f"too large: {what}; split the file", src)
            out[table] = pd.DataFrame({c: pd.Series(dtype=object) for c in columns(table)})
            continue
        raw = check_headers(raw, ctx, src)
        typed: dict[str, pd.Series] = {}
        fast = _fast_columns([f for f in fields(table) if f.column in raw.columns], raw, juris)
        for f in fields(table):
            present = f.column in raw.columns
            if not present:
                if f.required:
                    errors.header(table, f.column, "required column is missing", src)
                typed[f.column] = absent_column(f, raw.index)
            else:
                typed[f.column] = checked_column(f, raw[f.column], ctx, juris, fast[f.column])
        for extra in [c for c in raw.columns if c not in typed]:
            typed[extra] = check_extra(extra, raw[extra], ctx)
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


#: Threads reading columns by the fast path at once (:func:`_fast_columns`): the cores, at most 8.
VALIDATE_WORKERS: int = max(1, min(8, os.cpu_count() or 1))


def _fast_columns(present: list[Field], raw: pd.DataFrame, juris: tuple[str, ...]) -> dict[str, Fast | None]:
    """:func:`screening.columns.fast_path_column` of each field the frame has, on
    :data:`VALIDATE_WORKERS` threads: the checks are mostly Arrow's compute functions, which
    release the GIL, and read only their own column (they record nothing), so one column's Arrow
    passes run while another's Python strings are made.  The same results as one by one."""
    cols = [raw[f.column] for f in present]  # taken here: the frame is not indexed from two threads
    if VALIDATE_WORKERS <= 1 or len(present) < 2:
        return {f.column: column_checks.fast_path_column(f, c, juris) for f, c in zip(present, cols)}
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=VALIDATE_WORKERS, thread_name_prefix="cpscreen-validate") as pool:
        got = list(pool.map(lambda fc: column_checks.fast_path_column(fc[0], fc[1], juris), zip(present, cols)))
    return {f.column: g for f, g in zip(present, got)}


def _default_hierarchy(opt: pd.DataFrame, ctx: CheckContext) -> pd.Series:
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


def _check_references(opt: pd.DataFrame, ctx: CheckContext, ent: pd.DataFrame, known_enterprise_ids: Iterable[str],
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


def _present(frame: pd.DataFrame, ctx: CheckContext, column: str) -> np.ndarray:
    """Where a text column's typed value is neither missing nor ''."""
    got = ctx.present.get(column)
    if got is not None:
        return got
    col = frame[column]
    return col.notna().to_numpy() & (col.fillna("") != "").to_numpy()


def _check_duplicates(frame: pd.DataFrame, ctx: CheckContext) -> None:
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
    ctx = CheckContext("assessor_scores", rows_, srcs, errors)
    frame = check_headers(frame, ctx, str(srcs[0]) if len(srcs) else "")
    missing = [c for c in cols if c not in frame.columns]
    for c in missing:
        errors.header("assessor_scores", c, "required column is missing", str(srcs[0]) if len(srcs) else "")
    if missing:
        return frame, ValidationError(errors.frame())
    typed = {f.column: check_column(f, frame[f.column], ctx, JURISDICTIONS) for f in SCORE_FIELDS}
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

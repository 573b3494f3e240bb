"""Import and export in the DESIGN.md section 2 format (CSV, XLSX, Parquet), all-or-nothing.

An import call validates every file first (every bad cell reported at once, see
:func:`screening.schema.validate`) and writes only when all of them are clean, in one transaction:
one bad cell anywhere and the database is left exactly as it was.  Rows whose key is already
stored replace the stored row (an upsert, :mod:`store.upsert`), so importing an export back changes nothing.

Exports are formula-safe: text cells and headers that a spreadsheet would run as a formula
(``= + - @``, their full-width forms, after any leading blanks; see
:mod:`screening.formula_escape`) are written with a leading apostrophe in CSV and XLSX
(:mod:`store.writers`), and :func:`read_files` removes exactly that apostrophe from the CSV and
XLSX files it reads, so export -> import gives back the same text.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterable, Sequence
from typing import IO
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from screening.schema import (
    ValidationError,
    Validated,
    columns,
    fields,
    validate,
    validate_scores,
)
from screening.formula_escape import escape_frame, unescape_formula  # noqa: F401 - unescape_formula re-exported
from store import audit
from store.access import Actor, check_write, readable_ids
from store.writers import csv_text, write_xlsx
from store.errors import StoreError, store_fault  # noqa: F401 - StoreError re-exported
from store.transaction import write_transaction
from store.readers import SCORE_COLUMNS, ImportFileError, RawBatch, read_files
from store.upsert import upsert as _upsert  # edits.py and tests use this name

FORMATS = ("csv", "xlsx", "parquet")
SCORE_CRITERIA = ("technical_feasibility", "implementability")


@dataclass(frozen=True)
class ImportReport:
    """What an import stored."""

    enterprises: int
    options: int
    assessor_scores: int
    notes: tuple[str, ...] = ()

    def as_record(self) -> dict[str, object]:
        return {"enterprises": self.enterprises, "options": self.options, "assessor_scores": self.assessor_scores, "notes": list(self.notes)}


def _stored_keys(cur: duckdb.DuckDBPyConnection, actor: Actor | None = None) -> tuple[set[str], set[tuple[str, str]]]:
    """Stored enterprise ids and option keys; with an actor, only those the actor may read."""
    ents = {r[0] for r in cur.execute("SELECT enterprise_id FROM enterprises").fetchall()}
    opts = {(r[0], r[1]) for r in cur.execute("SELECT enterprise_id, option_id FROM options").fetchall()}
    seen = readable_ids(cur, actor) if actor is not None else None
    if seen is not None:
        ents &= seen
        opts = {k for k in opts if k[0] in seen}
    return ents, opts


def _actor(actor: Actor | None) -> Actor:
    return Actor.local() if actor is None else actor


def import_batch(cur: duckdb.DuckDBPyConnection, batch: RawBatch, *, actor: Actor | None = None) -> ImportReport:
    """Validate every frame of ``batch`` and store them all in one transaction, or nothing.

    The actor (default local mode) must be a member of every enterprise the batch touches (new
    enterprises: an admin); the import and its audit row are one transaction.

    Raises
    ------
    ValidationError
        Listing every bad cell of every file; the database is unchanged.
    store.access.AccessDenied
        The actor may not change an enterprise of the batch; the database is unchanged.
    """
    actor = _actor(actor)
    try:
        known_e, known_o = _stored_keys(cur, actor)
    except duckdb.Error as exc:
        raise store_fault(exc, cur) from exc
    ent, esrc, erow = batch.combined("enterprises")
    opt, osrc, orow = batch.combined("options")
    v_errors: ValidationError | None = None
    try:
        v = validate(
            ent,
            opt,
            known_enterprise_ids=known_e,
            known_option_keys=known_o,
            sources={"enterprises": esrc, "options": osrc},
            row_offsets={"enterprises": erow, "options": orow},
        )
    except ValidationError as exc:
        v_errors = exc
        v = None
    sc, ssrc, srow = batch.combined("assessor_scores")
    # the keys a score may name (only built when the batch has scores: a list of every option)
    new_keys = [] if v is None or sc is None else list(zip(v.options["enterprise_id"], v.options["option_id"]))
    scores, s_errors = validate_scores(sc, [*known_o, *new_keys] if sc is not None else (), sources=ssrc, rows=srow)
    read_errors = ValidationError(batch.errors) if batch.errors else None
    if v_errors is not None or s_errors is not None or read_errors is not None:
        raise ValidationError.merge(read_errors, v_errors, s_errors)
    assert v is not None
    touched = {*map(str, v.enterprises["enterprise_id"].unique()), *map(str, v.options["enterprise_id"].unique()),
               *(map(str, scores["enterprise_id"].unique()) if len(scores) else ())}

    def work() -> None:
        check_write(cur, actor, touched, "import into")
        before = audit.enterprise_digest(cur, touched)
        _write(cur, v, scores)
        audit.record(cur, actor, "import", f"imported {len(v.enterprises)} enterprise(s), {len(v.options)} option(s), "
                     f"{len(scores)} score(s)", touched, before, audit.enterprise_digest(cur, touched))

    write_transaction(cur, work)
    return ImportReport(len(v.enterprises), len(v.options), len(scores), tuple(batch.notes))


def _write(cur: duckdb.DuckDBPyConnection, v: Validated, scores: pd.DataFrame) -> None:
    _upsert(cur, "enterprises", v.enterprises, ["enterprise_id"])
    _upsert(cur, "options", v.options, ["enterprise_id", "option_id"])
    if len(scores):
        cur.register("_new_scores", scores[list(SCORE_COLUMNS)])
        cur.execute(
            "DELETE FROM assessor_scores s USING _new_scores n WHERE s.enterprise_id = n.enterprise_id "
            "AND s.option_id = n.option_id AND s.assessor = n.assessor AND s.criterion = n.criterion"
        )
        cur.execute("INSERT INTO assessor_scores SELECT enterprise_id, option_id, assessor, criterion, score FROM _new_scores")
        cur.unregister("_new_scores")


def import_files(cur: duckdb.DuckDBPyConnection, paths: Sequence[str | os.PathLike[str]], *,
                 actor: Actor | None = None) -> ImportReport:
    """Read and import files in one all-or-nothing transaction (see :func:`import_batch`)."""
    return import_batch(cur, read_files(paths), actor=actor)


def import_frames(
    cur: duckdb.DuckDBPyConnection,
    enterprises: pd.DataFrame | None = None,
    options: pd.DataFrame | None = None,
    assessor_scores: pd.DataFrame | None = None,
    source: str = "",
    *,
    actor: Actor | None = None,
) -> ImportReport:
    """Import raw frames (e.g. from the app's editable table) all-or-nothing."""
    batch = RawBatch()
    for kind, frame in (("enterprises", enterprises), ("options", options), ("assessor_scores", assessor_scores)):
        if frame is not None:
            batch.add(kind, frame, source)
    return import_batch(cur, batch, actor=actor)


def _visible(cur: duckdb.DuckDBPyConnection, actor: Actor | None, enterprise_id: str | None) -> tuple[str, list[object]]:
    """The WHERE clause keeping one enterprise's rows (if given) and only those the actor may read."""
    conds, params = [], []
    if enterprise_id is not None:
        conds.append("enterprise_id = ?")
        params.append(enterprise_id)
    seen = readable_ids(cur, actor) if actor is not None else None
    if seen is not None:
        conds.append("enterprise_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(sorted(seen))
    return (" WHERE " + " AND ".join(conds) if conds else ""), params


def load_table(cur: duckdb.DuckDBPyConnection, table: str, enterprise_id: str | None = None, *,
               actor: Actor | None = None) -> pd.DataFrame:
    """A stored table in the import format (typed), extra attributes as columns, in import order.

    With an ``actor``, only the rows of enterprises the actor may read (:mod:`store.access`).
    """
    cols = columns(table)
    where, params = _visible(cur, actor, enterprise_id)
    sql = f"SELECT {', '.join(cols)}, attributes FROM {table}" + where
    sql += " ORDER BY position"
    df = cur.execute(sql, params).df()
    attrs = df.pop("attributes")
    if attrs.notna().any():
        # each distinct attribute text parsed once (they repeat: 142,607 IAC options hold a few thousand),
        # then taken per row; key order and dtypes are those of parsing every row
        codes, uniques = pd.factorize(attrs, use_na_sentinel=True)
        parsed = pd.DataFrame([json.loads(a) for a in uniques] + ([{}] if (codes < 0).any() else []))
        extra = parsed.iloc[np.where(codes < 0, len(uniques), codes)].set_index(df.index)
        df = pd.concat([df, extra], axis=1)
    for f in fields(table):
        if f.type == "int":
            df[f.column] = df[f.column].astype("Int64")
        elif f.type == "bool":
            df[f.column] = df[f.column].astype(bool)
        elif f.type not in ("float",):
            df[f.column] = df[f.column].astype(object).where(df[f.column].notna(), None)
    return df


def load_scores(cur: duckdb.DuckDBPyConnection, enterprise_id: str | None = None, *, actor: Actor | None = None) -> pd.DataFrame:
    """Stored assessors' scores (long format); with an ``actor``, only those it may read."""
    where, params = _visible(cur, actor, enterprise_id)
    sql = "SELECT enterprise_id, option_id, assessor, criterion, score FROM assessor_scores" + where
    return cur.execute(sql + " ORDER BY enterprise_id, option_id, assessor, criterion", params).df()


def to_export_frame(frame: pd.DataFrame, table: str, *, formula_safe: bool = True) -> pd.DataFrame:
    """A typed frame as it is written to a file: yes/no booleans, and (``formula_safe``) escaped text.

    The writers of :mod:`store.writers` escape what they write themselves: pass
    ``formula_safe=False`` when the frame goes to one of them, so nothing is escaped twice.
    """
    out = frame.copy()
    types = {f.column: f.type for f in fields(table)}
    for c in out.columns:
        if types.get(c) == "bool":
            out[c] = out[c].map({True: "yes", False: "no"})
    return escape_frame(out) if formula_safe else out


class ExportTargetError(ValueError):
    """An export that would overwrite a file, or write through a symbolic link, without ``force``."""


def check_targets(paths: Sequence[Path], *, force: bool = False) -> None:
    """Refuse to overwrite an existing file, or a symbolic link, unless ``force``.

    With ``force`` an existing file is overwritten and a symbolic link is replaced by the new
    file: the link is never followed, so an export writes where it was told, not where a link
    planted in the folder points.

    Raises
    ------
    ExportTargetError
        Naming the first path that is refused; nothing has been written.
    """
    for p in paths:
        if p.is_symlink():
            if not force:
                raise ExportTargetError(f"{p} is a symbolic link; refusing to write through it (use --force to replace the link by the file)")
        elif p.exists():
            if not p.is_file():
                raise ExportTargetError(f"{p} exists and is not a file; not overwritten")
            if not force:
                raise ExportTargetError(f"{p} already exists; not overwritten (use --force to overwrite)")


def _open_target(p: Path, *, force: bool) -> IO[bytes]:
    """Open ``p`` for writing without following a symbolic link (checked again at open: no race)."""
    if force and p.is_symlink():
        p.unlink()
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | (os.O_TRUNC if force else os.O_EXCL)
    try:
        fd = os.open(p, flags, 0o644)
    except FileExistsError as exc:
        raise ExportTargetError(f"{p} already exists; not overwritten (use --force to overwrite)") from exc
    except OSError as exc:
        if p.is_symlink():
            raise ExportTargetError(f"{p} is a symbolic link; refusing to write through it") from exc
        raise
    return os.fdopen(fd, "wb")


def export_dir(cur: duckdb.DuckDBPyConnection, directory: str | os.PathLike[str], fmt: str = "csv",
               *, force: bool = False, actor: Actor | None = None) -> list[Path]:
    """Write enterprises and options (and assessors' scores) to ``directory`` in ``fmt``.

    CSV and Parquet give one file per table; XLSX gives one workbook with a sheet per table.
    Text cells and headers are formula-escaped in CSV and XLSX (spreadsheet formats,
    :mod:`store.writers`), not in Parquet.  Existing files are overwritten, and symbolic links
    replaced (never followed), only with ``force`` (:func:`check_targets`).  With an ``actor``,
    only the enterprises it may read are exported.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")
    d = Path(directory)
    tables = {
        "enterprises": to_export_frame(load_table(cur, "enterprises", actor=actor), "enterprises", formula_safe=False),
        "options": to_export_frame(load_table(cur, "options", actor=actor), "options", formula_safe=False),
    }
    scores = load_scores(cur, actor=actor)
    if len(scores):
        tables["assessor_scores"] = scores
    targets = [d / "cpscreen.xlsx"] if fmt == "xlsx" else [d / f"{name}.{fmt}" for name in tables]
    check_targets(targets, force=force)
    if fmt == "xlsx":
        payloads = [_xlsx_bytes(tables)]  # whole files built first: a refused cell leaves nothing written
    elif fmt == "csv":
        payloads = [csv_text(df).encode("utf-8") for df in tables.values()]
    else:
        payloads = [_parquet_bytes(df) for df in tables.values()]
    d.mkdir(parents=True, exist_ok=True)
    for path, payload in zip(targets, payloads):
        with _open_target(path, force=force) as fh:
            fh.write(payload)
    return targets


def _xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    buf = io.BytesIO()
    write_xlsx(tables, buf)
    return buf.getvalue()


def _parquet_bytes(df: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def stored_counts(cur: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the stored tables (for status lines and tests)."""
    return {t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("enterprises", "options", "assessor_scores", "appraisals", "scenarios")}


def table_fingerprint(cur: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[object, ...]]]:
    """Every stored row of every table, sorted: two equal fingerprints mean an unchanged database."""
    out = {}
    for t in ("enterprises", "options", "assessor_scores", "appraisals", "scenarios"):
        rows = cur.execute(f"SELECT * FROM {t}").fetchall()
        out[t] = sorted(rows, key=repr)
    return out


class UnknownOptionError(ValueError):
    """An option id given for deletion names no stored option (or, without an enterprise, several)."""


#: Tables whose rows belong to one option, keyed on (enterprise_id, option_id).
OPTION_DEPENDENT_TABLES: tuple[str, ...] = ("assessor_scores", "appraisals")


def delete_options(cur: duckdb.DuckDBPyConnection, option_ids: Sequence[str], *, enterprise_id: str | None = None,
                   actor: Actor | None = None) -> int:
    """Delete stored options and every row that belongs to them, in one transaction, or nothing.

    Removed with each option: its assessors' scores and its stored appraisals
    (:data:`OPTION_DEPENDENT_TABLES`).  The option's id is also taken out of the ``excludes``
    lists of the enterprise's remaining options, so what is left still validates (an ``excludes``
    naming an unknown option is refused on import and save).

    Parameters
    ----------
    cur : DuckDBPyConnection
        Cursor on the database (:func:`store.db.cursor`).
    option_ids : sequence of str
        Options to delete; repeats are deleted once.
    enterprise_id : str, optional
        The enterprise the options belong to (option ids are unique only within an enterprise).
        When None, each id must name exactly one stored option.
    actor : store.access.Actor, optional
        Who deletes (default local mode): a member of the options' enterprises; the deletion and
        its audit row are one transaction.

    Returns
    -------
    int
        Number of options deleted. [options]

    Raises
    ------
    UnknownOptionError
        Naming every id that is not stored (for ``enterprise_id``), or that is stored for several
        enterprises when no enterprise is given; the database is left unchanged.
    """
    if isinstance(option_ids, str):
        raise TypeError(f"option_ids must be a sequence of ids, got the single string {option_ids!r}")
    wanted = list(dict.fromkeys(str(o) for o in option_ids))
    if not wanted:
        return 0
    actor = _actor(actor)
    cur.execute("BEGIN TRANSACTION")
    try:
        where, params = _visible(cur, actor, enterprise_id)
        sql = "SELECT enterprise_id, option_id FROM options" + (where + " AND" if where else " WHERE") + " list_contains(?, option_id)"
        sql += " ORDER BY enterprise_id, option_id"  # as listed in the audit row (the table has no key order)
        params.append(wanted)
        found = cur.execute(sql, params).fetchall()
        owners: dict[str, list[str]] = {}
        for e, o in found:
            owners.setdefault(o, []).append(e)
        where = f" of enterprise {enterprise_id!r}" if enterprise_id is not None else ""
        problems = [f"option {o!r}{where} does not exist" for o in wanted if o not in owners]
        problems += [f"option {o!r} is stored for several enterprises ({', '.join(sorted(owners[o]))}): name the enterprise"
                     for o in wanted if len(owners.get(o, [])) > 1]
        if problems:
            raise UnknownOptionError("; ".join(problems) + "; nothing was deleted")
        touched = {e for e, _ in found}
        check_write(cur, actor, touched, "delete options of")
        before = audit.enterprise_digest(cur, touched)
        keys = pd.DataFrame(found, columns=["enterprise_id", "option_id"])
        cur.register("_gone", keys)
        for table in (*OPTION_DEPENDENT_TABLES, "options"):
            cur.execute(f"DELETE FROM {table} t USING _gone g WHERE t.enterprise_id = g.enterprise_id AND t.option_id = g.option_id")
        cur.unregister("_gone")
        gone: dict[str, set[str]] = {}
        for e, o in found:
            gone.setdefault(e, set()).add(o)
        for e, ids in gone.items():
            rows = cur.execute("SELECT option_id, excludes FROM options WHERE enterprise_id = ? AND coalesce(excludes, '') <> ''", [e]).fetchall()
            for o, ex in rows:
                listed = [x.strip() for x in ex.split(";") if x.strip()]
                kept = [x for x in listed if x not in ids]
                if len(kept) != len(listed):
                    cur.execute("UPDATE options SET excludes = ? WHERE enterprise_id = ? AND option_id = ?", [";".join(kept), e, o])
        audit.record(cur, actor, "delete", f"deleted {len(found)} option(s): " + ", ".join(f"{e}/{o}" for e, o in found[:20])
                     + (f" and {len(found) - 20} more" if len(found) > 20 else ""), touched, before,
                     audit.enterprise_digest(cur, touched))
        cur.execute("COMMIT")
    except Exception as exc:
        try:
            cur.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the failure ended the transaction already; report the failure itself
        if isinstance(exc, duckdb.Error):
            raise store_fault(exc, cur) from exc
        raise
    return len(found)


__all__: Iterable[str] = [
    "ExportTargetError",
    "ImportFileError",
    "ImportReport",
    "OPTION_DEPENDENT_TABLES",
    "RawBatch",
    "UnknownOptionError",
    "check_targets",
    "delete_options",
    "export_dir",
    "import_batch",
    "import_files",
    "import_frames",
    "load_scores",
    "load_table",
    "read_files",
    "stored_counts",
    "table_fingerprint",
    "to_export_frame",
    "unescape_formula",
]

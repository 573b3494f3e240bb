"""Stored results: appraisals (with the pack version used) and programme scenarios.

Only ``store`` opens the database; the computation packages return frames and plain data, which
these functions write and read in one transaction each, with parameterised SQL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

import duckdb
import pandas as pd

from records.plain import plain
from records.write import Records, as_records
from store import audit
from store.access import AccessDenied, Actor, check_write, programme_scopes, readable_ids
from store.transaction import write_transaction

KEY_COLUMNS = ("enterprise_id", "option_id")
META_COLUMNS = ("pack", "pack_version", "payback_basis", "support")


def save_appraisals(cur: duckdb.DuckDBPyConnection, results: "pd.DataFrame | Records", on_date: date, *,
                    actor: Actor | None = None) -> int:
    """Write appraisal results in one insert from Arrow (one row per option).

    Parameters
    ----------
    cur : DuckDB cursor
    results : DataFrame or records.write.Records
        ``finance.appraise.appraise`` output (``support`` a list column), or
        ``finance.appraise.appraise_table``'s frame with the items as a nested column ``support``.
    on_date : datetime.date
        Appraisal date; a stored appraisal of the same option and date is replaced.
    actor : store.access.Actor, optional
        Who saves (default local mode): a member of every enterprise of ``results``; the save and
        its audit row are one transaction.

    Returns
    -------
    int
        Rows written.
    """
    table = as_records(results).to_arrow()
    names = table.column_names
    metric_cols = [c for c in names if c not in KEY_COLUMNS + META_COLUMNS + ("appraisal_date",)]
    if table.num_rows == 0:
        return 0
    q = lambda c: '"' + c.replace('"', '""') + '"'  # noqa: E731
    metrics = "to_json(struct_pack(" + ", ".join(f"{q(c)} := {q(c)}" for c in metric_cols) + "))" if metric_cols else "'{}'"
    meta = {c: (q(c) if c in names else "NULL") for c in ("pack", "pack_version", "payback_basis")}
    support = "coalesce(to_json(support), '[]')" if "support" in names else "'[]'"
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    view = f"appraisals_in_{abs(hash((id(table), now)))}"
    actor = Actor.local() if actor is None else actor
    touched = {str(e) for e in table.column("enterprise_id").to_pylist()}
    cur.register(view, table)
    try:
        cur.execute("BEGIN TRANSACTION")
        try:
            check_write(cur, actor, touched, "store appraisals of")
            before = audit.enterprise_digest(cur, touched)
            cur.execute(
                "INSERT OR REPLACE INTO appraisals (enterprise_id, option_id, appraisal_date, computed_at, pack, pack_version, "
                f"payback_basis, metrics, support) SELECT enterprise_id::VARCHAR, option_id::VARCHAR, ?::DATE, ?::TIMESTAMP, "
                f"{meta['pack']}, {meta['pack_version']}, {meta['payback_basis']}, {metrics}, {support} FROM {view}",
                [on_date, now],
            )
            audit.record(cur, actor, "appraisal save", f"stored {table.num_rows} appraisal(s) dated {on_date}", touched,
                         before, audit.enterprise_digest(cur, touched))
            cur.execute("COMMIT")
        except Exception:
            cur.execute("ROLLBACK")
            raise
    finally:
        cur.unregister(view)
    return table.num_rows


def load_appraisals(cur: duckdb.DuckDBPyConnection, on_date: date | None = None, *, actor: Actor | None = None) -> pd.DataFrame:
    """Stored appraisals, metrics expanded into columns (the latest date when ``on_date`` is None).

    With an ``actor``, only the appraisals of enterprises it may read.
    """
    seen = readable_ids(cur, actor) if actor is not None else None
    only = "" if seen is None else " AND enterprise_id IN (SELECT unnest(?::VARCHAR[]))"
    extra: list[object] = [] if seen is None else [sorted(seen)]
    if on_date is None:
        row = cur.execute("SELECT max(appraisal_date) FROM appraisals WHERE true" + only, extra).fetchone()
        if not row or row[0] is None:
            return pd.DataFrame(columns=list(KEY_COLUMNS))
        on_date = row[0]
    df = cur.execute(
        "SELECT enterprise_id, option_id, appraisal_date, pack, pack_version, payback_basis, metrics, support "
        f"FROM appraisals WHERE appraisal_date = ?{only} ORDER BY enterprise_id, option_id",
        [on_date, *extra],
    ).df()
    metrics = pd.DataFrame([json.loads(m) for m in df.pop("metrics")], index=df.index)
    df["support"] = [json.loads(s) if isinstance(s, str) else [] for s in df["support"]]
    return pd.concat([df, metrics], axis=1)


_SCENARIO_ROW = "SELECT * FROM scenarios WHERE name = ?"


def save_scenario(cur: duckdb.DuckDBPyConnection, name: str, pack: str, params: Mapping[str, float], rule: Mapping[str, Any],
                  description: str = "", *, actor: Actor | None = None) -> None:
    """Store (or replace) a named programme scenario, with its audit row, in one transaction.

    The actor (default local mode) must be an admin or a programme officer of ``pack``'s
    jurisdiction, and of the pack of the scenario it replaces.
    """
    if not name or ":" in name:
        raise ValueError(f"scenario name {name!r}: must be non-empty and contain no ':'")
    actor = Actor.local() if actor is None else actor

    def work() -> None:
        scopes = programme_scopes(cur, actor)
        old = cur.execute("SELECT pack FROM scenarios WHERE name = ?", [name]).fetchone()
        if scopes is not None and (pack not in scopes or (old is not None and old[0] not in scopes)):
            raise AccessDenied(f"{actor.email} may not save scenarios of programme {pack} (no programme_officer role of "
                               f"{pack}{' or of the scenario it would replace' if old is not None and old[0] != pack else ''}); "
                               "nothing was changed")
        before = audit.rows_digest(cur, _SCENARIO_ROW, [name])
        cur.execute(
            "INSERT OR REPLACE INTO scenarios (name, pack, params, rule, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [name, pack, json.dumps(plain(dict(params))), json.dumps(plain(dict(rule))), description,
             datetime.now(timezone.utc).replace(tzinfo=None)],
        )
        audit.record(cur, actor, "scenario save", f"saved scenario {name!r} of programme {pack}", (), before,
                     audit.rows_digest(cur, _SCENARIO_ROW, [name]))

    write_transaction(cur, work)


def load_scenarios(cur: duckdb.DuckDBPyConnection, *, actor: Actor | None = None) -> list[dict[str, Any]]:
    """Every stored scenario as a dict (name, pack, params, rule, description); with an ``actor``, those of
    the programmes it may run (admins: all; programme officers: their jurisdictions'; others: none)."""
    scopes = programme_scopes(cur, actor) if actor is not None else None
    rows = cur.execute("SELECT name, pack, params, rule, description FROM scenarios ORDER BY name").fetchall()
    if scopes is not None:
        rows = [r for r in rows if r[1] in scopes]
    return [
        {"name": n, "pack": p, "params": json.loads(pa), "rule": json.loads(r) if r else {}, "description": d or ""}
        for n, p, pa, r, d in rows
    ]

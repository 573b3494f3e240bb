"""Stored results: appraisals (with the pack version used) and programme scenarios.

Only ``store`` opens the database; the computation packages return frames and plain data, which
these functions write and read in one transaction each, with parameterised SQL.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime, timezone
from typing import Any

import duckdb
import numpy as np
import pandas as pd

KEY_COLUMNS = ("enterprise_id", "option_id")
META_COLUMNS = ("pack", "pack_version", "payback_basis", "support")


def plain(v: Any) -> Any:
    """A value as plain JSON: NaN/NA/inf -> None, numpy scalars -> Python, dates -> ISO text, containers recursively."""
    if isinstance(v, Mapping):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, (pd.Timestamp, date)):
        return v.isoformat()
    return v


def save_appraisals(cur: duckdb.DuckDBPyConnection, results: pd.DataFrame, on_date: date) -> int:
    """Write appraisal results (one row per option, as ``finance.appraise.appraise`` returns them).

    A stored appraisal of the same option and date is replaced.  Returns the number of rows.
    """
    metric_cols = [c for c in results.columns if c not in KEY_COLUMNS + META_COLUMNS]
    rows = []
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    for rec in results.to_dict(orient="records"):
        rows.append(
            (
                str(rec["enterprise_id"]), str(rec["option_id"]), on_date, now,
                plain(rec.get("pack")), plain(rec.get("pack_version")), plain(rec.get("payback_basis")),
                json.dumps({c: plain(rec.get(c)) for c in metric_cols}),
                json.dumps(plain(rec.get("support") or [])),
            )
        )
    cur.execute("BEGIN TRANSACTION")
    try:
        cur.executemany(
            "INSERT OR REPLACE INTO appraisals (enterprise_id, option_id, appraisal_date, computed_at, pack, pack_version, "
            "payback_basis, metrics, support) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        cur.execute("COMMIT")
    except Exception:
        cur.execute("ROLLBACK")
        raise
    return len(rows)


def load_appraisals(cur: duckdb.DuckDBPyConnection, on_date: date | None = None) -> pd.DataFrame:
    """Stored appraisals, metrics expanded into columns (the latest date when ``on_date`` is None)."""
    if on_date is None:
        row = cur.execute("SELECT max(appraisal_date) FROM appraisals").fetchone()
        if not row or row[0] is None:
            return pd.DataFrame(columns=list(KEY_COLUMNS))
        on_date = row[0]
    df = cur.execute(
        "SELECT enterprise_id, option_id, appraisal_date, pack, pack_version, payback_basis, metrics, support "
        "FROM appraisals WHERE appraisal_date = ? ORDER BY enterprise_id, option_id",
        [on_date],
    ).df()
    metrics = pd.DataFrame([json.loads(m) for m in df.pop("metrics")], index=df.index)
    df["support"] = [json.loads(s) if isinstance(s, str) else [] for s in df["support"]]
    return pd.concat([df, metrics], axis=1)


def save_scenario(cur: duckdb.DuckDBPyConnection, name: str, pack: str, params: Mapping[str, float], rule: Mapping[str, Any], description: str = "") -> None:
    """Store (or replace) a named programme scenario."""
    if not name or ":" in name:
        raise ValueError(f"scenario name {name!r}: must be non-empty and contain no ':'")
    cur.execute(
        "INSERT OR REPLACE INTO scenarios (name, pack, params, rule, description, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [name, pack, json.dumps(plain(dict(params))), json.dumps(plain(dict(rule))), description, datetime.now(timezone.utc).replace(tzinfo=None)],
    )


def load_scenarios(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every stored scenario as a dict (name, pack, params, rule, description)."""
    rows = cur.execute("SELECT name, pack, params, rule, description FROM scenarios ORDER BY name").fetchall()
    return [
        {"name": n, "pack": p, "params": json.loads(pa), "rule": json.loads(r) if r else {}, "description": d or ""}
        for n, p, pa, r, d in rows
    ]

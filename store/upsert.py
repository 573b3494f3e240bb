"""Writing validated rows into a table of the import format: the upsert every import and save uses.

:func:`upsert` hands DuckDB the rows as Arrow columns taken from the validated frame (no copy of
the frame), updates the rows whose key is stored in place (their key and place in the import order
unchanged) and inserts the others; it takes the key rows of the enterprises it writes, which keeps
every key stored once (:func:`_take_keys`).  It runs inside the caller's transaction
(:func:`store.transaction.write_transaction`): a failure anywhere leaves the database as it was.  Figures in
the comments are CPU seconds measured on 300,000 options (issue 11).
"""

from __future__ import annotations

import json
import math

import duckdb
import numpy as np
import pandas as pd

from screening.schema import columns


def upsert(cur: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, key: list[str]) -> None:
    """Store the rows of a validated ``frame`` in ``table`` (enterprises or options), keyed on ``key``.

    Extra columns (not fields of ``table``) are kept as JSON text in ``attributes``; a row whose key
    is stored replaces it and keeps its place (``position``), a new row goes to the end.
    """
    if not len(frame):
        return
    cols = columns(table)
    extra = [c for c in frame.columns if c not in cols]
    attributes: list[str] | None = None
    if extra:
        ext = frame[extra].astype(object).where(frame[extra].notna(), None)
        attributes = [json.dumps({k: _jsonable(v) for k, v in zip(extra, row) if v is not None}, allow_nan=False,
                                 default=_json_default) for row in ext.itertuples(index=False)]
    rows = _as_arrow(frame, cols, attributes)
    # a replaced row keeps its place in the import order; a new row (or one stored without a place)
    # goes to the end; the stored rows of these keys are found by a join in DuckDB (reading every
    # stored key into pandas to merge there cost ~0.8 s at 300,000 stored options)
    n = len(frame)
    cond = " AND ".join(f"t.{k} = n.{k}" for k in key)
    cur.register("_new_rows", _with_column(rows, "_row", np.arange(n, dtype=np.int64)))
    _take_keys(cur, "_new_rows")  # before the join: see _take_keys
    found = cur.execute(f"SELECT n._row, coalesce(t.position::DOUBLE, 'NaN'::DOUBLE) AS position FROM _new_rows n "
                        f"JOIN {table} t ON {cond}").fetchnumpy()
    cur.unregister("_new_rows")
    stored = np.zeros(n, dtype=bool)
    stored[found["_row"]] = True
    placed = np.full(n, np.nan)
    placed[found["_row"]] = found["position"]
    start = cur.execute(f"SELECT coalesce(max(position), 0) FROM {table}").fetchone()[0]
    unplaced = np.isnan(placed)
    placed[unplaced] = start + 1 + np.arange(int(unplaced.sum()))
    names = [*cols, "attributes", "position"]
    rows = _in_row_groups(_with_column(rows, "position", placed.astype(np.int64)))
    if not stored.any():  # no stored row has one of these keys: only an insert
        cur.register("_new_rows", rows)
        source = "_new_rows"
    else:
        cur.register("_new_rows", _in_row_groups(_with_column(rows, "_stored", stored)))
        # a stored row is updated in place (its key and position unchanged): DuckDB deleting and
        # inserting the same primary keys in one transaction cost ~20 s of CPU for 300,000 options
        # (delete and commit), the update ~1 s; the stored values are the same
        cur.execute(f"UPDATE {table} t SET {', '.join(f'{c} = n.{c}' for c in names if c not in key)} "
                    f"FROM (SELECT * FROM _new_rows WHERE _stored) n WHERE {cond}")
        source = "(SELECT * FROM _new_rows WHERE NOT _stored)"
    # in the frame's order (the tables have no index to build: store.schema._unkeyed); sorting by key
    # cost 1.5 s of CPU at 1,000,000 options
    cur.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {source}")
    cur.unregister("_new_rows")


#: Prefix of the rows of ``meta`` an upsert takes, one per enterprise it writes (``keys:<enterprise_id>``).
KEY_LOCK = "keys:"

_TAKE_KEYS_SQL = (f"INSERT INTO meta SELECT '{KEY_LOCK}' || e, '1' FROM (SELECT DISTINCT enterprise_id AS e FROM {{rows}}) "
                  "ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS VARCHAR)")


def _take_keys(cur: duckdb.DuckDBPyConnection, rows: str) -> None:
    """Write the key row of each enterprise of the registered ``rows``, in the caller's transaction.

    The tables have no primary key (:func:`store.schema._unkeyed`); this keeps their keys unique.  Keys
    are unique within an enterprise, and two transactions that both write one enterprise's key row
    cannot both commit: DuckDB refuses the second ("Conflict on update", or the row's own primary
    key when both create it) if the other committed after its snapshot began or has not committed
    yet.  So the one that goes on either is alone or saw the other's rows, and its join on the key
    finds every stored row it would repeat.  The distinct ids are DuckDB's, from the registered
    rows (0.05 s of CPU for 1,000,000 options; by pandas' unique, as a list parameter: 0.12-0.22 s).
    """
    cur.execute(_TAKE_KEYS_SQL.format(rows=rows))


#: Rows of a DuckDB row group (its default ``ROW_GROUP_SIZE``, which cpscreen does not change).
ROW_GROUP_ROWS = 122_880


def _in_row_groups(rows: object) -> object:
    """Arrow ``rows`` in chunks of whole row groups (the same rows, no copy); a pandas frame as it is.

    DuckDB inserts an Arrow table's chunks in parallel, keeping their order: a chunk ending inside
    a row group leaves partial row groups that the next checkpoint (at commit, or when the file is
    closed) merges again.  1,000,000 options (CPU): in the chunks of a Parquet file, insert 2.6 s,
    15 row groups, and 2.1 s at the checkpoint merging them to 11; in one chunk (a validated
    frame's table) insert 4.5 s; in chunks of whole row groups insert 2.5 s, 9 row groups, 0.03 s.
    """
    if isinstance(rows, pd.DataFrame) or len(rows) <= ROW_GROUP_ROWS:  # type: ignore[arg-type]
        return rows
    import pyarrow as pa

    return pa.Table.from_batches(rows.to_batches(max_chunksize=ROW_GROUP_ROWS), schema=rows.schema)  # type: ignore[attr-defined]


def _with_column(rows: object, name: str, values: np.ndarray) -> object:
    """``rows`` (an Arrow table or a pandas frame, from :func:`_as_arrow`) with one more column."""
    if isinstance(rows, pd.DataFrame):
        out = rows.copy()
        out[name] = values  # positional: the frame's rows in order
        return out
    import pyarrow as pa

    return rows.append_column(name, pa.array(values))  # type: ignore[attr-defined]


def _as_arrow(frame: pd.DataFrame, cols: list[str], attributes: list[str] | None) -> object:
    """The rows to store (``cols`` of a validated frame and the extra columns' JSON text) as an Arrow table for DuckDB to scan in C, built column by column from the frame's own
    arrays (no copy of the frame: at 300,000 options a copy cost ~0.3 s); a pandas frame where
    Arrow cannot type a column (DuckDB then reads that column cell by cell, in Python)."""
    import pyarrow as pa

    n = len(frame)
    try:
        arrays = [_arrow_array(frame[c]) for c in cols]
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        out = frame[cols].copy()
        out["attributes"] = None if attributes is None else attributes
        return out
    arrays.append(pa.nulls(n, pa.string()) if attributes is None else pa.array(attributes, pa.string()))
    return pa.Table.from_arrays(arrays, names=[*cols, "attributes"])


def _arrow_array(column: pd.Series) -> object:
    """One column as Arrow types it (as ``pyarrow.Table.from_pandas`` would: NaN and None are null).

    Two kinds are built directly, the same arrays at a fraction of the cost (1,000,000 rows): a
    float column, its values as they are with NaN masked (1 ms; ``from_pandas`` 4-8 ms), and a
    text column holding no value, Arrow's null column (3 ms; ``from_pandas`` looked at each cell,
    20 ms).  A validated options frame has ~30 of the one and ~5 of the other.
    """
    import pyarrow as pa

    dt = column.dtype
    if isinstance(dt, np.dtype) and dt.kind == "f" and dt.itemsize == 8:
        values = column.to_numpy()
        nan = np.isnan(values)
        return pa.array(values, mask=nan) if nan.any() else pa.array(values)
    if isinstance(dt, np.dtype) and dt == object and len(column) and column.iat[0] is None and column.isna().all():
        return pa.nulls(len(column))
    return pa.Array.from_pandas(column)


def _json_default(v: object) -> object:
    """ISO text for a date, time or duration that reached an extra column; anything else is refused."""
    if hasattr(v, "isoformat"):
        return v.isoformat()  # type: ignore[attr-defined]
    raise ValueError(f"an extra column holds {type(v).__name__!r}, which cannot be stored")


def _jsonable(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


__all__ = ["KEY_LOCK", "upsert"]

"""The long support-item table: the engine's per-rule pieces concatenated, typed and sorted by option.

Each piece is one rule's items for one pack's options (a dict of columns, arrays or one scalar
for the piece); :func:`_assemble` gives the table of :data:`policies.items.ITEM_COLUMNS`: text
columns categorical, integer and flag columns typed, ``carry_forward_years`` nullable, rows in
option order (stable: pack order within an option).  Columns that are one scalar in every piece
are filled, not concatenated nor sorted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from policies.items import ITEM_COLUMNS, SupportItem

_DEFAULTS: dict[str, Any] = {
    f: d for f, d in ((f.name, f.default) for f in SupportItem.__dataclass_fields__.values())  # type: ignore[attr-defined]
}


_TEXT = ("instrument_id", "name", "kind", "pack", "pack_version", "source", "unverified_reason")
_INTS = ("row", "year", "spread_years", "exempt_years", "reduced_years", "loan_years")
_BOOLS = ("unverified", "taxable", "reduces_depreciation_base")


def _assemble(pieces: list[dict[str, Any]]) -> pd.DataFrame:
    """Concatenate per-rule pieces into the long item table, sorted by row (stable: pack order)."""
    sizes = [p["row"].size for p in pieces]
    total = int(sum(sizes))
    cols: dict[str, Any] = {}
    same: set[str] = set()  # columns every piece gives as one and the same scalar: no concatenation nor sort
    for c in ITEM_COLUMNS:
        if c in _TEXT:
            labels: dict[str, int] = {}
            parts = []
            for p, n in zip(pieces, sizes):
                v = p[c] if c in p else _DEFAULTS[c]
                if isinstance(v, np.ndarray):
                    codes, uniq = pd.factorize(v)
                    remap = np.array([labels.setdefault(str(u), len(labels)) for u in uniq], dtype=np.int64)
                    parts.append(remap[codes])
                else:
                    parts.append(np.full(n, labels.setdefault(str(v), len(labels)), dtype=np.int64))
            codes_all = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            cols[c] = (codes_all, list(labels))
            continue
        scalars = [_scalar(p[c] if c in p else _DEFAULTS[c], c) for p in pieces]
        if scalars and all(s is not None for s in scalars) and all(_same(s, scalars[0]) for s in scalars):
            cols[c] = np.full(total, scalars[0], dtype=float if c not in _BOOLS else bool)  # as concatenated
            same.add(c)
            continue
        parts = []
        for p, n in zip(pieces, sizes):
            v = p[c] if c in p else _DEFAULTS[c]
            if c == "carry_forward_years" and v is None:
                v = np.nan
            parts.append(np.asarray(v, dtype=float if c not in _BOOLS else bool) if isinstance(v, np.ndarray)
                         else np.full(n, v, dtype=float if c not in _BOOLS else bool))
        cols[c] = np.concatenate(parts) if parts else np.zeros(0, dtype=float if c not in _BOOLS else bool)
    order = np.argsort(cols["row"], kind="stable") if total else np.zeros(0, dtype=np.int64)
    data: dict[str, Any] = {}
    for c in ITEM_COLUMNS:
        v = cols[c]
        if c in same:  # the same in every row: sorted already
            order_c: Any = slice(None)
        else:
            order_c = order
        if c in _TEXT:
            codes, labels_list = v
            data[c] = pd.Categorical.from_codes(codes[order], categories=pd.Index(labels_list, dtype=object)) if labels_list \
                else pd.Categorical([], categories=pd.Index([], dtype=object))
        elif c == "carry_forward_years":
            data[c] = pd.array(v[order_c], dtype="Float64").astype("Int64")
        elif c in _INTS:
            data[c] = v[order_c].astype(np.int64)
        else:
            data[c] = v[order_c]
    # copy=False: each column its own block, as built; consolidating the ~20 number columns of a 1M-item
    # table into one 2-D block copied them all (0.6 s of CPU of a budget 1M run, DataFrame._stack_arrays)
    return pd.DataFrame(data, columns=list(ITEM_COLUMNS), copy=False)


def _scalar(v: Any, column: str) -> Any:
    """A piece's value of a number or flag column where it is one scalar for the piece, else None
    (an array); a missing carry-forward limit as NaN, as the concatenation reads it."""
    if isinstance(v, np.ndarray):
        return None
    if column == "carry_forward_years" and v is None:
        return np.nan
    return v


def _same(a: Any, b: Any) -> bool:
    """Two pieces' scalars give the same cells (NaN the same as NaN; 1 and 1.0 and True alike only
    where equal as numbers, which is what the float or bool column holds)."""
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return fa == fb or (math.isnan(fa) and math.isnan(fb))

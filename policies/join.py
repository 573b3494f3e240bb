"""Each option's enterprise: the one hash join of options to enterprises the engine and finance share.

:func:`enterprise_rows` finds each option's row among the enterprises (first of repeated ids);
within a :func:`one_join` block the answer is kept per options' id column and reused, so an
appraisal that asks several times (tax rates, rates by year, support table, inputs) joins once.
:class:`_Joined` holds the options with their enterprise rows and reads the enterprise fields
the packs need (tax rate override, jurisdiction) per option, without copying enterprise columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from policies.registry import NO_PACK
from policies.schema import Pack

#: The look-ups of :func:`one_join`'s block: [enterprises, {options' id column -> (enterprises, pos)}].
_JOIN: ContextVar[list[Any] | None] = ContextVar("policies_engine_join", default=None)


@contextmanager
def one_join(enterprises: pd.DataFrame) -> Iterator[None]:
    """Within the block, each options' enterprise look-up against ``enterprises`` is made once.

    An appraisal asks for the options' enterprise rows several times (tax rates, the rates by
    year, the support table, the inputs); in the block the first answer is kept per options' id
    column (the same array, as frames derived without copying it share it) and reused.  The
    frames must not change within the block.  A block within a block for the same enterprises
    keeps the outer block's answers (a command that appraises and then reads the rows again).
    """
    outer = _JOIN.get()
    if outer is not None and outer[0] is enterprises:
        yield
        return
    token = _JOIN.set([enterprises, {}])
    try:
        yield
    finally:
        _JOIN.reset(token)


def enterprise_rows(options: pd.DataFrame, enterprises: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The enterprises without repeated ids (first kept) and each option's row among them (-1: not found).

    One hash join; in a :func:`one_join` block, once per options' id column.
    """
    memo = _JOIN.get()
    ids = options["enterprise_id"]
    key = None
    if memo is not None and memo[0] is enterprises:
        values = ids.to_numpy()
        if values.dtype == object and not values.flags.writeable:  # a view of the frame's column, not a copy
            key = (values.__array_interface__["data"][0], values.strides, values.size)
            if key in memo[1]:
                return memo[1][key]
    ents = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    pos = np.asarray(pd.Index(ents["enterprise_id"]).get_indexer(ids), dtype=np.int64)
    if key is not None:
        memo[1][key] = (ents, pos)
    return ents, pos


class _Joined:
    """Options with each one's enterprise row (``pos``), without copying enterprise columns."""

    def __init__(self, options: pd.DataFrame, enterprises: pd.DataFrame) -> None:
        if "enterprise_id" not in options.columns:
            raise ValueError("options: missing column 'enterprise_id'")
        for col in ("enterprise_id", "jurisdiction", "size_class"):
            if col not in enterprises.columns:
                raise ValueError(f"enterprises: missing column {col!r}")
        self.options = options.reset_index(drop=True)
        self.enterprises, pos = enterprise_rows(self.options, enterprises)
        if (pos < 0).any():
            row = int(np.flatnonzero(pos < 0)[0])
            raise ValueError(f"options row {row}: field enterprise_id: {self.options['enterprise_id'].iloc[row]!r} "
                             "is not among the enterprises")
        self.pos = np.asarray(pos, dtype=np.int64)
        self.n = len(self.options)

    def tax_override(self) -> np.ndarray:
        """The enterprise's tax_rate per option [/1], NaN where not given."""
        if "tax_rate" not in self.enterprises.columns:
            return np.full(self.n, np.nan)
        return pd.to_numeric(self.enterprises["tax_rate"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[self.pos]

    def jurisdictions(self, packs: Mapping[str, Pack]) -> tuple[np.ndarray, list[str]]:
        """(codes per option, pack code per code); unknown codes raise naming the row."""
        # codes in the order of first appearance (pd.factorize), columnar: a list.index per row took
        # about 1 s per engine run on a million options
        ent_code, found = pd.factorize(self.enterprises["jurisdiction"].astype(str).to_numpy(dtype=object))
        ent_code = np.asarray(ent_code, dtype=np.int64)
        uniq = [str(u) for u in found]
        codes = ent_code[self.pos]
        for k, j in enumerate(uniq):
            if j != NO_PACK and j not in packs:
                hit = np.flatnonzero(codes == k)
                if hit.size:
                    raise ValueError(f"options row {int(hit[0])}: field jurisdiction: unknown pack {j!r}; "
                                     f"known: {sorted(packs) + [NO_PACK]}")
        return codes, uniq

"""The import format (DESIGN.md section 2) as data: the lists a field's values come from, the keys of
each table and the field table ``fields.csv`` (every column's type, whether it is required, its
default, its range and its unit), which validation, docs and the UI's column help all read.
Re-exported by :mod:`screening.schema`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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

#: How an option's own debt is repaid (``debt_repayment``; the model is :mod:`finance.financing`).
DEBT_REPAYMENTS: tuple[str, ...] = ("annuity", "linear")

#: The list each listed field type takes its values from (``jurisdiction``: the accepted codes, per call).
ENUMS: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES,
    "size_class": SIZE_CLASSES,
    "hierarchy": HIERARCHY,
    "status": STATUSES,
    "jurisdiction": JURISDICTIONS,
    "debt_repayment": DEBT_REPAYMENTS,
}
#: The words a yes/no field reads as yes and as no (case ignored).
TRUE_WORDS: frozenset[str] = frozenset({"yes", "y", "true", "1", "1.0"})
FALSE_WORDS: frozenset[str] = frozenset({"no", "n", "false", "0", "0.0"})

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


#: Columns that hold identifiers (stricter text: no invisible characters).
ID_COLUMNS: frozenset[str] = frozenset({"enterprise_id", "option_id", "assessor"})

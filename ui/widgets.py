"""Small presentation helpers shared by the pages (column help from the field table, error tables)."""

from __future__ import annotations

import io
import re
from typing import Any

import pandas as pd
import streamlit as st

from screening.schema import (CATEGORIES, DEBT_REPAYMENTS, HIERARCHY, JURISDICTIONS, SIZE_CLASSES, STATUSES, CellError,
                              fields)
from store.writers import csv_text, write_xlsx

CHOICES: dict[str, tuple[str, ...]] = {
    "category": CATEGORIES, "size_class": SIZE_CLASSES, "hierarchy": HIERARCHY, "status": STATUSES, "jurisdiction": JURISDICTIONS,
    "debt_repayment": DEBT_REPAYMENTS,
}

#: Readable names of the MCDA methods (:data:`screening.mcda.METHODS`), for selectboxes and captions.
METHOD_NAMES: dict[str, str] = {"wsm": "Weighted sum (min-max scaled)", "topsis": "TOPSIS (vector scaled)",
                                "vikor": "VIKOR", "wpm": "Weighted product"}

#: Readable names of the ranking criteria (the option columns and derived/metric columns they rank on).
CRITERION_LABELS: dict[str, str] = {
    "energy_saved_mwh": "Energy saved", "co2e_avoided_t": "CO2e avoided", "waste_avoided_t": "Waste avoided",
    "water_saved_m3": "Water saved", "elf_reduction": "Environmental load factor reduction",
    "hierarchy_score": "Waste hierarchy (prevention first)", "simple_payback_years": "Simple payback",
    "simple_payback_pretax_years": "Simple payback (pre-tax)", "discounted_payback_years": "Discounted payback",
    "investment": "Investment", "technical_feasibility": "Technical feasibility", "implementability": "Implementability",
    "npv": "NPV", "irr": "IRR", "npv_ratio": "NPV ratio", "annual_savings": "Yearly savings",
}


#: Characters Markdown (CommonMark, GitHub tables, Streamlit's ``:color[...]`` directives) gives a meaning.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=\"'])")


def lazy_expander(label: str, key: str) -> Any:
    """A collapsed expander whose content the page builds only while it is open: ``if box.open:`` inside it.

    Streamlit sends a collapsed expander's content to the browser and mounts it there (hidden), so an
    expensive section (tables, a second ranking) costs the server and every browser on each rerun even
    when nobody opens it (issue 14: 20 sessions at once).  Opening or closing it reruns the page
    (``on_change="rerun"``); its state lives under ``key`` in the session state.
    """
    return st.expander(label, key=key, on_change="rerun")


def lazy_tabs(labels: list[str], key: str) -> Any:
    """Tabs whose content the page builds only for the open one: ``if tab.open:`` for each.

    Streamlit sends every tab's elements and the browser mounts them all, the hidden ones too (a grid
    in a hidden tab cost about as much browser CPU as a shown one; issue 14).  Choosing another tab
    reruns the page (``on_change="rerun"``); the open tab's label lives under ``key`` in the session
    state, the first tab is open by default.
    """
    return st.tabs(labels, key=key, on_change="rerun")


def md_text(value: Any) -> str:
    """User text (a title, an id) made safe to put inside ``st.markdown``/``st.caption``: shown as typed.

    Every character Markdown or Streamlit's directives give a meaning is backslash-escaped, so a
    title cannot become a link, an image, a heading or a coloured banner; line breaks become
    spaces so it stays on its line.  HTML is never rendered (no ``unsafe_allow_html``), and
    ``<`` ``>`` ``&`` are escaped too, so an ``<iframe>`` shows as the text ``<iframe>``.
    """
    text = re.sub(r"[\r\n\u2028\u2029]+", " ", str(value))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def criterion_label(column: str) -> str:
    """A criterion's readable name (the column name itself for columns without one)."""
    return CRITERION_LABELS.get(column, column)


def column_config(table: str, currency: str | None = None) -> dict[str, Any]:
    """st.data_editor column configuration from the field table: label, unit and help per column.

    Money columns are labelled with ``currency`` (e.g. ``investment [EUR]``), else ``[cur.]``.

    Numbers are not range-limited in the editor: the import validation explains bad values, the
    same way it does for a file.
    """
    cfg: dict[str, Any] = {}
    for f in fields(table):
        unit = f.unit.replace("currency", currency or "cur.") if f.unit else ""
        label = f"{f.column} [{unit}]" if unit and unit != "score" else f.column
        req = " (required)" if f.required else ""
        default = f"; default {f.default}" if f.default else ""
        help_ = f"{f.description}{' [' + f.unit + ']' if f.unit else ''}{req}{default}"
        if f.type in ("float",):
            cfg[f.column] = st.column_config.NumberColumn(label, help=help_, format="%g")
        elif f.type == "int":
            cfg[f.column] = st.column_config.NumberColumn(label, help=help_, step=1, format="%d")
        elif f.type == "bool":
            cfg[f.column] = st.column_config.CheckboxColumn(label, help=help_, default=False)
        elif f.type == "attribute":  # a column the policy packs read: the values they list
            from policies.attributes import attribute_values

            cfg[f.column] = st.column_config.SelectboxColumn(label, help=help_, options=list(attribute_values().get(f.column, ())))
        elif f.type in CHOICES:
            cfg[f.column] = st.column_config.SelectboxColumn(label, help=help_, options=list(CHOICES[f.type]), required=f.required)
        else:
            cfg[f.column] = st.column_config.TextColumn(label, help=help_, required=f.required)
    return cfg


def highlight_errors(frame: pd.DataFrame, errors: list[CellError], first_row: int = 2) -> Any:
    """A Styler of ``frame`` with each bad cell in red (row = spreadsheet row of the frame)."""
    bad: dict[tuple[int, str], str] = {}
    for e in errors:
        if e.row is not None and e.column in frame.columns:
            pos = e.row - first_row
            if 0 <= pos < len(frame):
                bad[(pos, e.column)] = e.reason

    def paint(col: pd.Series) -> list[str]:
        return ["background-color: #f8d0d0; color: #7a0000; font-weight: bold" if (i, col.name) in bad else "" for i in range(len(col))]

    shown = frame.reset_index(drop=True)
    return shown.style.apply(paint, axis=0)


def error_table(errors: list[CellError], frame: pd.DataFrame | None = None, first_row: int = 2) -> pd.DataFrame:
    """Errors as a table a user can act on: the option (when known), the column, the value and why."""
    rows = []
    for e in errors:
        option = ""
        if frame is not None and e.row is not None and "option_id" in frame.columns:
            pos = e.row - first_row
            if 0 <= pos < len(frame):
                option = str(frame["option_id"].iloc[pos])
        rows.append({"source": e.source, "table row": (e.row - first_row + 1) if e.row is not None else None,
                     "option_id": option, "column": e.column, "value": e.value, "reason": e.reason})
    return pd.DataFrame(rows, columns=["source", "table row", "option_id", "column", "value", "reason"])


def frame_bytes(frame: pd.DataFrame, fmt: str, sheet: str = "options") -> bytes:
    """A frame written as CSV, XLSX or Parquet bytes; CSV and XLSX formula-safe (:mod:`store.writers`)."""
    buf = io.BytesIO()
    if fmt == "csv":
        buf.write(csv_text(frame).encode("utf-8"))
    elif fmt == "xlsx":
        write_xlsx({sheet: frame}, buf)
    elif fmt == "parquet":
        frame.to_parquet(buf, index=False)
    else:
        raise ValueError(f"unknown format {fmt!r}; expected csv, xlsx or parquet")
    return buf.getvalue()


MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def records_frame(records: Any) -> pd.DataFrame:
    """A table from a library's records (a DataFrame, a list of dicts or of dataclasses)."""
    if isinstance(records, pd.DataFrame):
        return records.reset_index(drop=True)
    rows = []
    for r in records or []:
        if hasattr(r, "model_dump"):
            r = r.model_dump()
        elif hasattr(r, "__dataclass_fields__"):
            from dataclasses import asdict

            r = asdict(r)
        rows.append({k: (v if not isinstance(v, (list, dict)) else str(v)) for k, v in dict(r).items()})
    return pd.DataFrame(rows)

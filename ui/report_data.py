"""The Report page's cached outputs: its sheets, its workbook, its printable page and their preview.

Built once per data fingerprint (:mod:`ui.data`), enterprise, date and ranking choice and shared
between sessions as resources, without a copy: read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from store.service import Store
from ui.data import METRIC_CRITERIA, appraisal, enterprises, optional, options_with_metrics, scores


@st.cache_resource(show_spinner="Building the report", max_entries=16)
def report_outputs(_cur: Store, version: str, enterprise_id: str, on_date: date, choice: Any,
                   method: str, criteria: Sequence[Any] | None, ranking_label: str,
                   title: str) -> tuple[dict[str, pd.DataFrame], bytes, str]:
    """The Report page's sheets (``ui.report.report_frames``), its workbook and its printable page.

    ``choice`` is the Screening page's ``RankingChoice`` (or None) that ``method``, ``criteria`` and
    ``ranking_label`` come from: it keys the cache.  Shared between sessions without a copy (a
    workbook, a page and a dozen frames unpickled on every render cost about 40 ms): read-only.

    Raises
    ------
    ValueError
        From the ranking (e.g. a weighted criterion without any value after an edit); not cached.
    """
    from ui.report import html_report, report_frames, workbook_bytes

    opts = options_with_metrics(_cur, version, enterprise_id, on_date)
    ents = enterprises(_cur, version)
    show_pack = optional("policies.catalog", "show_pack")
    jur = ents.set_index("enterprise_id").loc[enterprise_id, "jurisdiction"]
    rules = None
    if show_pack is not None and jur and jur != "none":
        try:
            rules = show_pack(jur)
        except ValueError:
            rules = None
    appraised = appraisal(_cur, version, enterprise_id, on_date)
    stored = opts[[c for c in opts.columns if c not in METRIC_CRITERIA]]
    cash_flow_table = optional("finance.cashflow_table", "cash_flow_table")
    # the cash flow sheet: the same inputs as the appraisal sheet (its discounted lines sum to its npv)
    cash_flow = cash_flow_table(stored, ents, on_date) if cash_flow_table is not None and appraised is not None else None
    frames = report_frames(stored, ents, enterprise_id, on_date, scores=scores(_cur, version, enterprise_id),
                           appraisal=appraised, policy_rules=rules, ranking_options=opts, cash_flow=cash_flow,
                           method=method, criteria=None if criteria is None else list(criteria), ranking_label=ranking_label)
    return frames, workbook_bytes(frames), html_report(frames, title)


@st.cache_resource(show_spinner=False, max_entries=16)
def report_preview(_cur: Store, version: str, enterprise_id: str, on_date: date, choice: Any, method: str,
                   criteria: Sequence[Any] | None, ranking_label: str, title: str,
                   currency: str | None) -> list[tuple[str, Any, dict[str, Any]]]:
    """The Report page's preview of :func:`report_outputs` (same arguments): per sheet its name, its
    table as the workbook heads it (``ui.report_columns.present``; an Arrow table where it converts,
    so a render sends it without converting again) and its number formats (shared, read-only)."""
    import pyarrow as pa

    from ui.report_columns import PREVIEW_FORMATS as formats
    from ui.report_columns import present

    frames, _, _ = report_outputs(_cur, version, enterprise_id, on_date, choice, method, criteria, ranking_label, title)
    out = []
    for name, frame in frames.items():
        shown, specs = present(frame, currency)
        config = {h: st.column_config.NumberColumn(h, format=formats[spec.kind])
                  for h, spec in zip(shown.columns, specs) if spec.kind in formats}
        try:
            table: Any = pa.Table.from_pandas(shown, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):  # mixed-type text columns: Streamlit converts them itself
            table = shown
        out.append((name, table, config))
    return out

"""The enterprise report: the views' tables gathered, written as an Excel workbook and a printable HTML page.

Presentation only: every number comes from a library call (``screening``, ``finance``,
``policies``); this module puts the resulting tables side by side and formats them.  No
Streamlit here, so the CLI could offer the same report.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

import numpy as np
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from finance.cashflow_table import CashFlowTable
from finance.portfolio import PortfolioError, marginal_abatement_cost
from screening.assessors import agreement
from screening.criteria import Criterion
from screening.formula_escape import escape_frame
from screening.rank import rank_options
from screening.robustness import acceptability, flip_points
from store.writers import xlsx_encode_frame
from ui.cashflow_view import cash_flow_frame

#: Excel's sheet-name limit. [characters]
SHEET_NAME_MAX = 31

#: The flip-point table's columns as the report names them (empty cell: no flip within 0..1).
FLIP_COLUMNS: dict[str, str] = {
    "weight": "weight [/1]", "increase": "raise by [/1]", "weight_up": "weight at the flip, raised [/1]",
    "decrease": "lower by [/1]", "weight_down": "weight at the flip, lowered [/1]",
    "new_top_up": "new top if raised", "new_top_down": "new top if lowered",
}


def report_frames(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    enterprise_id: str,
    on_date: date,
    *,
    scores: pd.DataFrame | None = None,
    appraisal: pd.DataFrame | None = None,
    policy_rules: list[dict[str, Any]] | None = None,
    method: str = "wsm",
    n_draws: int = 1000,
    progress: Callable[[float, str], None] | None = None,
    ranking_options: pd.DataFrame | None = None,
    criteria: Sequence[Criterion] | None = None,
    ranking_label: str | None = None,
    cash_flow: CashFlowTable | None = None,
) -> dict[str, pd.DataFrame]:
    """The report's tables, one per view, in reading order.

    Parameters
    ----------
    options, enterprises : DataFrame
        Stored import-format frames; ``options`` of the one enterprise.
    enterprise_id : str
    on_date : date
        Appraisal date (rules in force).
    scores : DataFrame, optional
        Assessors' scores (long format).
    appraisal : DataFrame, optional
        ``finance.appraise.appraise`` output for these options (left out when None).
    policy_rules : list of dict, optional
        ``policies.catalog.show_pack`` records of the enterprise's jurisdiction.
    method : str
        MCDA method of the ranking.
    n_draws : int
        Weight draws of the robustness view.
    progress : callable, optional
        ``progress(share_done [/1], text)``.
    ranking_options : DataFrame, optional
        The options the ranking sees (e.g. with appraisal metrics as extra criteria columns);
        default ``options``.
    criteria : sequence of Criterion, optional
        Criteria and weights of the ranking (e.g. those set on the Screening page); default the
        ``default`` weight profile (:data:`screening.criteria.PROFILES`).
    ranking_label : str, optional
        How the ranking was chosen, written on the ``about`` sheet; default a description of the
        method and the default profile.
    cash_flow : CashFlowTable, optional
        ``finance.cashflow_table.cash_flow_table`` of these options with the appraisal's inputs:
        the ``cash flow`` sheet, one row per option and year, headers as on the Appraisal page.
    """
    step = progress or (lambda share, text: None)
    ent = enterprises[enterprises["enterprise_id"] == enterprise_id]
    frames: dict[str, pd.DataFrame] = {}
    info = {
        "enterprise_id": enterprise_id,
        "name": ent["name"].iloc[0] if len(ent) else "",
        "jurisdiction": ent["jurisdiction"].iloc[0] if len(ent) else "",
        "currency": ent["currency"].iloc[0] if len(ent) else "",
        "appraisal date": on_date.isoformat(),
        "ranking": ranking_label or f"method {method}, default weight profile",
        "robustness draws": n_draws,
        "generated (UTC)": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M"),
    }
    frames["about"] = pd.DataFrame({"item": list(info), "value": [str(v) for v in info.values()]})
    frames["enterprise"] = ent.reset_index(drop=True)
    frames["options"] = options.reset_index(drop=True)
    if options.empty:
        return frames
    step(0.1, "Ranking")
    ranking = rank_options(options if ranking_options is None else ranking_options, enterprises, method=method,
                           criteria=None if criteria is None else list(criteria))
    t = ranking.table.merge(options[["option_id", "title"]], on="option_id", how="left")
    frames["preliminary sort"] = t[["option_id", "title", "sort_class", "sort_reason", "cost_class", "payback_years"]]
    ranked = t.dropna(subset=["rank"]).sort_values("rank")
    keep = ["rank", "option_id", "title", "score", "score_direction"] + [c for c in ranked.columns if c.startswith("contrib:")]
    frames["ranking"] = ranked[keep].rename(columns=lambda c: c.replace("contrib:", "contribution "))
    frames["criteria"] = pd.DataFrame([{"criterion": c.column, "direction": c.direction, "weight [/1]": c.weight}
                                       for c in ranking.criteria])
    step(0.3, f"Robustness ({n_draws} weight draws)")
    acc = acceptability(ranking.prepared, method, n_draws=n_draws)
    frames["robustness"] = pd.DataFrame({
        "option_id": ranking.prepared.keys["option_id"].to_numpy(),
        "share ranked first [/1]": acc.first, f"share in top {acc.k} [/1]": acc.top_k,
    }).sort_values("share ranked first [/1]", ascending=False)
    if method == "wsm":
        frames["flip points"] = flip_points(ranking.prepared).rename(columns=FLIP_COLUMNS)
    step(0.6, "Assessors, abatement cost, appraisal")
    if scores is not None and len(scores):
        conc, disputed = agreement(scores)
        frames["assessor agreement"] = conc
        frames["disputed options"] = disputed
    if appraisal is not None:
        frames["appraisal"] = appraisal.reset_index(drop=True)
    if cash_flow is not None:
        cur = cash_flow.inputs["currency"].dropna()
        frames["cash flow"] = cash_flow_frame(cash_flow.lines, str(cur.iloc[0]) if len(cur) else str(info["currency"]),
                                              cash_flow.items, with_option=True)
    rate = float(ent["discount_rate"].iloc[0]) if len(ent) and pd.notna(ent["discount_rate"].iloc[0]) else 0.08
    for effect in ("co2e_avoided_t", "waste_avoided_t"):
        if effect in options.columns and pd.to_numeric(options[effect], errors="coerce").fillna(0).gt(0).any():
            cost = None
            if appraisal is not None:  # the appraisal's figures (after tax, with support), as on the Portfolio page
                eav = options[["option_id"]].merge(appraisal[["option_id", "equivalent_annual_value"]], on="option_id",
                                                   how="left")
                cost = -eav["equivalent_annual_value"].to_numpy(dtype=float)
            try:
                mac = marginal_abatement_cost(options, effect, discount_rate=rate, annualised_cost=cost)
            except PortfolioError:
                continue
            cols = [c for c in ("option_id", "title", "annualised_cost", "abatement", "mac") if c in mac.columns]
            frames[f"MAC {effect.split('_')[0]}"] = mac[cols].reset_index(drop=True)
    if policy_rules:
        frames["policy rules"] = pd.DataFrame(policy_rules)
    step(1.0, "Done")
    return frames


def _cell(v: Any) -> Any:
    if isinstance(v, (list, dict, tuple, set)):
        return str(v)
    if isinstance(v, float) and not np.isfinite(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    return v


def workbook_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook, one sheet per table; bold headers, columns sized to their content.

    Text cells and headers that a spreadsheet would evaluate as formulas are written as text
    (:func:`screening.formula_escape.escape_frame`, the rule of every writer).
    """
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        used: set[str] = set()
        for name, frame in frames.items():
            sheet = name[:SHEET_NAME_MAX]
            while sheet in used:
                sheet = sheet[: SHEET_NAME_MAX - 2] + f"_{len(used)}"
            used.add(sheet)
            out = frame.copy()
            for c in out.columns:
                if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
                    out[c] = out[c].map(_cell)
            out = xlsx_encode_frame(escape_frame(out))  # cells and headers, the rules of every writer (store.writers)
            out.to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            for j, col in enumerate(out.columns, start=1):
                ws.cell(row=1, column=j).font = Font(bold=True)
                width = max([len(str(col))] + [len(str(v)) for v in out[col].head(200)])
                ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width + 2))
            ws.freeze_panes = "A2"
    return buf.getvalue()


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)) or v is pd.NA:
        return "–"
    if isinstance(v, float):
        return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.0f}"
    return str(v)


def html_report(frames: Mapping[str, pd.DataFrame], title: str) -> str:
    """A self-contained printable HTML page (the browser's Print gives the PDF)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.6em}"
        "h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #999}"
        "table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
        "th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}"
        "th{background:#eef}td.n{text-align:right}"
        "@media print{body{margin:0}h2{page-break-after:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}}",
        "</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for name, frame in frames.items():
        parts.append(f"<h2>{html.escape(name.capitalize())}</h2>")
        if frame.empty:
            parts.append("<p>(none)</p>")
            continue
        parts.append("<table><thead><tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns) + "</tr></thead><tbody>")
        for row in frame.itertuples(index=False):
            cells = []
            for v in row:
                num = isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                cells.append(f"<td class='n'>{html.escape(_fmt(v))}</td>" if num else f"<td>{html.escape(_fmt(v))}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)

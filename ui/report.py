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
from screening.implementation import predicted_vs_actual, totals
from screening.rank import rank_options
from screening.robustness import acceptability, flip_points
from store.writers import xlsx_encode_frame
from ui.cashflow_view import cash_flow_frame
from ui.report_columns import KINDS, format_value, present

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
    impl = predicted_vs_actual(options, enterprises)
    if len(impl):  # implementation tracking: the Overview's computation (screening.implementation)
        frames["implementation"] = impl.drop(columns="enterprise_id")
        frames["implementation totals"] = totals(impl)
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


def _currency(frames: Mapping[str, pd.DataFrame], currency: str | None) -> str | None:
    """``currency``, else the one the ``about`` table names."""
    if currency:
        return currency
    about = frames.get("about")
    if about is not None and {"item", "value"} <= set(about.columns):
        found = about.loc[about["item"] == "currency", "value"]
        if len(found) and isinstance(found.iloc[0], str) and found.iloc[0] not in ("", "nan", "None"):
            return found.iloc[0]
    return None


def workbook_bytes(frames: Mapping[str, pd.DataFrame], currency: str | None = None) -> bytes:
    """An XLSX workbook, one sheet per table; bold headers, columns sized to their content.

    Headers carry units and the currency and support items read as text, as on the printed page
    (:func:`ui.report_columns.present`, the one mapping both use); numbers keep their precision
    under a number format of their kind (``#,##0`` for money, ``0.0%`` for a rate).  Text cells
    and headers that a spreadsheet would evaluate as formulas are written as text
    (:func:`screening.formula_escape.escape_frame`, the rule of every writer).

    Parameters
    ----------
    frames : mapping of str to DataFrame
        :func:`report_frames` output.
    currency : str, optional
        The enterprise's currency for the headers; default the one on the ``about`` sheet.
    """
    cur = _currency(frames, currency)
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        used: set[str] = set()
        for name, frame in frames.items():
            sheet = name[:SHEET_NAME_MAX]
            while sheet in used:
                sheet = sheet[: SHEET_NAME_MAX - 2] + f"_{len(used)}"
            used.add(sheet)
            out, specs = present(frame, cur)
            for c in out.columns:
                if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
                    out[c] = out[c].map(_cell)
            out = xlsx_encode_frame(escape_frame(out))  # cells and headers, the rules of every writer (store.writers)
            out.to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            for j, (col, spec) in enumerate(zip(out.columns, specs), start=1):
                ws.cell(row=1, column=j).font = Font(bold=True)
                if spec.kind in KINDS:
                    for i in range(2, len(out) + 2):
                        ws.cell(row=i, column=j).number_format = KINDS[spec.kind].excel_format
                width = max([len(str(col))] + [len(str(v)) for v in out[col].head(200)])
                ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width + 2))
            ws.freeze_panes = "A2"
    return buf.getvalue()


#: Columns the printed page repeats in each part of a table too wide for the page, in preference order.
_KEY_COLUMNS = ("option_id", "Option", "id", "criterion", "item")

#: Width of the printed page's tables in column units (one unit holds about 11 characters at the
#: page's 8 pt on the 186 mm between A4's 12 mm margins); a wider table is split into parts.
PAGE_UNITS = 12


def _width_units(header_text: str, cells: list[str], numeric: bool) -> float:
    """Column units a column needs: its longest word must fit (about 8.5 characters of the bold
    header, 10 of body text or 8 digits of a figure per unit), and long text gets up to 4 units to wrap in."""
    head = max((len(w) for w in header_text.replace("_", "_ ").split()), default=1) / 8.5
    body = max((len(w) for c in cells for w in c.replace("_", "_ ").split()), default=1) / (8 if numeric else 10)
    longest = max((len(c) for c in cells), default=1) / 33
    return float(min(4.0, max(1.0, head, body, longest)))


def _table_parts(headers: list[str], widths: list[float], keys: list[int]) -> list[list[int]]:
    """Split column indices into parts of at most :data:`PAGE_UNITS` units, each starting with the ``keys`` columns."""
    rest = [j for j in range(len(headers)) if j not in keys]
    base = list(keys)
    parts: list[list[int]] = []
    cur, used = list(base), sum(widths[j] for j in base)
    for j in rest:
        if len(cur) > len(base) and used + widths[j] > PAGE_UNITS:
            parts.append(cur)
            cur, used = list(base), sum(widths[j] for j in base)
        cur.append(j)
        used += widths[j]
    if len(cur) > len(base) or not parts:
        parts.append(cur)
    return parts


def _breakable(text: str) -> str:
    """``text`` escaped, with a line-break opportunity after each underscore (``after_tax+support``)."""
    return html.escape(text).replace("_", "_<wbr>")


_CSS = (
    "@page{size:A4;margin:12mm}"
    "body{font-family:system-ui,'DejaVu Sans',sans-serif;font-size:8pt;line-height:1.3;color:#222;margin:0 auto;max-width:186mm}"
    "h1{font-size:14pt;margin:0 0 4pt}h2{font-size:10.5pt;margin:12pt 0 3pt;border-bottom:1px solid #999;break-after:avoid}"
    "p.part{margin:6pt 0 2pt;color:#555;font-style:italic}"
    "table{border-collapse:collapse;width:100%;table-layout:fixed;margin:2pt 0 6pt}"
    "th,td{border:1px solid #bbb;padding:1.5pt 3pt;text-align:left;vertical-align:top;overflow-wrap:anywhere;word-break:break-word}"
    "th{background:#eef;font-weight:600;font-size:7.5pt;overflow-wrap:break-word;word-break:normal;hyphens:auto}"
    "td.n{text-align:right;white-space:nowrap}"
    "thead{display:table-header-group}tr{break-inside:avoid}"
    "@media screen{body{margin:2em auto;padding:0 1em}}"
)


def html_report(frames: Mapping[str, pd.DataFrame], title: str, currency: str | None = None) -> str:
    """A self-contained printable HTML page that fits A4 portrait (the browser's Print gives the PDF).

    Headers carry units and the currency, figures are rounded by their kind, support items read as
    text (:mod:`ui.report_columns`, as in the workbook).  Tables span the page width with fixed
    column widths and wrapping text; a table too wide for the page is printed in parts, each
    repeating the option (or rule) id.  The enterprise id column is left out of the option tables
    (the page is about one enterprise).  Every text is HTML-escaped.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        :func:`report_frames` output.
    title : str
        The page's title (escaped).
    currency : str, optional
        The enterprise's currency for the headers; default the one on the ``about`` table.
    """
    cur = _currency(frames, currency)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for name, frame in frames.items():
        parts.append(f"<h2>{html.escape(name[:1].upper() + name[1:])}</h2>")
        if frame.empty:
            parts.append("<p>(none)</p>")
            continue
        if name != "enterprise" and "enterprise_id" in frame.columns and len(frame.columns) > 1:
            frame = frame.drop(columns="enterprise_id")
        shown, specs = present(frame, cur)
        headers = [str(c) for c in shown.columns]
        cells = [[format_value(v, spec) for v in shown.iloc[:, j]] for j, spec in enumerate(specs)]
        widths = [_width_units(h, col, spec.kind is not None) for h, col, spec in zip(headers, cells, specs)]
        names = list(frame.columns)
        first = next((k for k in _KEY_COLUMNS if k in names), None)
        keys = [] if first is None else [names.index(first)]
        if first is not None and "Year" in names:  # the cash flow sheet: each part names the option and the year
            keys.append(names.index("Year"))
        groups = _table_parts(headers, widths, keys)
        for g, cols in enumerate(groups, start=1):
            if len(groups) > 1:
                parts.append(f"<p class='part'>part {g} of {len(groups)}</p>")
            total = sum(widths[j] for j in cols)
            parts.append("<table><colgroup>" + "".join(f"<col style='width:{100 * widths[j] / total:.1f}%'>" for j in cols)
                         + "</colgroup><thead><tr>" + "".join(f"<th>{_breakable(headers[j])}</th>" for j in cols)
                         + "</tr></thead><tbody>")
            for i in range(len(shown)):
                row = []
                for j in cols:
                    text = _breakable(cells[j][i])
                    row.append(f"<td class='n'>{text}</td>" if specs[j].kind is not None else f"<td>{text}</td>")
                parts.append("<tr>" + "".join(row) + "</tr>")
            parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "".join(parts)

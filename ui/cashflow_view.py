"""The cash flow line by line as people read it: worded headers with the currency, shared by the
Appraisal page and the report's ``cash flow`` sheet (so both show the same columns and headers).

Presentation only: the numbers are :func:`finance.cashflow_table.cash_flow_table`'s; no Streamlit
here.
"""

from __future__ import annotations

import math

import pandas as pd

#: Line -> header; ``{cur}`` is the currency.  In the order the table shows them.
LINE_HEADERS: dict[str, str] = {
    "year": "Year",
    "investment": "Investment [{cur}]",
    "savings": "Savings [{cur}]",
    "cost_change": "Cost change [{cur}]",
    "depreciation": "Tax depreciation [{cur}]",
    "tax_deductions": "Tax deductions [{cur}]",
    "taxable_profit": "Taxable profit [{cur}]",
    "tax_rate": "Tax rate after holidays [/1]",
    "tax": "Tax paid (negative: saved) [{cur}]",
    "support_paid": "Support paid: grants and loans [{cur}]",
    "salvage": "Salvage [{cur}]",
    "net_cash_flow": "Net cash flow [{cur}]",
    "cumulative_net_cash_flow": "Cumulative net cash flow [{cur}]",
    "discount_factor": "Discount factor [/1]",
    "discounted_net_cash_flow": "Discounted net cash flow [{cur}]",
    "support": "Support: change in net cash flow [{cur}]",
    "net_cash_flow_no_support": "Net cash flow without support [{cur}]",
    "discounted_net_cash_flow_no_support": "Discounted net cash flow without support [{cur}]",
    "interest": "Debt interest [{cur}]",
    "principal": "Debt principal repaid [{cur}]",
    "equity_cash_flow": "Equity cash flow [{cur}]",
    "dscr": "Debt service coverage [/1]",
}

#: Lines of the option's own debt: left out where no option of the table has debt (all null).
DEBT_LINES: tuple[str, ...] = ("interest", "principal", "equity_cash_flow", "dscr")

#: Header of one support item's column; ``{item}`` is its instrument id.
ITEM_HEADER = "Support item {item}: cash [{cur}]"

#: Lines left out of the table without support (all zero or equal to another column there).
WITHOUT_SUPPORT_DROPPED: tuple[str, ...] = (
    "support_paid", "support", "net_cash_flow_no_support", "discounted_net_cash_flow_no_support",
)


def cash_flow_frame(lines: pd.DataFrame, currency: str, items: pd.DataFrame | None = None, *,
                    with_option: bool = False, without_support: bool = False) -> pd.DataFrame:
    """The lines with worded headers, one column per support item after ``support_paid``.

    Parameters
    ----------
    lines : DataFrame
        ``CashFlowTable.lines`` (or ``lines_no_support``), one or many options.
    currency : str
        ISO 4217 code written into every money header.
    items : DataFrame, optional
        ``CashFlowTable.items`` of the same options: each instrument's cash per year becomes a
        column (0 where the item gives nothing that year or does not apply to the option).
    with_option : bool
        Lead with ``Enterprise`` and ``Option`` columns (for tables of many options).
    without_support : bool
        Leave out :data:`WITHOUT_SUPPORT_DROPPED` (the table without support).
    """
    cur = currency or "cur."
    keep = [c for c in LINE_HEADERS if c in lines.columns and not (without_support and c in WITHOUT_SUPPORT_DROPPED)
            and not (c in DEBT_LINES and lines[c].isna().all())]
    out = lines[keep].rename(columns={c: LINE_HEADERS[c].format(cur=cur) for c in keep}).reset_index(drop=True)
    if items is not None and len(items) and not without_support:
        wide = items.pivot_table(index=["enterprise_id", "option_id", "year"], columns="instrument_id", values="cash",
                                 aggfunc="sum", sort=False)
        key = pd.MultiIndex.from_frame(lines[["enterprise_id", "option_id", "year"]])
        wide = wide.reindex(key).fillna(0.0).reset_index(drop=True)
        at = out.columns.get_loc(LINE_HEADERS["support_paid"].format(cur=cur)) + 1
        for j, item in enumerate(wide.columns):
            out.insert(at + j, ITEM_HEADER.format(item=item, cur=cur), wide[item].to_numpy())
    if with_option:
        out.insert(0, "Option", lines["option_id"].to_numpy())
        out.insert(0, "Enterprise", lines["enterprise_id"].to_numpy())
    return out


def _pct(v: float) -> str:
    return f"{v:.2%}"


def inputs_frame(inputs: pd.Series, currency: str) -> pd.DataFrame:
    """The inputs one option's cash flow used: ``input``, ``value``, ``from`` (one row each).

    Parameters
    ----------
    inputs : Series
        One row of ``CashFlowTable.inputs``.
    currency : str
        ISO 4217 code for the money rows.
    """
    cur = currency or "cur."
    loss = inputs["loss_carry_forward_years"]
    unlimited = loss is None or (isinstance(loss, float) and math.isnan(loss))
    pack = f"pack {inputs['pack']}, version {inputs['pack_version'] or '–'}"
    rows = [
        (f"Investment [{cur}]", f"{inputs['investment']:,.0f}", "the option"),
        (f"Eligible investment [{cur}]", f"{inputs['eligible_investment']:,.0f}", "the option (default: the investment)"),
        (f"Annual savings [{cur}/yr]", f"{inputs['annual_savings']:,.0f}", "the option"),
        (f"Annual cost change [{cur}/yr]", f"{inputs['annual_cost_change']:,.0f}", "the option"),
        ("Lifetime [yr]", f"{int(inputs['lifetime_years'])}", "the option"),
        ("Tax depreciation period [yr]", f"{int(inputs['depreciation_years'])}",
         "the option" + (" (default: the lifetime)" if inputs["depreciation_years"] == inputs["lifetime_years"] else "")),
        (f"Salvage value [{cur}]", f"{inputs['salvage_value']:,.0f}", "the option (received at the end of the life)"),
        ("Income tax rate [%]", _pct(inputs["tax_rate"]), str(inputs["tax_rate_source"])),
        ("Discount rate [%/yr]", _pct(inputs["discount_rate"]), str(inputs["discount_rate_source"])),
        ("Tax capacity", "yes" if inputs["tax_capacity"] else "no",
         "the enterprise (yes: tax savings realised in the year; no: losses and credits carried forward)"),
        ("Loss carry-forward [yr]", "without limit" if unlimited else f"{int(loss)}",
         pack + " (used only without tax capacity)"),
        ("Policy pack", pack, "the enterprise's jurisdiction"),
    ]
    return pd.DataFrame(rows, columns=["input", "value", "from"])

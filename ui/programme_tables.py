"""Words and units for the Programme page: parameter labels, the budget-by-year table, per-option columns.

Pure functions (no Streamlit): the page calls them and draws what they return; tests check them.
Every amount comes from ``programme.budget.run_programme`` (one number, one source): these
functions only rename, sum over instruments and scale shares to per cent.
"""

from __future__ import annotations

import re

import pandas as pd

from screening.schema import escape_formula

__all__ = ["default_parameter", "scenario_b_default", "parameter_label", "budget_by_year", "per_option_table", "PER_OPTION_COLUMNS"]


def default_parameter(names: list[str], supporting: set[str], rule_of: dict[str, str]) -> str:
    """The parameter the page compares first: a rate (``.rate`` or ``.rate.value``) of a rule that supports
    some of the chosen options at the pack's own values (``supporting``: their rule ids), else any parameter
    of such a rule, else the first rate, else the first name.  A rule that supports none of them would give
    scenarios A and B the same figures.  ``rule_of`` maps each name to its rule id.
    """
    def rate(n: str) -> bool:
        return n.endswith(".rate") or n.endswith(".rate.value")

    for pick in ([n for n in names if rate(n) and rule_of.get(n) in supporting],
                 [n for n in names if rule_of.get(n) in supporting], [n for n in names if rate(n)], names):
        if pick:
            return pick[0]
    raise ValueError("no parameter to compare")


def scenario_b_default(value: float, high: float) -> float:
    """Scenario B's first value beside the pack's ``value`` (scenario A): twice it, or half of it where twice
    would pass the parameter's ``high`` (a 100 % first-year write-off is compared with 50 %, not with itself);
    1 (or ``high``, if lower) where the pack's value is 0."""
    if not value:
        return min(1.0, high)
    doubled = round(value * 2, 6)
    return doubled if doubled <= high else round(value / 2, 6)


# (pattern on the parameter path, words, unit); {0}.. are the pattern's groups; "cur" = the pack's currency
_PATHS: tuple[tuple[str, str, str], ...] = (
    (r"rate\.value", "rate, share of the eligible cost", "/1"),
    (r"rate\.values\.(\w+)", "rate for {0}, share of the eligible cost", "/1"),
    (r"rate\.terms\.(\w+)\.share_by_size\.(\w+)", "term '{0}': share of the eligible cost for {1} enterprises", "/1"),
    (r"rate\.terms\.(\w+)\.share", "term '{0}': share of the eligible cost", "/1"),
    (r"rate\.terms\.(\w+)\.(\w+)\.per_unit", "term '{0}' ({1}): amount per unit saved per year", "cur/unit"),
    (r"rate\.terms\.(\w+)\.per_unit", "term '{0}': amount per unit saved per year", "cur/unit"),
    (r"rate\.terms\.(\w+)\.discount", "term '{0}': discount rate of the lifetime units", "/1"),
    (r"caps\.per_project", "largest amount per project", "cur"),
    (r"caps\.per_enterprise", "largest amount per enterprise (all its projects)", "cur"),
    (r"caps\.per_year", "largest amount per enterprise and year", "cur"),
    (r"caps\.investment_per_year", "largest eligible investment per enterprise and year", "cur"),
    (r"caps\.min_aid", "smallest amount paid (below it nothing)", "cur"),
    (r"credit\.carry_forward_years", "years an unused credit carries forward", "yr"),
    (r"depreciation\.first_year_share", "share of the cost depreciated in the first year", "/1"),
    (r"eligibility\.min_investment", "smallest eligible investment", "cur"),
    (r"eligibility\.max_investment", "largest eligible investment", "cur"),
    (r"eligibility\.thresholds\.(\w+)", "eligibility threshold: {0}", "/1"),
    (r"holiday\.exempt_years", "tax holiday: years fully exempt", "yr"),
    (r"holiday\.reduced_years", "tax holiday: years at the reduced rate", "yr"),
    (r"holiday\.reduced_factor", "tax holiday: factor on the tax in the reduced years", "/1"),
)


def summary_text(value: object, unit: str) -> str:
    """A figure of the Programme page's scenario table as text: '–' where missing, shares as per cent,
    counts and money in whole units, other figures to 2 decimals.  A figure that is zero but for
    float residue (a tax deferral's yearly outlays netting out to -2.6e-09) shows as 0, not -0."""
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    if unit == "%":
        text = f"{v:.1%}"
    else:
        text = f"{v:,.0f}" if unit in ("", "options", "cur") else f"{v:,.2f}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


def parameter_label(name: str, rule_names: dict[str, str], currency: str) -> str:
    """A programme parameter ``<rule id>.<path>`` in words with its unit.

    Parameters
    ----------
    name : str
        E.g. ``"NL-EIA-2024.rate.value"``.
    rule_names : dict
        Rule id -> the rule's name in the pack (e.g. ``"Energy investment allowance"``).
    currency : str
        The pack's currency, for amounts.

    Returns
    -------
    str
        E.g. ``"Energy investment allowance: rate, share of the eligible cost [/1]"``; a path this
        module does not know is shown as it is, with the rule's name.
    """
    rule_id = next((r for r in sorted(rule_names, key=len, reverse=True) if name.startswith(r + ".")), None)
    if rule_id is None:
        return name
    path = name[len(rule_id) + 1:]
    for pattern, words, unit in _PATHS:
        m = re.fullmatch(pattern, path)
        if m:
            text = words.format(*(g.replace("_", " ") for g in m.groups()))
            return f"{rule_names[rule_id]}: {text} [{unit.replace('cur', currency)}]"
    return f"{rule_names[rule_id]}: {path}"


def budget_by_year(by_year_instrument: pd.DataFrame, currency: str) -> pd.DataFrame:
    """One row per calendar year: the expected outlay, by instrument and in total, with words and units.

    Parameters
    ----------
    by_year_instrument : pandas.DataFrame
        :attr:`programme.budget.ProgrammeResult.by_year_instrument`.
    currency : str

    Returns
    -------
    pandas.DataFrame
        ``Year``, ``Years after the investment [yr]``, ``Outlay: <instrument> [cur]`` per
        instrument, ``Outlay [cur]`` (expected public money of the year), ``Deadweight [cur]``,
        ``Outlay if every eligible option took it up [cur]``, ``Present value of the outlay
        [cur]``; amounts summed over instruments from the library's table.  Instrument names are
        made formula-safe for spreadsheets.
    """
    c = currency
    cols = {"outlay": f"Outlay [{c}]", "deadweight": f"Deadweight [{c}]",
            "outlay_if_all": f"Outlay if every eligible option took it up [{c}]",
            "pv_cost": f"Present value of the outlay [{c}]"}
    if by_year_instrument.empty:
        return pd.DataFrame(columns=["Year", "Years after the investment [yr]", *cols.values()])
    by = by_year_instrument
    wide = by.pivot_table(index=["calendar_year", "t"], columns="instrument_id", values="outlay", aggfunc="sum",
                          fill_value=0.0, observed=True)
    names = escape_formula(pd.Series([str(i) for i in wide.columns], dtype=object)).tolist()
    wide.columns = [f"Outlay: {i} [{c}]" for i in names]
    totals = by.groupby(["calendar_year", "t"])[list(cols)].sum().rename(columns=cols)
    out = wide.join(totals).reset_index().rename(columns={"calendar_year": "Year", "t": "Years after the investment [yr]"})
    return out


#: by_option column -> (words, unit, factor): shares [/1] are shown in per cent.
PER_OPTION_COLUMNS: dict[str, tuple[str, str, float]] = {
    "enterprise_id": ("Enterprise", "", 1.0), "option_id": ("Option", "", 1.0), "eligible": ("Eligible", "", 1.0),
    "support": ("Support if taken up", "cur", 1.0),
    "support_value": ("Value of the support to the enterprise (NPV gain)", "cur", 1.0),
    "p_without": ("Uptake probability without support", "%", 100.0),
    "p_with": ("Uptake probability with support", "%", 100.0),
    "expected_outlay": ("Expected outlay", "cur", 1.0), "deadweight": ("Deadweight (free-rider support)", "cur", 1.0),
    "pv_cost": ("Present value of the outlay", "cur", 1.0),
    "npv": ("NPV with support", "cur", 1.0), "npv_no_support": ("NPV without support", "cur", 1.0),
    "irr": ("IRR with support", "%", 100.0), "irr_no_support": ("IRR without support", "%", 100.0),
    "simple_payback_years": ("Simple payback with support", "yr", 1.0),
    "simple_payback_years_no_support": ("Simple payback without support", "yr", 1.0),
    "exclusive_group": ("Alternatives group (its first option)", "", 1.0),
    "alternative_to": ("Not taken up: the alternative taken instead", "", 1.0),
}


def per_option_table(by_option: pd.DataFrame, currency: str) -> pd.DataFrame:
    """:attr:`programme.budget.ProgrammeResult.by_option` with columns in words and units.

    Shares (probabilities [/1], IRR [/1]) are shown in per cent; columns this table does not name
    keep their names.
    """
    out = by_option.copy()
    names = {}
    for col, (words, unit, factor) in PER_OPTION_COLUMNS.items():
        if col not in out.columns:
            continue
        if factor != 1.0:
            out[col] = pd.to_numeric(out[col], errors="coerce") * factor
        u = unit.replace("cur", currency)
        names[col] = f"{words} [{u}]" if u else words
    return out.rename(columns=names)

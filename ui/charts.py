"""Altair chart builders: pure functions DataFrame -> alt.Chart (no Streamlit here).

Every chart has a title, axis titles with units, tooltips, and colours from a colour-blind-safe
palette (Okabe & Ito 2008; Tableau's ``tableau10`` is the fallback for more than eight series).

References
----------
.. [1] Okabe, M. and Ito, K. (2008). Color Universal Design (CUD): how to make figures and
   presentations that are friendly to colorblind people. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

#: Okabe-Ito colour-blind-safe palette (black left out: it is kept for text and rules).
OKABE_ITO: tuple[str, ...] = ("#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999")
WITH_SUPPORT = "with support"
WITHOUT_SUPPORT = "without support"
SUPPORT_COLOURS = alt.Scale(domain=[WITH_SUPPORT, WITHOUT_SUPPORT], range=["#009E73", "#D55E00"])


def _palette(n: int) -> list[str]:
    return list(OKABE_ITO[:n]) if n <= len(OKABE_ITO) else []


def _require(frame: pd.DataFrame, cols: Sequence[str], chart: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart}: frame lacks column(s) {', '.join(missing)}; it has {', '.join(map(str, frame.columns))}")


def contributions_chart(contrib: pd.DataFrame, *, title: str = "Criterion contributions to each option's score") -> alt.Chart:
    """Stacked horizontal bar of each option's weighted criterion contributions.

    Parameters
    ----------
    contrib : DataFrame
        Long format: ``option`` (label), ``criterion``, ``contribution`` [/1] (weighted scaled
        value), and optionally ``rank`` (bars are ordered by it, best on top).
    """
    _require(contrib, ["option", "criterion", "contribution"], "contributions_chart")
    order = (contrib.sort_values("rank")["option"].drop_duplicates().tolist() if "rank" in contrib.columns
             else contrib.groupby("option")["contribution"].sum().sort_values(ascending=False).index.tolist())
    n = contrib["criterion"].nunique()
    colour = alt.Color("criterion:N", title="Criterion",
                       scale=alt.Scale(range=_palette(n)) if _palette(n) else alt.Scale(scheme="tableau10"))
    return (
        alt.Chart(contrib, title=title)
        .mark_bar()
        .encode(
            x=alt.X("sum(contribution):Q", title="Weighted score [/1]"),
            y=alt.Y("option:N", sort=order, title="Option"),
            color=colour,
            order=alt.Order("criterion:N"),
            tooltip=[alt.Tooltip("option:N", title="Option"), alt.Tooltip("criterion:N", title="Criterion"),
                     alt.Tooltip("contribution:Q", title="Contribution [/1]", format=".3f")],
        )
        .properties(height=max(80 + 18 * n, 90 + 32 * len(order)))  # Streamlit fits title, axes and legend inside
    )


def robustness_chart(shares: pd.DataFrame, *, top_k: int = 3, title: str | None = None) -> alt.Chart:
    """Grouped bar: share of weight draws in which each option ranks first and in the top k.

    Parameters
    ----------
    shares : DataFrame
        ``option`` and ``share_first`` [/1], ``share_top_k`` [/1].
    """
    _require(shares, ["option", "share_first", "share_top_k"], "robustness_chart")
    long = shares.melt(id_vars="option", value_vars=["share_first", "share_top_k"], var_name="measure", value_name="share")
    long["measure"] = long["measure"].map({"share_first": "ranks first", "share_top_k": f"in the top {top_k}"})
    order = shares.sort_values(["share_first", "share_top_k"], ascending=False)["option"].tolist()
    return (
        alt.Chart(long, title=title or f"How often each option ranks first / in the top {top_k} under weight uncertainty")
        .mark_bar()
        .encode(
            x=alt.X("share:Q", title="Share of draws [%]", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("option:N", sort=order, title="Option"),
            yOffset="measure:N",
            color=alt.Color("measure:N", title="", scale=alt.Scale(range=["#0072B2", "#56B4E9"])),
            tooltip=[alt.Tooltip("option:N", title="Option"), alt.Tooltip("measure:N", title="Measure"),
                     alt.Tooltip("share:Q", title="Share of draws", format=".1%")],
        )
        .properties(height=max(160, 90 + 44 * len(order)))
    )


def cumulative_cash_chart(flows: pd.DataFrame, currency: str, *, paybacks: dict[str, float | None] | None = None,
                          title: str = "Cumulative net cash flow") -> alt.LayerChart:
    """Cumulative cash flow by year with and without support; payback points marked.

    Parameters
    ----------
    flows : DataFrame
        ``year`` [yr], ``case`` (``"with support"`` / ``"without support"``), ``cumulative`` [currency].
    currency : str
        ISO code shown in the axis title.
    paybacks : dict, optional
        case -> simple payback [yr] (None where payback never happens: no point is drawn).
    """
    _require(flows, ["year", "case", "cumulative"], "cumulative_cash_chart")
    base = alt.Chart(flows, title=title)
    line = base.mark_line(point=True).encode(
        x=alt.X("year:Q", title="Year [yr]", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("cumulative:Q", title=f"Cumulative net cash [{currency}]", axis=alt.Axis(format="~s")),
        color=alt.Color("case:N", title="", scale=SUPPORT_COLOURS, legend=alt.Legend(orient="top")),
        strokeDash=alt.StrokeDash("case:N", scale=alt.Scale(domain=[WITH_SUPPORT, WITHOUT_SUPPORT], range=[[1, 0], [6, 3]]), legend=None),
        tooltip=[alt.Tooltip("case:N", title="Case"), alt.Tooltip("year:Q", title="Year"),
                 alt.Tooltip("cumulative:Q", title=f"Cumulative [{currency}]", format=",.0f")],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color="#444", strokeDash=[4, 3]).encode(y="y:Q")
    layers: list[alt.Chart] = [zero, line]
    pts = pd.DataFrame([{"case": k, "payback": v, "y": 0.0, "label": f"payback {v:.1f} yr ({k})"}
                        for k, v in (paybacks or {}).items() if v is not None and np.isfinite(v)])
    if len(pts):
        layers.append(
            alt.Chart(pts).mark_point(shape="diamond", size=160, filled=True, stroke="black").encode(
                x="payback:Q", y="y:Q", color=alt.Color("case:N", scale=SUPPORT_COLOURS, legend=None),
                tooltip=[alt.Tooltip("label:N", title="Payback")],
            )
        )
    return alt.layer(*layers).properties(height=320)


def tornado_chart(sens: pd.DataFrame, currency: str, *, base_npv: float,
                  title: str = "NPV sensitivity to each input (±20%)") -> alt.LayerChart:
    """Tornado chart: NPV at -20% and +20% of each input, widest bar on top.

    Parameters
    ----------
    sens : DataFrame
        ``input``, ``npv_low`` [currency] (input at -20%), ``npv_high`` [currency] (at +20%).
    base_npv : float
        NPV at the base values. [currency]
    """
    _require(sens, ["input", "npv_low", "npv_high"], "tornado_chart")
    s = sens.copy()
    s["swing"] = (s["npv_high"] - s["npv_low"]).abs()
    order = s.sort_values("swing", ascending=False)["input"].tolist()
    long = pd.concat([
        s.assign(change="-20%", npv=s["npv_low"]),
        s.assign(change="+20%", npv=s["npv_high"]),
    ])
    long["base"] = base_npv
    bars = alt.Chart(long, title=title).mark_bar().encode(
        y=alt.Y("input:N", sort=order, title="Input"),
        x=alt.X("base:Q", title=f"NPV [{currency}]", axis=alt.Axis(format="~s"), scale=alt.Scale(zero=False)),
        x2="npv:Q",
        color=alt.Color("change:N", title="Input changed by", scale=alt.Scale(domain=["-20%", "+20%"], range=["#D55E00", "#0072B2"])),
        tooltip=[alt.Tooltip("input:N", title="Input"), alt.Tooltip("change:N", title="Change"),
                 alt.Tooltip("npv:Q", title=f"NPV [{currency}]", format=",.0f")],
    )
    rule = alt.Chart(pd.DataFrame({"x": [base_npv]})).mark_rule(color="black").encode(x="x:Q")
    return alt.layer(bars, rule).properties(height=max(200, 100 + 40 * len(order)))


#: Legend entry of a MAC curve's alternatives (options of an exclusive group the curve does not stack).
ALTERNATIVE: str = "alternative to another option (not added)"


def mac_curve_chart(mac: pd.DataFrame, currency: str, unit: str, *, label: str = "option_id",
                    title: str | None = None) -> alt.Chart:
    """Marginal abatement cost curve: one bar per option, width = yearly abatement, height = cost per unit.

    Parameters
    ----------
    mac : DataFrame
        From ``finance.portfolio.marginal_abatement_cost``: ``cum_abatement_start``,
        ``cum_abatement_end`` [unit/yr], ``mac`` [currency/unit], and the ``label`` column;
        optionally ``alternative_to``: alternatives are drawn grey and faint over the option they
        would replace (they are not added to the cumulative abatement), the tooltip names it.
    unit : str
        The abated quantity's unit, e.g. ``t CO2e``.
    """
    _require(mac, ["cum_abatement_start", "cum_abatement_end", "mac", label], "mac_curve_chart")
    m = mac.copy()
    m["saves money"] = np.where(m["mac"] < 0, "saves money", "costs money")
    domain, colours = ["saves money", "costs money"], ["#009E73", "#D55E00"]
    tooltip = [alt.Tooltip(f"{label}:N", title="Option"),
               alt.Tooltip("mac:Q", title=f"Cost [{currency}/{unit}]", format=",.1f"),
               alt.Tooltip("abatement:Q" if "abatement" in m.columns else "cum_abatement_end:Q",
                           title=f"Avoided [{unit}/yr]", format=",.1f")]
    if "alternative_to" in m.columns and m["alternative_to"].notna().any():
        alt_rows = m["alternative_to"].notna().to_numpy()
        m.loc[alt_rows, "saves money"] = ALTERNATIVE
        m["alternative_to"] = m["alternative_to"].fillna("")
        domain, colours = domain + [ALTERNATIVE], colours + ["#999999"]
        tooltip.append(alt.Tooltip("alternative_to:N", title="Alternative to (not added)"))
    return (
        alt.Chart(m, title=title or f"Marginal abatement cost curve [{currency}/{unit}]")
        .mark_rect(stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("cum_abatement_start:Q", title=f"Cumulative abatement [{unit}/yr]"),
            x2="cum_abatement_end:Q",
            y=alt.Y("mac:Q", title=f"Cost per unit avoided [{currency}/{unit}]", axis=alt.Axis(format="~s")),
            y2=alt.datum(0),
            color=alt.Color("saves money:N", title="", scale=alt.Scale(domain=domain, range=colours)),
            opacity=alt.condition(alt.datum["saves money"] == ALTERNATIVE, alt.value(0.45), alt.value(1.0)),
            tooltip=tooltip,
        )
        .properties(height=320)
    )


def stacked_by_year_chart(frame: pd.DataFrame, value: str, stack: str, currency: str, *,
                          title: str = "Public outlay by year and instrument", y_max: float | None = None) -> alt.Chart:
    """Stacked bars by ``year`` of ``value`` [currency], one colour per ``stack`` category.

    ``y_max`` [currency] fixes the y axis so that charts placed side by side compare at a glance.
    """
    _require(frame, ["year", value, stack], "stacked_by_year_chart")
    n = frame[stack].nunique()
    y_scale = alt.Scale(domain=[0, y_max]) if y_max else alt.Undefined
    return (
        alt.Chart(frame, title=title)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y(f"sum({value}):Q", title=f"Outlay [{currency}]", axis=alt.Axis(format="~s"), scale=y_scale),
            color=alt.Color(f"{stack}:N", title=stack.replace("_", " ").capitalize(),
                            legend=alt.Legend(orient="bottom", labelLimit=320, columns=1),
                            scale=alt.Scale(range=_palette(n)) if _palette(n) else alt.Scale(scheme="tableau10")),
            tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip(f"{stack}:N"),
                     alt.Tooltip(f"sum({value}):Q", title=f"Outlay [{currency}]", format=",.0f")],
        )
        .properties(height=340)
    )


def scenario_chart(frame: pd.DataFrame, measure: str, unit: str, *, title: str | None = None) -> alt.Chart:
    """Side-by-side bars of one measure per scenario (``scenario`` and ``measure`` columns)."""
    _require(frame, ["scenario", measure], "scenario_chart")
    return (
        alt.Chart(frame, title=title or f"{measure.replace('_', ' ')} by scenario [{unit}]")
        .mark_bar(color="#0072B2")
        .encode(
            x=alt.X("scenario:N", title="Scenario", sort=None),
            y=alt.Y(f"{measure}:Q", title=f"{measure.replace('_', ' ')} [{unit}]", axis=alt.Axis(format="~s")),
            tooltip=[alt.Tooltip("scenario:N", title="Scenario"),
                     alt.Tooltip(f"{measure}:Q", title=f"{measure} [{unit}]", format=",.2f")],
        )
        .properties(height=260)
    )


def npv_distribution_chart(npv: np.ndarray, currency: str, *, bins: int = 40,
                           title: str = "NPV with support over the Monte Carlo draws") -> alt.LayerChart:
    """Histogram of the drawn NPVs, the loss region coloured, with P10, P50 and P90 rules.

    Parameters
    ----------
    npv : ndarray
        One NPV per draw. [currency]
    currency : str
        Unit of the axis.
    bins : int
        Number of bars.
    """
    values = np.asarray(npv, dtype=float)
    if values.size == 0:
        raise ValueError("npv_distribution_chart: no draws")
    lo, hi = float(values.min()), float(values.max())
    if hi <= lo:
        hi = lo + max(1.0, abs(lo) * 1e-6)
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    frame = pd.DataFrame({"from": edges[:-1], "to": edges[1:], "share": counts / values.size,
                          "outcome": np.where(edges[1:] <= 0, "loss (NPV < 0)", "gain")})
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("from:Q", title=f"NPV with support [{currency}]", bin="binned"), x2="to:Q",
        y=alt.Y("share:Q", title="share of draws [/1]", axis=alt.Axis(format="%")),
        color=alt.Color("outcome:N", scale=alt.Scale(domain=["loss (NPV < 0)", "gain"], range=["#D55E00", "#009E73"]),
                        title=None),
        tooltip=[alt.Tooltip("from:Q", format=",.0f"), alt.Tooltip("to:Q", format=",.0f"),
                 alt.Tooltip("share:Q", format=".1%")])
    q = pd.DataFrame({"percentile": ["P10", "P50", "P90"], "npv": np.percentile(values, [10, 50, 90])})
    rules = alt.Chart(q).mark_rule(color="#000000", strokeDash=[4, 3]).encode(
        x="npv:Q", tooltip=["percentile:N", alt.Tooltip("npv:Q", format=",.0f")])
    return (bars + rules).properties(title=title)


def dscr_chart(frame: pd.DataFrame, title: str = "Debt service coverage ratio") -> alt.LayerChart:
    """DSCR by year with the break-even line at 1 (cash after tax just covers the debt service).

    Parameters
    ----------
    frame : DataFrame
        ``year`` [yr] and ``dscr`` [/1] (years without debt service left out).
    """
    _require(frame, ["year", "dscr"], "dscr_chart")
    bars = alt.Chart(frame, title=title).mark_bar().encode(
        x=alt.X("year:O", title="Year [yr]", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("dscr:Q", title="DSCR [/1]"),
        tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("dscr:Q", title="DSCR", format=".2f")],
    )
    one = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(color="#b00", strokeDash=[4, 3]).encode(y="y:Q")
    return alt.layer(bars, one)


def actual_ratio_chart(table: pd.DataFrame, *, title: str = "Actual / predicted per implemented option") -> alt.Chart:
    """Bars of actual / predicted [/1] per option and figure, with the line at 1 (as predicted)."""
    _require(table, ["option_id", "figure", "ratio"], "actual_ratio_chart")
    data = table[table["ratio"].notna()]
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("option_id:N", title="Option"),
        x=alt.X("ratio:Q", title="actual / predicted [/1]"),
        color=alt.Color("figure:N", title="Figure"),
        yOffset="figure:N",
        tooltip=["option_id", "figure", alt.Tooltip("predicted:Q", format=",.4g"), alt.Tooltip("actual:Q", format=",.4g"),
                 alt.Tooltip("ratio:Q", format=".3f")],
    )
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(strokeDash=[4, 3]).encode(x="x:Q")
    return (bars + one).properties(title=title)


def fan_chart(fan: pd.DataFrame, currency: str, *, title: str = "Outlay by year under uncertainty",
              y_max: float | None = None) -> alt.LayerChart:
    """Fan chart of outlay by ``year``: the P10-P90 band (``p10``, ``p90``, also a bar per year, so that a
    programme paying out in one year shows its range) and the P50 line (``p50``) [currency].

    ``y_max`` [currency] fixes the y axis so that scenarios side by side compare at a glance.
    """
    _require(fan, ["year", "p10", "p50", "p90"], "fan_chart")
    y_scale = alt.Scale(domain=[min(0.0, float(fan["p10"].min())), y_max]) if y_max else alt.Undefined
    base = alt.Chart(fan, title=title).encode(x=alt.X("year:O", title="Year"))
    tooltip = [alt.Tooltip("year:O", title="Year"), alt.Tooltip("p10:Q", title=f"P10 [{currency}]", format=",.0f"),
               alt.Tooltip("p50:Q", title=f"P50 [{currency}]", format=",.0f"),
               alt.Tooltip("p90:Q", title=f"P90 [{currency}]", format=",.0f")]
    band = base.mark_area(opacity=0.25, color="#0072B2").encode(
        y=alt.Y("p10:Q", title=f"Outlay [{currency}]", axis=alt.Axis(format="~s"), scale=y_scale), y2="p90:Q",
        tooltip=tooltip)
    # the band as a vertical bar per year too: an area over a single year has no width and would not show
    whisker = base.mark_rule(strokeWidth=3, opacity=0.45, color="#0072B2").encode(y="p10:Q", y2="p90:Q", tooltip=tooltip)
    line = base.mark_line(point=True, color="#0072B2").encode(y="p50:Q", tooltip=tooltip)
    return alt.layer(band, whisker, line).properties(height=300)

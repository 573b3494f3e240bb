"""Chart builders: titles, axis titles with units, tooltips, colour scales, and the data they draw."""

from __future__ import annotations

import pandas as pd
import pytest

from ui import charts


def _spec(chart) -> dict:
    return chart.to_dict()


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def _encodings(spec: dict) -> list[dict]:
    return [layer["encoding"] for layer in _layers(spec) if "encoding" in layer]


def _title(spec: dict) -> str:
    t = spec.get("title")
    return t if isinstance(t, str) else (t or {}).get("text", "")


def test_contributions_chart_stacks_criteria_in_rank_order():
    df = pd.DataFrame({"option": ["B", "B", "A", "A"], "rank": [1, 1, 2, 2], "criterion": ["npv", "co2", "npv", "co2"],
                       "contribution": [0.4, 0.3, 0.2, 0.1]})
    spec = _spec(charts.contributions_chart(df))
    enc = spec["encoding"]
    assert _title(spec).startswith("Criterion contributions")
    assert enc["x"]["title"] == "Weighted score [/1]"
    assert enc["y"]["sort"] == ["B", "A"]
    assert enc["color"]["scale"]["range"] == list(charts.OKABE_ITO[:2])
    assert {t["field"] for t in enc["tooltip"]} == {"option", "criterion", "contribution"}


def test_robustness_chart_shows_shares_as_percent_in_0_1():
    df = pd.DataFrame({"option": ["A", "B"], "share_first": [0.7, 0.3], "share_top_k": [1.0, 0.9]})
    spec = _spec(charts.robustness_chart(df, top_k=2))
    enc = spec["encoding"]
    assert enc["x"]["title"] == "Share of draws [%]" and enc["x"]["scale"]["domain"] == [0, 1]
    data = next(iter(spec["datasets"].values()))
    assert {d["measure"] for d in data} == {"ranks first", "in the top 2"}
    assert len(data) == 4


def test_cumulative_cash_chart_marks_only_paybacks_that_happen():
    flows = pd.DataFrame({"year": [0, 1, 2] * 2, "case": [charts.WITH_SUPPORT] * 3 + [charts.WITHOUT_SUPPORT] * 3,
                          "cumulative": [-100, -40, 20, -100, -60, -20]})
    spec = _spec(charts.cumulative_cash_chart(flows, "EUR", paybacks={charts.WITH_SUPPORT: 1.67, charts.WITHOUT_SUPPORT: None}))
    titles = [e["y"].get("title") for e in _encodings(spec) if "title" in e.get("y", {})]
    assert "Cumulative net cash [EUR]" in titles
    points = [layer for layer in spec["layer"] if layer.get("mark", {}).get("shape") == "diamond"]
    assert len(points) == 1
    pts = spec["datasets"][points[0]["data"]["name"]]
    assert [p["payback"] for p in pts] == [1.67]


def test_cumulative_cash_chart_without_any_payback_draws_no_point():
    flows = pd.DataFrame({"year": [0, 1], "case": [charts.WITH_SUPPORT] * 2, "cumulative": [-100, -90]})
    spec = _spec(charts.cumulative_cash_chart(flows, "EUR", paybacks={charts.WITH_SUPPORT: None}))
    assert len(spec["layer"]) == 2


def test_tornado_orders_by_swing_and_draws_from_the_base():
    sens = pd.DataFrame({"input": ["investment", "lifetime"], "npv_low": [120.0, 90.0], "npv_high": [80.0, 105.0]})
    spec = _spec(charts.tornado_chart(sens, "DKK", base_npv=100.0))
    bars = spec["layer"][0]["encoding"]
    assert bars["y"]["sort"] == ["investment", "lifetime"]  # swing 40 > 15
    assert bars["x"]["title"] == "NPV [DKK]"
    data = spec["datasets"][spec["layer"][0]["data"]["name"]]
    assert {d["base"] for d in data} == {100.0}


def test_mac_curve_widths_are_the_abatement_and_colours_split_at_zero():
    mac = pd.DataFrame({"option_id": ["A", "B"], "abatement": [10.0, 5.0], "mac": [-20.0, 35.0],
                        "cum_abatement_start": [0.0, 10.0], "cum_abatement_end": [10.0, 15.0]})
    spec = _spec(charts.mac_curve_chart(mac, "EUR", "t CO2e"))
    enc = spec["encoding"]
    assert enc["x"]["field"] == "cum_abatement_start" and enc["x2"]["field"] == "cum_abatement_end"
    assert enc["y"]["title"] == "Cost per unit avoided [EUR/t CO2e]"
    assert enc["x"]["title"] == "Cumulative abatement [t CO2e/yr]"
    data = next(iter(spec["datasets"].values()))
    assert [d["saves money"] for d in data] == ["saves money", "costs money"]


def test_stacked_by_year_and_scenario_charts_have_unit_titles():
    frame = pd.DataFrame({"year": [2026, 2026, 2027], "instrument": ["G", "T", "T"], "outlay": [10.0, 5.0, 5.0]})
    spec = _spec(charts.stacked_by_year_chart(frame, "outlay", "instrument", "EUR"))
    assert spec["encoding"]["y"]["title"] == "Outlay [EUR]"
    sc = _spec(charts.scenario_chart(pd.DataFrame({"scenario": ["a", "b"], "cost": [1.0, 2.0]}), "cost", "EUR/t"))
    assert sc["encoding"]["y"]["title"] == "cost [EUR/t]"


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="lacks column\\(s\\) contribution"):
        charts.contributions_chart(pd.DataFrame({"option": [], "criterion": []}))

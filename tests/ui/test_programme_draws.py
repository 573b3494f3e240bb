"""Programme page: outlay under uncertainty (fan chart per scenario, the envelope's effect) and the
logistic rule; one number, one source: the page's figures are ``programme.montecarlo``'s."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from programme.distributed import run_draws
from programme.mc_records import fan_frame
from programme.montecarlo import McSpec, summary_record
from programme.uptake import IAC_UPTAKE_RULE, DecisionRule
from store.db import cursor
from store.io import load_table
from ui import charts


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def test_fan_chart_has_the_band_and_the_median_line():
    fan = pd.DataFrame({"year": [2026, 2027], "p10": [1.0, 2.0], "p50": [2.0, 3.0], "p90": [4.0, 5.0]})
    spec = charts.fan_chart(fan, "EUR").to_dict()
    marks = [layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]]
    assert marks == ["area", "rule", "line"]
    assert spec["layer"][0]["encoding"]["y2"]["field"] == "p90"
    # one year: the area has no width, the rule still spans P10..P90
    assert spec["layer"][1]["encoding"]["y"]["field"] == "p10" and spec["layer"][1]["encoding"]["y2"]["field"] == "p90"


def test_programme_page_draws_match_the_library_and_ration(app, seeded_db):
    at = app("programme", timeout=240)
    at.selectbox(key="programme_pack").select("DK").run()
    at.number_input(key="mc_draws").set_value(40).run()
    assert not at.exception
    effects = next(d.value for d in at.dataframe if "Total outlay P10 [DKK]" in d.value.columns)
    cur = cursor(seeded_db)
    opts = load_table(cur, "options", "dk_dairy")
    ents = load_table(cur, "enterprises")
    ents = ents[ents["enterprise_id"] == "dk_dairy"].reset_index(drop=True)
    scenario = at.selectbox(key="scenario_param").value
    value = at.number_input(key=f"value_a-{scenario}").value
    sums = run_draws(opts, ents, McSpec("DK", date.today(), DecisionRule("payback", payback_limit=3.0), draws=40,
                                        params={scenario: value}))
    rec = summary_record(sums)
    # shown rounded to whole DKK
    assert _num(effects.iloc[0]["P50 [DKK]"]) == pytest.approx(rec["total_outlay_p50"], abs=0.5)
    assert _num(effects.iloc[0]["Total outlay P10 [DKK]"]) == pytest.approx(rec["total_outlay_p10"], abs=0.5)
    assert _num(effects.iloc[0]["Draws with no additional t CO2e"]) == rec["cost_per_t_co2e_undefined_draws"]
    assert len(fan_frame(sums, date.today())) > 0
    # an envelope that rations: its effect is shown per scenario
    at.number_input(key="mc_envelope").set_value(1000.0).run()
    at.selectbox(key="mc_ration").select("cost-per-tonne").run()
    assert not at.exception
    effects = next(d.value for d in at.dataframe if "Total outlay P10 [DKK]" in d.value.columns)
    assert "Applications left out (mean)" in effects.columns
    assert all(_num(v) <= 1000.5 for v in effects["Funded P50 [DKK]"])


def test_programme_page_offers_the_logistic_rule_with_the_iac_curve(app):
    at = app("programme", timeout=240)
    at.selectbox(key="programme_pack").select("DK").run()
    at.selectbox(key="rule_kind").select("logistic").run()
    assert not at.exception
    assert at.number_input(key="logistic_intercept").value == pytest.approx(IAC_UPTAKE_RULE.intercept)
    assert at.number_input(key="logistic_slope").value == pytest.approx(IAC_UPTAKE_RULE.slope)

"""Scenarios as plain data: round trips and refusals."""

from __future__ import annotations

import math

import pytest

from programme.scenarios import Scenario, scenario_grid
from programme.uptake import DecisionRule


def test_round_trip_through_json():
    s = Scenario("rate-25-sme", "CA-ECOENERGY", {"CA-ECOENERGY.rate": 0.25, "CA-ECOENERGY.sme_bonus": 0.1},
                 DecisionRule("logistic", intercept=0.2, slope=-0.3, transform="log"), "25% with SME bonus")
    assert Scenario.from_json(s.to_json()) == s
    assert Scenario.from_dict(s.to_dict()).rule.slope == -0.3


@pytest.mark.parametrize("kw, msg", [
    ({"name": "a:b"}, "without ':'"),
    ({"params": {"P.rate": "high"}}, "'P.rate' is 'high'"),
    ({"params": {"P.rate": math.nan}}, "finite"),
    ({"pack": ""}, "pack"),
])
def test_bad_scenarios_are_refused(kw, msg):
    args = {"name": "s", "pack": "P", "params": {}} | kw
    with pytest.raises(ValueError, match=msg):
        Scenario(**args)


def test_unknown_key_refused():
    with pytest.raises(ValueError, match="unknown field"):
        Scenario.from_dict({"name": "s", "pack": "P", "parms": {}})


def test_grid_overrides_base():
    grid = scenario_grid("P", {"P.rate": 0.15, "P.cap": 50_000}, {"r15": {}, "r40": {"P.rate": 0.40}})
    assert [g.name for g in grid] == ["r15", "r40"]
    assert grid[1].params == {"P.rate": 0.40, "P.cap": 50_000.0}
    assert grid[0].params["P.rate"] == 0.15

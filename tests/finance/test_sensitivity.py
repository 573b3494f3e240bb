"""One-at-a-time NPV sensitivity (finance.sensitivity): hand-calculated shifts, directions, support row."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from finance.option_detail import appraise_option
from finance.sensitivity import INPUTS, SENSITIVITY_COLUMNS, npv_sensitivity
from screening.schema import validate

DAY = date(2025, 6, 1)
DATA = Path(__file__).resolve().parents[2] / "data"

# A simple option: no support (jurisdiction 'none'), tax 25% set by the enterprise, tax capacity,
# straight-line depreciation over the life, no cost change, no salvage.
SIMPLE_OPTION = {"option_id": "S-1", "enterprise_id": "e", "title": "simple", "category": "process_control",
                 "investment": 10_000.0, "annual_savings": 3_000.0, "annual_cost_change": 0.0, "lifetime_years": 5,
                 "depreciation_years": 5, "salvage_value": 0.0, "eligible_investment": 10_000.0}
SIMPLE_ENTERPRISE = {"enterprise_id": "e", "name": "E", "jurisdiction": "none", "size_class": "small",
                     "tax_rate": 0.25, "discount_rate": 0.08, "tax_capacity": True}


def test_ten_percent_more_savings_adds_the_after_tax_annuity_by_hand():
    sens = npv_sensitivity(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY, delta=0.1).set_index("input")
    base = appraise_option(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY).metrics["npv"]
    # annuity factor a(8%, 5) = (1 - 1.08**-5) / 0.08 = 3.992710
    # dNPV = savings * 0.1 * (1 - t) * a = 3000 * 0.1 * 0.75 * 3.992710 = 898.36
    annuity = (1 - 1.08 ** -5) / 0.08
    assert annuity == pytest.approx(3.992710, abs=1e-6)
    assert sens.loc["yearly savings", "npv_high"] - base == pytest.approx(898.36, abs=0.005)
    assert sens.loc["yearly savings", "npv_high"] - base == pytest.approx(3000 * 0.1 * 0.75 * annuity, rel=1e-12)
    assert base - sens.loc["yearly savings", "npv_low"] == pytest.approx(898.36, abs=0.005)
    assert (sens.loc["yearly savings", "low"], sens.loc["yearly savings", "high"]) == pytest.approx((2700.0, 3300.0))


def test_ten_percent_more_investment_costs_it_less_the_depreciation_tax_shield_by_hand():
    sens = npv_sensitivity(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY, delta=0.1).set_index("input")
    base = appraise_option(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY).metrics["npv"]
    # dI = 1000 at t = 0; yearly depreciation up by 1000 / 5 = 200, tax saved 0.25 * 200 = 50 a year:
    # dNPV = -1000 + 50 * 3.992710 = -800.36
    assert sens.loc["investment", "npv_high"] - base == pytest.approx(-800.36, abs=0.005)
    assert sens.loc["investment", "npv_low"] - base == pytest.approx(800.36, abs=0.005)


def test_the_base_npv_itself_matches_the_handbook_form():
    # F = (P - D)(1 - t) + D = (3000 - 2000) * 0.75 + 2000 = 2750; NPV = -10000 + 2750 * 3.992710 = 979.95
    base = appraise_option(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY).metrics["npv"]
    assert base == pytest.approx(979.95, abs=0.005)
    # so the discount-rate row is the same closed form at 6.4% and 9.6%
    sens = npv_sensitivity(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY).set_index("input")
    for col, r in (("npv_low", 0.064), ("npv_high", 0.096)):
        assert sens.loc["discount rate", col] == pytest.approx(-10_000 + 2750 * (1 - (1 + r) ** -5) / r, rel=1e-12)


def test_lifetime_is_rounded_to_whole_years_and_caps_the_depreciation_life():
    sens = npv_sensitivity(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY).set_index("input")
    assert (sens.loc["lifetime", "low"], sens.loc["lifetime", "high"]) == (4.0, 6.0)
    # 4 years, depreciated over 4: F = (3000 - 2500) * 0.75 + 2500 = 2875
    r = 0.08
    assert sens.loc["lifetime", "npv_low"] == pytest.approx(-10_000 + 2875 * (1 - (1 + r) ** -4) / r, rel=1e-12)
    # 6 years, still depreciated over 5: a sixth year of (3000)(1 - t) = 2250 undepreciated
    high = -10_000 + 2750 * (1 - (1 + r) ** -5) / r + 2250 / (1 + r) ** 6
    assert sens.loc["lifetime", "npv_high"] == pytest.approx(high, rel=1e-12)


def test_without_support_the_support_row_is_flat_at_the_base():
    sens = npv_sensitivity(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY)
    assert list(sens.columns) == list(SENSITIVITY_COLUMNS) and list(sens["input"]) == list(INPUTS.values())
    row = sens.set_index("input").loc["support"]
    assert row["low"] == row["high"] == 0.0
    assert row["npv_low"] == row["npv_high"] == pytest.approx(979.95, abs=0.005)


@pytest.mark.parametrize("delta", [0.0, 1.0, -0.1, float("nan"), "0.2"])
def test_bad_delta_is_refused_with_its_value(delta):
    with pytest.raises(ValueError, match="delta: expected a relative change between 0 and 1"):
        npv_sensitivity(SIMPLE_OPTION, SIMPLE_ENTERPRISE, DAY, delta=delta)


def test_a_non_numeric_input_is_named():
    with pytest.raises(ValueError, match=r"option 'S-1'"):
        npv_sensitivity({**SIMPLE_OPTION, "annual_savings": "lots"}, SIMPLE_ENTERPRISE, DAY)


# --- the demo dairy (Denmark, with support) ---------------------------------------------------

@pytest.fixture(scope="module")
def dairy():
    v = validate(pd.read_csv(DATA / "demo_enterprises.csv", dtype=str, keep_default_na=False),
                 pd.read_csv(DATA / "demo_options.csv", dtype=str, keep_default_na=False))
    ent = v.enterprises.set_index("enterprise_id").loc["dk_dairy"].to_dict() | {"enterprise_id": "dk_dairy"}
    opts = v.options[v.options["enterprise_id"] == "dk_dairy"]
    return [r.to_dict() for _, r in opts.iterrows()], ent


def test_npv_moves_in_the_expected_directions(dairy):
    options, ent = dairy
    option = next(o for o in options if o["investment"] > 0)
    base = appraise_option(option, ent, DAY)
    sens = npv_sensitivity(option, ent, DAY, base).set_index("input")
    npv = base.metrics["npv"]
    assert sens.loc["investment", "npv_high"] < npv < sens.loc["investment", "npv_low"]
    assert sens.loc["yearly savings", "npv_low"] < npv < sens.loc["yearly savings", "npv_high"]
    assert sens.loc["discount rate", "npv_high"] < sens.loc["discount rate", "npv_low"]
    # investment +20% equals a second appraisal with the moved investment (and eligible investment)
    moved = appraise_option({**option, "investment": option["investment"] * 1.2,
                             "eligible_investment": min(option["eligible_investment"] * 1.2, option["investment"] * 1.2)},
                            ent, DAY, discount_rate=base.discount_rate)
    assert sens.loc["investment", "npv_high"] == moved.metrics["npv"]
    # the base appraisal is computed when not given
    pd.testing.assert_frame_equal(npv_sensitivity(option, ent, DAY).set_index("input"), sens)


def test_support_row_scales_the_items_and_reruns_the_same_cash_flow(dairy):
    options, ent = dairy
    with_items = [o for o in options if appraise_option(o, ent, DAY).items]
    assert with_items, "the demo dairy should get support in 2025"
    option = with_items[0]
    base = appraise_option(option, ent, DAY)
    row = npv_sensitivity(option, ent, DAY, base).set_index("input").loc["support"]
    total = sum(i.amount for i in base.items)
    assert row["low"] == pytest.approx(0.8 * total) and row["high"] == pytest.approx(1.2 * total)
    assert row["npv_low"] <= base.metrics["npv"] <= row["npv_high"]
    assert base.metrics_no_support["npv"] <= row["npv_low"]
    # linear in the amounts when nothing carries forward: the +20% step equals 0.2 of the support's NPV
    if base.tax_capacity:
        assert row["npv_high"] - base.metrics["npv"] == pytest.approx(0.2 * base.support_total, rel=1e-9)


def test_without_tax_capacity_the_support_row_is_still_computed(dairy):
    options, ent = dairy
    ent = {**ent, "tax_capacity": False}
    option = next(o for o in options if appraise_option(o, ent, DAY).items)
    row = npv_sensitivity(option, ent, DAY).set_index("input").loc["support"]
    assert pd.notna(row["npv_low"]) and pd.notna(row["npv_high"])

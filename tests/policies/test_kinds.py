"""Every instrument kind and rate form against hand calculations written in the test.

Each test writes a small pack (helpers in conftest.py), appraises a few options and checks the
items against arithmetic spelled out beside the assertion.
"""

from __future__ import annotations

import shutil
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pytest

from policies.corporate_tax import tax_rates
from policies.engine import support_items, support_table
from policies.kinds import cumulative_cap
from policies.registry import load_packs

ON = date(2025, 6, 1)
HEAD = """\
rules:
"""


def rule(body: str, rid: str = "TK-R", kind: str = "grant") -> str:
    return (f"  - id: {rid}\n    name: rule {rid}\n    kind: {kind}\n    valid_from: \"2020-01-01\"\n"
            "    source: src\n" + "".join(f"    {line}\n" for line in body.strip("\n").split("\n")))


def run(packs: Any, options: list[dict[str, Any]], size: str | list[str] = "small", params: dict[str, float] | None = None,
        on: date = ON, **ent: Any) -> pd.DataFrame:
    sizes = size if isinstance(size, list) else [size] * len(options)
    rows, ents = [], []
    for i, (opt, s) in enumerate(zip(options, sizes)):
        eid = opt.get("enterprise_id", f"E{i}")
        rows.append({"option_id": f"o{i}", "enterprise_id": eid, "category": "technology_change",
                     "annual_savings": 0.0, "lifetime_years": 10, **opt})
        ents.append({"enterprise_id": eid, "jurisdiction": "TK", "size_class": s, **ent})
    ent_df = pd.DataFrame(ents).drop_duplicates("enterprise_id")
    return support_table(pd.DataFrame(rows), ent_df, on, params, packs=packs)


def amounts(table: pd.DataFrame, rid: str = "TK-R") -> dict[int, float]:
    sub = table[table["instrument_id"] == rid]
    return {int(r): float(a) for r, a in zip(sub["row"], sub["amount"])}


# ---------------------------------------------------------------- kinds


def test_grant_fixed_rate_with_project_cap(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.20, ref: src}}
caps: {per_project: {value: 30000, ref: src}}
taxable: true
reduces_depreciation_base: true
"""))
    t = run(packs, [{"investment": 100000.0}, {"investment": 200000.0, "eligible_investment": 50000.0}, {"investment": 500000.0}])
    # 20 % x 100,000 = 20,000; 20 % x eligible 50,000 = 10,000; 20 % x 500,000 = 100,000 -> cap 30,000
    assert amounts(t) == {0: 20000.0, 1: 10000.0, 2: 30000.0}
    assert t["taxable"].all() and t["reduces_depreciation_base"].all() and (t["year"] == 0).all()
    assert (t["kind"] == "grant").all()


def test_tax_deduction_range_rate_is_a_programme_parameter(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate:
  form: range
  low: {value: 0.10, ref: src}
  high: {value: 0.50, ref: src}
  default: {value: 0.30, ref: src}
timing: {year: 1}
""", kind="tax_deduction"))
    assert amounts(run(packs, [{"investment": 1000.0}])) == {0: 300.0}  # default 30 % x 1,000
    assert amounts(run(packs, [{"investment": 1000.0}], params={"TK-R.rate": 0.45})) == {0: 450.0}  # 45 % x 1,000
    t = run(packs, [{"investment": 1000.0}])
    assert t["kind"].iloc[0] == "tax_deduction" and t["year"].iloc[0] == 1


def test_tax_credit_size_bonus_and_carry_forward(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate:
  form: size_bonus
  base: {value: 0.10, ref: src}
  bonus: {small: {value: 0.05, ref: src}, medium: {value: 0.02, ref: src}}
credit: {carry_forward_years: {value: 5, ref: src}}
timing: {year: 1}
""", kind="tax_credit"))
    t = run(packs, [{"investment": 1000.0}] * 4, size=["micro", "small", "medium", "large"])
    # micro falls back to small: 15 % x 1,000 = 150; small 150; medium 12 % = 120; large 10 % = 100
    assert amounts(t) == pytest.approx({0: 150.0, 1: 150.0, 2: 120.0, 3: 100.0})
    assert list(t["carry_forward_years"]) == [5, 5, 5, 5]


def test_tax_credit_without_limit_has_no_carry_forward_limit(make_packs) -> None:
    packs = make_packs(HEAD + rule("rate: {form: fixed, value: {value: 0.10, ref: src}}", kind="tax_credit"))
    item = support_items({"category": "technology_change", "investment": 1000.0}, {"jurisdiction": "TK", "size_class": "large"},
                         ON, packs=packs)[0]
    assert item.amount == 100.0 and item.carry_forward_years is None


def test_depreciation_shares(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
depreciation:
  first_year_share: {value: 0.60, ref: src}
  later_share: {value: 0.10, ref: src}
timing: {year: 1}
""", kind="depreciation"))
    t = run(packs, [{"investment": 400000.0}])
    assert amounts(t) == {0: 400000.0}  # the base the schedule applies to
    assert t["first_year_share"].iloc[0] == 0.60 and t["later_share"].iloc[0] == 0.10


def test_tax_holiday_schedule(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
holiday:
  exempt_years: {value: 2, ref: src}
  reduced_years: {value: 4, ref: src}
  reduced_factor: {value: 0.5, ref: src}
""", kind="tax_holiday"))
    item = support_items({"category": "technology_change", "investment": 1000.0}, {"jurisdiction": "TK", "size_class": "large"},
                         ON, packs=packs)[0]
    assert (item.kind, item.amount, item.exempt_years, item.reduced_years, item.reduced_factor) == ("tax_holiday", 0.0, 2, 4, 0.5)


def test_soft_loan_principal_and_terms(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.50, ref: src}}
loan:
  loan_rate: {value: 0.02, ref: src}
  loan_years: {value: 8, ref: src}
""", kind="soft_loan"))
    item = support_items({"category": "technology_change", "investment": 300000.0}, {"jurisdiction": "TK", "size_class": "large"},
                         ON, packs=packs)[0]
    # principal 50 % x 300,000 = 150,000 at 2 % over 8 years
    assert (item.kind, item.amount, item.loan_rate, item.loan_years) == ("soft_loan", 150000.0, 0.02, 8)


# ---------------------------------------------------------------- rate forms


def test_by_type_with_default_key_and_size_bonus(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate:
  form: by_type
  attribute: project_type
  default: demo
  values:
    demo: {value: 0.10, ref: src}
    research: {value: 0.50, ref: src}
  bonus: {medium: {value: 0.05, ref: src}}
"""))
    t = run(packs, [{"investment": 1000.0, "project_type": "research"}, {"investment": 1000.0},
                    {"investment": 1000.0, "project_type": "other"}], size=["medium", "large", "large"])
    # research medium (50 + 5) % x 1,000 = 550; missing -> demo 10 % = 100; 'other' not listed -> none
    assert amounts(t) == {0: 550.0, 1: 100.0}


def test_lowest_of_with_highest_of_per_unit_discount_payback_and_size_share(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate:
  form: lowest_of
  terms:
    - name: premium
      highest_of:
        - {name: kwh, per_unit: {value: 0.10, ref: src}, of: energy_saved_kwh, over_lifetime: true, discount: {value: 0.05, ref: src}}
        - {name: co2, per_unit: {value: 20, ref: src}, of: co2e_avoided_t}
    - name: size
      share_by_size: {small: {value: 0.5, ref: src}, large: {value: 0.3, ref: src}}
    - name: payback
      payback_floor: {value: 2, ref: src}
"""))
    t = run(packs, [
        {"investment": 100000.0, "annual_savings": 10000.0, "lifetime_years": 3, "energy_saved_mwh": 100.0, "co2e_avoided_t": 10.0},
        {"investment": 100000.0, "annual_savings": 45000.0, "lifetime_years": 3, "energy_saved_mwh": 1000.0},
        {"investment": 10000.0, "annual_savings": -5.0, "lifetime_years": 3, "co2e_avoided_t": 1000.0},
    ], size=["small", "large", "small"])
    # row 0: kWh 100,000 x 0.10 = 10,000/yr x (1 + 1/1.05 + 1/1.05^2 = 2.859410) = 28,594.10;
    #        CO2 10 x 20 = 200; highest 28,594.10; small 50 % x 100,000 = 50,000;
    #        payback 100,000 - 2 x 10,000 = 80,000 -> lowest 28,594.10
    # row 1: kWh 1,000,000 x 0.10 x 2.859410 = 285,941.0; large 30 % = 30,000;
    #        payback 100,000 - 2 x 45,000 = 10,000 -> 10,000
    # row 2: CO2 1,000 x 20 = 20,000; 50 % x 10,000 = 5,000; savings <= 0: payback term = base 10,000 -> 5,000
    got = amounts(t)
    assert got[0] == pytest.approx(10000 * (1 + 1 / 1.05 + 1 / 1.05**2))
    assert got[1] == pytest.approx(10000.0) and got[2] == pytest.approx(5000.0)


# ---------------------------------------------------------------- eligibility, base, caps, stacking


def test_eligibility_conditions(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
eligibility:
  size_classes: [small, medium]
  categories: [technology_change, end_of_pipe]
  requires_any: [energy_saved_mwh, water_saved_m3]
  attributes: {listed: ["yes"]}
  thresholds: {ghg_share: {value: 0.3, ref: src}}
  min_investment: {value: 1000, ref: src}
  max_investment: {value: 100000, ref: src}
  min_payback_years: {value: 2, ref: src}
rate: {form: fixed, value: {value: 0.10, ref: src}}
"""))
    ok = {"investment": 10000.0, "annual_savings": 1000.0, "energy_saved_mwh": 1.0, "listed": "yes", "ghg_share": 0.3}
    variants = [
        ok,                                           # 0: eligible, 10 % x 10,000 = 1,000
        {**ok, "category": "good_housekeeping"},      # 1: category
        {**ok, "energy_saved_mwh": 0.0},              # 2: no energy nor water
        {**ok, "energy_saved_mwh": 0.0, "water_saved_m3": 5.0},  # 3: water suffices: 1,000
        {**ok, "listed": "no"},                       # 4: attribute
        {**ok, "ghg_share": 0.29},                    # 5: threshold
        {**ok, "investment": 999.0},                  # 6: below minimum
        {**ok, "investment": 100001.0},               # 7: above maximum
        {**ok, "annual_savings": 6000.0},             # 8: payback 10,000 / 6,000 = 1.67 < 2
        ok,                                           # 9: large enterprise
    ]
    t = run(packs, variants, size=["small"] * 9 + ["large"])
    assert amounts(t) == {0: 1000.0, 3: 1000.0}


def test_base_net_of_earlier_grant_and_of_external_grants(make_packs) -> None:
    packs = make_packs(HEAD + rule("rate: {form: fixed, value: {value: 0.25, ref: src}}", rid="TK-G") + rule("""
rate: {form: fixed, value: {value: 0.40, ref: src}}
base: {of: investment, net_of: [TK-G], net_of_external: true}
""", rid="TK-D", kind="tax_deduction"))
    t = run(packs, [{"investment": 100000.0, "other_grants": 15000.0}])
    # grant 25 % x 100,000 = 25,000; deduction 40 % x (100,000 - 25,000 - 15,000) = 24,000
    assert amounts(t, "TK-G") == {0: 25000.0} and amounts(t, "TK-D") == {0: 24000.0}


def test_excluded_instruments_first_in_pack_order_wins(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
eligibility: {requires_all: [energy_saved_mwh]}
rate: {form: fixed, value: {value: 0.40, ref: src}}
stacking: {excludes: [TK-B]}
""", rid="TK-A", kind="tax_deduction") + rule("rate: {form: fixed, value: {value: 0.36, ref: src}}", rid="TK-B", kind="tax_deduction"))
    t = run(packs, [{"investment": 1000.0, "energy_saved_mwh": 5.0}, {"investment": 1000.0}])
    # row 0: A 400, B excluded on the same asset; row 1: A not eligible, B 360
    assert amounts(t, "TK-A") == {0: 400.0} and amounts(t, "TK-B") == {1: 360.0}


def test_per_enterprise_cap_is_cumulative_in_frame_order(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.50, ref: src}}
caps: {per_enterprise: {value: 1000, ref: src}}
"""))
    opts = [{"enterprise_id": "A", "investment": 800.0}, {"enterprise_id": "B", "investment": 1000.0},
            {"enterprise_id": "A", "investment": 800.0}, {"enterprise_id": "A", "investment": 800.0},
            {"enterprise_id": "B", "investment": 1000.0}]
    t = run(packs, opts)
    # A: 400, 400, then 200 left of 1,000; B: 500, 500
    assert amounts(t) == {0: 400.0, 1: 500.0, 2: 400.0, 3: 200.0, 4: 500.0}


def test_per_year_cap_scales_with_spread_years(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 1.0, ref: src}}
caps: {per_year: {value: 300, ref: src}}
timing: {year: 1, spread_years: 3}
"""))
    t = run(packs, [{"enterprise_id": "A", "investment": 600.0}, {"enterprise_id": "A", "investment": 600.0}])
    # 900 a 3-year spread allows (300 per year x 3); first 600, second 300
    assert amounts(t) == {0: 600.0, 1: 300.0} and (t["spread_years"] == 3).all()


def test_investment_per_year_cap_limits_the_base(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.40, ref: src}}
caps: {investment_per_year: {value: 1500, ref: src}}
""", kind="tax_deduction"))
    t = run(packs, [{"enterprise_id": "A", "investment": 1000.0}, {"enterprise_id": "A", "investment": 1000.0}])
    # bases 1,000 and the remaining 500: 400 and 200
    assert amounts(t) == {0: 400.0, 1: 200.0}


def test_minimum_aid(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.10, ref: src}}
caps: {min_aid: {value: 500, ref: src}}
"""))
    assert amounts(run(packs, [{"investment": 4999.0}, {"investment": 5000.0}])) == {1: 500.0}  # 499.9 < 500


def test_aid_ceiling_across_grant_and_deduction(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.30, ref: src}}
stacking: {aid_ceiling: ee}
""", rid="TK-G") + rule("""
rate: {form: fixed, value: {value: 1.0, ref: src}}
stacking: {aid_ceiling: ee}
timing: {year: 1}
""", rid="TK-D", kind="tax_deduction"))
    t = run(packs, [{"investment": 100000.0, "extra_investment_cost": 80000.0}], size="medium")
    # ceiling medium (30 + 10) % x extra cost 80,000 = 32,000 of aid. Grant 30,000 fits.
    # Deduction 100,000 is worth 100,000 x 25 % = 25,000; headroom 2,000 -> deduction 2,000 / 25 % = 8,000.
    assert amounts(t, "TK-G") == {0: 30000.0}
    assert amounts(t, "TK-D") == {0: pytest.approx(8000.0)}


def test_aid_ceiling_uses_enterprise_tax_rate(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 1.0, ref: src}}
stacking: {aid_ceiling: ee}
""", kind="tax_deduction"))
    t = run(packs, [{"investment": 100000.0}], size="large", tax_rate=0.5)
    # large: 30 % x 100,000 = 30,000 of aid; at a 50 % tax rate the deduction may be 60,000
    assert amounts(t) == {0: pytest.approx(60000.0)}


def test_rule_outside_its_dates_is_not_applied(make_packs) -> None:
    packs = make_packs(HEAD + rule('rate: {form: fixed, value: {value: 0.5, ref: src}}\nvalid_to: "2024-12-31"'))
    assert amounts(run(packs, [{"investment": 100.0}], on=date(2024, 12, 31))) == {0: 50.0}
    assert amounts(run(packs, [{"investment": 100.0}], on=date(2025, 1, 1))) == {}
    assert amounts(run(packs, [{"investment": 100.0}], on=date(2019, 12, 31))) == {}


def test_no_pack_and_tax_override() -> None:
    opts = pd.DataFrame([{"option_id": "a", "enterprise_id": "E", "category": "technology_change", "investment": 1.0},
                         {"option_id": "b", "enterprise_id": "F", "category": "technology_change", "investment": 1.0}])
    ents = pd.DataFrame([{"enterprise_id": "E", "jurisdiction": "none", "size_class": "small", "tax_rate": np.nan},
                         {"enterprise_id": "F", "jurisdiction": "NL", "size_class": "small", "tax_rate": 0.19}])
    assert support_table(opts.iloc[:1], ents, ON).empty
    assert list(tax_rates(opts, ents, ON)) == [0.0, 0.19]


def test_bad_input_names_row_and_field() -> None:
    opts = pd.DataFrame([{"option_id": "a", "enterprise_id": "E", "category": "technology_change", "investment": 1.0},
                         {"option_id": "b", "enterprise_id": "X", "category": "technology_change", "investment": 1.0}])
    ents = pd.DataFrame([{"enterprise_id": "E", "jurisdiction": "ZZ", "size_class": "small"}])
    with pytest.raises(ValueError, match=r"options row 1: field enterprise_id: 'X'"):
        support_table(opts, ents, ON)
    with pytest.raises(ValueError, match=r"options row 0: field jurisdiction: unknown pack 'ZZ'"):
        support_table(opts.iloc[:1], ents, ON)


def test_cumulative_cap_matches_a_loop() -> None:
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 100, 500)
    g = rng.integers(0, 7, 500)
    want = np.empty_like(a)
    left = {k: 250.0 for k in range(7)}
    for i in range(a.size):  # second method: serve rows one by one
        want[i] = min(a[i], left[g[i]])
        left[g[i]] -= want[i]
    np.testing.assert_allclose(cumulative_cap(a, g, 250.0), want, atol=1e-9)


def test_ceiling_intensity_is_a_programme_parameter(make_packs) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.30, ref: src}}
stacking: {aid_ceiling: ee}
"""))
    t = run(packs, [{"investment": 100000.0, "extra_investment_cost": 80000.0}], size="medium",
            params={"CEIL-38.intensity.base": 0.20})
    # (20 + 10) % x 80,000 = 24,000 < 30 % x 100,000 = 30,000
    assert amounts(t) == {0: pytest.approx(24000.0)}


def test_binding_unverified_ceiling_flags_the_item(make_packs, tmp_path) -> None:
    packs = make_packs(HEAD + rule("""
rate: {form: fixed, value: {value: 0.60, ref: src}}
stacking: {aid_ceiling: ee}
"""))
    # Make the ceiling's source unconfirmed: copy the packs, the CEIL pack citing the flaky source.
    folder = next(p for p in tmp_path.iterdir() if (p / "CEIL").exists())
    text = (folder / "CEIL" / "rules.yaml").read_text().replace("source: src", "source: flaky")
    root2 = tmp_path / "flagged"
    shutil.copytree(folder, root2)
    (root2 / "CEIL" / "rules.yaml").write_text(text)
    packs = load_packs(root2)
    t = run(packs, [{"investment": 1000.0}, {"investment": 1000.0}], size=["large", "large"])
    # large: 30 % x 1,000 = 300 < 600: the unverified ceiling binds, the item is flagged
    assert amounts(t) == {0: pytest.approx(300.0), 1: pytest.approx(300.0)}
    assert t["unverified"].all() and t["unverified_reason"].str.contains("CEIL-38").all()


@pytest.mark.parametrize("high", [7, 20_000, 65_536, 2**40], ids=["few", "16-bit", "past 16 bits", "int64"])
def test_cumulative_cap_is_the_int64_sorts_bit_for_bit(high) -> None:
    """The caps with the group codes sorted as 16-bit keys where they fit equal those of the
    int64 sort (the second method: the former code, kept here), value for value."""
    rng = np.random.default_rng(2)
    a = rng.uniform(0, 100, 5000)
    g = rng.integers(0, high, 5000)
    g[:3] = [0, high - 1, 0]

    def reference(amount, group, cap):
        order = np.argsort(group, kind="stable")
        x, k = amount[order], group[order]
        cs = np.cumsum(x)
        starts = np.r_[0, np.flatnonzero(k[1:] != k[:-1]) + 1]
        offset = np.repeat(np.r_[0.0, cs[starts[1:] - 1]], np.diff(np.r_[starts, x.size]))
        before = cs - offset - x
        before[starts] = 0.0
        out = np.empty_like(amount)
        out[order] = np.clip(cap - before, 0.0, x)
        return out

    for cap in (50.0, 250.0, 1e9):
        np.testing.assert_array_equal(cumulative_cap(a, g, cap), reference(a, g, cap))

"""Per-enterprise caps are spent only on options that are taken up, in option order within the
enterprise (``programme.budget.run_programme``).

Pack CA-ECOENERGY (ecoENERGY Retrofit): grant = lowest of CAD 10/GJ saved (1 MWh = 3.6 GJ), 25 % of
the cost and net cost - savings (payback floor 1 yr); CAD 50,000 per project; the per-enterprise cap
set to CAD 45,000 as a programme parameter.  Tax rate 0, grant at t = 0, 10-year lives, so simple
payback = (I - G) / S.  Decision rule: payback <= 3 years.  10,000 MWh each (per-GJ term 360,000,
never the lowest).

  option  I        S       25 % of I  net cost - S  payback without  payback with full grant
  c1      200,000  40,000  50,000     160,000       5.0              150,000 / 40,000 = 3.75 (fails)
  c2      120,000  35,000  30,000      85,000       3.43              90,000 / 35,000 = 2.57
  c3       80,000  25,000  20,000      55,000       3.2               60,000 / 25,000 = 2.4

Frame order c1, c2, c3 (the order a programme officer reads as the order of applications):
  c1 applies first and gets min(50,000, 45,000) = 45,000, payback 155,000 / 40,000 = 3.875: not
  taken up, so it uses none of the cap (before the fix it used all 45,000 and c2, c3 got nothing).
  c2 gets 30,000 (cap left 45,000), taken up; c3 gets min(20,000, 45,000 - 30,000) = 15,000,
  payback 65,000 / 25,000 = 2.6, taken up.  Outlay 30,000 + 15,000 = 45,000; deadweight 0.
Frame order c3, c2, c1: c3 20,000 (taken up), c2 min(30,000, 25,000) = 25,000, payback
  95,000 / 35,000 = 2.714 (taken up), c1 0 (cap used up; not taken up).  Outlay 45,000.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from policies.engine import support_table
from programme.budget import run_programme
from programme.uptake import DecisionRule

ON = date(2010, 6, 1)
PACK = "CA-ECOENERGY"
CAP = {"CA-ECOENERGY-RETROFIT.caps.per_enterprise": 45_000.0}
RULE = DecisionRule("payback", payback_limit=3)


def frames(rows: list[tuple[str, str, float, float, float]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    opts = pd.DataFrame(rows, columns=["enterprise_id", "option_id", "investment", "annual_savings", "energy_saved_mwh"])
    opts["title"] = opts["option_id"]
    opts["category"] = "equipment_modification"
    opts["lifetime_years"] = 10
    opts["annual_cost_change"] = 0.0
    opts["salvage_value"] = 0.0
    opts["eligible_investment"] = opts["investment"].astype(float)
    opts["other_grants"] = 0.0
    opts["mandatory"] = False
    opts["excludes"] = ""
    ids = list(dict.fromkeys(opts["enterprise_id"]))
    ents = pd.DataFrame({"enterprise_id": ids, "name": ids, "jurisdiction": "none", "size_class": "medium",
                         "tax_rate": 0.0, "discount_rate": 0.08, "tax_capacity": True})
    return opts, ents


C = {"c1": ("C", "c1", 200_000, 40_000, 10_000), "c2": ("C", "c2", 120_000, 35_000, 10_000),
     "c3": ("C", "c3", 80_000, 25_000, 10_000)}


def test_cap_is_not_used_by_an_option_that_is_not_taken_up():
    opts, ents = frames([C["c1"], C["c2"], C["c3"]])
    r = run_programme(opts, ents, PACK, params=CAP, on_date=ON, rule=RULE)
    o = r.by_option.set_index("option_id")
    assert o["support"].to_dict() == pytest.approx({"c1": 45_000, "c2": 30_000, "c3": 15_000})
    assert o["p_with"].to_dict() == {"c1": 0.0, "c2": 1.0, "c3": 1.0}
    assert o.loc["c1", "simple_payback_years"] == pytest.approx(155_000 / 40_000)
    assert o.loc["c3", "simple_payback_years"] == pytest.approx(65_000 / 25_000)
    assert r.summary["total_outlay"] == pytest.approx(45_000)
    assert r.summary["deadweight"] == 0
    assert r.summary["additional_uptake"] == 2
    # the year table carries only the taken-up options' grants; outlay_if_all counts every option's
    assert r.by_year_instrument["outlay"].sum() == pytest.approx(45_000)
    assert r.by_year_instrument["outlay_if_all"].sum() == pytest.approx(90_000)


def test_caps_follow_the_option_order_within_the_enterprise():
    opts, ents = frames([C["c3"], C["c2"], C["c1"]])
    r = run_programme(opts, ents, PACK, params=CAP, on_date=ON, rule=RULE)
    o = r.by_option.set_index("option_id")
    assert o["support"].to_dict() == pytest.approx({"c3": 20_000, "c2": 25_000, "c1": 0.0})
    assert o["p_with"].to_dict() == {"c3": 1.0, "c2": 1.0, "c1": 0.0}
    assert o.loc["c2", "simple_payback_years"] == pytest.approx(95_000 / 35_000)
    assert not o.loc["c1", "eligible"]  # nothing left for it
    assert r.summary["total_outlay"] == pytest.approx(45_000)


def test_caps_are_per_enterprise():
    # the same three options in a second enterprise get the same support: its cap is its own
    rows = [C["c1"], C["c2"], C["c3"]] + [("D", k, *C[k][2:]) for k in ("c1", "c2", "c3")]
    opts, ents = frames(rows)
    r = run_programme(opts, ents, PACK, params=CAP, on_date=ON, rule=RULE)
    s = r.by_option["support"].to_numpy()
    np.testing.assert_allclose(s, [45_000, 30_000, 15_000] * 2)
    assert r.summary["total_outlay"] == pytest.approx(90_000)


def greedy(opts: pd.DataFrame, ents: pd.DataFrame, params: dict[str, float], limit: float) -> tuple[list[float], list[float]]:
    """Second method: the allocation option by option, one engine call each, on a frame of the
    enterprise's taken-up options before it plus itself.  Tax 0 and grants at t = 0: payback =
    (I - G) / S.  Returns support and uptake per row of ``opts`` (index 0..n-1)."""
    ents_p = ents.assign(jurisdiction=PACK)
    support, taken = [0.0] * len(opts), [0.0] * len(opts)
    for _, g in opts.groupby("enterprise_id", sort=False):
        before: list[int] = []
        for i in g.index:
            frame = opts.loc[before + [i]].reset_index(drop=True)
            st = support_table(frame, ents_p, ON, params)
            amount = float(st.loc[st["row"] == len(before), "amount"].sum())
            inv, sav = opts.loc[i, "investment"], opts.loc[i, "annual_savings"]
            ok = sav > 0 and (inv - amount) / sav <= limit
            support[i] = amount
            taken[i] = 1.0 if ok else 0.0
            if ok:
                before.append(i)
    return support, taken


@pytest.mark.parametrize("mode", ["cash_flows", "grant_shortcut", "order_only"])
@pytest.mark.parametrize("seed", range(12))
def test_allocation_matches_the_option_by_option_method(seed, mode, monkeypatch):
    # cash_flows: flows rebuilt by finance.batch (IRRs on); grant_shortcut: untaxed grants added to
    # the no-support flows; order_only: rounds settled by option order alone (no stand-alone shortcut)
    import functools

    from programme import allocation, budget
    rng = np.random.default_rng(seed)
    rows = []
    for e in range(3):
        for k in range(int(rng.integers(2, 7))):
            inv = float(rng.choice([20_000, 60_000, 120_000, 200_000]))
            rows.append((f"E{e}", f"o{k}", inv, float(np.round(inv / rng.uniform(1.5, 6.0), 0)),
                         float(rng.choice([0.0, 500.0, 10_000.0]))))
    opts, ents = frames(rows)
    opts = opts.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # enterprises interleaved
    params = {"CA-ECOENERGY-RETROFIT.caps.per_enterprise": float(rng.choice([30_000, 60_000, 100_000]))}
    base = budget.baseline(opts, ents, on_date=ON, with_irr=mode != "grant_shortcut")
    if mode == "order_only":
        monkeypatch.setattr(allocation, "_allocate", functools.partial(allocation._allocate, shortcut=False))
    r = run_programme(opts, ents, PACK, params=params, on_date=ON, rule=RULE, base=base)
    support, taken = greedy(opts, ents, params, 3.0)
    o = r.by_option.set_index(["enterprise_id", "option_id"])
    key = list(zip(opts["enterprise_id"], opts["option_id"]))
    np.testing.assert_allclose(o.loc[key, "support"].to_numpy(), support, rtol=1e-12, atol=1e-9)
    np.testing.assert_array_equal(o.loc[key, "p_with"].to_numpy(), taken)
    # the cap holds for what is paid out: taken-up support per enterprise <= the cap
    paid = (r.by_option["p_with"] * r.by_option["support"]).groupby(r.by_option["enterprise_id"]).sum()
    assert (paid <= params["CA-ECOENERGY-RETROFIT.caps.per_enterprise"] + 1e-6).all()


def test_logistic_rule_counts_an_option_for_the_caps_when_its_uptake_is_likelier_than_not():
    # p = expit(3.2 - payback): c1 with 45,000 (cap not used by anyone before it): payback 3.875,
    # p = expit(-0.675) = 0.3374 < 0.5 -> leaves the cap; c2 with 30,000: 2.5714, p = expit(0.6286)
    # = 0.6522; c3 with 15,000: 2.6, p = expit(0.6) = 0.6457 (both count): supports as under the
    # payback rule; expected outlay p x support.
    opts, ents = frames([C["c1"], C["c2"], C["c3"]])
    r = run_programme(opts, ents, PACK, params=CAP, on_date=ON, rule=DecisionRule("logistic", intercept=3.2, slope=-1.0))
    o = r.by_option.set_index("option_id")
    assert o["support"].to_dict() == pytest.approx({"c1": 45_000, "c2": 30_000, "c3": 15_000})
    p = {"c1": 1 / (1 + np.exp(0.675)), "c2": 1 / (1 + np.exp(-(3.2 - 90_000 / 35_000))), "c3": 1 / (1 + np.exp(-0.6))}
    assert o["p_with"].to_dict() == pytest.approx(p)
    assert r.summary["total_outlay"] == pytest.approx(p["c1"] * 45_000 + p["c2"] * 30_000 + p["c3"] * 15_000)


def test_duplicate_enterprise_rows_read_as_the_engine_reads_them():
    opts, ents = frames([C["c1"], C["c2"], C["c3"]])
    ents2 = pd.concat([ents, ents.assign(size_class="large")], ignore_index=True)
    r = run_programme(opts, ents2, PACK, params=CAP, on_date=ON, rule=RULE)
    assert r.by_option["support"].tolist() == pytest.approx([45_000, 30_000, 15_000])


def greedy_any(opts: pd.DataFrame, ents: pd.DataFrame, pack: str, on: date, params: dict[str, float],
               rule: DecisionRule) -> tuple[pd.DataFrame, list[float]]:
    """Second method for any pack and rule: option by option, the engine on the enterprise's
    taken-up options before it plus itself, and the option appraised alone with its items
    (``programme.appraisal.appraise_metrics``, the full cash-flow model).  Returns the amounts per
    (row, instrument_id) and the uptake per row."""
    from policies.corporate_tax import tax_rates
    from programme.appraisal import appraise_metrics
    from programme.uptake import uptake_probability

    ents_p = ents.assign(jurisdiction=pack)
    items, taken = [], [0.0] * len(opts)
    for _, g in opts.groupby("enterprise_id", sort=False):
        before: list[int] = []
        for i in g.index:
            frame = opts.loc[before + [i]].reset_index(drop=True)
            st = support_table(frame, ents_p, on, params)
            mine = st[(st["row"] == len(before)) & (st["amount"] != 0)].assign(row=0)
            one = opts.loc[[i]].reset_index(drop=True)
            m = appraise_metrics(one, mine, tax_rates(one, ents, on), discount_rate=np.array([0.08]))
            p = float(uptake_probability(rule, payback=m["simple_payback_years"].to_numpy(), npv=m["npv"].to_numpy(),
                                         irr=m["irr"].to_numpy())[0])
            taken[i] = p
            items += [(i, str(k), float(a)) for k, a in zip(mine["instrument_id"], mine["amount"])]
            if p >= 0.5:
                before.append(i)
    return pd.DataFrame(items, columns=["row", "instrument_id", "amount"]), taken


@pytest.mark.parametrize("seed", range(6))
def test_nl_allowances_with_investment_caps_match_the_option_by_option_method(seed):
    # NL 2025: EIA (40 % deduction, investment cap per enterprise and year) excludes MIA (by tier,
    # its own investment cap): an option that finds EIA's cap used up takes MIA instead, the case
    # where the use of one cap grows as another's shrinks.  Caps set low so that they bind.
    rng = np.random.default_rng(100 + seed)
    rows = []
    for e in range(3):
        for k in range(int(rng.integers(3, 7))):
            inv = float(rng.choice([100_000, 250_000, 400_000]))
            rows.append((f"N{e}", f"o{k}", inv, float(np.round(inv / rng.uniform(2.0, 5.0), 0)),
                         float(rng.choice([0.0, 100.0]))))
    opts, ents = frames(rows)
    opts["mia_tier"] = rng.choice(["I", "II", "III"], len(opts))
    opts = opts.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    ents["tax_rate"] = 0.258
    params = {"NL-EIA-2024.caps.investment_per_year": float(rng.choice([300_000, 600_000])),
              "NL-MIA-2025.caps.investment_per_year": float(rng.choice([250_000, 500_000]))}
    on = date(2025, 6, 30)
    rule = DecisionRule("payback", payback_limit=4.0)
    r = run_programme(opts, ents, "NL", params=params, on_date=on, rule=rule)
    items, taken = greedy_any(opts, ents, "NL", on, params, rule)
    np.testing.assert_array_equal(r.by_option["p_with"].to_numpy(), taken)
    got = r.support[["row", "instrument_id", "amount"]].assign(instrument_id=lambda d: d["instrument_id"].astype(str))
    key = ["row", "instrument_id"]
    merged = got.merge(items, on=key, how="outer", suffixes=("", "_greedy"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"]
    np.testing.assert_allclose(merged["amount"], merged["amount_greedy"], rtol=1e-9, atol=1e-6)


def test_investment_cap_spent_on_taken_up_options_only_and_uncapped_enterprises_settled_at_once():
    """NL energy investment allowance (EIA 2024: 40 % of the eligible investment deducted in year 1) with its
    ``caps.investment_per_year`` set to EUR 120,000.  Tax 25 % with capacity, 10-year lives, straight-line
    depreciation: yearly flow 0.75 S + 0.025 I; the deduction of base B saves 0.25 x 0.4 x B = 0.1 B in year 1.

      b1: I 100,000, S 20,000: flow 17,500; with the full deduction payback 5.14 yr (fails payback <= 3)
      b2: I 100,000, S 40,000: flow 32,500; without support 3.08 yr (fails); with B = 100,000:
          -100,000 + 42,500 + 32,500 = -25,000 after 2 years, payback 2 + 25,000 / 32,500 = 2.769 (taken up).
          Had b1 used the cap, b2's base would be 20,000: payback 3 + 500 / 32,500 = 3.015 (not taken up).
      a1 (another enterprise, base 50,000 below the cap whatever is in play): tax forgone 5,000.
    """
    rows = [("B", "b1", 100_000, 20_000, 10.0), ("B", "b2", 100_000, 40_000, 10.0), ("A", "a1", 50_000, 30_000, 10.0)]
    opts, ents = frames(rows)
    ents["tax_rate"] = 0.25
    params = {"NL-EIA-2024.caps.investment_per_year": 120_000.0}
    on = date(2025, 6, 1)
    r = run_programme(opts, ents, "NL", params=params, on_date=on, rule=RULE)
    o = r.by_option.set_index("option_id")
    assert o["support"].to_dict() == pytest.approx({"b1": 10_000, "b2": 10_000, "a1": 5_000})
    assert o["p_with"].to_dict() == {"b1": 0.0, "b2": 1.0, "a1": 1.0}
    assert o.loc["b2", "simple_payback_years"] == pytest.approx(2 + 25_000 / 32_500)
    assert o.loc["b2", "simple_payback_years_no_support"] == pytest.approx(100_000 / 32_500)
    assert r.summary["total_outlay"] == pytest.approx(15_000)
    # the allocation settled by option order alone (no shortcut) is the same, bit for bit
    from programme import allocation, budget

    b = budget.baseline(opts, ents, on_date=on)
    ent = ents.assign(jurisdiction="NL")
    ent["tax_rate"] = ent["enterprise_id"].map(b.enterprise_tax_rate).astype(float)
    fast = allocation._allocate(b, ent, on, params, RULE, pack="NL")
    slow = allocation._allocate(b, ent, on, params, RULE, pack="NL", shortcut=False)
    pd.testing.assert_frame_equal(fast[1], slow[1], check_exact=True)
    assert fast[0]["amount"].tolist() == slow[0]["amount"].tolist() == pytest.approx([40_000, 40_000, 20_000])
    # the bound of the base cap: enterprise A (50,000) is below 120,000, B (200,000) is not
    from programme.appraisal import empty_support

    from programme.caps import uncapped_enterprises

    below = uncapped_enterprises(b.options, b.enterprise_code, ent, empty_support(), "NL", on, params)
    assert below.tolist() == [False, True]  # codes: B 0, A 1

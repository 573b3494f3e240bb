"""An envelope that rations (``programme.ration``), checked against a hand calculation.

CA-ECOENERGY, one enterprise per option, tax 0, 8 %, 10-year lives, no input spread, rule payback
<= 3 yr.  Grant = 25 % of the investment (the lowest term here), paid at t = 0; payback with it
(I - G) / S, without it I / S (all fail without: every tonne is additional).  NPV with support
-I + G + S a(8 %, 10), a = 6.710081; NPV ratio = NPV / (I - G).  Lifetime CO2e = 10 x yearly.

  option  I        S       G       payback with / without  CO2e [t]  G per t  NPV ratio
  a       100,000  30,000  25,000  2.50 / 3.33              1,000     25.0     1.684
  b        80,000  25,000  20,000  2.40 / 3.20              4,000      5.0     1.796
  c       120,000  35,000  30,000  2.57 / 3.43              5,000      6.0     1.609
  d        40,000  13,000  10,000  2.31 / 3.08              1,000     10.0     1.908

Envelope 60,000, each application funded while the money spent stays within it, the first that
does not fit closes the call:
  first-come (a, b, c, d):      a 25k, b 45k, c would make 75k: closed.  Funded a, b: 45,000 for
                                5,000 t = 9.00 /t; left out c, d (30k + 10k = 40,000 asked).
  cost-per-tonne (b, c, d, a):  b 20k, c 50k, d 60k, a would make 85k: closed.  Funded b, c, d:
                                60,000 for 10,000 t = 6.00 /t; left out a (25,000 asked).
  npv-ratio (d, b, a, c):       d 10k, b 30k, a 55k, c would make 85k: closed.  Funded d, b, a:
                                55,000 for 6,000 t = 9.1667 /t; left out c (30,000 asked).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from programme.montecarlo import McSpec, option_draws
from programme.ration import ration, ration_option_columns, ration_summary
from programme.uptake import DecisionRule
from tests.programme.test_montecarlo import ZERO, eco

ROWS = [("a", 100_000, 30_000, 100.0), ("b", 80_000, 25_000, 400.0), ("c", 120_000, 35_000, 500.0),
        ("d", 40_000, 13_000, 100.0)]


@pytest.fixture(scope="module")
def od():
    opts, ents = eco(ROWS)
    return option_draws(opts, ents, McSpec("CA-ECOENERGY", date(2010, 6, 1), DecisionRule("payback", payback_limit=3.0),
                                           draws=2, spreads=ZERO))


def test_the_draws_hold_the_hand_figures(od):
    np.testing.assert_allclose(od.gross[:, 0], [25_000, 20_000, 30_000, 10_000])
    np.testing.assert_allclose(od.upfront[:, 0], od.gross[:, 0])
    assert od.taken.all() and not od.taken_without.any()
    np.testing.assert_allclose(od.effect[:, 0], [1_000, 4_000, 5_000, 1_000])
    a = (1 - 1.08 ** -10) / 0.08
    np.testing.assert_allclose(od.npv[:, 0], [-75_000 + 30_000 * a, -60_000 + 25_000 * a, -90_000 + 35_000 * a,
                                              -30_000 + 13_000 * a], rtol=1e-9)


@pytest.mark.parametrize("order, funded, spent, tonnes, asked", [
    ("first-come", [1, 1, 0, 0], 45_000, 5_000, 40_000),
    ("cost-per-tonne", [0, 1, 1, 1], 60_000, 10_000, 25_000),
    ("npv-ratio", [1, 1, 0, 1], 55_000, 6_000, 30_000),
])
def test_each_order_funds_what_the_hand_calculation_funds(od, order, funded, spent, tonnes, asked):
    r = ration(od, 60_000.0, order)
    assert r.funded[:, 0].astype(int).tolist() == funded
    assert r.left_out[:, 0].astype(int).tolist() == [1 - f for f in funded]
    assert r.spent[0] == pytest.approx(spent)
    assert r.bought[0] == pytest.approx(tonnes)
    assert r.asked_left_out[0] == pytest.approx(asked)
    s = ration_summary(r)
    assert s["cost_per_t_co2e_bought_p50"] == pytest.approx(spent / tonnes)
    assert s["funded_applications_mean"] == sum(funded)
    assert ration_option_columns(r)["share_left_out"].tolist() == [1.0 - f for f in funded]


def test_an_envelope_that_covers_everything_funds_everything_and_zero_funds_nothing(od):
    r = ration(od, 1e9, "first-come")
    assert r.funded.all() and r.spent[0] == pytest.approx(85_000)
    r0 = ration(od, 0.0, "cost-per-tonne")
    assert not r0.funded.any() and np.isnan(r0.cost_per_tonne()).all()
    assert ration_summary(r0)["cost_per_t_co2e_bought_p50"] != ration_summary(r0)["cost_per_t_co2e_bought_p50"]  # NaN


def test_free_riders_funded_buy_nothing():
    opts, ents = eco(ROWS)
    # payback <= 3.35 yr: a (3.33), d (3.08) and b (3.2) pass without support; only c is additional
    od = option_draws(opts, ents, McSpec("CA-ECOENERGY", date(2010, 6, 1), DecisionRule("payback", payback_limit=3.35),
                                         draws=2, spreads=ZERO))
    assert od.taken_without[:, 0].tolist() == [True, True, False, True]
    r = ration(od, 1e9, "first-come")
    assert r.bought[0] == pytest.approx(5_000)


def test_bad_order_and_envelope_are_refused(od):
    with pytest.raises(ValueError, match="ration order"):
        ration(od, 1.0, "biggest-first")
    with pytest.raises(ValueError, match="envelope"):
        ration(od, -1.0, "first-come")

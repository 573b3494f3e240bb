"""The packs' depreciation classes and tax-rate schedules (policies.schedules) against published tables and hand calculations."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest

from policies.registry import load_packs
from policies.schedules import anniversary, class_entry, cumulative_shares, depreciation_schedules, tax_rates_by_year

# IRS Publication 946 (2024), appendix A, table A-1: MACRS GDS, half-year convention, percent of
# the basis by recovery year (read in the table as printed; the pack holds the same figures).
TABLE_A1: dict[int, list[float]] = {
    3: [33.33, 44.45, 14.81, 7.41],
    5: [20.00, 32.00, 19.20, 11.52, 11.52, 5.76],
    7: [14.29, 24.49, 17.49, 12.49, 8.93, 8.92, 8.93, 4.46],
    10: [10.00, 18.00, 14.40, 11.52, 9.22, 7.37, 6.55, 6.55, 6.56, 6.55, 3.28],
    15: [5.00, 9.50, 8.55, 7.70, 6.93, 6.23, 5.90, 5.90, 5.91, 5.90, 5.91, 5.90, 5.91, 5.90, 5.91, 2.95],
    20: [3.750, 7.219, 6.677, 6.177, 5.713, 5.285, 4.888, 4.522, 4.462, 4.461, 4.462, 4.461, 4.462, 4.461,
         4.462, 4.461, 4.462, 4.461, 4.462, 4.461, 2.231],
}


def macrs_by_method(years: int, decimals: int) -> list[float]:
    """MACRS half-year percentages computed from the method (Pub. 946 ch. 4, 'Figuring depreciation
    under MACRS'): declining balance at 200 % (150 % for 15 and 20 years) of the straight-line
    rate, switching to straight line over the remaining recovery period when that is larger; half a
    year in year 1 and in year Y + 1.  Each year's percentage is rounded as printed and the
    rounded figure taken off the book value (the table's year 2 of 3-year property is
    (100 - 33.33) x 2/3 = 44.45, not 44.44)."""
    rate = (1.5 if years >= 15 else 2.0) / years
    book, out = 100.0, []
    for t in range(1, years + 2):
        if t == years + 1:
            dep = book
        elif t == 1:
            dep = rate * book / 2
        else:
            dep = max(rate * book, book / (years + 1.5 - t))
        dep = round(dep, decimals)
        out.append(dep)
        book -= dep
    return out


@pytest.mark.parametrize("years", sorted(TABLE_A1))
def test_macrs_rows_sum_to_100_and_equal_the_published_table(years):
    entry = class_entry(load_packs()["US"], f"macrs_{years}", date(2024, 6, 1))
    assert entry.method == "table"
    assert entry.shares.percent == TABLE_A1[years]
    assert math.fsum(entry.shares.percent) == pytest.approx(100.0, abs=1e-9)
    # the published table is the method computed year by year on the rounded figures (2 decimals, 3
    # for 20-year property): equal to the last printed digit
    decimals = 3 if years == 20 else 2
    np.testing.assert_allclose(macrs_by_method(years, decimals), TABLE_A1[years], rtol=0, atol=1e-9)
    cum = cumulative_shares(entry, years, 30)
    np.testing.assert_allclose(np.diff(cum)[:years + 1], np.array(TABLE_A1[years]) / 100, rtol=0, atol=1e-12)
    assert cum[0] == 0.0 and (cum[years + 1:] == 1.0).all()


def test_declining_balance_with_the_switch_to_straight_line_by_hand():
    # DE: bought in 2026 (30 %, at most 3 x straight line), 10-year life: d = min(3/10, 0.30) = 0.30
    entry = class_entry(load_packs()["DE"], "movable_declining_balance", date(2026, 3, 1))
    book = [1.0]
    for _ in range(7):  # years 1-7: 30 % of the book value beats book / remaining years
        book.append(book[-1] * 0.7)
    # year 8: 0.3 x 0.0823543 = 0.0247 < 0.0823543 / 3 = 0.0274514: straight line over years 8-10
    sl = book[-1] / 3
    deps = [b * 0.3 for b in book[:7]] + [sl, sl, sl]
    want = np.concatenate([[0.0], np.cumsum(deps)])
    assert want[7] == pytest.approx(1 - 0.7 ** 7)
    np.testing.assert_allclose(cumulative_shares(entry, 10, 11), want, rtol=0, atol=1e-12)
    # a 4-year asset: 3/4 = 0.75 is capped at 30 %; year 2 switches (0.7 / 3 = 0.2333 > 0.21)
    four = cumulative_shares(entry, 4, 5)
    np.testing.assert_allclose(four, [0, 0.3, 0.3 + 0.7 / 3, 0.3 + 1.4 / 3, 1.0], atol=1e-12)
    # 2024-04 to 2024-12: 2 x and 20 %; 2023 and 2028 on: straight line
    np.testing.assert_allclose(cumulative_shares(class_entry(load_packs()["DE"], "movable_declining_balance",
                                                             date(2024, 6, 1)), 10, 3), [0, 0.2, 0.36], atol=1e-12)
    for day in (date(2023, 6, 1), date(2028, 1, 1)):
        e = class_entry(load_packs()["DE"], "movable_declining_balance", day)
        assert e.method == "straight_line"
        np.testing.assert_allclose(cumulative_shares(e, 8, 10), np.minimum(np.arange(10) / 8, 1.0), atol=0)


def test_balance_and_pool_schedules_by_hand():
    packs = load_packs()
    t = np.arange(12)
    dk = cumulative_shares(class_entry(packs["DK"], "balance_25", date(2025, 5, 1)), 10, 12)
    np.testing.assert_allclose(dk, 1 - 0.75 ** t, atol=1e-12)
    uk = cumulative_shares(class_entry(packs["UK"], "special_rate_fya_50", date(2024, 5, 1)), 10, 12)
    np.testing.assert_allclose(uk, np.where(t == 0, 0.0, 1 - 0.5 * 0.94 ** np.maximum(t - 1, 0)), atol=1e-12)
    main = cumulative_shares(class_entry(packs["UK"], "main_pool", date(2024, 5, 1)), 10, 12)
    np.testing.assert_allclose(main, 1 - 0.82 ** t, atol=1e-12)
    assert class_entry(packs["UK"], "main_pool", date(2026, 4, 1)).rate.value == 0.14
    full = cumulative_shares(class_entry(packs["UK"], "full_expensing", date(2024, 5, 1)), 10, 12)
    np.testing.assert_array_equal(full, np.where(t == 0, 0.0, 1.0))


ENTERPRISES = pd.DataFrame({"enterprise_id": ["de", "us", "none", "own"], "name": ["a", "b", "c", "d"],
                            "jurisdiction": ["DE", "US", "none", "DE"], "size_class": ["small"] * 4,
                            "tax_rate": [np.nan, np.nan, np.nan, 0.3]})


def options(**columns) -> pd.DataFrame:
    base = {"enterprise_id": ["de", "us", "none", "own"], "option_id": ["1", "2", "3", "4"],
            "investment": [1000.0] * 4, "annual_savings": [300.0] * 4, "lifetime_years": [8] * 4}
    base.update(columns)
    return pd.DataFrame(base)


def test_tax_rate_in_force_in_each_year_of_the_life_on_the_de_schedule():
    # appraised 1 June 2026: years 2026, 2027 at 15 % KSt, then one point less a year to 10 % in 2032
    got = tax_rates_by_year(options(), ENTERPRISES, date(2026, 6, 1), 9)
    de = [0.29825, 0.29825, 0.2877, 0.27715, 0.2666, 0.25605, 0.2455, 0.2455, 0.2455]
    np.testing.assert_array_equal(got[0], de)
    np.testing.assert_array_equal(got[1], np.full(9, 0.21))  # US: 21 % throughout
    np.testing.assert_array_equal(got[2], np.zeros(9))  # jurisdiction none
    np.testing.assert_array_equal(got[3], np.full(9, 0.3))  # the enterprise's own rate holds for the life
    # no rate changes within the lives (DE 2018-2026, US 21 % from 2018): None, every path keeps the one rate
    assert tax_rates_by_year(options(), ENTERPRISES, date(2018, 6, 1), 9) is None
    # from 2010 the US rate falls from 35 % to 21 % in the option's ninth year (2018)
    np.testing.assert_array_equal(tax_rates_by_year(options(), ENTERPRISES, date(2010, 1, 1), 9)[1], [0.35] * 8 + [0.21])
    assert anniversary(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_asset_class_is_read_per_option_and_a_wrong_class_is_named():
    got = depreciation_schedules(options(asset_class=["movable_declining_balance", "macrs_7", "macrs_7", None]),
                                 ENTERPRISES, date(2026, 6, 1), 9)
    np.testing.assert_allclose(got[0, :3], [0, 0.3, 0.51])
    np.testing.assert_allclose(np.diff(got[1])[:8], np.array(TABLE_A1[7]) / 100, atol=1e-12)
    assert np.isnan(got[2]).all() and np.isnan(got[3]).all()  # no tax (none); no class
    assert depreciation_schedules(options(), ENTERPRISES, date(2026, 6, 1), 9) is None
    with pytest.raises(ValueError, match=r"options row 1: field 'asset_class': asset class 'balance_25' is not a "
                                         r"depreciation class of pack US"):
        depreciation_schedules(options(asset_class=[None, "balance_25", None, None]), ENTERPRISES, date(2026, 6, 1), 9)
    with pytest.raises(ValueError, match=r"options row 0: field 'asset_class': .*starts 2020-01-01, after 2019-06-01"):
        depreciation_schedules(options(asset_class=["movable_declining_balance", None, None, None]), ENTERPRISES,
                               date(2019, 6, 1), 9)

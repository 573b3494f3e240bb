"""The Programme page's realised-against-predicted section against programme.realised (the CLI's
``cpscreen track --by jurisdiction``) on the same stored data."""

from __future__ import annotations

import pytest

from programme.realised import realised_by_jurisdiction
from store.db import cursor
from store.io import load_table


def test_programme_page_shows_realised_against_predicted_from_the_library(app, seeded_db):
    cur = cursor(seeded_db)
    # NL-03 predicted 60 000 EUR, 10 400 EUR/yr, 40 MWh/yr, 12 t CO2e/yr; NL-07 6 000, 5 400, 80, 16.2 (demo data)
    cur.execute("UPDATE options SET status = 'implemented', actual_investment = 66000, actual_co2e_avoided_t = 9 "
                "WHERE option_id = 'NL-03'")
    cur.execute("UPDATE options SET status = 'implemented', actual_co2e_avoided_t = 20 WHERE option_id = 'NL-07'")
    at = app("programme", timeout=180)
    assert not at.exception
    assert not any("compared" in d.value.columns for d in at.dataframe)  # collapsed: built only when opened
    at.session_state["programme_realised"] = True  # the user opens the section
    at.run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "compared" in d.value.columns).set_index("figure")
    lib = realised_by_jurisdiction(load_table(cur, "options", "nl_plating"), load_table(cur, "enterprises")).iloc[0]
    assert shown.loc["co2e_avoided_t", "ratio"] == lib["ratio_co2e_avoided_t"] == pytest.approx((9 + 20) / (12 + 16.2))
    assert shown.loc["investment", "ratio"] == lib["ratio_investment"] == pytest.approx(1.1)
    assert shown.loc["investment", "compared"] == 1 and (shown["implemented"] == 2).all()

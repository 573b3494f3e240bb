"""The Programme page on a historical date: the seed rule's parameter is offered, and a value the
engine refuses is shown with the engine's own message (st.error), not a traceback."""

from __future__ import annotations

from datetime import date

from policies.engine import ParameterError, check_parameters


def _on(app, day: date):
    at = app("programme")
    at.sidebar.date_input(key="on_date").set_value(day).run()
    at.selectbox(key="programme_pack").select("NL").run()
    return at


def test_programme_page_offers_the_historical_grant_rate(app):
    at = _on(app, date(1995, 6, 30))
    assert not at.exception and not at.error
    params = at.selectbox(key="scenario_param").options
    # options are shown in words (the rule's name and the value); the range's low/high/default are not knobs
    assert "Cleaner-production investment grant (historical): rate" in params
    assert not any("EIA" in p or "rate.low" in p or "rate.high" in p for p in params), params


def test_programme_page_shows_the_engine_refusal(app):
    at = _on(app, date(1995, 6, 30))
    param = "NL-CP-GRANT.rate"
    at.selectbox(key="scenario_param").select(param).run()
    at.number_input(key=f"value_b-{param}").set_value(0.5).run()
    assert not at.exception
    try:
        check_parameters({param: 0.5}, date(1995, 6, 30), programme="NL")
    except ParameterError as exc:
        expected = str(exc)
    assert [e.value for e in at.error] == [f"Cannot run the programme: {expected}"]
    assert "outside the range [0.15, 0.4]" in expected


def test_appraisal_page_on_the_seed_grant_s_date(app):
    # the sidebar reaches 1995 (Streamlit's default span is only ten years back) and the page
    # shows the historical grant: 15 % (the range's stated default) of 45,000
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(date(1995, 6, 30)).run()
    at.selectbox(key="appraisal_option@nl_plating").select("NL-02").run()
    assert not at.exception and not at.error
    items = next(d.value for d in at.dataframe if "source" in d.value.columns)
    assert len(items) == 1 and items["rule"].iloc[0].startswith("NL-CP-GRANT")
    assert float(items["amount [EUR]"].iloc[0]) == 0.15 * 45000


def test_appraisal_page_before_the_tax_schedule_names_the_fix(app):
    at = app("appraisal")
    at.sidebar.date_input(key="on_date").set_value(date(1976, 6, 30)).run()
    assert not at.exception
    assert any("pack NL has no corporate rate on 1976-06-30 (its schedule starts 1980-01-01): "
               "give the enterprise a tax_rate" in e.value for e in at.error)

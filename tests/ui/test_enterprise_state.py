"""Widget state belongs to one enterprise and survives the page switches of the app's own links.

Regression tests for issue 10: on Screening, "Open its appraisal" opened NL-01 of the Dutch
enterprise while the Danish (or Chinese) one was selected, because ``st.switch_page`` reruns without
the browser's widget values and Streamlit then drops every widget's state, the sidebar's included;
and the Appraisal page's discount rate, keyed by a plain name, carried over to the next enterprise.
"""

from __future__ import annotations

from datetime import date

import pytest

from screening.criteria import Criterion
from screening.rank import rank_options
from store.db import cursor
from store.io import load_table


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def _stored(seeded_db):
    cur = cursor(seeded_db)
    return load_table(cur, "enterprises").set_index("enterprise_id"), load_table(cur, "options")


@pytest.mark.parametrize("eid", ["dk_dairy", "cn_dyeworks"])
def test_open_its_appraisal_opens_that_option_of_the_selected_enterprise(app, seeded_db, eid):
    ents, opts = _stored(seeded_db)
    at = app()
    at.sidebar.selectbox(key="enterprise_id").select(eid).run()
    at.sidebar.date_input(key="on_date").set_value(date(2025, 6, 1)).run()
    at.switch_page("ui/pages/screening.py").run()
    assert not at.exception
    for s in at.slider:  # all weight on the investment (lower is better): the top is not the first option
        if s.key and s.key.startswith("w-default-"):
            s.set_value(100.0 if s.key == f"w-default-investment@{eid}" else 0.0)
    at.run()
    own = opts[opts["enterprise_id"] == eid]
    expected = rank_options(own, ents.reset_index(), criteria=[Criterion("investment", "min", 1.0)]).table
    top = _metric(at, "Top-ranked option")
    assert top == expected.sort_values("rank").iloc[0]["option_id"]
    assert top != own["option_id"].iloc[0]  # else opening the enterprise's first option would pass too
    at.button(key="open_appraisal").click().run()
    assert not at.exception
    assert at.title[0].value == "Appraisal"
    # the sidebar still shows the enterprise and date picked before the switch
    assert at.sidebar.selectbox(key="enterprise_id").value == eid
    assert at.sidebar.date_input(key="on_date").value == date(2025, 6, 1)
    assert at.selectbox(key=f"appraisal_option@{eid}").value == top
    # and the figures are that option's, in that enterprise's currency and at its rate
    assert f"[{ents.loc[eid, 'currency']}]" in next(m.label for m in at.metric if m.label.startswith("NPV with support"))
    assert at.number_input(key=f"discount_rate@{eid}").value == pytest.approx(100 * ents.loc[eid, "discount_rate"])
    assert any("2025-06-01" in c.value and f"{ents.loc[eid, 'discount_rate']:.2%}" in c.value for c in at.caption)


def test_discount_rate_and_option_stay_with_their_enterprise(app, seeded_db):
    ents, _ = _stored(seeded_db)
    assert ents.loc["nl_plating", "discount_rate"] != ents.loc["dk_dairy", "discount_rate"]  # else the test proves nothing
    at = app("appraisal")
    at.selectbox(key="appraisal_option@nl_plating").select("NL-03").run()
    at.number_input(key="discount_rate@nl_plating").set_value(12.0).run()
    assert any("discount rate **12.00%**" in c.value for c in at.caption)

    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    assert not at.exception
    # the Danish enterprise opens at its own stored rate and its own first option
    assert at.number_input(key="discount_rate@dk_dairy").value == pytest.approx(100 * ents.loc["dk_dairy", "discount_rate"])
    assert any(f"discount rate **{ents.loc['dk_dairy', 'discount_rate']:.2%}**" in c.value for c in at.caption)
    assert at.selectbox(key="appraisal_option@dk_dairy").value == "DK-01"
    assert not [w for w in at.number_input if w.key == "discount_rate@nl_plating"]  # only this enterprise's widget

    at.selectbox(key="appraisal_option@dk_dairy").select("DK-04").run()
    at.sidebar.selectbox(key="enterprise_id").select("nl_plating").run()
    # back on the Dutch enterprise: what was set for it, not the Danish choices
    assert at.number_input(key="discount_rate@nl_plating").value == pytest.approx(12.0)
    assert at.selectbox(key="appraisal_option@nl_plating").value == "NL-03"


def test_choices_survive_a_visit_to_another_page(app):
    at = app("appraisal")
    at.selectbox(key="appraisal_option@nl_plating").select("NL-05").run()
    at.number_input(key="discount_rate@nl_plating").set_value(10.0).run()
    at.switch_page("ui/pages/portfolio.py").run()
    at.switch_page("ui/pages/appraisal.py").run()
    assert not at.exception
    assert at.selectbox(key="appraisal_option@nl_plating").value == "NL-05"
    assert at.number_input(key="discount_rate@nl_plating").value == pytest.approx(10.0)


def test_screening_method_stays_with_its_enterprise(app):
    at = app("screening")
    at.selectbox(key="method@nl_plating").select("vikor").run()
    at.sidebar.selectbox(key="enterprise_id").select("dk_dairy").run()
    assert not at.exception
    assert at.selectbox(key="method@dk_dairy").value == "wsm"
    assert any("Flip points" in m.value for m in at.markdown)  # the weighted sum's view, not VIKOR's
    at.sidebar.selectbox(key="enterprise_id").select("nl_plating").run()
    assert at.selectbox(key="method@nl_plating").value == "vikor"


def test_a_link_to_one_option_is_applied_once(app):
    at = app()
    at.query_params["option"] = "NL-04"
    at.switch_page("ui/pages/appraisal.py").run()
    assert at.selectbox(key="appraisal_option@nl_plating").value == "NL-04"
    at.selectbox(key="appraisal_option@nl_plating").select("NL-06").run()
    assert at.selectbox(key="appraisal_option@nl_plating").value == "NL-06"  # the link no longer overrides the choice

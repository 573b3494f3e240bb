"""'Open its appraisal' on the Screening page opens that option of the enterprise picked in the
sidebar (issue 10: it opened NL-01 of the Dutch enterprise while the Danish one was picked)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_open_its_appraisal_keeps_the_enterprise_and_opens_its_top_option(live_app, page, ui):
    page.goto(live_app.url)
    page.get_by_role("heading", name="cpscreen", level=1).wait_for()
    ui.wait_idle(page)
    sidebar_pick = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').locator("input")
    sidebar_pick.click()
    page.get_by_role("option", name="Demo dairy (DK)").click()
    ui.wait_idle(page)
    assert sidebar_pick.input_value() == "Demo dairy (DK)"

    ui.go(page, "Screening")
    top = page.locator('[data-testid="stMetric"]', has_text="Top-ranked option").locator('[data-testid="stMetricValue"]')
    top_id = top.inner_text().strip()
    assert top_id.startswith("DK-")
    page.get_by_role("button", name="Open its appraisal").click()
    page.get_by_role("heading", name="Appraisal", level=1).wait_for()
    ui.wait_idle(page)

    assert sidebar_pick.input_value() == "Demo dairy (DK)"
    option = page.get_by_role("combobox", name="Option")
    assert option.input_value().startswith(f"{top_id}: ")
    npv = page.locator('[data-testid="stMetric"]', has_text="NPV with support")
    assert "[DKK]" in npv.inner_text()
    assert re.search(r"discount rate \*?\*?6\.00%", page.locator('[data-testid="stMain"] [data-testid="stCaptionContainer"]').first.inner_text())

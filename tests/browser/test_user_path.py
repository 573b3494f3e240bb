"""A real user's path in the real app: upload a file, set weights, read the top-ranked option,
open its appraisal, download the Excel report and open it with openpyxl."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest

pytestmark = pytest.mark.browser

#: An option that dominates every other NL option on every criterion: top under any weights.
UPLOAD = pd.DataFrame([{
    "option_id": "UP-1", "enterprise_id": "nl_plating", "title": "Close the rinse-water loop with a conductivity valve",
    "category": "process_control", "investment": 0, "annual_savings": 90000, "lifetime_years": 10,
    "energy_saved_mwh": 500, "co2e_avoided_t": 200, "waste_avoided_t": 50, "water_saved_m3": 50000,
    "technical_feasibility": 10, "implementability": 10,
}])


def test_upload_rank_appraise_and_download_report(live_app, page, tmp_path, ui):
    go, wait_idle = ui.go, ui.wait_idle
    page.goto(live_app.url)
    page.get_by_role("heading", name="cpscreen").wait_for()
    options_before = int(page.locator('[data-testid="stMetricValue"]').nth(1).inner_text())

    # 1. upload a file on the Options page
    go(page, "Options")
    page.get_by_text("Import files").click()
    csv = tmp_path / "new_options.csv"
    UPLOAD.to_csv(csv, index=False)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    page.get_by_text("new_options.csv").wait_for()
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported 0 enterprise(s), 1 option(s)").wait_for()
    go(page, "Overview", "cpscreen")
    assert int(page.locator('[data-testid="stMetricValue"]').nth(1).inner_text()) == options_before + 1

    # 2. set weights on the Screening page and read the top-ranked option
    go(page, "Screening")
    normalised = page.get_by_text(re.compile(r"^Normalised:")).inner_text()
    # the first weight slider, found by its label (not the page's first slider: the robustness
    # view has sliders too); each key press reruns the page, so it is pressed on the thumb itself
    slider = page.locator('[data-testid="stSlider"]', has_text="Energy saved [%]").get_by_role("slider")
    for _ in range(10):
        slider.press("ArrowRight")
    wait_idle(page)
    page.wait_for_function("(old) => ![...document.querySelectorAll('p')].some(p => p.innerText === old)", arg=normalised)
    assert page.get_by_text(re.compile(r"^Normalised:")).inner_text() != normalised
    top = page.locator('[data-testid="stMetric"]', has_text="Top-ranked option").locator('[data-testid="stMetricValue"]')
    assert top.inner_text().startswith("UP-1")

    # 3. open its appraisal
    page.get_by_role("button", name="Open its appraisal").click()
    page.get_by_role("heading", name="Appraisal", level=1).wait_for()
    wait_idle(page)
    chosen = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]').first
    assert "UP-1: Close the rinse-water loop" in chosen.evaluate(
        "el => el.innerText + ' ' + [...el.querySelectorAll('input')].map(i => i.value + ' ' + (i.getAttribute('aria-label') || '')).join(' ')")
    npv = page.locator('[data-testid="stMetric"]', has_text="NPV with support").locator('[data-testid="stMetricValue"]')
    assert float(npv.inner_text().replace(",", "")) > 0

    # 4. download the Excel report and open it
    go(page, "Report")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download Excel workbook").click()
    path = tmp_path / "report.xlsx"
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert {"about", "options", "ranking", "robustness"} <= set(wb.sheetnames)
    ranking = list(wb["ranking"].iter_rows(values_only=True))
    assert ranking[0][:2] == ("rank", "option_id")
    assert ranking[1][:2] == (1, "UP-1")

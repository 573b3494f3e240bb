"""The printable report fits an A4 page: laid out by Chromium at A4's printable width, no table and
no cell is wider than the page, and Chromium prints it on A4 sheets."""

from __future__ import annotations

import re
from datetime import date

import pytest

pytestmark = pytest.mark.browser

#: A4's width minus the report's 12 mm margins, at CSS's 96 px per inch. [px]
PRINTABLE_WIDTH_PX = round((210 - 2 * 12) / 25.4 * 96)


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    from finance.appraise import appraise
    from finance.cashflow_table import cash_flow_table
    from policies.catalog import show_pack
    from store.db import close_all, cursor
    from store.io import import_files, load_scores, load_table
    from store.seed import DEMO_FILES
    from ui.report import html_report, report_frames

    cur = cursor(tmp_path_factory.mktemp("report") / "r.duckdb")
    try:
        import_files(cur, [str(p) for p in DEMO_FILES])
        ents = load_table(cur, "enterprises")
        out = {}
        for eid, jur in zip(ents["enterprise_id"], ents["jurisdiction"]):
            opts = load_table(cur, "options", eid)
            frames = report_frames(opts, ents, eid, date(2025, 6, 1), scores=load_scores(cur, eid),
                                   appraisal=appraise(opts, ents, date(2025, 6, 1)), policy_rules=show_pack(jur), n_draws=200,
                                   cash_flow=cash_flow_table(opts, ents, date(2025, 6, 1)))
            assert "cash flow" in frames  # the widest table is in
            out[eid] = html_report(frames, f"cpscreen report: {eid}")
        return out
    finally:
        close_all()


def test_report_fits_the_printable_width_of_a4(browser, reports, tmp_path):
    context = browser.new_context(viewport={"width": PRINTABLE_WIDTH_PX, "height": 1100})
    page = context.new_page()
    page.emulate_media(media="print")
    try:
        for eid, text in reports.items():
            path = tmp_path / f"{eid}.html"
            path.write_text(text, encoding="utf-8")
            page.goto(path.as_uri())
            over = page.evaluate("""() => {
                const right = document.body.getBoundingClientRect().right + 0.5, bad = [];
                for (const t of document.querySelectorAll('table'))
                    if (t.getBoundingClientRect().right > right) bad.push('table ' + t.previousElementSibling?.innerText);
                for (const c of document.querySelectorAll('th, td'))
                    if (c.scrollWidth > c.clientWidth + 1) bad.push('cell ' + c.innerText.slice(0, 40));
                return bad;
            }""")
            assert not over, f"{eid}: wider than A4's printable width: {over[:5]}"
            assert page.evaluate("document.documentElement.scrollWidth") <= PRINTABLE_WIDTH_PX
            pdf = page.pdf(prefer_css_page_size=True)
            boxes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
            assert boxes and all(abs(float(w) - 595.3) < 1.5 and abs(float(h) - 841.9) < 1.5 for w, h in boxes), boxes  # A4 [pt]
    finally:
        context.close()

"""Deleting an option in the real app: asked first, then gone from the table and from the file."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_delete_an_option_after_confirming(live_app, page, ui):
    page.goto(live_app.url)
    ui.go(page, "Options")
    count = page.get_by_text(re.compile(r"^\d+ of \d+ option\(s\) of"))
    before = int(count.inner_text().split(" of ")[1].split()[0])

    # the section is always open (no expander animation to race: see ui/pages/options.py); the
    # first click must open the list, so the test clicks once and waits for the list, no retries
    picker = page.locator('[data-testid="stMultiSelect"]', has_text="Options to delete").locator("input")
    picker.click()
    page.wait_for_function("el => el.getAttribute('aria-expanded') === 'true'", arg=picker.element_handle())
    page.get_by_role("option", name=re.compile(r"^NL-02: ")).click()
    page.keyboard.press("Escape")
    ui.wait_idle(page)
    page.get_by_role("button", name="Delete selected…").click()
    page.get_by_text(re.compile(r"^Delete 1 option\(s\) of nl_plating \(NL-02\)")).wait_for()
    page.get_by_role("button", name="Yes, delete 1 option(s)").click()
    page.get_by_text("Deleted 1 option(s): NL-02.").wait_for()
    page.get_by_text(f"{before - 1} of {before - 1} option(s) of", exact=False).wait_for()

    live_app.stop()
    from store.db import close_all, cursor
    from store.io import load_table

    try:
        cur = cursor(live_app.db)
        left = set(load_table(cur, "options", "nl_plating")["option_id"])
        assert "NL-02" not in left and len(left) == before - 1
    finally:
        close_all()

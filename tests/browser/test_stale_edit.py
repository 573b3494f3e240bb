"""Two browser sessions edit the Options table: the second save, based on a stale table, is refused
with what changed, and the edit is kept and can be reapplied (issue 16: B's edit vanished without a
word when A saved first)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

HEADER = 36  # [px] height of the grid's header row
ROW = 35  # [px] height of a grid row
SAVED = re.compile(r"^Saved \d+ option\(s\)\.$")


def _type_into_cell(page, row: int, right: int, text: str) -> None:
    """Replace the text of the editable grid's cell ``row`` (0 = first), ``right`` columns from the first.

    The grid is a canvas: click the first column of the row, move right with the arrow keys,
    open the cell's editor with Enter, fill it, and commit with Enter.  The edit reruns
    the page, which enables Save.
    """
    # the options editor by its container's name: the first grid of the page was, while the editor was
    # still being drawn, the suggestions table below it (CI, 1 run in 3)
    grid = page.locator('.st-key-options_editor [data-testid="stDataFrameResizable"]')
    grid.wait_for()
    grid.click(position={"x": 30, "y": HEADER + ROW * row + ROW / 2})
    for _ in range(right):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    editor = page.locator("textarea.gdg-input")  # the grid's cell editor
    editor.wait_for()
    editor.fill(text)
    editor.press("Enter")
    expect(page.get_by_role("button", name="Save changes")).to_be_enabled(timeout=20_000)


def test_a_stale_save_is_refused_with_the_change_named_and_the_edit_reapplied(live_app, browser, request, ui):
    ctx_a = browser.new_context(viewport={"width": 1400, "height": 1000})
    ctx_b = browser.new_context(viewport={"width": 1400, "height": 1000})
    a, b = ctx_a.new_page(), ctx_b.new_page()
    try:
        for p in (a, b):
            p.set_default_timeout(20_000)
            p.goto(live_app.url)
            ui.go(p, "Options")
        # B starts editing the first option's title; A edits the second option's title and saves first
        _type_into_cell(b, 0, 2, "Title by B")
        _type_into_cell(a, 1, 2, "Title by A")
        a.get_by_role("button", name="Save changes").click()
        a.get_by_text(SAVED).wait_for()

        b.get_by_role("button", name="Save changes").click()
        warning = b.get_by_text("Someone saved these options since you opened them")
        warning.wait_for()
        text = warning.inner_text()
        assert "Title by A" in text and "Your edit is kept below" in text
        b.get_by_role("button", name="Reapply my edit on the saved options").click()
        b.get_by_text("Your edit is laid on the saved options below").wait_for()
        ui.wait_idle(b)
        b.get_by_role("button", name="Save changes").click()
        b.get_by_text(SAVED).wait_for()
    except Exception:
        request.node.rep_call = type("R", (), {"failed": True})()
        ui.screenshot_on_failure(request, b)
        raise
    finally:
        ctx_a.close()
        ctx_b.close()

    live_app.stop()
    from store.db import close_all, cursor
    from store.io import load_table

    try:
        opts = load_table(cursor(live_app.db), "options", "nl_plating")
        assert opts["title"].iat[0] == "Title by B" and opts["title"].iat[1] == "Title by A"
    finally:
        close_all()

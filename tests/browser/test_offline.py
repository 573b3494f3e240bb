"""Every asset the app loads is served by the app itself, so it works offline (issue 10: the
favicon came from a font CDN).  All requests of a load of every page are recorded; any host
other than the loopback fails the test."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

PAGES = ["Options", "Screening", "Appraisal", "Portfolio", "Programme", "Policies", "Report"]
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_no_request_leaves_the_machine(live_app, page, ui):
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(live_app.url)
    page.get_by_role("heading", name="cpscreen", level=1).wait_for()
    ui.wait_idle(page)
    for name in PAGES:
        ui.go(page, name)
    page.reload()  # a fresh load of a deep page fetches the favicon and fonts again
    page.get_by_role("heading", name="Report", level=1).wait_for()
    ui.wait_idle(page)
    outside = sorted({u for u in seen if urlparse(u).scheme in ("http", "https", "ws", "wss")
                      and urlparse(u).hostname not in LOOPBACK})
    assert len(seen) > 20  # the recording works: the pages' own scripts, styles and fonts are in it
    assert not outside, f"requests to other hosts: {outside}"
    icons = [u for u in seen if "favicon" in u or u.endswith(".png")]
    assert icons, "the favicon was not requested from the app"

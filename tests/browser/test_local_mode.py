"""Local single-user mode and the server's hardening, on the running app in Chromium (issue 14, items 1 and 6).

Without ``[auth]`` the sidebar says the app is in local single-user mode and no sign-in is asked;
an upload request without the page's XSRF token is refused (403) while the same request with it
gets past that check; an upload declaring more bytes than the import limit is refused by the
server (413) before any byte is read; and the printable report with a ``<script>`` in its title
and cells runs no script in the browser.
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pandas as pd
import pytest

from screening.limits import MAX_IMPORT_BYTES
from ui.auth import LOCAL_MODE_NOTE

pytestmark = pytest.mark.browser
XSRF_COOKIE = "_streamlit_xsrf"


def _xsrf(context) -> str:
    return next(c["value"] for c in context.cookies() if c["name"] == XSRF_COOKIE)


def test_local_mode_is_named_in_the_sidebar_and_asks_no_sign_in(live_app, page, ui):
    page.goto(live_app.url)
    page.get_by_role("heading", name="cpscreen", level=1).wait_for()
    ui.wait_idle(page)
    page.locator('[data-testid="stSidebar"]').get_by_text(LOCAL_MODE_NOTE).wait_for()
    assert page.get_by_role("button", name="Sign in").count() == 0
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_uploads_need_the_xsrf_token_and_respect_the_import_limit(live_app, page, ui, tmp_path):
    page.goto(live_app.url)
    page.get_by_role("heading", name="cpscreen", level=1).wait_for()
    ui.go(page, "Options")
    page.get_by_text("Import files").click()
    csv = tmp_path / "tiny.csv"
    csv.write_text("option_id\n", encoding="utf-8")
    with page.expect_request(lambda r: "/_stcore/upload_file/" in r.url and r.method == "PUT") as sent:
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    upload_url = sent.value.url  # /_stcore/upload_file/<this session>/<file id>: a real session's upload address
    token = _xsrf(page.context)

    refused = page.request.put(upload_url, multipart={"file": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"a\n"}})
    assert refused.status == 403 and "XSRF" in refused.text()
    bad = page.request.put(upload_url, headers={"X-Xsrftoken": token[:-4] + "AAAA"},
                           multipart={"file": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"a\n"}})
    assert bad.status == 403
    passed = page.request.put(upload_url, headers={"X-Xsrftoken": token},
                              multipart={"file": {"name": "x.csv", "mimeType": "text/csv", "buffer": b"a\n"}})
    assert passed.status != 403, passed.text()

    # one byte over the limit, declared: refused before the body is read (none is sent)
    parts = urlsplit(upload_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest("PUT", parts.path)
        conn.putheader("X-Xsrftoken", token)
        conn.putheader("Cookie", f"{XSRF_COOKIE}={token}")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(MAX_IMPORT_BYTES + 1))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413, (response.status, response.read()[:200])
    finally:
        conn.close()


def test_a_script_in_the_printable_report_does_not_run(browser, tmp_path):
    from ui.report import html_report

    script = "<script>window.pwned = 1</script>"
    title = f"Report {script}"
    path = tmp_path / "report.html"
    path.write_text(html_report({"options": pd.DataFrame({"title": [f"Rinse {script}"],
                                                          "option_id": ["<img src=x onerror='window.pwned = 2'>"]})},
                                title), encoding="utf-8")
    context = browser.new_context()
    try:
        pg = context.new_page()
        pg.goto(path.as_uri())
        assert pg.evaluate("() => window.pwned") is None, "a script from user text ran"
        assert pg.locator("h1").inner_text() == title, "the title is shown as typed"
        assert pg.locator("img").count() == 0 and pg.locator("script").count() == 0
        assert pg.get_by_text("<img src=x onerror='window.pwned = 2'>").count() == 1
    finally:
        context.close()

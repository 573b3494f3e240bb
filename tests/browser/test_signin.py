"""Sign-in end to end (issue 14, item 1): the app with ``[auth]`` in its secrets, a real OpenID Connect
provider (``oidc-provider-mock``, Authlib's server) started on loopback, headless Chromium.

Nothing is patched: the browser follows Streamlit's ``st.login`` redirect to the provider, signs in
there as a user, comes back through ``/oauth2callback`` with an authorization code that Streamlit
exchanges for a signed identity token, and holds Streamlit's signed identity cookie.  Checks: no
data before sign-in (on any page's URL), data and the user's name after, sign-out back to the
sign-in screen, and cookies that must not pass: signed with another secret, unsigned, or from a
sign-in older than the allowed session age.
"""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

#: Demo data that only a signed-in user may see: enterprise names and an option title.
DEMO_TEXT = ("Demo electroplating shop", "Demo dairy", "Demo dye works", "counter-current rinsing")
USER_COOKIE = "_streamlit_user"


def _assert_sign_in_screen_only(page) -> None:
    page.get_by_role("heading", name="Sign in to cpscreen", level=1).wait_for()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=30_000)
    text = page.locator("body").inner_text()
    assert not [t for t in DEMO_TEXT if t in text], "demo data shown before sign-in"
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0, "the page navigation is shown before sign-in"
    assert "Signed in as" not in text


def _cookie(context, name: str = USER_COOKIE) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == name), None)


def _signed(secret: str, payload: dict) -> str:
    """A cookie value as Streamlit signs it (itsdangerous, salted with the cookie's name)."""
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    return create_signed_value(secret, USER_COOKIE, json.dumps(payload)).decode()


def _payload(secret: str, value: str) -> dict:
    from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

    decoded = decode_signed_value(secret, USER_COOKIE, value)
    assert decoded is not None, "the app's own cookie verifies with its secret"
    return json.loads(decoded)


def test_before_sign_in_no_page_shows_data(signed_in_app, page):
    page.goto(signed_in_app.url)
    _assert_sign_in_screen_only(page)
    page.goto(f"{signed_in_app.url}/options")  # a page's own URL does not get round the gate
    _assert_sign_in_screen_only(page)


def test_sign_in_at_the_provider_shows_the_data_and_who_then_sign_out_ends_it(signed_in_app, page, auth_ui, ui):
    auth_ui.sign_in(page, signed_in_app.url, "alice")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Signed in as Alice Example (alice@example.org)").wait_for()
    expect(sidebar.get_by_role("combobox", name="Enterprise")).to_have_value("Demo electroplating shop (NL)")  # the data
    assert "Local single-user mode" not in page.locator("body").inner_text()
    ui.go(page, "Options")
    page.get_by_text("counter-current rinsing", exact=False).first.wait_for(state="attached")  # a grid cell
    cookie = _cookie(page.context)
    assert cookie and cookie["httpOnly"], "the identity cookie is out of the page scripts' reach"
    claims = _payload(signed_in_app.cookie_secret, cookie["value"])
    assert claims["email"] == "alice@example.org" and claims["iss"] == signed_in_app.provider.url

    page.get_by_role("button", name="Sign out", exact=True).click()
    # Streamlit sends the browser to the provider's end-session endpoint, which confirms and comes back
    page.get_by_role("button", name="End session", exact=True).click()
    _assert_sign_in_screen_only(page)
    assert _cookie(page.context) is None, "the identity cookie is deleted"
    page.goto(f"{signed_in_app.url}/options")  # a fresh load is not signed in either
    _assert_sign_in_screen_only(page)


def test_a_cookie_signed_with_another_secret_or_unsigned_does_not_pass(signed_in_app, browser):
    now = int(time.time())
    claims = {"sub": "mallory", "email": "mallory@example.org", "name": "Mallory", "iss": signed_in_app.provider.url,
              "iat": now, "exp": now + 3600, "origin": signed_in_app.url, "is_logged_in": True, "provider": "default"}
    context = browser.new_context()
    try:
        pg = context.new_page()
        for value in (_signed("not-the-app-secret-" + "x" * 32, claims), json.dumps(claims)):
            context.clear_cookies()
            context.add_cookies([{"name": USER_COOKIE, "value": value, "url": signed_in_app.url}])
            pg.goto(signed_in_app.url)
            _assert_sign_in_screen_only(pg)
            assert "Mallory" not in pg.locator("body").inner_text()
    finally:
        context.close()


def test_a_sign_in_older_than_the_session_age_does_not_pass(signed_in_app, browser, auth_ui):
    """The cookie of a real sign-in, with only its sign-in time (``iat``) moved 13 h back (default session 12 h):
    what the browser holds the morning after; re-signed with the app's secret so only the age is wrong."""
    context = browser.new_context()
    try:
        pg = context.new_page()
        auth_ui.sign_in(pg, signed_in_app.url, "bob")
        real = _payload(signed_in_app.cookie_secret, _cookie(context)["value"])
        hours = 13
        old = dict(real, iat=real["iat"] - hours * 3600, exp=real["exp"] - hours * 3600)
        context.clear_cookies()
        context.add_cookies([{"name": USER_COOKIE, "value": _signed(signed_in_app.cookie_secret, old),
                              "url": signed_in_app.url, "httpOnly": True}])
        pg.goto(signed_in_app.url)
        _assert_sign_in_screen_only(pg)
        pg.get_by_text("Your session ended at").wait_for()
        # the same cookie with the real sign-in time passes: the age alone made the difference
        context.clear_cookies()
        context.add_cookies([{"name": USER_COOKIE, "value": _signed(signed_in_app.cookie_secret, real),
                              "url": signed_in_app.url, "httpOnly": True}])
        pg.goto(signed_in_app.url)
        pg.get_by_text("Signed in as Bob Example (bob@example.org)").wait_for()
    finally:
        context.close()

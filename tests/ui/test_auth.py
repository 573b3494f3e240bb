"""The sign-in gate's rules (ui/auth.py, issue 14 item 1); the end-to-end sign-in is tests/browser/test_signin.py.

The settings check against hand-written secrets; the session end against a hand-computed date; the
app (AppTest) without secrets runs in local mode and says so, and with ``[auth]`` but no signed-in
user draws only the sign-in screen (AppTest's user is signed out: nothing here patches ``st.user``).
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ui.auth import DEFAULT_SESSION_HOURS, LOCAL_MODE_NOTE, AuthConfigError, auth_settings, session_ends, who

ROOT = Path(__file__).resolve().parents[2]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s" * 32, "client_id": "c",
        "client_secret": "x", "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


def test_no_auth_section_is_local_mode():
    assert auth_settings({}) is None
    assert auth_settings({"cpscreen": {"session_hours": 4}}) is None


def test_one_provider_in_auth_itself_and_the_default_session_age():
    cfg = auth_settings({"auth": AUTH})
    assert cfg.providers == ((None, "Sign in"),) and cfg.session_hours == DEFAULT_SESSION_HOURS == 12.0


def test_named_providers_get_one_button_each():
    shared = {k: AUTH[k] for k in ("redirect_uri", "cookie_secret")}
    provider = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    cfg = auth_settings({"auth": {**shared, "microsoft": provider, "okta": provider}, "cpscreen": {"session_hours": 8}})
    assert cfg.providers == (("microsoft", "Sign in with microsoft"), ("okta", "Sign in with okta")) and cfg.session_hours == 8


def test_the_unnamed_providers_client_options_are_not_a_provider():
    """``[auth.client_kwargs]`` (Authlib's options, e.g. the code exchange's timeout) was taken for a provider
    named client_kwargs, and refused for lacking client_id."""
    cfg = auth_settings({"auth": {**AUTH, "client_kwargs": {"timeout": 30.0, "prompt": "login"}}})
    assert cfg is not None and cfg.providers == ((None, "Sign in"),)


@pytest.mark.parametrize(("secrets", "named"), [
    ({"auth": {**AUTH, "cookie_secret": ""}}, "secrets [auth]: missing cookie_secret"),
    ({"auth": {k: v for k, v in AUTH.items() if k != "redirect_uri"}}, "secrets [auth]: missing redirect_uri"),
    ({"auth": {k: v for k, v in AUTH.items() if k != "client_secret"}}, "secrets [auth]: missing client_secret"),
    ({"auth": {"redirect_uri": "u", "cookie_secret": "s", "okta": {"client_id": "c"}}},
     "secrets [auth.okta]: missing client_secret, server_metadata_url"),
    ({"auth": {"redirect_uri": "u", "cookie_secret": "s"}}, "no provider"),
    ({"auth": "yes"}, "must be a section"),
    ({"auth": AUTH, "cpscreen": {"session_hours": 0}}, "session_hours: expected a positive number of hours, got 0"),
    ({"auth": AUTH, "cpscreen": {"session_hours": "12"}}, "got '12'"),
    ({"auth": AUTH, "cpscreen": {"session_hours": True}}, "got True"),
])
def test_a_configuration_that_cannot_work_is_refused_naming_the_key(secrets, named):
    with pytest.raises(AuthConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        auth_settings(secrets)


def test_the_session_ends_session_hours_after_the_sign_in():
    # iat 1_700_000_000 s is 2023-11-14 22:13:20 UTC (date -u -d @1700000000); 12 h later is 10:13:20 the next day
    assert session_ends({"iat": 1_700_000_000}, 12) == datetime(2023, 11, 15, 10, 13, 20, tzinfo=UTC)
    assert session_ends({"iat": 1_700_000_000}, 0.5) == datetime(2023, 11, 14, 22, 43, 20, tzinfo=UTC)
    assert session_ends({}, 12) is None and session_ends({"iat": "yesterday"}, 12) is None


def test_who_names_the_user():
    assert who({"name": "Alice", "email": "a@x.org", "sub": "1"}) == "Alice (a@x.org)"
    assert who({"email": "a@x.org", "sub": "1"}) == "a@x.org"
    assert who({"name": "a@x.org", "email": "a@x.org"}) == "a@x.org"
    assert who({"sub": "1"}) == "1"


def test_the_example_secrets_file_is_a_working_configuration_of_placeholders():
    example = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    cfg = auth_settings(example)
    assert cfg is not None and cfg.providers == ((None, "Sign in"),)
    for key in ("cookie_secret", "client_id", "client_secret"):
        assert example["auth"][key].startswith("REPLACE-WITH-"), key


def _captions(at) -> list[str]:
    return [c.value for c in at.sidebar.caption]


def test_without_secrets_the_app_says_local_single_user_mode(app):
    at = app()
    assert not at.exception, [e.value for e in at.exception]
    assert LOCAL_MODE_NOTE in _captions(at)
    assert not at.sidebar.button, "no sign-out button in local mode"


def test_with_auth_and_nobody_signed_in_only_the_sign_in_screen_is_drawn(seeded_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = AUTH
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Sign in to cpscreen"]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.selectbox and not at.metric and not at.dataframe, "no data before sign-in"


def test_with_a_broken_auth_section_the_app_stays_closed_and_says_why(seeded_db):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.secrets["auth"] = {k: v for k, v in AUTH.items() if k != "cookie_secret"}
    at.run()
    assert [e.value for e in at.error] == ["Sign-in is configured but cannot work: secrets [auth]: missing cookie_secret. "
                                          "See .streamlit/secrets.toml.example."]
    assert not at.button and not at.sidebar.selectbox

"""Sign-in gate: users sign in through the organisation's OpenID Connect provider before any page shows data.

With an ``[auth]`` section in Streamlit's secrets (``.streamlit/secrets.toml``, or the files named
by ``secrets.files``; example: ``.streamlit/secrets.toml.example``) the app is a shared service:
:func:`gate` shows only a sign-in screen until the visitor has signed in with Streamlit's built-in
login (``st.login``, OpenID Connect), refuses a session older than its allowed age, and the
sidebar names who is signed in with a *Sign out* button (``st.logout``).  Without ``[auth]`` the
app runs in local single-user mode (``scripts/run.sh`` listens on 127.0.0.1 only) and the sidebar
says so.

Streamlit itself checks the identity cookie's signature (``cookie_secret``) and its origin; the
identity token's claims it keeps are the ones read here.  Session age: the provider's sign-in
time (``iat``, required in every OpenID Connect identity token) plus ``session_hours`` from a
``[cpscreen]`` secrets section (default :data:`DEFAULT_SESSION_HOURS`); Streamlit's own cookie
lives 30 days, too long for a shared service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import streamlit as st

from ui.widgets import md_text

LOCAL_MODE_NOTE = "Local single-user mode: no sign-in; listening on this machine only"
DEFAULT_SESSION_HOURS = 12.0  # [h] a working day, then sign in again
SHARED_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
#: Tables inside ``[auth]`` that are not providers: ``[auth.client_kwargs]`` holds the unnamed provider's
#: options for Authlib's client (e.g. ``prompt``, ``timeout`` of the code exchange [s]), as Streamlit reads them.
OPTION_SECTIONS = ("client_kwargs",)


class AuthConfigError(ValueError):
    """The ``[auth]`` (or ``[cpscreen]``) secrets section cannot work; the message names the key."""


@dataclass(frozen=True)
class AuthSettings:
    """What the gate needs from the secrets.

    Attributes
    ----------
    providers : tuple of (str or None, str)
        ``(name for st.login, label)`` per provider; name ``None`` is the unnamed provider whose
        keys sit in ``[auth]`` itself.
    session_hours : float
        How long a sign-in lasts. [h]
    """

    providers: tuple[tuple[str | None, str], ...]
    session_hours: float


def auth_settings(secrets: Mapping[str, Any]) -> AuthSettings | None:
    """The sign-in settings in ``secrets``, or None when there is no ``[auth]`` section (local mode).

    Parameters
    ----------
    secrets : mapping
        The parsed secrets (``st.secrets`` or a dict of the same shape).

    Raises
    ------
    AuthConfigError
        A shared key (``redirect_uri``, ``cookie_secret``) or a provider key (``client_id``,
        ``client_secret``, ``server_metadata_url``) is missing, no provider is configured, or
        ``[cpscreen] session_hours`` is not a positive number.
    """
    auth = secrets.get("auth")
    if auth is None:
        return None
    if not isinstance(auth, Mapping):
        raise AuthConfigError("secrets: 'auth' must be a section ([auth]), not a single value")
    missing = [k for k in SHARED_KEYS if not auth.get(k)]
    if missing:
        raise AuthConfigError(f"secrets [auth]: missing {', '.join(missing)}")
    providers: list[tuple[str | None, str]] = []
    # a table in [auth] is a named provider, except the options Streamlit passes to Authlib for the unnamed one
    sections = {k: v for k, v in auth.items() if isinstance(v, Mapping) and k not in OPTION_SECTIONS}
    if any(k in auth for k in PROVIDER_KEYS):
        providers.append((None, "Sign in"))
        sections = {"(unnamed, in [auth])": auth, **sections}
    else:
        providers += [(name, f"Sign in with {name}") for name in sections]
    for name, section in sections.items():
        lack = [k for k in PROVIDER_KEYS if not section.get(k)]
        if lack:
            where = "[auth]" if section is auth else f"[auth.{name}]"
            raise AuthConfigError(f"secrets {where}: missing {', '.join(lack)}")
    if not providers:
        raise AuthConfigError("secrets [auth]: no provider: give client_id, client_secret and server_metadata_url "
                              "in [auth] or in a section [auth.NAME]")
    hours = (secrets.get("cpscreen") or {}).get("session_hours", DEFAULT_SESSION_HOURS)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or not hours > 0:
        raise AuthConfigError(f"secrets [cpscreen] session_hours: expected a positive number of hours, got {hours!r}")
    return AuthSettings(tuple(providers), float(hours))


def session_ends(claims: Mapping[str, Any], session_hours: float) -> datetime | None:
    """When a sign-in stops being valid: the identity token's ``iat`` plus ``session_hours``.

    Parameters
    ----------
    claims : mapping
        The identity token's claims as Streamlit keeps them (``st.user``).
    session_hours : float
        Allowed session age. [h]

    Returns
    -------
    datetime or None
        The end (UTC); None when the claims carry no usable ``iat`` (a token without one is not a
        valid OpenID Connect identity token, so the caller treats the session as ended).
    """
    iat = claims.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        return None
    return datetime.fromtimestamp(iat, UTC) + timedelta(hours=session_hours)


def who(claims: Mapping[str, Any]) -> str:
    """The signed-in user's name for the sidebar: name and e-mail, else whichever is given, else the subject."""
    name, email = claims.get("name"), claims.get("email")
    if name and email and name != email:
        return f"{name} ({email})"
    return str(name or email or claims.get("sub") or "unknown user")


def _secrets_file_unreadable() -> str | None:
    """The secrets file that exists but cannot be parsed, if any (then the app must not open up)."""
    if st.secrets.load_if_toml_exists():
        return None
    files = [str(p) for p in st.get_option("secrets.files") or [] if Path(p).exists()]
    return ", ".join(files) or None


def settings() -> AuthSettings | None:
    """The running app's sign-in settings (None: local mode); stops the run on a broken configuration."""
    bad = _secrets_file_unreadable()
    if bad:
        st.error(f"The secrets file {bad} cannot be read (TOML syntax?): the app stays closed until it is fixed.")
        st.stop()
    try:
        return auth_settings(st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {})
    except AuthConfigError as exc:
        st.error(f"Sign-in is configured but cannot work: {exc}. See .streamlit/secrets.toml.example.")
        st.stop()
    raise AssertionError("unreachable")  # pragma: no cover - st.stop raises


def _sign_in_screen(cfg: AuthSettings, note: str | None) -> None:
    st.title("Sign in to cpscreen")
    st.write("Sign in with your organisation's account to see and work on your enterprises' data.")
    if note:
        st.warning(note)
    for name, label in cfg.providers:
        st.button(label, type="primary", key=f"sign_in_{name}", on_click=st.login, args=(name,) if name else ())


def gate() -> AuthSettings | None:
    """Call first in ``app.py``: without a valid sign-in only the sign-in screen is drawn and the run stops.

    Returns
    -------
    AuthSettings or None
        The settings when signed in; None in local single-user mode (no ``[auth]``).
    """
    cfg = settings()
    if cfg is None:
        return None
    if not st.user.get("is_logged_in"):  # absent (a session without the cookie) counts as signed out
        _sign_in_screen(cfg, None)
        st.stop()
    claims = st.user.to_dict()
    ends = session_ends(claims, cfg.session_hours)
    if ends is None or datetime.now(UTC) >= ends:
        when = f" at {ends:%Y-%m-%d %H:%M} UTC" if ends else " (the sign-in carries no time)"
        _sign_in_screen(cfg, f"Your session ended{when}: sign in again.")
        st.stop()
    return cfg


def sidebar(cfg: AuthSettings | None) -> None:
    """Who is signed in and a *Sign out* button, or the local-mode note (call inside ``st.sidebar``)."""
    if cfg is None:
        st.caption(LOCAL_MODE_NOTE)
        return
    st.caption(f"Signed in as {md_text(who(st.user.to_dict()))}")
    st.button("Sign out", key="sign_out", on_click=st.logout)

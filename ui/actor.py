"""Who is using the app: the one place pages get the acting user from (issue 14).

Without an ``[auth]`` section in ``.streamlit/secrets.toml`` the app runs in local single-user
mode (the embedded default of ``scripts/run.sh``) and acts as :meth:`store.access.Actor.local`.
With one, the app signs users in (``st.login``, gated before any page runs) and acts as the
stored user of the signed-in e-mail address (:func:`store.access.actor_for`); a signed-in address
that is not a user of the service gets no actor, and :func:`require_actor` stops the page.
"""

from __future__ import annotations

import streamlit as st

from store.access import Actor, actor_for
from store.db import db_path
from ui.auth import settings


def auth_configured() -> bool:
    """Whether the secrets configure sign-in through OpenID Connect (:func:`ui.auth.settings`, the one
    reading of the ``[auth]`` section that the sign-in gate uses too)."""
    return settings() is not None


def current_actor() -> Actor | None:
    """The acting user of this run: local mode without ``[auth]``, else the signed-in stored user (or None)."""
    if not auth_configured():
        return Actor.local()
    user = st.user
    if not getattr(user, "is_logged_in", False):
        return None
    email = user.get("email") if hasattr(user, "get") else getattr(user, "email", None)
    if not email:
        return None
    return actor_for(db_path(), str(email))


def require_actor() -> Actor:
    """:func:`current_actor`, or stop the page with why when there is none."""
    actor = current_actor()
    if actor is None:
        st.error("You are signed in, but not as a user of this service: ask an administrator to add your e-mail "
                 "address (cpscreen users add) and grant you a role.")
        st.stop()
    return actor

"""The service's users and their memberships (``cpscreen users add|list|grant|revoke``, issue 14).

Only an admin (or local mode) changes users and memberships; each change is one transaction with
its audit row (:mod:`store.audit`).  A membership names a role of :data:`store.access.ROLES` and
its scope: an enterprise id (``member``, ``viewer``), a jurisdiction code
(``programme_officer``), none (``admin``).
"""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pandas as pd

from store import audit
from store.access import ENTERPRISE_ROLES, ROLES, Actor, check_admin, normalise_email
from store.transaction import write_transaction

_MEMBERSHIPS_OF = "SELECT role, scope FROM memberships WHERE email = ?"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _scope(cur: duckdb.DuckDBPyConnection, role: str, scope: str | None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    text = (scope or "").strip()
    if role == "admin":
        if text:
            raise ValueError(f"role admin takes no scope (got {text!r})")
        return ""
    if not text:
        what = "an enterprise id" if role in ENTERPRISE_ROLES else "a jurisdiction code such as NL"
        raise ValueError(f"role {role} needs a scope: {what}")
    if role in ENTERPRISE_ROLES:
        if not cur.execute("SELECT 1 FROM enterprises WHERE enterprise_id = ?", [text]).fetchone():
            raise ValueError(f"unknown enterprise {text!r}: import it before granting a role on it")
    return text


def add_user(cur: duckdb.DuckDBPyConnection, actor: Actor, email: str, name: str = "") -> dict[str, object]:
    """Add a user (no membership yet); refused when the address is already a user."""
    address = normalise_email(email)

    def work() -> None:
        check_admin(cur, actor, "add users")
        if cur.execute("SELECT 1 FROM users WHERE email = ?", [address]).fetchone():
            raise ValueError(f"{address} is already a user; nothing was changed")
        cur.execute("INSERT INTO users VALUES (?, ?, ?)", [address, name or None, _now()])
        audit.record(cur, actor, "user add", f"added user {address}", (), None,
                     audit.rows_digest(cur, "SELECT * FROM users WHERE email = ?", [address]))

    write_transaction(cur, work)
    return {"email": address, "name": name or None, "action": "added"}


def list_users(cur: duckdb.DuckDBPyConnection, actor: Actor) -> pd.DataFrame:
    """One record per user and membership (a user without membership: role and scope null); admins only."""
    check_admin(cur, actor, "list users")
    return cur.execute(
        "SELECT u.email, u.name, m.role, nullif(m.scope, '') AS scope, u.created_at, m.granted_at FROM users u "
        "LEFT JOIN memberships m ON m.email = u.email ORDER BY u.email, m.role, m.scope").df()


def _change(cur: duckdb.DuckDBPyConnection, actor: Actor, email: str, role: str, scope: str | None, grant: bool) -> dict[str, object]:
    address = normalise_email(email)
    verb = "grant" if grant else "revoke"
    out: dict[str, object] = {}

    def work() -> None:
        check_admin(cur, actor, f"{verb} roles")
        if not cur.execute("SELECT 1 FROM users WHERE email = ?", [address]).fetchone():
            raise ValueError(f"{address} is not a user: add it first (cpscreen users add {address})")
        s = _scope(cur, role, scope) if grant else (scope or "").strip()
        if not grant and role not in ROLES:
            raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        before = audit.rows_digest(cur, _MEMBERSHIPS_OF, [address])
        held = cur.execute("SELECT 1 FROM memberships WHERE email = ? AND role = ? AND scope = ?", [address, role, s]).fetchone()
        if grant and held:
            raise ValueError(f"{address} already has role {role}{' of ' + s if s else ''}; nothing was changed")
        if not grant and not held:
            raise ValueError(f"{address} has no role {role}{' of ' + s if s else ''}; nothing was changed")
        if grant:
            cur.execute("INSERT INTO memberships VALUES (?, ?, ?, ?)", [address, role, s, _now()])
        else:
            cur.execute("DELETE FROM memberships WHERE email = ? AND role = ? AND scope = ?", [address, role, s])
        after = audit.rows_digest(cur, _MEMBERSHIPS_OF, [address])
        ents = [s] if role in ENTERPRISE_ROLES else []
        audit.record(cur, actor, f"membership {verb}", f"{verb} {role}{' of ' + s if s else ''} for {address}", ents, before, after)
        out.update({"email": address, "role": role, "scope": s or None, "action": "granted" if grant else "revoked"})

    write_transaction(cur, work)
    return out


def grant(cur: duckdb.DuckDBPyConnection, actor: Actor, email: str, role: str, scope: str | None = None) -> dict[str, object]:
    """Give a user a role (of an enterprise or jurisdiction); admins only."""
    return _change(cur, actor, email, role, scope, True)


def revoke(cur: duckdb.DuckDBPyConnection, actor: Actor, email: str, role: str, scope: str | None = None) -> dict[str, object]:
    """Take a role from a user; admins only."""
    return _change(cur, actor, email, role, scope, False)


__all__ = ["add_user", "grant", "list_users", "revoke"]

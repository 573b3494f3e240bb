"""Who acts, and what they may read and change: users, roles and memberships (issue 14).

Every read and write of :mod:`store.service` takes an :class:`Actor`.  In local single-user mode
(no sign-in configured, the embedded default of ``scripts/run.sh``, and the CLI without
``--user``) the actor is :meth:`Actor.local`, with full access.  A signed-in user acts as
``actor_for(db_path, email)``; what they may do is read from the ``memberships`` table *inside
each operation's transaction*, so a grant or a revoke holds from the next operation on:

============================  ===================================  =====================================
role (scope)                  reads                                writes
============================  ===================================  =====================================
``member`` (enterprise id)    that enterprise's data               its options, scores, appraisals and
                                                                   enterprise row
``viewer`` (enterprise id)    that enterprise's data               nothing
``programme_officer``         the enterprises whose jurisdiction   programme scenarios of that
(jurisdiction code)           is that code                         jurisdiction's pack; no enterprise data
``admin`` (no scope)          everything                           everything, users and memberships
============================  ===================================  =====================================

A new enterprise id can only be created by an admin (or in local mode).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb

from store.db import session, while_unchanged
from store.errors import StoreError

ROLES: tuple[str, ...] = ("member", "viewer", "programme_officer", "admin")
#: Roles whose scope is an enterprise id; ``programme_officer``'s is a jurisdiction code; ``admin`` has none.
ENTERPRISE_ROLES: tuple[str, ...] = ("member", "viewer")


class AccessDenied(StoreError):
    """The acting user may not read or change what was asked; nothing was changed."""


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf the store reads and writes.

    Parameters
    ----------
    email : str
        The user's e-mail address (lower case), or ``"local"`` in local single-user mode.
    is_local : bool
        Local single-user mode: full access, no membership consulted.
    """

    email: str
    is_local: bool = False

    @classmethod
    def local(cls) -> "Actor":
        """The actor of local single-user mode (full access)."""
        return cls("local", True)

    @property
    def key(self) -> str:
        """A text that tells actors apart in cache keys."""
        return "local" if self.is_local else f"user:{self.email}"


def normalise_email(email: str) -> str:
    """An e-mail address as stored: stripped, lower case; refused when it is not one."""
    text = str(email).strip().lower()
    if "@" not in text or text.startswith("@") or text.endswith("@") or any(c.isspace() for c in text):
        raise ValueError(f"{email!r} is not an e-mail address (expected name@domain)")
    return text


def actor_for(db_path: str | os.PathLike[str] | None, email: str) -> Actor | None:
    """The actor for a stored user, or None when ``email`` is not a user of this service."""
    try:
        address = normalise_email(email)
    except ValueError:
        return None

    def lookup() -> bool:
        with session(db_path) as cur:
            return cur.execute("SELECT email FROM users WHERE email = ?", [address]).fetchone() is not None

    return Actor(address) if while_unchanged(db_path, ("user", address), lookup) else None


def grants(cur: duckdb.DuckDBPyConnection, actor: Actor) -> list[tuple[str, str]]:
    """The actor's (role, scope) pairs as stored now (local mode: ``[("admin", "")]``)."""
    if actor.is_local:
        return [("admin", "")]
    return [(r, s) for r, s in cur.execute("SELECT role, scope FROM memberships WHERE email = ? ORDER BY role, scope",
                                           [actor.email]).fetchall()]


def is_admin(cur: duckdb.DuckDBPyConnection, actor: Actor) -> bool:
    """Local mode or an ``admin`` membership."""
    return actor.is_local or any(r == "admin" for r, _ in grants(cur, actor))


def readable_ids(cur: duckdb.DuckDBPyConnection, actor: Actor) -> set[str] | None:
    """Enterprise ids the actor may read; None means every enterprise (admin, local mode)."""
    if is_admin(cur, actor):
        return None
    rows = cur.execute(
        "SELECT scope FROM memberships WHERE email = ? AND role IN ('member', 'viewer') "
        "UNION SELECT e.enterprise_id FROM enterprises e JOIN memberships m ON m.role = 'programme_officer' "
        "AND m.scope = e.jurisdiction AND m.email = ?", [actor.email, actor.email]).fetchall()
    return {r[0] for r in rows}


def writable_ids(cur: duckdb.DuckDBPyConnection, actor: Actor) -> set[str] | None:
    """Enterprise ids whose data the actor may change; None means every enterprise (admin, local mode)."""
    if is_admin(cur, actor):
        return None
    rows = cur.execute("SELECT scope FROM memberships WHERE email = ? AND role = 'member'", [actor.email]).fetchall()
    return {r[0] for r in rows}


def programme_scopes(cur: duckdb.DuckDBPyConnection, actor: Actor) -> set[str] | None:
    """Jurisdiction codes whose programme scenarios the actor may read and save; None means all."""
    if is_admin(cur, actor):
        return None
    rows = cur.execute("SELECT scope FROM memberships WHERE email = ? AND role = 'programme_officer'", [actor.email]).fetchall()
    return {r[0] for r in rows}


def check_write(cur: duckdb.DuckDBPyConnection, actor: Actor, enterprise_ids: Iterable[str], what: str) -> None:
    """Refuse unless the actor may change every one of ``enterprise_ids`` (new ids: admins only).

    Raises
    ------
    AccessDenied
        Naming the enterprises refused (only those the actor may read are named: the ids of
        others are not disclosed) and the actor.
    """
    wanted = sorted({str(e) for e in enterprise_ids})
    allowed = writable_ids(cur, actor)
    if allowed is None or not wanted:
        return
    refused = [e for e in wanted if e not in allowed]
    if refused:
        readable = readable_ids(cur, actor) or set()
        named = [e for e in refused if e in readable]
        hidden = len(refused) - len(named)
        parts = ([", ".join(map(repr, named))] if named else []) + ([f"{hidden} other enterprise(s)"] if hidden else [])
        raise AccessDenied(f"{actor.email} may not {what} {' and '.join(parts)} (no member role there); nothing was changed")


def check_admin(cur: duckdb.DuckDBPyConnection, actor: Actor, what: str) -> None:
    """Refuse unless the actor is an admin (or local mode)."""
    if not is_admin(cur, actor):
        raise AccessDenied(f"{actor.email} may not {what}: only an admin may; nothing was changed")


__all__ = ["ENTERPRISE_ROLES", "ROLES", "AccessDenied", "Actor", "actor_for", "check_admin", "check_write", "grants", "is_admin",
           "normalise_email", "programme_scopes", "readable_ids", "writable_ids"]

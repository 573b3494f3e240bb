"""What the acting user may change on a page, and the sentence that says why a page is read-only (issue 14).

The store refuses a change the user's role does not allow (``store.access.check_write``, inside the
transaction); the pages do not offer it in the first place: a viewer of an enterprise, and a
programme officer (who reads the enterprises of a jurisdiction to run programmes on them), see an
enterprise's options as a read-only table without save, delete, import or add buttons, and one
sentence naming their role.
"""

from __future__ import annotations

from collections.abc import Sequence


def read_only_reason(grants: Sequence[tuple[str, str]], enterprise_id: str, jurisdiction: str | None) -> str:
    """Why the acting user sees ``enterprise_id``'s options read-only, naming the role that lets them read it.

    Parameters
    ----------
    grants : sequence of (str, str)
        The user's (role, scope) pairs (``store.service.Store.grants``).
    enterprise_id : str
        The enterprise shown.
    jurisdiction : str or None
        Its jurisdiction (a programme officer's scope).
    """
    if ("viewer", enterprise_id) in grants:
        why = (f"you are a viewer of {enterprise_id}, and viewers read an enterprise's data without changing it")
    elif jurisdiction and ("programme_officer", jurisdiction) in grants:
        why = (f"you are a programme officer for {jurisdiction}: programme officers read the enterprises of their "
               "jurisdiction and run programmes on them, but do not change enterprise data")
    else:
        why = f"you have no member role for {enterprise_id}"
    return (f"Read only: {why}. A member of {enterprise_id} or an administrator can edit, import, add and delete "
            "its options.")


def may_import(grants: Sequence[tuple[str, str]]) -> bool:
    """Whether the user may import files at all: an admin, or a member of some enterprise (the store then
    accepts only rows of the enterprises they are a member of; new enterprises only from admins)."""
    return any(role in ("admin", "member") for role, _ in grants)

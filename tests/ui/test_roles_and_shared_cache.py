"""Issue 14 in the app: caches shared between users who see the same enterprises, never between others;
and the Options page offers editing only to a role that may edit.

The actor is set by replacing ``ui.actor.current_actor`` (what the sign-in gives the pages: the stored
user of the signed-in address); everything below it is the real store, which reads the users' roles
from the database (``store.access``).  The end-to-end sign-in is tests/browser/test_signin.py.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from store.access import Actor
from store.service import Store, VersionMoved

APP = str(Path(__file__).resolve().parents[2] / "app.py")
DAY = date(2025, 6, 1)
USERS = {  # e-mail -> (role, scope)
    "nl.member@example.org": ("member", "nl_plating"),
    "nl.viewer@example.org": ("viewer", "nl_plating"),
    "dk.member@example.org": ("member", "dk_dairy"),
    "nl.officer@example.org": ("programme_officer", "NL"),
    "boss@example.org": ("admin", None),
}


@pytest.fixture
def users(seeded_db):
    """The users above added to the seeded database (as an administrator in local mode): their stores."""
    admin = Store.open(Actor.local(), seeded_db)
    for email, (role, scope) in USERS.items():
        admin.add_user(email)
        admin.grant(email, role, scope)
    return {email: Store.open(Actor(email), seeded_db) for email in USERS}


def _ids(frame) -> set[str]:
    return set(frame["enterprise_id"])


def test_the_read_version_is_shared_by_the_same_visible_set_and_differs_otherwise(users):
    from ui import data

    v = {e: data.data_version(s) for e, s in users.items()}
    # a member and a viewer of nl_plating, and the NL programme officer, all read exactly nl_plating
    assert v["nl.member@example.org"] == v["nl.viewer@example.org"] == v["nl.officer@example.org"]
    assert v["nl.member@example.org"] != v["dk.member@example.org"] != v["boss@example.org"]
    assert v["boss@example.org"] == data.data_version(Store.open(Actor.local(), users["boss@example.org"].path))


def test_a_shared_cache_never_hands_one_members_rows_to_another(users):
    """Two members of different enterprises fill the same caches (same process, same st.cache_data) in turn:
    each gets their own enterprise's rows only, from every loader and computation keyed on the version."""
    from ui import data

    nl, dk = users["nl.member@example.org"], users["dk.member@example.org"]
    vn, vd = data.data_version(nl), data.data_version(dk)
    for _ in range(2):  # the second pass is served from the caches the first one filled
        assert _ids(data.enterprises(nl, vn)) == {"nl_plating"}
        assert _ids(data.enterprises(dk, vd)) == {"dk_dairy"}
        assert _ids(data.options(nl, vn, None)) == {"nl_plating"}
        assert _ids(data.options(dk, vd, None)) == {"dk_dairy"}
        assert _ids(data.appraisal(nl, vn, None, DAY)) == {"nl_plating"}
        assert _ids(data.appraisal(dk, vd, None, DAY)) == {"dk_dairy"}
        assert data.options(dk, vd, "nl_plating").empty  # asking for the other's enterprise by id gives nothing
        assert set(data.scores(dk, vd, None)["enterprise_id"]) <= {"dk_dairy"}
    # the viewer of nl_plating shares the member's cached rows: they are the rows the viewer may read
    viewer = users["nl.viewer@example.org"]
    assert data.options(viewer, data.data_version(viewer), None).equals(data.options(nl, vn, None))


def test_a_read_under_a_version_that_no_longer_holds_is_refused_and_not_cached(users, seeded_db):
    """The race a shared key must survive: the version is taken, then an admin grants more, then the read runs.
    The read is refused (VersionMoved, the app reruns) instead of caching the wider rows under the narrower key."""
    from ui import data

    dk = users["dk.member@example.org"]
    before = data.data_version(dk)
    Store.open(Actor.local(), seeded_db).grant("dk.member@example.org", "viewer", "nl_plating")
    with pytest.raises(VersionMoved):
        data.options(dk, before, None)
    with pytest.raises(VersionMoved):  # not cached by the refusal either
        data.options(dk, before, None)
    after = data.data_version(dk)
    assert after != before and _ids(data.options(dk, after, None)) == {"dk_dairy", "nl_plating"}
    # another member of dk_dairy alone still reads under the old visible set, and only dk_dairy
    admin = Store.open(Actor.local(), seeded_db)
    admin.add_user("dk.other@example.org")
    admin.grant("dk.other@example.org", "member", "dk_dairy")
    other = Store.open(Actor("dk.other@example.org"), seeded_db)
    assert _ids(data.options(other, data.data_version(other), None)) == {"dk_dairy"}


# --- the Options page per role ---------------------------------------------------------------------

def _options_page(monkeypatch, email: str | None):
    from streamlit.testing.v1 import AppTest

    import ui.actor

    if email is not None:
        monkeypatch.setattr(ui.actor, "current_actor", lambda: Actor(email))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("ui/pages/options.py")
    at.run()
    assert not at.exception, at.exception[0].value
    return at


def _editable(at) -> bool:
    """Whether the page draws an editable table (st.data_editor)."""
    return len(at.get("data_editor")) > 0


@pytest.mark.parametrize(("email", "role_words"), [
    ("nl.viewer@example.org", "you are a viewer of nl_plating"),
    ("nl.officer@example.org", "you are a programme officer for NL"),
])
def test_a_role_that_cannot_edit_gets_a_read_only_table_and_the_reason(users, monkeypatch, email, role_words):
    at = _options_page(monkeypatch, email)
    assert not _editable(at), "an editable table is offered to a role the store refuses"
    tables = [d.value for d in at.dataframe if "option_id" in d.value.columns and "title" in d.value.columns]
    assert tables and len(tables[0]) == len(users[email].load_options("nl_plating").options) > 0  # the options, to read
    buttons = {b.key for b in at.button}
    assert not buttons & {"save_options", "import_button", "delete_button", "suggest_add", "load_demo"}, buttons
    assert "delete_ids-nl_plating" not in {m.key for m in at.multiselect}
    assert "Add a suggestion as an option" not in {s.label for s in at.selectbox}
    info = " ".join(i.value for i in at.info)
    assert info.startswith("Read only: ") and role_words in info and "A member of nl_plating or an administrator" in info
    assert not at.get("file_uploader")


@pytest.mark.parametrize("email", ["nl.member@example.org", "boss@example.org", None])  # None: local mode
def test_a_role_that_may_edit_gets_the_editor_and_its_buttons(users, monkeypatch, email):
    at = _options_page(monkeypatch, email)
    assert _editable(at)
    buttons = {b.key for b in at.button}
    assert {"save_options", "import_button", "delete_button", "suggest_add"} <= buttons, buttons
    assert not [i for i in at.info if i.value.startswith("Read only")]


def test_the_member_of_one_enterprise_sees_the_other_read_only_nowhere(users, monkeypatch):
    """A member sees only their own enterprise in the sidebar, so the editor is theirs; the store would refuse
    any other (tests/store/test_access.py)."""
    at = _options_page(monkeypatch, "dk.member@example.org")
    assert at.sidebar.selectbox(key="enterprise_id").options == ["Demo dairy (DK)"]
    assert _editable(at)

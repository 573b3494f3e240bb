"""The Overview page's audit trail (issue 14, item 4): shown to admins (local mode is one), with the
same rows as ``cpscreen audit``, and its download."""

from __future__ import annotations

from store.access import Actor
from store.service import Store


def test_the_overview_shows_the_audit_trail_to_an_admin(app, seeded_db):
    at = app()
    assert not at.exception
    at.toggle(key="show_audit").set_value(True).run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if "before_digest" in d.value.columns)
    stored = Store(Actor.local(), seeded_db).audit()
    assert list(shown["seq"]) == list(stored["seq"]) and list(shown["action"]) == ["import"]  # the demo data's seeding
    assert shown["after_digest"].iloc[0] == stored["after_digest"].iloc[0]

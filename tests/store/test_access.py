"""Access enforced in the store (issue 14, items 2-4): the functions the pages and the CLI use,
through store.service.Store, as a member of one enterprise, a viewer, a programme officer, an
admin and a user without roles.

A member of nl_plating never sees dk_dairy's or cn_dyeworks' ids, titles or figures (also in
exports); a write to another enterprise is refused and leaves it unchanged, with no audit row.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from store.access import AccessDenied, Actor, actor_for
from store.db import session
from store.io import UnknownOptionError, table_fingerprint
from store.service import Store
from tests.conftest import DEMO_FILES

OPTIONS = pd.read_csv(DEMO_FILES[1], dtype=str, keep_default_na=False)
OWN, OTHERS = "nl_plating", ("dk_dairy", "cn_dyeworks")
OTHER_TEXT = [*OTHERS, *OPTIONS.loc[OPTIONS["enterprise_id"] != OWN, "option_id"],
              *OPTIONS.loc[OPTIONS["enterprise_id"] != OWN, "title"].str.slice(0, 30)]


@pytest.fixture
def stores(tmp_path, monkeypatch):
    path = tmp_path / "access.duckdb"
    monkeypatch.setenv("CPSCREEN_DB", str(path))
    admin = Store.open(Actor.local(), path)
    admin.import_files([str(p) for p in DEMO_FILES])
    for email, role, scope in (("member@nl.example", "member", OWN), ("viewer@dk.example", "viewer", "dk_dairy"),
                               ("officer@dk.example", "programme_officer", "DK"), ("boss@gov.example", "admin", None),
                               ("nobody@x.example", None, None)):
        admin.add_user(email)
        if role:
            admin.grant(email, role, scope)
    out = {"local": admin}
    for name, email in (("member", "member@nl.example"), ("viewer", "viewer@dk.example"), ("officer", "officer@dk.example"),
                        ("admin", "boss@gov.example"), ("nobody", "nobody@x.example")):
        actor = actor_for(path, email)
        assert actor is not None and not actor.is_local
        out[name] = Store.open(actor, path)
    yield out
    from store.db import close_all

    close_all()


def _fingerprint(store: Store) -> dict:
    with session(store.path) as cur:
        fp = table_fingerprint(cur)
        fp["audit"] = cur.execute("SELECT count(*) FROM audit").fetchone()[0]
    return fp


def _text(frame: pd.DataFrame) -> str:
    return frame.astype(str).to_csv(index=False)


def test_unknown_email_has_no_actor(stores):
    assert actor_for(stores["local"].path, "stranger@x.example") is None
    assert actor_for(stores["local"].path, "MEMBER@nl.example ") == Actor("member@nl.example")


def test_a_member_reads_only_its_enterprise(stores):
    m = stores["member"]
    ents, opts = m.load_table("enterprises"), m.load_table("options")
    assert list(ents["enterprise_id"]) == [OWN]
    assert set(opts["enterprise_id"]) == {OWN} and len(opts) == (OPTIONS["enterprise_id"] == OWN).sum()
    assert m.load_table("options", "dk_dairy").empty and m.load_scores("dk_dairy").empty
    assert m.load_scores().empty  # the demo's scores are all dk_dairy's
    assert set(stores["viewer"].load_scores()["enterprise_id"]) == {"dk_dairy"}
    o2, e2 = m.load_data()
    assert o2.equals(opts) and e2.equals(ents)
    assert m.counts() == {"enterprises": 1, "options": len(opts)}
    snap = m.load_options("dk_dairy")
    assert snap.options.empty and snap.revision == "0:"  # not even a digest of B's rows
    text = _text(ents) + _text(opts) + _text(m.load_scores())
    assert not [t for t in OTHER_TEXT if t in text]


def test_a_member_exports_only_its_enterprise(stores, tmp_path):
    for fmt in ("csv", "xlsx"):
        files = stores["member"].export_dir(tmp_path / fmt, fmt)
        for f in files:
            frames = pd.read_excel(f, sheet_name=None) if fmt == "xlsx" else {f.name: pd.read_csv(f)}
            for frame in frames.values():
                text = _text(frame)
                assert OWN in text and not [t for t in OTHER_TEXT if t in text], (f, fmt)


def test_stored_appraisals_are_filtered(stores):
    from finance.appraise import appraise

    local = stores["local"]
    opts, ents = local.load_data()
    local.save_appraisals(appraise(opts, ents, date(2025, 6, 1)), date(2025, 6, 1))
    got = stores["member"].load_appraisals()
    assert set(got["enterprise_id"]) == {OWN} and len(got) == (OPTIONS["enterprise_id"] == OWN).sum()
    assert stores["nobody"].load_appraisals().empty


def test_a_viewer_reads_but_never_writes(stores):
    v = stores["viewer"]
    assert list(v.load_table("enterprises")["enterprise_id"]) == ["dk_dairy"]
    before = _fingerprint(v)
    snap = v.load_options("dk_dairy")
    edited = snap.options.head(1).assign(title="changed by a viewer")
    with pytest.raises(AccessDenied, match="viewer@dk.example may not edit the options of 'dk_dairy'"):
        v.save_options("dk_dairy", edited, snap.revision)
    with pytest.raises(AccessDenied):
        v.delete_options(["DK-01"], enterprise_id="dk_dairy")
    assert _fingerprint(v) == before


def test_a_programme_officer_reads_its_jurisdiction_and_saves_only_its_scenarios(stores):
    po = stores["officer"]
    assert list(po.load_table("enterprises")["enterprise_id"]) == ["dk_dairy"]
    rule = {"kind": "payback", "payback_limit": 3}
    po.save_scenario("dk-low", "DK", {}, rule)
    with pytest.raises(AccessDenied, match="programme NL"):
        po.save_scenario("nl-low", "NL", {}, rule)
    stores["local"].save_scenario("nl-admin", "NL", {}, rule)
    with pytest.raises(AccessDenied):  # replacing another programme's scenario under a DK name
        po.save_scenario("nl-admin", "DK", {}, rule)
    assert [s["name"] for s in po.load_scenarios()] == ["dk-low"]
    assert stores["member"].load_scenarios() == []
    assert {s["name"] for s in stores["admin"].load_scenarios()} == {"dk-low", "nl-admin"}
    snap = po.load_options("dk_dairy")
    with pytest.raises(AccessDenied):
        po.save_options("dk_dairy", snap.options.head(1), snap.revision)


def _other_options_file(tmp_path, enterprise: str = "dk_dairy"):
    p = tmp_path / "other.csv"
    pd.DataFrame([{"option_id": "X-1", "enterprise_id": enterprise, "title": "Planted option", "category": "good_housekeeping",
                   "investment": 1, "annual_savings": 1, "lifetime_years": 2}]).to_csv(p, index=False)
    return p


def test_writes_to_another_enterprise_are_refused_and_change_nothing(stores, tmp_path):
    from screening.schema import ValidationError

    m = stores["member"]
    before = _fingerprint(m)
    # options for an enterprise the member cannot see: as if it did not exist (no id disclosed)
    with pytest.raises(ValidationError, match="dk_dairy"):
        m.import_files([str(_other_options_file(tmp_path))])
    ents = tmp_path / "ents.csv"
    pd.DataFrame([{"enterprise_id": "dk_dairy", "name": "Taken over", "jurisdiction": "DK", "size_class": "small"}]).to_csv(ents, index=False)
    with pytest.raises(AccessDenied, match="1 other enterprise") as refused:
        m.import_files([str(ents)])
    assert "dk_dairy" not in str(refused.value)
    with pytest.raises(UnknownOptionError):
        m.delete_options(["DK-01"])
    with pytest.raises(AccessDenied):
        m.save_options("dk_dairy", pd.DataFrame([{"option_id": "DK-01", "title": "x"}]), "0:")
    with pytest.raises(AccessDenied):
        m.save_appraisals(pd.DataFrame({"enterprise_id": ["dk_dairy"], "option_id": ["DK-01"], "npv": [1.0]}), date(2025, 1, 1))
    with pytest.raises(AccessDenied):
        m.grant("member@nl.example", "member", "dk_dairy")
    with pytest.raises(AccessDenied):
        m.audit()
    assert _fingerprint(m) == before


def test_a_member_changes_its_own_enterprise_and_each_change_is_audited(stores, tmp_path):
    m = stores["member"]
    n0 = len(stores["admin"].audit())
    snap = m.load_options(OWN)
    after = m.save_options(OWN, snap.options.head(1).assign(title="Drip trays, longer drip times"), snap.revision)
    assert after.options.loc[after.options["option_id"] == "NL-01", "title"].item() == "Drip trays, longer drip times"
    m.import_files([str(_other_options_file(tmp_path, OWN))])
    assert m.delete_options(["X-1"], enterprise_id=OWN) == 1
    trail = stores["admin"].audit()
    new = trail.head(len(trail) - n0)
    assert list(new["action"]) == ["delete", "import", "edit"]
    assert set(new["user_email"]) == {"member@nl.example"} and set(new["enterprises"]) == {OWN}
    assert (new["before_digest"] != new["after_digest"]).all()
    # the delete undid the import: its digest after equals the import's before
    assert new["after_digest"].iloc[0] == new["before_digest"].iloc[1]


def test_a_failed_change_leaves_no_audit_row_and_no_change(stores, tmp_path, monkeypatch):
    import store.io as io

    local = stores["local"]
    before = _fingerprint(local)
    real = io._upsert

    def fail_on_options(cur, table, frame, key):
        real(cur, table, frame, key)
        if table == "options":
            raise OSError(28, "No space left on device")

    monkeypatch.setattr(io, "_upsert", fail_on_options)
    ents = tmp_path / "e.csv"
    pd.DataFrame([{"enterprise_id": "new_co", "name": "New", "jurisdiction": "NL", "size_class": "small"}]).to_csv(ents, index=False)
    with pytest.raises(Exception, match="No space left"):
        local.import_files([str(ents), str(_other_options_file(tmp_path, "new_co"))])
    assert _fingerprint(local) == before
    monkeypatch.setattr(io, "_upsert", real)

    import store.audit as audit

    def audit_fails(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit, "record", audit_fails)
    with pytest.raises(Exception, match="No space left"):
        local.import_files([str(ents)])
    with pytest.raises(Exception, match="No space left"):
        local.grant("nobody@x.example", "viewer", OWN)
    assert _fingerprint(local) == before


def test_membership_changes_hold_from_the_next_operation_and_are_audited(stores):
    admin, nobody = stores["admin"], stores["nobody"]
    assert nobody.load_table("enterprises").empty
    admin.grant("nobody@x.example", "viewer", "cn_dyeworks")
    assert list(nobody.load_table("enterprises")["enterprise_id"]) == ["cn_dyeworks"]
    admin.revoke("nobody@x.example", "viewer", "cn_dyeworks")
    assert nobody.load_table("enterprises").empty
    trail = admin.audit(limit=2)
    assert list(trail["action"]) == ["membership revoke", "membership grant"]
    assert set(trail["user_email"]) == {"boss@gov.example"}
    assert trail["after_digest"].iloc[0] == trail["before_digest"].iloc[1]  # revoke undid the grant


def test_users_are_listed_for_admins_and_bad_grants_named(stores):
    listed = stores["admin"].list_users()
    assert set(listed["email"]) == {"member@nl.example", "viewer@dk.example", "officer@dk.example", "boss@gov.example",
                                   "nobody@x.example"}
    with pytest.raises(AccessDenied):
        stores["officer"].list_users()
    admin = stores["admin"]
    with pytest.raises(ValueError, match="unknown enterprise 'nope'"):
        admin.grant("nobody@x.example", "member", "nope")
    with pytest.raises(ValueError, match="needs a scope"):
        admin.grant("nobody@x.example", "programme_officer")
    with pytest.raises(ValueError, match="not a user"):
        admin.grant("ghost@x.example", "admin")
    with pytest.raises(ValueError, match="already a user"):
        admin.add_user("NOBODY@x.example")
    with pytest.raises(ValueError, match="not an e-mail"):
        admin.add_user("nobody")


def test_each_actor_has_its_own_version_and_any_change_moves_it(stores, tmp_path):
    m, v = stores["member"], stores["viewer"]
    assert m.version() != v.version()
    before = m.version()
    stores["local"].import_files([str(_other_options_file(tmp_path, "cn_dyeworks"))])  # an enterprise m cannot see
    assert m.version() != before  # caches keyed on it reload; what they load stays filtered

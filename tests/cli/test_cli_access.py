"""Every CLI command as ``--user EMAIL`` (issue 14, items 2-4): a member of nl_plating never sees
another enterprise's ids, titles or figures; writes to another enterprise exit 2 and change
nothing; ``users`` and ``audit`` are for admins (and local mode), and every change is audited.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.cli.helpers import run
from store.db import session
from store.io import table_fingerprint
from tests.conftest import DEMO_FILES

OPTIONS = pd.read_csv(DEMO_FILES[1], dtype=str, keep_default_na=False)
OWN = "nl_plating"
OTHER = OPTIONS[OPTIONS["enterprise_id"] != OWN]
OTHER_TEXT = ["dk_dairy", "cn_dyeworks", *OTHER["option_id"], *OTHER["title"].str.slice(0, 30)]
MEMBER = "member@nl.example"


@pytest.fixture
def users_db(tmp_path, monkeypatch, capsys):
    path = tmp_path / "cli_access.duckdb"
    monkeypatch.setenv("CPSCREEN_DB", str(path))
    assert run(capsys, "import", *map(str, DEMO_FILES))[0] == 0
    for argv in (["users", "add", MEMBER, "--name", "Member NL"], ["users", "grant", MEMBER, "member", OWN],
                 ["users", "add", "officer@dk.example"], ["users", "grant", "officer@dk.example", "programme_officer", "DK"],
                 ["users", "add", "boss@x.example"], ["users", "grant", "boss@x.example", "admin"]):
        code, _, err = run(capsys, *argv)
        assert code == 0, err
    yield path
    from store.db import close_all

    close_all()


def _state(path) -> dict:
    with session(path) as cur:
        fp = table_fingerprint(cur)
        fp["audit"] = cur.execute("SELECT count(*) FROM audit").fetchone()[0]
        fp["memberships"] = sorted(cur.execute("SELECT email, role, scope FROM memberships").fetchall())
    return fp


READS = [
    ["list"],
    ["list", "--enterprise", OWN],
    ["appraise", "--date", "2025-06-01"],
    ["appraise", "--date", "2025-06-01", "--cash-flow"],
    ["appraise", "--date", "2025-06-01", "--explain"],
    ["rank", "--date", "2025-06-01"],
    ["risk", "--draws", "50"],
    ["budget", "--programme", "NL", "--date", "2025-06-01", "--by", "option"],
    ["budget", "--programme", "NL", "--date", "2025-06-01", "--by", "summary", "--all-jurisdictions"],
    ["policies", "list"],
]


@pytest.mark.parametrize("argv", READS, ids=[" ".join(a) for a in READS])
def test_a_member_never_sees_another_enterprise(users_db, capsys, argv):
    code, out, err = run(capsys, *argv, "--user", MEMBER, "--format", "json")
    assert code == 0, err
    text = out + err
    assert not [t for t in OTHER_TEXT if t in text]
    if argv[0] in ("list", "appraise", "rank", "risk"):
        assert {r["enterprise_id"] if "enterprise_id" in r else OWN for r in json.loads(out)} == {OWN}


def test_the_same_commands_in_local_mode_see_every_enterprise(users_db, capsys):
    code, out, _ = run(capsys, "list", "--format", "json")
    assert code == 0 and {r["enterprise_id"] for r in json.loads(out)} == {OWN, "dk_dairy", "cn_dyeworks"}


def test_another_enterprise_named_is_unknown_to_a_member(users_db, capsys):
    code, _, err = run(capsys, "list", "--enterprise", "dk_dairy", "--user", MEMBER)
    assert code == 2 and "unknown enterprise 'dk_dairy'" in err


def test_a_member_exports_only_its_enterprise(users_db, capsys, tmp_path):
    code, _, err = run(capsys, "export", str(tmp_path / "out"), "--user", MEMBER)
    assert code == 0, err
    for f in (tmp_path / "out").iterdir():
        text = f.read_text()
        assert not [t for t in OTHER_TEXT if t in text], f


def test_writes_to_another_enterprise_exit_2_and_change_nothing(users_db, capsys, tmp_path):
    before = _state(users_db)
    ents = tmp_path / "e.csv"
    pd.DataFrame([{"enterprise_id": "dk_dairy", "name": "Taken over", "jurisdiction": "DK", "size_class": "small"}]).to_csv(ents, index=False)
    opts = tmp_path / "o.csv"
    pd.DataFrame([{"option_id": "X-1", "enterprise_id": "cn_dyeworks", "title": "Planted", "category": "good_housekeeping",
                   "investment": 1, "annual_savings": 1, "lifetime_years": 2}]).to_csv(opts, index=False)
    for argv in (["import", str(ents)], ["import", str(opts)], ["users", "grant", MEMBER, "member", "dk_dairy"],
                 ["users", "add", "friend@x.example"], ["users", "list"], ["audit"],
                 ["budget", "--programme", "NL", "--date", "2025-06-01", "--save-scenario", "mine"]):
        code, out, err = run(capsys, *argv, "--user", MEMBER)
        assert code == 2, (argv, err)
        assert len(err.strip().splitlines()) == 1 and not out, (argv, err)
    assert _state(users_db) == before


def test_an_unknown_user_is_refused_in_one_line(users_db, capsys):
    code, _, err = run(capsys, "list", "--user", "stranger@x.example")
    assert code == 2 and "not a user of this database" in err and len(err.strip().splitlines()) == 1


def test_a_programme_officer_runs_and_saves_its_programme_but_edits_nothing(users_db, capsys, tmp_path):
    po = ("--user", "officer@dk.example")
    code, out, err = run(capsys, "budget", "--programme", "DK", "--date", "2025-06-01", "--save-scenario", "dk-base",
                         "--format", "json", *po)
    assert code == 0, err
    code, out, err = run(capsys, "appraise", "--date", "2025-06-01", "--format", "json", *po)
    assert code == 0 and {r["enterprise_id"] for r in json.loads(out)} == {"dk_dairy"}
    assert "not stored" in err  # it reads figures; storing appraisals is a member's
    code, out, _ = run(capsys, "audit", "--format", "json", "--user", "boss@x.example")
    trail = json.loads(out)
    assert trail[0]["action"] == "scenario save" and trail[0]["user_email"] == "officer@dk.example"


def test_users_and_audit_records(users_db, capsys):
    code, out, err = run(capsys, "users", "list", "--format", "json", "--user", "boss@x.example")
    assert code == 0, err
    rows = {(r["email"], r["role"], r["scope"]) for r in json.loads(out)}
    assert rows == {(MEMBER, "member", OWN), ("officer@dk.example", "programme_officer", "DK"), ("boss@x.example", "admin", None)}
    code, out, err = run(capsys, "users", "revoke", MEMBER, "member", OWN, "--format", "json", "--user", "boss@x.example")
    assert code == 0 and json.loads(out) == [{"email": MEMBER, "role": "member", "scope": OWN, "action": "revoked"}]
    code, out, _ = run(capsys, "list", "--format", "json", "--user", MEMBER)
    assert code == 0 and json.loads(out) == []  # the revoke holds from the next command
    code, out, _ = run(capsys, "audit", "--format", "json")
    trail = json.loads(out)
    assert [r["action"] for r in trail[:2]] == ["membership revoke", "membership grant"]
    assert trail[0]["user_email"] == "boss@x.example" and trail[-1]["action"] == "import"
    assert set(trail[0]) == {"seq", "changed_at", "user_email", "action", "what", "enterprises", "before_digest", "after_digest"}
    code, _, err = run(capsys, "users", "grant", MEMBER, "member")
    assert code == 2 and "needs a scope" in err

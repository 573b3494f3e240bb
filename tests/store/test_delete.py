"""Deleting options: dependent rows go with them, all-or-nothing, and what is left still validates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from store.io import (
    UnknownOptionError,
    delete_options,
    import_files,
    import_frames,
    load_scores,
    load_table,
    stored_counts,
    table_fingerprint,
    to_export_frame,
)
from store.results import save_appraisals

ROOT = Path(__file__).resolve().parents[2]
DEMO = [ROOT / "data" / f for f in ("demo_enterprises.csv", "demo_options.csv", "demo_assessor_scores.csv")]
DAY = date(2025, 6, 1)


@pytest.fixture
def demo(db):
    """The demo data, with appraisals of every option stored for DAY."""
    from finance.appraise import appraise

    import_files(db, [str(p) for p in DEMO])
    save_appraisals(db, appraise(load_table(db, "options"), load_table(db, "enterprises"), DAY), DAY)
    return db


def _rows(cur, table: str, enterprise_id: str, option_id: str) -> int:
    return cur.execute(f"SELECT count(*) FROM {table} WHERE enterprise_id = ? AND option_id = ?",
                       [enterprise_id, option_id]).fetchone()[0]


def test_deleting_an_option_removes_its_scores_and_appraisals_and_nothing_else(demo):
    before = stored_counts(demo)
    others = table_fingerprint(demo)
    n_scores = _rows(demo, "assessor_scores", "dk_dairy", "DK-01")
    assert n_scores > 0 and _rows(demo, "appraisals", "dk_dairy", "DK-01") == 1  # the test has something to remove

    assert delete_options(demo, ["DK-01"], enterprise_id="dk_dairy") == 1

    for table in ("options", "assessor_scores", "appraisals"):
        assert _rows(demo, table, "dk_dairy", "DK-01") == 0
    after = stored_counts(demo)
    assert after == {**before, "options": before["options"] - 1, "assessor_scores": before["assessor_scores"] - n_scores,
                     "appraisals": before["appraisals"] - 1}
    # every other row is exactly as it was
    now = table_fingerprint(demo)
    for table in ("enterprises", "scenarios"):
        assert now[table] == others[table]
    assert set(now["options"]) < set(others["options"])
    assert set(now["assessor_scores"]) < set(others["assessor_scores"])


def test_unknown_option_id_is_named_and_nothing_is_deleted(demo):
    before = table_fingerprint(demo)
    with pytest.raises(UnknownOptionError, match=r"option 'DK-99' of enterprise 'dk_dairy' does not exist") as exc:
        delete_options(demo, ["DK-01", "DK-99", "DK-02"], enterprise_id="dk_dairy")
    assert "nothing was deleted" in str(exc.value) and "DK-01" not in str(exc.value)
    assert table_fingerprint(demo) == before


def test_an_option_of_another_enterprise_is_unknown_here(demo):
    before = table_fingerprint(demo)
    with pytest.raises(UnknownOptionError, match="option 'NL-01' of enterprise 'dk_dairy' does not exist"):
        delete_options(demo, ["NL-01"], enterprise_id="dk_dairy")
    assert table_fingerprint(demo) == before


def test_an_id_stored_for_two_enterprises_needs_the_enterprise(demo):
    clash = load_table(demo, "options", "dk_dairy").iloc[[0]].assign(enterprise_id="nl_plating", excludes="")
    import_frames(demo, options=to_export_frame(clash, "options", formula_safe=False))
    oid = clash["option_id"].iloc[0]
    before = table_fingerprint(demo)
    with pytest.raises(UnknownOptionError, match=rf"option '{oid}' is stored for several enterprises \(dk_dairy, nl_plating\)"):
        delete_options(demo, [oid])
    assert table_fingerprint(demo) == before
    assert delete_options(demo, [oid], enterprise_id="nl_plating") == 1
    assert _rows(demo, "options", "dk_dairy", oid) == 1 and _rows(demo, "options", "nl_plating", oid) == 0


def test_deleting_without_an_enterprise_and_with_repeats(demo):
    assert delete_options(demo, ["NL-01", "CN-02", "NL-01"]) == 2
    assert _rows(demo, "options", "nl_plating", "NL-01") == 0 and _rows(demo, "options", "cn_dyeworks", "CN-02") == 0
    assert delete_options(demo, []) == 0


def test_a_single_string_is_refused_not_read_letter_by_letter(demo):
    with pytest.raises(TypeError, match="single string 'DK-01'"):
        delete_options(demo, "DK-01", enterprise_id="dk_dairy")  # type: ignore[arg-type]


def test_excludes_naming_a_deleted_option_are_cleaned_so_the_rest_still_saves(demo):
    opts = load_table(demo, "options", "dk_dairy").set_index("option_id")
    assert opts.loc["DK-06", "excludes"] == "DK-05"  # the demo's mutually exclusive pair
    delete_options(demo, ["DK-05"], enterprise_id="dk_dairy")
    left = load_table(demo, "options", "dk_dairy")
    assert left.set_index("option_id").loc["DK-06", "excludes"] == ""
    # saving the remaining table back (what the Options page does) validates
    import_frames(demo, options=to_export_frame(left, "options", formula_safe=False))
    pd.testing.assert_frame_equal(load_table(demo, "options", "dk_dairy"), left)


class _FailingCursor:
    """A cursor that fails on one kind of statement, to check the rollback."""

    def __init__(self, cur, fail_on: str) -> None:
        self._cur, self._fail_on = cur, fail_on

    def execute(self, sql, *args):
        if sql.startswith(self._fail_on):
            raise RuntimeError("disk full (simulated)")
        return self._cur.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self._cur, name)


def test_a_failure_midway_rolls_everything_back(demo):
    before = table_fingerprint(demo)
    # the excludes update runs after the deletes: failing there must undo them
    with pytest.raises(RuntimeError, match="simulated"):
        delete_options(_FailingCursor(demo, "UPDATE options"), ["DK-05"], enterprise_id="dk_dairy")
    assert table_fingerprint(demo) == before
    assert len(load_scores(demo, "dk_dairy")) > 0

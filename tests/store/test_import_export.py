"""Import/export: round trip, every validation error kind, all-or-nothing, formula escape."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from screening.schema import ValidationError
from store.io import export_dir, import_files, load_table, read_files, stored_counts, table_fingerprint

ROOT = Path(__file__).resolve().parents[2]
DEMO = [ROOT / "data" / f for f in ("demo_enterprises.csv", "demo_options.csv", "demo_assessor_scores.csv")]

ENT_HEADER = "enterprise_id,name,jurisdiction,size_class\n"
OPT_HEADER = "option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def errors_of(db, *paths) -> list:
    with pytest.raises(ValidationError) as exc:
        import_files(db, [str(p) for p in paths])
    return exc.value.errors


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_round_trip_import_export_import_gives_identical_data(db, tmp_path, fmt):
    import_files(db, [str(p) for p in DEMO])
    first = {t: load_table(db, t) for t in ("enterprises", "options")}
    files = export_dir(db, tmp_path / "out", fmt)
    from store.db import cursor

    other = cursor(tmp_path / "second.duckdb")
    import_files(other, [str(p) for p in files])
    for t in ("enterprises", "options"):
        pd.testing.assert_frame_equal(first[t], load_table(other, t), check_dtype=False)
    assert stored_counts(other)["assessor_scores"] == stored_counts(db)["assessor_scores"] == 42


def test_reimporting_an_export_changes_nothing(db, tmp_path):
    import_files(db, [str(p) for p in DEMO])
    before = table_fingerprint(db)
    import_files(db, [str(p) for p in export_dir(db, tmp_path / "out", "csv")])
    after = table_fingerprint(db)
    # positions are renumbered on re-import; every other stored value is identical
    strip = lambda fp: {t: sorted(repr(r[:-1]) for r in rows) if t in ("enterprises", "options") else rows for t, rows in fp.items()}
    assert strip(before) == strip(after)


def test_missing_required_column_is_reported_once(db, tmp_path):
    e = write(tmp_path, "e.csv", "enterprise_id,name,size_class\nE1,Acme,small\n")
    errs = errors_of(db, e)
    assert [(x.row, x.column, x.reason) for x in errs] == [(None, "jurisdiction", "required column is missing")]


@pytest.mark.parametrize(
    "row, column, reason",
    [
        ("O1,E1,Rinse,good_housekeeping,abc,100,10", "investment", "expected a number [currency], got text"),
        ("O1,E1,Rinse,good_housekeeping,-5,100,10", "investment", "out of range: must be >= 0"),
        ("O1,E1,Rinse,good_housekeeping,5,100,51", "lifetime_years", "out of range: must be 1..50"),
        ("O1,E1,Rinse,good_housekeeping,5,100,2.5", "lifetime_years", "expected a whole number"),
        ("O1,E1,Rinse,recycling,5,100,10", "category", "unknown category"),
        ("O1,E1,,good_housekeeping,5,100,10", "title", "required value is missing"),
        ("O1,E9,Rinse,good_housekeeping,5,100,10", "enterprise_id", "enterprise does not exist"),
    ],
)
def test_each_bad_option_cell_is_named_by_row_column_and_reason(db, tmp_path, row, column, reason):
    e = write(tmp_path, "e.csv", ENT_HEADER + "E1,Acme,NL,small\n")
    o = write(tmp_path, "o.csv", OPT_HEADER + "O0,E1,Fine,good_housekeeping,0,10,5\n" + row + "\n")
    errs = errors_of(db, e, o)
    assert len(errs) == 1
    assert (errs[0].source, errs[0].table, errs[0].row, errs[0].column) == ("o.csv", "options", 3, column)
    assert errs[0].reason.startswith(reason)


def test_unknown_jurisdiction_and_size_class(db, tmp_path):
    e = write(tmp_path, "e.csv", ENT_HEADER + "E1,Acme,XX,small\nE2,Beta,DK,giant\n")
    errs = errors_of(db, e)
    assert [(x.row, x.column) for x in errs] == [(2, "jurisdiction"), (3, "size_class")]
    assert errs[0].reason.startswith("unknown jurisdiction")


def test_duplicate_ids_are_reported_with_the_first_row(db, tmp_path):
    e = write(tmp_path, "e.csv", ENT_HEADER + "E1,Acme,NL,small\n")
    o = write(tmp_path, "o.csv", OPT_HEADER + "O1,E1,A,good_housekeeping,0,1,5\nO2,E1,B,good_housekeeping,0,1,5\nO1,E1,C,good_housekeeping,0,1,5\n")
    errs = errors_of(db, e, o)
    assert [(x.row, x.column, x.reason) for x in errs] == [(4, "option_id", "duplicate id (first seen in row 2)")]


def test_every_bad_cell_is_reported_at_once(db, tmp_path):
    e = write(tmp_path, "e.csv", ENT_HEADER + "E1,Acme,NL,small\n")
    o = write(tmp_path, "o.csv", OPT_HEADER + "O1,E1,A,nope,x,1,5\nO2,E7,B,good_housekeeping,0,y,0\n")
    errs = errors_of(db, e, o)
    assert {(x.row, x.column) for x in errs} == {(2, "category"), (2, "investment"), (3, "enterprise_id"), (3, "annual_savings"), (3, "lifetime_years")}


def test_excludes_must_name_options_of_the_same_enterprise(db, tmp_path):
    e = write(tmp_path, "e.csv", ENT_HEADER + "E1,Acme,NL,small\n")
    o = write(tmp_path, "o.csv", OPT_HEADER.strip() + ",excludes\nO1,E1,A,good_housekeeping,0,1,5,O2\nO2,E1,B,good_housekeeping,0,1,5,O9\n")
    errs = errors_of(db, e, o)
    assert [(x.row, x.column) for x in errs] == [(3, "excludes")]
    assert "unknown option 'O9'" in errs[0].reason


def test_failed_import_leaves_the_database_unchanged(db, tmp_path):
    import_files(db, [str(p) for p in DEMO])
    before = table_fingerprint(db)
    good = write(tmp_path, "good.csv", ENT_HEADER + "E1,Acme,NL,small\n")
    # a changed existing option and a new one, then one bad cell in the last row
    o = write(
        tmp_path,
        "o.csv",
        OPT_HEADER + "NL-01,nl_plating,Changed title,good_housekeeping,0,1,5\nO1,E1,A,good_housekeeping,0,1,5\nO2,E1,B,good_housekeeping,0,1,-1\n",
    )
    errors_of(db, good, o)
    assert table_fingerprint(db) == before


def test_options_may_refer_to_enterprises_already_stored(db, tmp_path):
    import_files(db, [str(p) for p in DEMO])
    o = write(tmp_path, "o.csv", OPT_HEADER + "NEW-1,dk_dairy,Leak repair,good_housekeeping,0,1000,3\n")
    report = import_files(db, [str(o)])
    assert report.options == 1
    assert "NEW-1" in set(load_table(db, "options", "dk_dairy")["option_id"])


def test_formula_cells_are_escaped_on_export_and_restored_on_import(db, tmp_path):
    e = write(tmp_path, "e.csv", ENT_HEADER + "E1,=HYPERLINK(\"http://x\"),NL,small\n")
    o = write(tmp_path, "o.csv", OPT_HEADER.strip() + ",note\nO1,E1,+SUM(A1:A9),good_housekeeping,0,1,5,@cmd\nO2,E1,-2 pumps,good_housekeeping,0,1,5,plain\n")
    import_files(db, [str(e), str(o)])
    files = export_dir(db, tmp_path / "csv", "csv")
    text = (tmp_path / "csv" / "options.csv").read_text()
    assert "'+SUM(A1:A9)" in text and "'@cmd" in text and "'-2 pumps" in text
    assert "'=HYPERLINK" in (tmp_path / "csv" / "enterprises.csv").read_text()
    # numbers are not text: a negative saving is written as a number
    xlsx = export_dir(db, tmp_path / "xlsx", "xlsx")[0]
    ws = openpyxl.load_workbook(xlsx)["options"]
    titles = [c.value for c in ws["C"][1:]]
    assert titles == ["'+SUM(A1:A9)", "'-2 pumps"]
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    from store.db import cursor

    other = cursor(tmp_path / "again.duckdb")
    import_files(other, [str(p) for p in files])
    assert list(load_table(other, "options")["title"]) == ["+SUM(A1:A9)", "-2 pumps"]
    assert list(load_table(other, "enterprises")["name"]) == ['=HYPERLINK("http://x")']


def test_extra_columns_are_kept_as_attributes(db, tmp_path):
    e = write(tmp_path, "e.csv", ENT_HEADER + "E1,Acme,NL,small\n")
    o = write(tmp_path, "o.csv", OPT_HEADER.strip() + ",noise_db\nO1,E1,A,good_housekeeping,0,1,5,3.5\n")
    import_files(db, [str(e), str(o)])
    assert load_table(db, "options")["noise_db"].tolist() == ["3.5"]


def test_unreadable_and_unrecognised_files_are_refused(db, tmp_path):
    from store.io import ImportFileError

    with pytest.raises(ImportFileError, match="cannot tell whether"):
        read_files([write(tmp_path, "x.csv", "a,b\n1,2\n")])
    with pytest.raises(ImportFileError, match="unknown file type"):
        read_files([write(tmp_path, "x.txt", "a")])
    with pytest.raises(ImportFileError, match="cannot be read"):
        read_files([write(tmp_path, "x.xlsx", "not a workbook")])


def test_assessor_scores_are_validated(db, tmp_path):
    import_files(db, [str(p) for p in DEMO[:2]])
    s = write(tmp_path, "s.csv", "enterprise_id,option_id,assessor,criterion,score\ndk_dairy,DK-01,ann,technical_feasibility,11\ndk_dairy,DK-99,ann,implementability,5\n")
    errs = errors_of(db, s)
    assert [(x.row, x.column) for x in errs] == [(2, "score"), (3, "option_id")]


def test_attributes_parsed_once_per_distinct_text_equal_parsing_every_row(db, tmp_path):
    """load_table parses each distinct attributes text once; the frame equals a per-row json.loads."""
    import json

    import_files(db, [str(p) for p in DEMO[:2]])  # stored without extra columns: attributes NULL
    extra = pd.read_csv(DEMO[1], dtype=str, keep_default_na=False).head(3)
    extra["option_id"] = ["X1", "X2", "X3"]
    extra["line"] = ["4", "4", "7"]  # an extra column: two rows share one attributes text
    path = tmp_path / "more.csv"
    extra.to_csv(path, index=False)
    import_files(db, [str(path)])
    got = load_table(db, "options")
    raw = db.execute("SELECT attributes FROM options ORDER BY position").df()["attributes"]
    want = pd.DataFrame([json.loads(a) if isinstance(a, str) else {} for a in raw], index=got.index)
    assert raw.isna().sum() == 23 and raw.nunique() == 2
    pd.testing.assert_frame_equal(got[list(want.columns)], want)
    assert got.loc[got["option_id"] == "X3", "line"].item() in ("7", 7)

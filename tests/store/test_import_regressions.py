"""Regression tests for the import probe (issue 16): every bad input is a named cell error or a
one-line file error, never a crash, and a refused import stores nothing."""

from __future__ import annotations

import datetime as dt
import decimal
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import store.readers as readers
from screening.schema import ValidationError
from store.io import import_files, load_table, table_fingerprint
from store.readers import ImportFileError, read_files

ENT = "enterprise_id,name,jurisdiction,size_class\nE1,Acme,NL,small\n"
OPT = "option_id,enterprise_id,title,category,investment,annual_savings,lifetime_years\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.fixture
def base(db, tmp_path):
    import_files(db, [write(tmp_path, "e.csv", ENT), write(tmp_path, "o.csv", OPT + "O1,E1,A,good_housekeeping,10,5,5\n")])
    return db


def refused(db, *paths) -> list[tuple]:
    before = table_fingerprint(db)
    with pytest.raises(ValidationError) as exc:
        import_files(db, [str(p) for p in paths])
    assert table_fingerprint(db) == before
    return [(e.source, e.row, e.column, e.value, e.reason) for e in exc.value.errors]


def test_a_score_of_text_or_an_empty_score_is_a_named_error(base, tmp_path):
    s = write(tmp_path, "s.csv", "enterprise_id,option_id,assessor,criterion,score\nE1,O1,ann,implementability,abc\n"
                                 "E1,O1,bob,implementability,\n")
    assert refused(base, s) == [("s.csv", 2, "score", "abc", "expected a number [score], got text"),
                                ("s.csv", 3, "score", "", "required value is missing")]


def test_xlsx_typed_cells_dates_kept_booleans_and_errors_refused(base, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "options"
    ws.append(["option_id", "enterprise_id", "title", "category", "investment", "annual_savings", "lifetime_years", "proposed_on", "at"])
    ws.append(["O7", "E1", "A", "good_housekeeping", 1, 1, 5, dt.datetime(2024, 5, 1), dt.time(8, 30)])
    wb.save(tmp_path / "good.xlsx")
    import_files(base, [tmp_path / "good.xlsx"])
    row = load_table(base, "options").set_index("option_id").loc["O7"]
    assert (row["proposed_on"], row["at"]) == ("2024-05-01", "08:30:00")
    ws.append(["O8", "E1", "A", "good_housekeeping", True, "#N/A", 5, None, None])
    wb.save(tmp_path / "bad.xlsx")
    assert refused(base, tmp_path / "bad.xlsx") == [
        ("bad.xlsx[options]", 3, "annual_savings", "#N/A", "spreadsheet error #N/A in the cell: fix the formula it came from"),
        ("bad.xlsx[options]", 3, "investment", "TRUE", "expected a number [currency], got a boolean"),
    ]


def test_parquet_typed_columns(base, tmp_path):
    good = pd.DataFrame({"option_id": ["O9"], "enterprise_id": ["E1"], "title": ["A"], "category": ["good_housekeeping"],
                         "investment": [1.0], "annual_savings": [2.0], "lifetime_years": [5],
                         "when": [pd.Timestamp("2024-01-01 12:00")], "dec": [decimal.Decimal("1.5")], "day": [dt.date(2024, 2, 3)]})
    good.to_parquet(tmp_path / "good.parquet")
    import_files(base, [tmp_path / "good.parquet"])
    row = load_table(base, "options").set_index("option_id").loc["O9"]
    assert (row["when"], row["dec"], row["day"]) == ("2024-01-01T12:00:00", 1.5, "2024-02-03")
    bad = good.assign(investment=[pd.Timestamp("2024-01-01")], annual_savings=[pd.Timedelta("1D")], lifetime_years=[True],
                      tags=[["a", "b"]], blob=[b"xy"])
    bad.to_parquet(tmp_path / "bad.parquet")
    got = {(c, r) for _, _, c, _, r in refused(base, tmp_path / "bad.parquet")}
    assert got == {
        ("investment", "expected a number [currency], got a date and time"),
        ("annual_savings", "expected a number [currency/yr], got a duration"),
        ("lifetime_years", "expected a number [yr], got a boolean"),
        ("tags", "a list cannot be imported: a cell holds text, a number, a boolean or a date"),
        ("blob", "bytes cannot be imported: a cell holds text, a number, a boolean or a date"),
    }


def test_a_repeated_csv_header_is_refused_not_renamed(base, tmp_path):
    p = write(tmp_path, "dup.csv", OPT.strip() + ",title\nO2,E1,A,good_housekeeping,1,1,5,B\n")
    assert refused(base, p) == [("dup.csv", None, "title", "", "column appears more than once")]


def test_1e308_and_invisible_id_characters_are_refused(base, tmp_path):
    p = write(tmp_path, "o2.csv", OPT + "O3,E1,A,good_housekeeping,1e308,1,5\nO\u202e4,E1,A,good_housekeeping,1,1,5\n")
    got = [(r, c) for _, r, c, _, _ in refused(base, p)]
    assert got == [(2, "investment"), (3, "option_id")]


def test_files_over_the_limits_are_refused_before_reading(base, tmp_path, monkeypatch):
    wide = write(tmp_path, "wide.csv", ",".join(f"c{i}" for i in range(600)) + "\n" + ",".join("1" * 600) + "\n")
    with pytest.raises(ImportFileError, match="600 columns; the limit is 512 columns"):
        read_files([wide])
    monkeypatch.setattr(readers, "MAX_IMPORT_BYTES", 100)
    with pytest.raises(ImportFileError, match="bytes together; the limit is 100 bytes"):
        read_files([write(tmp_path, "o3.csv", OPT + "O5,E1,A,good_housekeeping,1,1,5\n" * 3)])
    monkeypatch.setattr(readers, "MAX_IMPORT_BYTES", 10**9)
    monkeypatch.setattr(readers, "MAX_ROWS", 2)
    with pytest.raises(ImportFileError, match="more than 2 rows"):
        read_files([write(tmp_path, "o4.csv", OPT + "".join(f"O{i},E1,A,good_housekeeping,1,1,5\n" for i in range(3)))])
    pd.DataFrame({"option_id": ["a", "b", "c"], "enterprise_id": "E1"}).to_parquet(tmp_path / "r.parquet")
    with pytest.raises(ImportFileError, match="3 rows; the limit is 2 rows"):
        read_files([tmp_path / "r.parquet"])


def test_an_xlsx_zip_bomb_is_refused_from_its_directory(tmp_path, monkeypatch):
    # a sheet of 40 MB of one repeated cell compresses about a thousandfold
    p = tmp_path / "bomb.xlsx"
    wb = openpyxl.Workbook()
    wb.save(p)
    with zipfile.ZipFile(p, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/padding.xml", "<x>" + "0" * 40_000_000 + "</x>")
    with pytest.raises(ImportFileError, match="times its size"):
        read_files([p])
    monkeypatch.setattr(readers, "MAX_INFLATED_BYTES", 1_000_000)
    with pytest.raises(ImportFileError, match="bytes unzipped"):
        read_files([p])


def test_a_truncated_or_foreign_database_is_one_store_error(tmp_path):
    from store.db import close_all, cursor
    from store.errors import StoreError

    p = tmp_path / "bad.duckdb"
    p.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="damaged or not a cpscreen database"):
        cursor(p)
    close_all()


def test_a_dropped_table_is_one_store_error(tmp_path):
    import duckdb

    from store.db import close_all, cursor
    from store.errors import StoreError

    p = tmp_path / "x.duckdb"
    cursor(p)
    close_all()
    con = duckdb.connect(str(p))
    con.execute("DROP TABLE options")
    con.close()
    with pytest.raises(StoreError, match="lacks table"):
        cursor(p)
    close_all()


def test_a_lone_surrogate_in_an_editor_frame_is_a_named_error_not_a_crash(base):
    # a frame from the Options editor (or pandas) can hold a lone surrogate, which no UTF-8 file can
    from store.io import import_frames

    before = table_fingerprint(base)
    frame = pd.DataFrame([{"option_id": "O2", "enterprise_id": "E1", "title": "bad \ud800", "category": "good_housekeeping",
                           "investment": 10, "annual_savings": 5, "lifetime_years": 5}], dtype=object)
    with pytest.raises(ValidationError) as exc:
        import_frames(base, options=frame, source="table")
    assert table_fingerprint(base) == before
    assert [(e.column, "lone surrogate" in e.reason) for e in exc.value.errors] == [("title", True)]


def test_a_parquet_file_reads_as_pandas_reads_it_column_for_column(tmp_path):
    """read_parquet converts one block per column and frees Arrow's buffers on the way: the frame
    is the one pyarrow's default conversion gives (values, dtypes, nulls), and its numeric columns
    go through validation and an extra column's bad cell is still named."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from screening.schema import validate

    p = tmp_path / "o.parquet"
    table = pa.table({
        "option_id": ["1", "2", None, "4"], "enterprise_id": ["a", "a", "a", "a"], "title": ["x", "y", "z", "w"],
        "category": ["good_housekeeping"] * 4, "investment": [1000.0, np.nan, 3.5, 4e6],
        "annual_savings": pa.array([1, 2, 3, 4], type=pa.int64()), "lifetime_years": pa.array([5, None, 7, 8], type=pa.int64()),
        "mandatory": [True, False, None, True], "extra_score": [0.5, np.inf, None, 2.0],
    })
    pq.write_table(table, p)
    got = readers.read_parquet(p)
    pd.testing.assert_frame_equal(got, pq.read_table(p).to_pandas())
    ent = pd.DataFrame({"enterprise_id": ["a"], "name": ["A"], "jurisdiction": ["NL"], "size_class": ["small"]})
    with pytest.raises(ValidationError) as err:
        validate(ent, got)
    bad = err.value.frame()
    assert sorted((int(r), c, why) for r, c, why in zip(bad["row"], bad["column"], bad["reason"])) == [
        (3, "extra_score", "must be a finite number"), (3, "investment", "required value is missing"),
        (3, "lifetime_years", "required value is missing"), (4, "option_id", "required value is missing")]

"""records.write: columns given as arrays, categorical text, nested JSON against the
frame path and single calls (a second method each)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

import records.write as rw
from records.write import Nested, Records


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": np.array(["a", "b", None, "d"], dtype=object),
        "code": np.array(["NL", "CN", "DK", "NL"]),  # numpy text
        "x": np.array([1.5, np.nan, np.inf, -0.0]),
        "k": np.array([1, 2, 3, 4], dtype=np.int64),
        "ok": np.array([True, False, True, True]),
        "none": np.array([None] * 4, dtype=object),
        "why": np.array(["", "no IRR", "", "=cmd"], dtype=object),
    })


def test_columns_go_to_arrow_as_the_frames_columns_do():
    frame = _frame()
    items = pd.DataFrame({"row": [0, 0, 3], "kind": pd.Categorical(["grant", "tax_credit", "grant"]),
                          "amount": [1.0, np.nan, 2.5]})
    nested = {"support": Nested(items, ("kind", "amount"))}
    by_frame = Records(frame, nested).to_arrow()
    by_columns = Records({c: frame[c].to_numpy() for c in frame.columns}, nested).to_arrow()
    assert by_columns.schema.equals(by_frame.schema)
    assert by_columns.equals(by_frame)
    assert by_columns.schema.field("id").type == pa.large_string()  # pandas' str, as Arrow holds it
    assert by_columns.column("x").null_count == 2  # NaN and inf as null
    assert len(Records({c: frame[c].to_numpy() for c in frame.columns})) == 4


def test_categorical_text_equals_the_object_path():
    s = pd.Series(pd.Categorical(["b", None, "a", "b"], categories=["b", "a", "c"]))
    fast = rw._arrow_column(s)
    slow = pa.array(s.astype(object).where(s.notna(), None), from_pandas=True)
    assert fast.type == slow.type == pa.string()
    assert fast.equals(slow)
    numbers = pd.Series(pd.Categorical([1, 2, None]))
    assert rw._arrow_column(numbers).to_pylist() == [1, 2, None]  # not text: the general path


def test_nested_json_only_converts_the_nested_columns():
    frame = _frame()
    items = pd.DataFrame({"row": [0, 0, 3], "kind": ["grant", "tax_credit", "grant"], "amount": [1.0, np.nan, 2.5]})
    table = Records(frame, {"support": Nested(items, ("kind", "amount"))}).to_arrow()
    got = rw._nested_to_json(table)
    con = duckdb.connect()  # the whole table through DuckDB, as before
    con.register("t", table)
    whole = con.execute('SELECT * EXCLUDE (support), to_json(support)::VARCHAR AS support FROM t').to_arrow_table()
    assert got.column_names == table.column_names
    assert got.column("support").to_pylist() == whole.column("support").to_pylist()
    assert got.column("support").to_pylist()[1] == "[]"
    assert got.select(frame.columns.tolist()).equals(table.select(frame.columns.tolist()))


def _with_categories() -> Records:
    frame = _frame().assign(pack=pd.Categorical(["NL", None, "=cmd", "NL"]))  # a formula, escaped in CSV
    items = pd.DataFrame({"row": [0, 0, 2, 3], "amount": [1.0, np.nan, 2.5, 4.0],
                          "kind": pd.Categorical(["grant", "tax_credit", None, "grant"]),
                          "source": pd.Categorical(["Wet A, art. 1", "=HYPERLINK()", "Wet A, art. 1", None])})
    return Records(frame, {"support": Nested(items, ("kind", "amount", "source"))})


def test_dictionaries_hold_the_decoded_tables_values():
    rec = _with_categories()
    decoded, coded = rec.to_arrow(), rec.to_arrow(dictionaries=True)
    assert pa.types.is_dictionary(coded.schema.field("pack").type)
    assert not coded.equals(decoded) and coded.cast(decoded.schema).equals(decoded)
    assert decoded.column("support").to_pylist()[2] == [{"kind": None, "amount": 2.5, "source": "Wet A, art. 1"}]


def test_csv_and_json_of_dictionaries_are_the_bytes_of_the_decoded_table(tmp_path):
    rec = _with_categories()
    for fmt in ("csv", "json"):
        rw._write_file(rec.to_arrow(), fmt, str(tmp_path / f"plain.{fmt}"))
        rw.write(rec, fmt, tmp_path / f"written.{fmt}")
        assert (tmp_path / f"written.{fmt}").read_bytes() == (tmp_path / f"plain.{fmt}").read_bytes()
    assert ',"\'=cmd","[' in (tmp_path / "written.csv").read_text()  # the categorical formula escaped


def test_csv_written_in_slices_on_threads_is_the_bytes_of_one_pass(tmp_path, monkeypatch):
    frame = pd.concat([_frame()] * 5, ignore_index=True).assign(
        note=["a,b", 'say "x"', "line\nbreak", None, ""] * 4)
    table = Records(frame).to_arrow()
    pacsv.write_csv(table, tmp_path / "one.csv",
                    write_options=pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    for rows, workers in ((3, 2), (7, 3), (1, 1), (100, 2)):
        monkeypatch.setattr(rw, "CSV_SLICE_ROWS", rows)
        monkeypatch.setattr(rw, "CSV_WORKERS", workers)
        rw._write_csv(table, str(tmp_path / "sliced.csv"))
        assert (tmp_path / "sliced.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    rw._write_csv(table.slice(0, 0), str(tmp_path / "empty.csv"))
    assert (tmp_path / "empty.csv").read_text().count("\n") == 1  # the header alone


def test_constant_and_short_code_text_equal_the_cell_by_cell_conversion():
    """_few_text builds one-string columns and '<U1'/'<U2' codes from their distinct values: the same
    large_string arrays as converting every cell (pa.array), nulls and near misses going the cell path."""
    def cellwise(values):
        return pa.array(values, from_pandas=True).cast(pa.large_string())

    n = 10_000
    codes = np.array(["NL", "N", "", "DK", "é"])[np.arange(n) % 5]
    for values in (codes, codes.astype("<U1"), np.full(n, "2025-06-01", dtype=object), np.full(3, "x", dtype=object)):
        got = rw._array_column(values)
        assert rw._few_text(values) is not None
        assert got.type == pa.large_string() and got.equals(cellwise(values)), values[:3]
    same_but_last = np.full(n, "no debt", dtype=object)
    same_but_last[-1] = None  # a null after 4,096 equal cells: not constant
    for values in (same_but_last, np.array(["a", "b"] * 3000, dtype=object), np.full(5, "long code")):
        assert rw._few_text(values) is None
        assert rw._array_column(values).equals(cellwise(values))
    assert rw._few_text(np.array([1.0, 1.0], dtype=object)) is None  # not text


def test_the_readable_table_shows_numbers_as_people_read_them():
    """cpscreen's default table: ranks 1, 2 and '-' for the unranked (mandatory) option, not 1.0 and
    2.0; amounts with thousands separators in whole units, not 2.597340e+06; rates to 6 significant
    digits; every missing value '-', None included."""
    import io

    frame = pd.DataFrame({"option_id": ["A", "B", "M"], "rank": pd.array([1, 2, None], dtype="Int64"),
                          "score": [0.5, 0.25, np.nan], "n": np.array([3, 4, 5]),
                          "npv": [2597340.4, -1234.6, 12.0], "irr": [1.0485781, 0.0452, np.nan],
                          "cost_per_t": np.array([None, 26.6122, None], dtype=object)})
    out = io.StringIO()
    rw.write(Records(frame), "table", stream=out)
    lines = [line.split() for line in out.getvalue().splitlines()]
    assert lines[0] == ["option_id", "rank", "score", "n", "npv", "irr", "cost_per_t"]
    assert lines[1:] == [["A", "1", "0.5", "3", "2,597,340", "1.04858", "-"],
                         ["B", "2", "0.25", "4", "-1,235", "0.0452", "26.6122"],
                         ["M", "-", "-", "5", "12", "-", "-"]]
    # a one-record budget summary: an outlay in the thousands reads as the amount beside it does
    out = io.StringIO()
    rw.write(Records(pd.DataFrame({"total_outlay": [4311.18], "outlay_if_all": [14180.4], "leverage": [12.6853],
                                   "cost_per_t_co2e": [812.345]})), "table", stream=out)
    assert out.getvalue().splitlines()[1].split() == ["4,311", "14,180", "12.6853", "812.345"]

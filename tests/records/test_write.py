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

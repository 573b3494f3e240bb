"""records.parquet: records written slice by slice (a row group each) hold the table of one
conversion of the whole records, column for column and type for type (the second method:
pyarrow's write_table of ``to_arrow()``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import records.parquet as rp
from records.write import Nested, Records, write


def _records(n: int, *, first_items: int) -> Records:
    """n records as ``cpscreen appraise`` makes them (columns as arrays, a nested item list); the
    first ``first_items`` records have no items, and the text column ``reason`` holds nothing there."""
    rng = np.random.default_rng(3)
    reason = np.array([None] * n, dtype=object)
    reason[first_items:][rng.random(n - first_items) < 0.3] = "no sign change"
    x = rng.normal(size=n)
    x[rng.random(n) < 0.1] = np.nan
    frame = {
        "enterprise_id": np.array([f"E{i % 7}" for i in range(n)], dtype=object),
        "option_id": np.array([f"O{i}" for i in range(n)], dtype=object),
        "pack": np.array(["NL", "DK"] * (n // 2) + ["NL"] * (n % 2)),  # numpy text codes
        "npv": x,
        "life": rng.integers(1, 30, n),
        "flag": rng.random(n) < 0.5,
        "reason": reason,
        "date": np.full(n, "2025-06-01", dtype=object),  # one string throughout
    }
    rows = np.sort(rng.integers(first_items, n, 3 * n))
    items = pd.DataFrame({
        "row": rows,
        "kind": pd.Categorical(rng.choice(["grant", "tax_credit"], len(rows))),
        "amount": rng.uniform(0, 100, len(rows)),
        "source": np.array(rng.choice(["Wet A", None], len(rows)), dtype=object),
    })
    return Records(frame, {"support": Nested(items, ("kind", "amount", "source"))})


@pytest.fixture
def small_slices(monkeypatch):
    monkeypatch.setattr(rp, "SLICE_ROWS", 16)


@pytest.mark.parametrize("first_items", [0, 40], ids=["items from the first row", "no item and no reason in the first slices"])
def test_streamed_file_is_the_table_of_one_conversion(tmp_path, small_slices, first_items):
    rec = _records(101, first_items=first_items)
    write(rec, "parquet", tmp_path / "streamed.parquet")
    rp.write_table(rec.to_arrow(), str(tmp_path / "whole.parquet"))
    streamed, whole = pq.read_table(tmp_path / "streamed.parquet"), pq.read_table(tmp_path / "whole.parquet")
    assert streamed.schema.equals(whole.schema)
    assert streamed.equals(whole)
    assert pq.ParquetFile(tmp_path / "streamed.parquet").num_row_groups == 7  # ceil(101 / 16): it was streamed
    assert pq.ParquetFile(tmp_path / "whole.parquet").num_row_groups == 1
    assert streamed.schema.field("reason").type == pa.large_string()
    assert streamed.column("support").to_pylist()[:first_items] == [[]] * first_items


def test_a_frame_with_an_arrow_map_column_streams_too(tmp_path, small_slices):
    n = 50
    maps = pa.MapArray.from_arrays(pa.array(np.arange(0, 2 * n + 1, 2), type=pa.int32()),
                                   pa.array(["npv", "investment"] * n), pa.array(np.linspace(0, 1, 2 * n)))
    frame = pd.DataFrame({"option_id": [f"O{i}" for i in range(n)], "rank": pd.array(range(1, n + 1), dtype="Int64"),
                          "contributions": pd.Series(pd.arrays.ArrowExtensionArray(maps))})
    write(Records(frame), "parquet", tmp_path / "streamed.parquet")
    assert pq.ParquetFile(tmp_path / "streamed.parquet").num_row_groups == 4
    assert pq.read_table(tmp_path / "streamed.parquet").equals(Records(frame).to_arrow())


def test_mixed_objects_are_converted_whole_as_before(tmp_path, small_slices):
    """A column of numbers in the first slice and text later converts to text as a whole: not streamed."""
    n = 40
    mixed = np.array([1.5] * 20 + ["x"] * 20, dtype=object)
    rec = Records({"id": np.array([f"O{i}" for i in range(n)], dtype=object), "mixed": mixed})
    assert not rp._streamable(rec)
    write(rec, "parquet", tmp_path / "out.parquet")
    assert pq.ParquetFile(tmp_path / "out.parquet").num_row_groups == 1
    assert pq.read_table(tmp_path / "out.parquet").equals(rec.to_arrow())


def test_slices_of_records_are_the_rows_of_the_whole(small_slices):
    rec = _records(60, first_items=5)
    whole = rec.to_arrow()
    parts = [rec.slice(lo, min(lo + 13, 60)).to_arrow() for lo in range(0, 60, 13)]
    assert pa.concat_tables([p.cast(whole.schema) for p in parts]).equals(whole)


def test_a_file_that_exists_is_replaced_with_the_bytes_of_a_new_one(tmp_path, small_slices, monkeypatch):
    """The streamed writer opens its file on its own thread (records.parquet.open_output) while the
    first slice converts: a longer file of a previous run is replaced, byte for byte as a file
    written where none was, and as the path given to pyarrow's own writer (the second method)."""
    rec = _records(101, first_items=5)
    old = tmp_path / "old.parquet"
    old.write_bytes(b"x" * 1_000_000)
    write(rec, "parquet", old)
    new = tmp_path / "new.parquet"
    write(rec, "parquet", new)
    assert old.read_bytes() == new.read_bytes()
    schema = rp._settled(rec, rec.slice(0, rp.SLICE_ROWS).to_arrow())
    with pq.ParquetWriter(str(tmp_path / "by_path.parquet"), schema, use_dictionary=rp.text_paths(schema)) as w:
        for lo in range(0, len(rec), rp.SLICE_ROWS):
            w.write_table(rp._as(rec.slice(lo, min(lo + rp.SLICE_ROWS, len(rec))).to_arrow(), schema))
    assert (tmp_path / "by_path.parquet").read_bytes() == new.read_bytes()
    monkeypatch.chdir(tmp_path)  # a relative path: the same file
    write(rec, "parquet", "relative.parquet")
    assert (tmp_path / "relative.parquet").read_bytes() == new.read_bytes()


def test_a_file_that_cannot_be_opened_fails_as_pyarrows_writer_does(tmp_path, small_slices):
    rec = _records(101, first_items=5)
    where = str(tmp_path / "no such dir" / "out.parquet")
    with pytest.raises(OSError) as ours:
        write(rec, "parquet", where)
    with pytest.raises(OSError) as theirs:
        pq.ParquetWriter(where, rec.slice(0, 16).to_arrow().schema)
    assert type(ours.value) is type(theirs.value) and str(ours.value) == str(theirs.value)


def test_a_first_slice_that_fails_closes_the_file(tmp_path, small_slices, monkeypatch):
    rec = _records(101, first_items=5)
    opened = []
    real = rp.open_output
    monkeypatch.setattr(rp, "open_output", lambda p: opened.append(real(p)) or opened[-1])
    monkeypatch.setattr(rp, "_settled", lambda *a: (_ for _ in ()).throw(RuntimeError("bad slice")))
    with pytest.raises(RuntimeError, match="bad slice"):
        write(rec, "parquet", tmp_path / "out.parquet")
    assert len(opened) == 1 and opened[0].closed

"""Presentation helpers: download bytes round-trip, field-table column help, error tables."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from screening.schema import CellError, fields
from store.io import to_export_frame
from ui.widgets import column_config, error_table, frame_bytes, records_frame

READ = {"csv": pd.read_csv, "xlsx": pd.read_excel, "parquet": pd.read_parquet}


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_frame_bytes_round_trip(fmt):
    frame = pd.DataFrame({"option_id": ["A", "B"], "title": ["=cmd", "plain"], "investment": [1.5, 0.0]})
    # frame_bytes escapes CSV and XLSX itself (store.writers): the frame goes in unescaped
    back = READ[fmt](io.BytesIO(frame_bytes(to_export_frame(frame, "options", formula_safe=False), fmt)))
    assert list(back["option_id"]) == ["A", "B"]
    assert list(back["investment"]) == [1.5, 0.0]
    assert back["title"].iloc[0] == ("=cmd" if fmt == "parquet" else "'=cmd")


def test_frame_bytes_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="unknown format 'ods'"):
        frame_bytes(pd.DataFrame({"a": [1]}), "ods")


def test_column_help_comes_from_the_field_table():
    cfg = column_config("options")
    assert set(cfg) == {f.column for f in fields("options")}
    inv = cfg["investment"]
    assert "Total capital cost" in inv["help"] and "[currency]" in inv["help"] and "(required)" in inv["help"]
    assert cfg["category"]["type_config"]["options"][0] == "good_housekeeping"


def test_error_table_names_the_option_and_the_table_row():
    frame = pd.DataFrame({"option_id": ["A", "B"]})
    errs = [CellError("options", 3, "investment", "-1", "out of range: must be >= 0", "table")]
    t = error_table(errs, frame)
    assert t.loc[0, "option_id"] == "B" and t.loc[0, "table row"] == 2 and t.loc[0, "reason"].startswith("out of range")


def test_records_frame_flattens_nested_values():
    t = records_frame([{"a": 1, "b": [1, 2]}, {"a": 2, "b": {"x": 1}}])
    assert list(t["a"]) == [1, 2] and t.loc[0, "b"] == "[1, 2]"

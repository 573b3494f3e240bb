"""CSV files read by Arrow give the frame pandas' reader gave (issue 11: import at DuckDB's speed).

``store.readers.read_csv`` reads a CSV with Arrow's reader and falls back to pandas' where Arrow
refuses the file; every file here is compared with pandas' reading of it (the reader before),
cells and dtypes, including the ones Arrow refuses (ragged rows, a blank-only line, a header only).
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from store.readers import read_csv

CASES = {
    "plain": "a,b,c\n1,2,3\n4,5,6\n",
    "crlf": "a,b,c\r\n1,2,3\r\n4,5,6\r\n",
    "cr": "a,b,c\r1,2,3\r4,5,6\r",
    "bom": "\ufeffa,b,c\n1,2,3\n",
    "fewer fields": "a,b,c\n1,2\n4,5,6\n",
    "more fields": "a,b,c\n1,2,3,4\n",
    "trailing comma": "a,b,c\n1,2,3,\n",
    "blank lines": "a,b,c\n1,2,3\n\n4,5,6\n\n",
    "blanks in cells": "a,b,c\n 1 , 2,3 \n   \n",
    "quotes": 'a,b,c\n"x,y","he said ""hi""","line\nbreak"\n',
    "quote inside": 'a,b,c\nab"c,"x"y,3\n',
    "header only": "a,b,c\n",
    "header only, no end of line": "a,b,c",
    "empty cells": "a,b,c\n,,\n",
    "quoted empty": 'a,b,c\n"",,"  "\n',
    "no end of line": "a,b,c\n1,2,3",
    "NUL": "a,b,c\n1,\x00,3\n",
    "unicode": "a,b,c\n\u00e9,\u4e2d,\u200b\n",
    "hash": "a,b,c\n#x,2,3\n",
    "repeated header": "a,a,b\n1,2,3\n",
    "quoted header": '"a\nx",b,c\n1,2,3\n',
    "CR in quotes": 'a,b,c\n"x\ry",2,3\n',
    "formula text": "a,b,c\n'=1+2,-3,@x\n",
}


def pandas_reading(p):
    with open(p, newline="", encoding="utf-8-sig") as fh:
        header = next(csv.reader(fh))
    f = pd.read_csv(p, dtype=str, keep_default_na=False, header=None, skiprows=1, names=range(len(header)), encoding="utf-8-sig")
    f.columns = [h.strip() for h in header]
    return f


@pytest.mark.parametrize("name", list(CASES))
def test_arrow_reading_is_pandas_reading(tmp_path, name):
    p = tmp_path / "f.csv"
    p.write_text(CASES[name], encoding="utf-8", newline="")
    want = pandas_reading(p)
    got = read_csv(p)
    assert list(got.dtypes) == list(want.dtypes)
    pd.testing.assert_frame_equal(got, want)


def test_an_ordinary_file_is_read_by_arrow(tmp_path):
    from store.readers import _read_csv_arrow

    p = tmp_path / "f.csv"
    p.write_text(CASES["quotes"], encoding="utf-8", newline="")
    assert _read_csv_arrow(p, 3, True) is not None
    p.write_text(CASES["fewer fields"], encoding="utf-8", newline="")
    assert _read_csv_arrow(p, 3, True) is None  # refused: pandas reads it

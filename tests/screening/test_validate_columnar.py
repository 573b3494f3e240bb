"""The columnar shortcuts of validation give what the general path gives (issue 11).

An absent field is typed without looking at a cell (``absent_column``); a column of numbers makes
its text only for bad cells (``Cells.text_at``).  Each is compared here with the general path it
stands for: ``check_column`` on a column of empty cells, and the text of every cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screening.cells import MAX_CELL_CHARS, NUMBER, classify
from screening.errors import Collector
from screening.schema import JURISDICTIONS, TABLES, CheckContext, absent_column, check_column, fields


@pytest.mark.parametrize("table", TABLES)
def test_absent_column_is_what_a_column_of_empty_cells_gives(table):
    index = pd.RangeIndex(3)
    for f in fields(table):
        errors = Collector()
        ctx = CheckContext(table, np.arange(3) + 2, np.full(3, "f.csv", dtype=object), errors)
        slow = check_column(f, pd.Series([None] * 3, index=index, dtype=object), ctx, JURISDICTIONS, present=False)
        fast = absent_column(f, index)
        assert not errors, f.column
        assert fast.dtype == slow.dtype, f.column
        pd.testing.assert_series_equal(fast, slow, check_names=False, obj=f.column)


@pytest.mark.parametrize("values, dtype", [
    ([101, -7, 0, 2**40], "int64"),
    ([1.5, np.nan, np.inf, -0.0, 1e20, 3.0], "float64"),
    ([1, None, 3], "Int64"),
    ([2.5, None, -1.25], "Float64"),
    ([1, 2.5, None], object),
])
def test_number_text_made_for_some_cells_is_the_text_of_all(values, dtype):
    c = classify(pd.Series(values, dtype=dtype))
    pos = np.arange(len(values))
    lazy = c.text_at(pos[::-1])  # before the whole text exists
    full = np.asarray(c.text, dtype=object)
    assert [None if v is None or v != v else v for v in lazy] == [None if v is None or v != v else v for v in full[::-1]]
    assert (c.kind[[i for i, v in enumerate(values) if v is not None and v == v]] == NUMBER).all()
    if dtype == "int64":
        assert full.tolist() == ["101", "-7", "0", str(2**40)]  # as a person writes them
        assert c.values().tolist() == values and all(type(v) is int for v in c.values())


ENT = pd.DataFrame({"enterprise_id": ["E1"], "name": ["Acme"], "jurisdiction": ["NL"], "size_class": ["small"]})


def _reasons(**cols):
    from screening.schema import ValidationError, validate

    base = {"enterprise_id": "E1", "title": "A", "category": "good_housekeeping", "investment": "10",
            "annual_savings": "5", "lifetime_years": "5"}
    n = max(len(v) for v in cols.values())
    frame = pd.DataFrame({"option_id": [f"O{i + 1}" for i in range(n)], **{k: [v] * n for k, v in base.items()}, **cols},
                         dtype="str")
    with pytest.raises(ValidationError) as exc:
        validate(ENT, frame)
    return [(e.row, e.column, e.reason) for e in exc.value.errors]


def test_text_cells_of_number_and_word_fields_are_all_looked_at():
    # a column where every text cell is a number skips the text checks except the length; one that is
    # not is checked cell by cell: either way each cell's reason is the general path's, written out here
    long_number = "0" * (MAX_CELL_CHARS + 1) + "1"
    got = _reasons(investment=["10", long_number, "12"])
    assert got == [(3, "investment", f"text longer than {MAX_CELL_CHARS:,} characters ({MAX_CELL_CHARS + 2:,})")]
    got = _reasons(investment=["10", "1\x01", "#N/A", "x"], category=["good_housekeeping", "GOOD_housekeeping", "\x07", "nope"],
                   mandatory=["yes", "No", "y\x00", "maybe"])
    assert got == [
        (3, "investment", "contains the invisible character U+0001: text may not hold control characters"),
        (4, "category", "contains the invisible character U+0007: text may not hold control characters"),
        (4, "investment", "spreadsheet error #N/A in the cell: fix the formula it came from"),
        (4, "mandatory", "contains the invisible character U+0000: text may not hold control characters"),
        (5, "category", "unknown category: expected one of " + ", ".join(__import__("screening.schema", fromlist=["x"]).CATEGORIES)),
        (5, "investment", "expected a number [currency], got text"),
        (5, "mandatory", "expected yes or no"),
    ]


def test_printable_ascii_test_agrees_with_unicode_test():
    from screening.cells import _printable
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = ["abc", "", "a\tb", "é", "a\u200bb", "中文", "x\x7f", "~ !", "\u00a0", "a\u2028"]
    want = pc.fill_null(pc.utf8_is_printable(pa.array(texts)), True).to_pylist()
    assert _printable(pd.Series(texts, dtype="str")).tolist() == want

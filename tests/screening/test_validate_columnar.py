"""The columnar shortcuts of validation give what the general path gives (issue 11).

An absent field is typed without looking at a cell (``absent_column``); a column of numbers makes
its text only for bad cells (``Cells.text_at``).  Each is compared here with the general path it
stands for: ``_check_column`` on a column of empty cells, and the text of every cell.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screening.cells import NUMBER, classify
from screening.errors import Collector
from screening.schema import TABLES, JURISDICTIONS, _check_column, _Ctx, absent_column, fields


@pytest.mark.parametrize("table", TABLES)
def test_absent_column_is_what_a_column_of_empty_cells_gives(table):
    index = pd.RangeIndex(3)
    for f in fields(table):
        errors = Collector()
        ctx = _Ctx(table, np.arange(3) + 2, np.full(3, "f.csv", dtype=object), errors)
        slow = _check_column(f, pd.Series([None] * 3, index=index, dtype=object), ctx, JURISDICTIONS, present=False)
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

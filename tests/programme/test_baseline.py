"""Helpers of ``programme.baseline`` and ``programme.outlay`` against the numpy/pandas reference they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from programme.baseline import first_rows
from programme.outlay import _text_categorical, is_value


@pytest.mark.parametrize("seed", range(5))
def test_first_rows_is_the_first_index_of_each_code(seed):
    rng = np.random.default_rng(seed)
    ids = rng.choice([f"e{i}" for i in range(40)], 500)
    codes = pd.factorize(ids)[0].astype(np.int64)  # order of first appearance, as Baseline.enterprise_code
    assert np.array_equal(first_rows(codes), np.unique(codes, return_index=True)[1])
    shuffled = rng.permutation(40)[codes]  # not in order of first appearance: the sorting fallback
    assert np.array_equal(first_rows(shuffled), np.unique(shuffled, return_index=True)[1])
    assert first_rows(np.zeros(0, dtype=np.int64)).size == 0


def test_text_categorical_is_the_categorical_of_the_texts():
    values = pd.Series(pd.Categorical(["b", "a", "b", 1, "c"], categories=["c", "b", 1, "a", "unused", "1"]))
    got, want = _text_categorical(values), pd.Categorical(values.astype(str))
    assert list(got.categories) == list(want.categories) == ["1", "a", "b", "c"]
    assert np.array_equal(got.codes, want.codes) and got.dtype == want.dtype
    plain = pd.Series(["x", "y", "x"])
    assert np.array_equal(_text_categorical(plain).codes, pd.Categorical(plain.astype(str)).codes)


def test_is_value_compares_the_texts():
    cat = pd.Series(pd.Categorical(["grant", "tax_credit", None, "grant"], categories=["tax_credit", "grant", "loan"]))
    for column in (cat, cat.astype(object), pd.Series(["grant", "x", None, "grant"])):
        for value in ("grant", "loan", "absent"):
            assert np.array_equal(is_value(column, value), column.to_numpy() == value)

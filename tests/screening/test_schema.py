"""Column-wise validation (screening.schema.validate): strict types, bounds, ids, headers, duplicates.

Each expected reason is written out here; each accepted value is compared with the number or text
it must become.
"""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from screening.cells import MAX_CELL_CHARS, MISSING, NUMBER, OTHER, TEXT, classify
from screening.limits import AMOUNT_BOUND
from screening.schema import ValidationError, validate

ENT = pd.DataFrame({"enterprise_id": ["E1"], "name": ["Acme"], "jurisdiction": ["NL"], "size_class": ["small"]})


def opts(**cols) -> pd.DataFrame:
    base = {"option_id": ["O1"], "enterprise_id": ["E1"], "title": ["A"], "category": ["good_housekeeping"],
            "investment": ["10"], "annual_savings": ["5"], "lifetime_years": ["5"]}
    base.update(cols)
    n = max(len(v) for v in base.values())
    if "option_id" not in cols:
        base["option_id"] = [f"O{i + 1}" for i in range(n)]
    return pd.DataFrame({k: (v * n if len(v) == 1 else v) for k, v in base.items()})


def reasons(frame: pd.DataFrame) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ValidationError) as exc:
        validate(ENT, frame)
    return [(e.row, e.column, e.reason) for e in exc.value.errors]


@pytest.mark.parametrize(
    "value, reason",
    [
        (True, "expected a number [currency], got a boolean"),
        (pd.Timestamp("2024-01-01"), "expected a number [currency], got a date and time"),
        (dt.date(2024, 1, 1), "expected a number [currency], got a date"),
        (dt.time(8, 30), "expected a number [currency], got a time"),
        (pd.Timedelta("1D"), "expected a number [currency], got a duration"),
        ("#N/A", "spreadsheet error #N/A in the cell: fix the formula it came from"),
        ("#DIV/0!", "spreadsheet error #DIV/0! in the cell: fix the formula it came from"),
        ("abc", "expected a number [currency], got text"),
        ("1e308", f"out of range: amounts lie within -{AMOUNT_BOUND:g}..{AMOUNT_BOUND:g} (the import format's bound)"),
        (float("inf"), "must be a finite number"),
        ([1, 2], "a list cannot be imported: a cell holds text, a number, a boolean or a date"),
        (b"x", "bytes cannot be imported: a cell holds text, a number, a boolean or a date"),
    ],
)
def test_a_numeric_column_takes_numbers_only(value, reason):
    frame = opts(investment=["0", "0"])
    frame["investment"] = pd.Series([0.0, value], dtype=object)
    assert reasons(frame) == [(3, "investment", reason)]


@pytest.mark.parametrize("dtype_values, reason", [
    (pd.Series([pd.Timestamp("2024-01-01")]), "got a date and time"),
    (pd.Series([pd.Timedelta("1D")]), "got a duration"),
    (pd.Series([True]), "got a boolean"),
])
def test_typed_columns_of_the_wrong_type_are_named_not_converted(dtype_values, reason):
    # a Parquet timestamp was stored as 1.7e15 and a duration as 8.6e10 before
    frame = opts()
    frame["investment"] = dtype_values
    (row, col, why), = reasons(frame)
    assert (row, col) == (2, "investment") and why.endswith(reason)


def test_numbers_numeric_text_and_decimals_are_accepted():
    frame = opts(investment=["1,5".replace(",", ".")])
    frame["investment"] = pd.Series([decimal.Decimal("2.5")], dtype=object)
    frame["annual_savings"] = pd.Series([" -3e2 "], dtype=object)
    v = validate(ENT, frame)
    assert v.options["investment"].tolist() == [2.5]
    assert v.options["annual_savings"].tolist() == [-300.0]


def test_amounts_at_the_bound_pass_and_beyond_it_fail():
    v = validate(ENT, opts(investment=[f"{AMOUNT_BOUND:.0f}"], annual_savings=[f"-{AMOUNT_BOUND:.0f}"]))
    assert v.options["investment"].iloc[0] == AMOUNT_BOUND
    rs = reasons(opts(annual_savings=["-1.0000001e15"]))
    assert [(r, c) for r, c, _ in rs] == [(2, "annual_savings")]


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\u200f", "\ufeff", "\x00", "\x07", "\t", "\u2066"])
def test_ids_refuse_control_bidi_and_zero_width_characters(char):
    rs = reasons(opts(option_id=[f"O{char}1"]))
    assert rs == [(2, "option_id", f"contains the invisible character U+{ord(char):04X}: an identifier may not hold "
                                   "control, bidirectional or zero-width characters")]


def test_free_text_keeps_tabs_and_bidi_but_not_control_characters():
    assert validate(ENT, opts(title=["a\tb \u202eRTL"])).options["title"].tolist() == ["a\tb \u202eRTL"]
    assert reasons(opts(title=["a\x01b"])) == [(2, "title", "contains the invisible character U+0001: text may not hold control characters")]


def test_a_cell_longer_than_the_limit_is_refused_and_its_value_cut_in_the_message():
    rs = reasons(opts(title=["x" * (MAX_CELL_CHARS + 1)]))
    assert rs == [(2, "title", f"text longer than {MAX_CELL_CHARS:,} characters ({MAX_CELL_CHARS + 1:,})")]
    with pytest.raises(ValidationError) as exc:
        validate(ENT, opts(title=["x" * 1_000_000]))
    assert exc.value.errors[0].value == "x" * 80 + "... (1,000,000 characters)"
    assert len(str(exc.value)) < 400


def test_repeated_and_unnamed_headers_are_refused():
    frame = opts(note=["a"])
    frame.columns = [*frame.columns[:-1], "title"]
    assert reasons(frame) == [(None, "title", "column appears more than once")]
    frame = opts(note=["a"])
    frame.columns = [*frame.columns[:-1], ""]
    assert reasons(frame) == [(None, "(column 8)", "the column holds values but has no header")]


def test_every_duplicate_row_names_the_first_row_of_its_id():
    n = 3000
    ids = [f"O{i % 3}" for i in range(n)]
    with pytest.raises(ValidationError) as exc:
        validate(ENT, opts(option_id=ids, title=["A"] * n))
    errs = exc.value.errors
    assert exc.value.count == n - 3
    # row r (data position r - 2) repeats id O{(r-2) % 3}, first seen in row 2 + (r-2) % 3
    assert all(e.reason == f"duplicate id (first seen in row {2 + (e.row - 2) % 3})" for e in errs)
    assert [e.row for e in errs] == list(range(5, n + 2))


def test_extra_columns_keep_values_and_dates_as_iso_text():
    frame = opts()
    frame["proposed_on"] = pd.Series([dt.datetime(2024, 5, 1)], dtype=object)
    frame["at"] = pd.Series([dt.datetime(2024, 5, 1, 8, 30)], dtype=object)
    frame["t"] = pd.Series([dt.time(8, 30)], dtype=object)
    frame["n"] = pd.Series([3], dtype=object)
    frame["flag"] = pd.Series([True], dtype=object)
    frame["note"] = pd.Series([" as given "], dtype=object)
    o = validate(ENT, frame).options.iloc[0]
    assert (o["proposed_on"], o["at"], o["t"], o["n"], o["flag"], o["note"]) == ("2024-05-01", "2024-05-01T08:30:00", "08:30:00", 3, True, " as given ")


def test_classify_reads_typed_text_and_mixed_columns_alike():
    mixed = classify(pd.Series([" a ", 2, 2.5, None, float("nan"), "", [1]], dtype=object))
    assert mixed.kind.tolist() == [TEXT, NUMBER, NUMBER, MISSING, MISSING, MISSING, OTHER]
    assert mixed.text.tolist()[:3] == ["a", "2", "2.5"]
    text = classify(pd.Series([" a ", "2", "", None], dtype="str"))
    assert text.kind.tolist() == [TEXT, TEXT, MISSING, MISSING]
    ints = classify(pd.Series([101, 102], dtype="int64"))
    assert ints.text.tolist() == ["101", "102"] and np.array_equal(ints.num, [101.0, 102.0])


def test_booleans_yes_no_and_excel_booleans():
    frame = opts(mandatory=["yes"])
    frame["mandatory"] = pd.Series([True], dtype=object)
    assert validate(ENT, frame).options["mandatory"].tolist() == [True]
    assert reasons(opts(mandatory=["maybe"])) == [(2, "mandatory", "expected yes or no")]

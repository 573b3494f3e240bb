"""``implemented_on`` is a date field: ISO text or a spreadsheet date is kept as ISO text, anything
else is refused with row, field and reason (checked against the calendar by hand)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from screening.schema import ValidationError, validate

ENT = pd.DataFrame({"enterprise_id": ["E1"], "name": ["Acme"], "jurisdiction": ["NL"], "size_class": ["small"]})


def opts(implemented_on: list[object]) -> pd.DataFrame:
    n = len(implemented_on)
    return pd.DataFrame({"option_id": [f"O{i + 1}" for i in range(n)], "enterprise_id": "E1", "title": "A",
                         "category": "good_housekeeping", "investment": "10", "annual_savings": "5",
                         "lifetime_years": "5", "implemented_on": pd.Series(implemented_on, dtype=object)})


def _errors(values: list[object]) -> list[tuple[int | None, str, str, str]]:
    with pytest.raises(ValidationError) as exc:
        validate(ENT, opts(implemented_on=values))
    return [(e.row, e.column, e.value, e.reason) for e in exc.value.errors]


def test_iso_text_and_spreadsheet_dates_are_kept_as_iso_text():
    v = validate(ENT, opts(implemented_on=["2026-06-01", dt.date(2024, 2, 29), pd.Timestamp("2025-12-31"), None]))
    assert v.options["implemented_on"].tolist() == ["2026-06-01", "2024-02-29", "2025-12-31", None]


@pytest.mark.parametrize("value, words", [
    ("01/06/2026", "expected a date as YYYY-MM-DD (e.g. 2026-06-01), got text"),
    ("last spring", "expected a date as YYYY-MM-DD (e.g. 2026-06-01), got text"),
    ("2026-02-30", "not a calendar date"),  # February has at most 29 days
    ("2025-02-29", "not a calendar date"),  # 2025 is not a leap year
    ("2026-13-01", "not a calendar date"),
    (46000, "got a number"),
    (True, "got a boolean"),
    (pd.Timestamp("2026-06-01 14:30"), "with a time of day"),
])
def test_a_bad_date_is_refused_naming_row_field_and_reason(value, words):
    errs = _errors(["2026-06-01", value])
    assert len(errs) == 1
    row, column, _, reason = errs[0]
    assert row == 3 and column == "implemented_on"  # spreadsheet row: header is row 1, second option row 3
    assert words in reason

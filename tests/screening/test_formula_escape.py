"""The one formula escape (OWASP CSV injection) and its inverse, as pure functions."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.formula_escape import (
    escape_formula,
    escape_frame,
    escape_text,
    needs_escape,
    unescape_formula,
    unescape_frame,
    unescape_text,
)

#: Text with the characters that matter over-represented: triggers, blanks, apostrophes.
TRICKY = st.text(alphabet=st.one_of(st.sampled_from(list("=+-@＝＋－＠﹦﹢﹣﹫'\t\r\n \u00a0\u3000\u200b\ufeffa1")), st.characters()), max_size=8)


@pytest.mark.parametrize("text", [
    "=HYPERLINK(\"http://x\",\"y\")", "+SUM(A1)", "-2 pumps", "@cmd",  # ASCII triggers
    "＝1+1", "＋1", "－1", "＠x", "﹦1",  # full-width and small forms (the probe's)
    " =1+1", "\t=1", "\n=1", "\r=1", "\u00a0=1", "\u3000=1", "\u200b=1", " \n\u00a0=1",  # blanks before a trigger
    "\tplain", "\rplain",  # OWASP: tab or CR at the start on their own
    "'=1", "''+x", "' =1",  # a user's own apostrophe before a formula start is kept (escaped again)
])
def test_formula_starts_are_escaped_with_one_apostrophe(text):
    assert needs_escape(text)
    assert escape_text(text) == "'" + text
    assert unescape_text(escape_text(text)) == text


@pytest.mark.parametrize("text", ["plain", "a=b", "'quoted", "'", "", " lead", "x-1", " 'x", "1.5", "\nplain"])
def test_harmless_text_is_left_alone_both_ways(text):
    assert not needs_escape(text)
    assert escape_text(text) == text
    assert unescape_text(text) == text


def test_only_text_cells_change_numbers_and_missing_do_not():
    s = pd.Series(["=a", -3.0, None, "b", 7, True], dtype=object)
    assert escape_formula(s).tolist() == ["'=a", -3.0, None, "b", 7, True]
    assert unescape_formula(escape_formula(s)).tolist() == s.tolist()
    num = pd.Series([-1.0, 2.0])
    assert escape_formula(num) is num


def test_headers_are_escaped_like_cells():
    frame = pd.DataFrame({"=HYPERLINK(\"http://evil\")": ["=1"], "n": [-1.0]})
    out = escape_frame(frame)
    assert list(out.columns) == ["'=HYPERLINK(\"http://evil\")", "n"]
    assert out.iloc[0, 0] == "'=1" and out.iloc[0, 1] == -1.0
    back = unescape_frame(out)
    assert list(back.columns) == list(frame.columns) and back.iloc[0, 0] == "=1"


@settings(max_examples=300, deadline=None)
@given(TRICKY)
def test_unescape_undoes_escape_for_any_text(text):
    assert unescape_text(escape_text(text)) == text
    escaped = escape_text(text)
    # what a spreadsheet sees never starts a formula: the first character is not a trigger
    assert not escaped[:1] or escaped[0] not in "=+-@＝＋－＠﹦﹢﹣﹫\t\r"


@settings(max_examples=100, deadline=None)
@given(st.lists(TRICKY, min_size=1, max_size=6))
def test_series_and_scalar_escape_agree(texts):
    s = pd.Series(texts, dtype=object)
    assert escape_formula(s).tolist() == [escape_text(t) for t in texts]
    assert unescape_formula(escape_formula(s)).tolist() == texts
    valid = [t for t in texts if not any("\ud800" <= ch <= "\udfff" for ch in t)]  # Arrow strings hold no lone surrogate
    st_ = pd.Series(valid, dtype="string")
    assert unescape_formula(escape_formula(st_)).tolist() == valid
    assert escape_formula(pd.Series(valid, dtype="str")).tolist() == [escape_text(t) for t in valid]

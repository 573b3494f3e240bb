"""Formula-safe text for spreadsheets: the one escape rule every CSV/XLSX writer uses, and its inverse.

A spreadsheet evaluates a cell whose text starts with ``= + - @`` as a formula (OWASP, "CSV
Injection"): ``=HYPERLINK(...)`` becomes a live link, ``=cmd|...`` a DDE call.  Excel and
LibreOffice also take the full-width forms ``＝ ＋ － ＠`` (and the small forms ``﹦ ﹢ ﹣ ﹫``) as
formula starts, and skip leading blanks (space, tab, LF, CR, no-break space, ...) before them, so
those count too; a cell starting with a tab or CR is escaped as OWASP advises.

Escaping puts one apostrophe in front of such text; a spreadsheet then shows the text instead of
running it.  Unescaping removes exactly that apostrophe, so ``unescape(escape(t)) == t`` for
every text ``t``: text that already starts with apostrophes before a formula start (``'=x``) is
escaped too (``''=x``), so an apostrophe the user typed is never taken for the exporter's.

Every writer of a CSV or XLSX file (``cpscreen export``, ``cpscreen ... --format csv``, the
Options download, the report workbook) calls :func:`escape_frame`; the importer calls
:func:`unescape_frame` on the CSV and XLSX files it reads (not on Parquet, which no spreadsheet
evaluates, and not on tables edited in the app, which were never escaped).

References
----------
OWASP, "CSV Injection", https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

#: Characters that start a formula in a spreadsheet, ASCII, full-width and small forms.
FORMULA_TRIGGERS: str = "=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b"
#: Characters that are escaped on their own at the start of a cell (OWASP: tab, carriage return).
LEADING_TRIGGERS: str = "\t\r"
#: Invisible or blank characters a spreadsheet may skip before a formula start: every Unicode
#: whitespace (space, tab, LF, CR, NBSP, ideographic space, ...), the other C0 controls, DEL,
#: soft hyphen and the zero-width / direction marks.
_BLANKS = r"\s\x00-\x1f\x7f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
_START = rf"(?:[{re.escape(LEADING_TRIGGERS)}]|[{_BLANKS}]*[{re.escape(FORMULA_TRIGGERS)}])"
#: Text that is escaped: optional apostrophes, then a formula start.
_NEEDS = re.compile(rf"'*{_START}")
#: Text that was escaped: one apostrophe added before text that needs it.
_ESCAPED = re.compile(rf"''*{_START}")

#: Kept for callers of the former ``screening.schema.FORMULA_PREFIXES``.
FORMULA_PREFIXES: tuple[str, ...] = tuple(FORMULA_TRIGGERS + LEADING_TRIGGERS)


def needs_escape(text: str) -> bool:
    """True when a spreadsheet could run ``text`` as a formula (or it would be mistaken for escaped text)."""
    return _NEEDS.match(text) is not None


def escape_text(value: Any) -> Any:
    """``value`` with an apostrophe in front when it is text a spreadsheet would run; other values unchanged."""
    if isinstance(value, str) and _NEEDS.match(value):
        return "'" + value
    return value


def unescape_text(value: Any) -> Any:
    """Undo :func:`escape_text`: drop the one apostrophe it added; other values unchanged."""
    if isinstance(value, str) and _ESCAPED.match(value):
        return value[1:]
    return value


#: What the first character of a cell must be for each pattern to match at all (an RE2 class Arrow
#: tests over the whole column at once): ``_ESCAPED`` starts with an apostrophe; ``_NEEDS`` with an
#: apostrophe, a blank or a trigger, none of which is an ASCII letter, digit or underscore.
#: Every character that may begin a cell :data:`_NEEDS` matches, as an RE2 class over code points: the
#: apostrophe, the triggers, C0 controls, DEL to NEL, and every Unicode blank and mark of ``_BLANKS``
#: (Python's ``\s`` is Unicode: NBSP, ogham space, U+2000-U+200A, line/paragraph separators,
#: narrow NBSP, U+205F, ideographic space); a superset, checked over all code points in a test.
NEEDS_FIRST: str = (r"^['\x00-\x20\x7f-\x85\xa0\xad\x{1680}\x{180e}\x{2000}-\x{200f}\x{2028}-\x{202f}"
                    r"\x{205f}-\x{2064}\x{3000}\x{feff}=+\-@\x{ff1d}\x{ff0b}\x{ff0d}\x{ff20}\x{fe66}\x{fe62}\x{fe63}\x{fe6b}]")
_FIRST: dict[str, str] = {"drop": "^'", "add": NEEDS_FIRST}


def _candidates(s: pd.Series, change: str) -> np.ndarray | None:
    """Cells whose first character lets the pattern match (a superset of the matches), from one Arrow
    scan; None where the column is not plain text (then every cell goes through the pattern)."""
    if not (pd.api.types.is_string_dtype(s.dtype) and not pd.api.types.is_object_dtype(s.dtype)):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(s, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
        return None
    # "^'" is a plain prefix: Arrow's starts_with is four times faster than its regex engine
    hit = pc.starts_with(arr, "'") if change == "drop" else pc.match_substring_regex(arr, _FIRST[change])
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def _apply(s: pd.Series, pattern: re.Pattern[str], change: str) -> pd.Series:
    if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
        return s
    maybe = _candidates(s, change)
    if maybe is not None:
        if not maybe.any():
            return s
        # only the candidates go through Python's pattern (Unicode blanks, as before)
        sub = s[maybe]
        hit = np.zeros(len(s), dtype=bool)
        hit[np.flatnonzero(maybe)] = np.asarray(sub.str.match(pattern).to_numpy(dtype=object, na_value=False), dtype=bool)
        mask = hit
    else:
        try:
            hit = s.str.match(pattern)
        except AttributeError:  # an object column holding no text at all
            return s
        mask = np.asarray(hit.to_numpy(dtype=object, na_value=False), dtype=bool)  # non-text cells (NaN) are no formula
    if not mask.any():
        return s
    out = s.copy()
    if pd.api.types.is_object_dtype(out):
        out = out.astype(object)
    out[mask] = ("'" + s[mask]) if change == "add" else s[mask].str[1:]
    return out


def escape_formula(s: pd.Series) -> pd.Series:
    """:func:`escape_text` on every text cell of ``s`` (numbers, booleans and missing values unchanged)."""
    return _apply(s, _NEEDS, "add")


def unescape_formula(s: pd.Series) -> pd.Series:
    """:func:`unescape_text` on every text cell of ``s``."""
    return _apply(s, _ESCAPED, "drop")


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and every column header escaped, ready for CSV or XLSX."""
    out = frame.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, escape_formula(out.iloc[:, i]))
    out.columns = [escape_text(c) for c in out.columns]
    return out


def unescape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`escape_frame` on a frame read from a CSV or XLSX file (headers and text cells)."""
    out = frame.copy()
    for i in range(out.shape[1]):
        out.isetitem(i, unescape_formula(out.iloc[:, i]))
    out.columns = [unescape_text(c) for c in out.columns]
    out.attrs = dict(frame.attrs)
    return out


__all__ = [
    "FORMULA_PREFIXES",
    "FORMULA_TRIGGERS",
    "LEADING_TRIGGERS",
    "escape_formula",
    "escape_frame",
    "escape_text",
    "needs_escape",
    "unescape_formula",
    "unescape_frame",
    "unescape_text",
]

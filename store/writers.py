"""How cpscreen writes tables to CSV and XLSX: formula-safe and line-break-safe.

Every CSV or XLSX the product writes goes through :func:`write_csv` or :func:`write_xlsx`
(``cpscreen export``, ``cpscreen ... --format csv``, the Options page's download); the report
workbook (``ui.report.workbook_bytes``) formats its sheets itself but escapes with the same
:func:`screening.formula_escape.escape_frame`.  What these writers add, the importer
(``store.io.read_files``) removes, so exporting and importing again gives back the same text.

* Formulas: every text cell and every header that a spreadsheet would run as a formula gets a
  leading apostrophe (:mod:`screening.formula_escape`).
* Line breaks: a cell holding a carriage return is quoted.  Python's CSV writer quotes a cell
  only for the characters of its row terminator, so a table with a CR in any cell is written
  with CRLF row ends (RFC 4180); other tables keep LF.  Without this a bare CR in a title was
  written unquoted and the file no longer imported.
* XLSX cannot hold most C0 control characters (XML 1.0): such a cell is refused with its sheet,
  row and column named, instead of openpyxl's bare ``IllegalCharacterError``.

References
----------
Shafranovich, Y. (2005). RFC 4180: Common Format and MIME Type for Comma-Separated Values (CSV) Files.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Mapping
from typing import IO

import pandas as pd

from screening.formula_escape import escape_frame

#: Characters an XLSX (XML 1.0) cell cannot hold.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class UnwritableCellError(ValueError):
    """A cell that the chosen file format cannot hold."""


def _has_cr(frame: pd.DataFrame) -> bool:
    cols = [c for c in frame.columns if isinstance(c, str) and "\r" in c]
    if cols:
        return True
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            try:
                if s.str.contains("\r", regex=False).fillna(False).astype(bool).any():
                    return True
            except AttributeError:  # no text in this column
                continue
    return False


def write_csv(frame: pd.DataFrame, target: str | os.PathLike[str] | IO[str]) -> None:
    """Write ``frame`` (no index) as formula-safe CSV to a path or a text stream."""
    safe = escape_frame(frame)
    safe.to_csv(target, index=False, lineterminator="\r\n" if _has_cr(safe) else "\n")


def csv_text(frame: pd.DataFrame) -> str:
    """:func:`write_csv` into a string."""
    buf = io.StringIO()
    write_csv(frame, buf)
    return buf.getvalue()


def check_xlsx_cells(frame: pd.DataFrame, sheet: str) -> None:
    """Refuse text an XLSX cell cannot hold, naming the sheet, spreadsheet row and column."""
    for j, c in enumerate(frame.columns):
        if isinstance(c, str) and _XML_ILLEGAL.search(c):
            raise UnwritableCellError(f"sheet {sheet}: column header {c!r} holds a control character an XLSX file "
                                      "cannot hold; export as CSV or Parquet, or remove it")
        s = frame.iloc[:, j]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        try:
            bad = s.str.contains(_XML_ILLEGAL).fillna(False).astype(bool).to_numpy()
        except AttributeError:
            continue
        if bad.any():
            i = int(bad.argmax())
            ch = _XML_ILLEGAL.search(s.iloc[i]).group(0)  # type: ignore[union-attr]
            raise UnwritableCellError(f"sheet {sheet}, row {i + 2}, column {c}: the text holds the control character "
                                      f"U+{ord(ch):04X}, which an XLSX file cannot hold; export as CSV or Parquet, or remove it")


def write_xlsx(frames: Mapping[str, pd.DataFrame], target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write one sheet per frame (no index), formula-safe, to a path or a binary stream."""
    safe = {name: escape_frame(df) for name, df in frames.items()}
    for name, df in safe.items():
        check_xlsx_cells(df, name)
    with pd.ExcelWriter(target, engine="openpyxl") as xw:
        for name, df in safe.items():
            df.to_excel(xw, sheet_name=name, index=False)


__all__ = ["UnwritableCellError", "check_xlsx_cells", "csv_text", "write_csv", "write_xlsx"]

"""How cpscreen writes tables to CSV and XLSX: formula-safe and line-break-safe.

Every CSV or XLSX file of the import format goes through :func:`write_csv` or :func:`write_xlsx`
(``cpscreen export``, the Options page's download); the report workbook
(``ui.report.workbook_bytes``) formats its sheets itself and the command line's ``--format csv``
records are written by ``records.write`` (DuckDB, which quotes a CR), but both escape with the
same :mod:`screening.formula_escape`.  What these writers add, the importer
(``store.io.read_files``) removes, so exporting and importing again gives back the same text.

* Formulas: every text cell and every header that a spreadsheet would run as a formula gets a
  leading apostrophe (:mod:`screening.formula_escape`).
* Line breaks: a cell holding a carriage return is quoted.  Python's CSV writer quotes a cell
  only for the characters of its row terminator, so a table with a CR in any cell is written
  with CRLF row ends (RFC 4180); other tables keep LF.  Without this a bare CR in a title was
  written unquoted and the file no longer imported.
* XLSX text is XML, which cannot hold most C0 control characters and turns a CR into LF when
  read.  Such characters are written the way Excel writes them, as ``_xHHHH_`` (ECMA-376 Part 1,
  22.9.2.19 ST_Xstring), a literal ``_xHHHH_`` in the text has its underscore written
  ``_x005F_``, and :func:`xlsx_decode_frame` (the importer) reads them back.

References
----------
Shafranovich, Y. (2005). RFC 4180: Common Format and MIME Type for Comma-Separated Values (CSV) Files.
ECMA-376 Office Open XML File Formats, Part 1, 5th ed. (2016), 22.9.2.19 ST_Xstring (Escaped String).
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable, Mapping
from typing import IO

import pandas as pd

from screening.formula_escape import escape_frame

#: Characters an XLSX cell cannot hold as they are (XML 1.0 forbids them; a CR becomes LF on reading).
_XML_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")
#: A literal OOXML escape in the text, whose underscore must itself be escaped.
_LITERAL_ESCAPE = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def _map_text(frame: pd.DataFrame, fn: Callable[[str], str]) -> pd.DataFrame:
    out = frame.copy()
    for i in range(out.shape[1]):
        s = out.iloc[:, i]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out.isetitem(i, s.map(lambda v: fn(v) if isinstance(v, str) else v))
    out.columns = [fn(c) if isinstance(c, str) else c for c in out.columns]
    out.attrs = dict(frame.attrs)
    return out


def xlsx_encode_text(text: str) -> str:
    """Text as an XLSX cell holds it: control characters and CR as ``_xHHHH_``, literal escapes kept."""
    if "_x" in text:
        text = _LITERAL_ESCAPE.sub("_x005F_", text)
    return _XML_UNSAFE.sub(lambda m: f"_x{ord(m.group(0)):04X}_", text)


def xlsx_decode_text(text: str) -> str:
    """Undo :func:`xlsx_encode_text` (as Excel reads ``_xHHHH_``)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


def xlsx_encode_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`xlsx_encode_text` on every text cell and header."""
    return _map_text(frame, xlsx_encode_text)


def xlsx_decode_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`xlsx_decode_text` on every text cell and header of a sheet read from an XLSX file."""
    return _map_text(frame, xlsx_decode_text)


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


def write_xlsx(frames: Mapping[str, pd.DataFrame], target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write one sheet per frame (no index), formula-safe, to a path or a binary stream."""
    safe = {name: xlsx_encode_frame(escape_frame(df)) for name, df in frames.items()}
    with pd.ExcelWriter(target, engine="openpyxl") as xw:
        for name, df in safe.items():
            df.to_excel(xw, sheet_name=name, index=False)


__all__ = ["csv_text", "write_csv", "write_xlsx", "xlsx_decode_frame", "xlsx_decode_text", "xlsx_encode_frame", "xlsx_encode_text"]

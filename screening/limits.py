"""The import's bounds: what one import may cost, and how large an amount may be.

Each bound is refused with a message naming it before the memory is spent (the readers in
``store/readers.py`` check bytes, rows, columns and an XLSX file's inflation before they read
cells; :func:`screening.schema.validate` checks rows, columns and cell length of frames handed
to it directly, e.g. by the Options editor).  The README's "Limits" section states the same
numbers; ``.streamlit/config.toml`` sets the app's upload size to :data:`MAX_IMPORT_BYTES`.
"""

from __future__ import annotations

from screening.cells import MAX_CELL_CHARS

#: Files of one import together at most this size [bytes] (256 MiB).
MAX_IMPORT_BYTES = 256 * 1024 * 1024
#: Data rows per file, sheet or table at most (Excel's sheet size less its header row). [rows]
MAX_ROWS = 1_048_575
#: Columns per file or sheet at most (the import format's fields plus extra columns). [columns]
MAX_COLUMNS = 512
#: An XLSX file may inflate at most this many times its size when unzipped. [/1]
MAX_XLSX_INFLATION = 100
#: An XLSX file's unzipped parts, or a Parquet file's uncompressed data, at most [bytes] (1 GiB).
MAX_INFLATED_BYTES = 1024 * 1024 * 1024
#: Amounts and quantities without a bound of their own in fields.csv lie within
#: -AMOUNT_BOUND..AMOUNT_BOUND: 1e15 is far above any one option's amount in any currency
#: (10^15 IDR is about 6e10 USD), and small enough that 50 years of flows stay finite in NPV.
AMOUNT_BOUND = 1e15

__all__ = ["AMOUNT_BOUND", "MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_IMPORT_BYTES", "MAX_INFLATED_BYTES", "MAX_ROWS", "MAX_XLSX_INFLATION"]

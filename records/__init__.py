"""Records as the CLI writes them: one JSON-plain converter and the columnar writers.

A neutral package below ``store``, ``programme`` and the CLI (it opens no database file and imports
none of them): :func:`records.plain.plain` turns any value into plain JSON the same way everywhere,
and :mod:`records.write` writes a table of records as JSON, CSV, Parquet or a readable table in
column operations (DuckDB over Arrow), with nested lists (an appraisal's support items) built from a
long table without a Python loop over rows.
"""

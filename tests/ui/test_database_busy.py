"""A page whose database file another process holds past the bounded wait says "database busy" in
words (issue 14, item 5), instead of Streamlit's exception box with a traceback.

The other process is real: it holds DuckDB's file lock until the test closes its standard input.
"""

from __future__ import annotations

import subprocess
import sys

from streamlit.testing.v1 import AppTest

from tests.ui.conftest import APP

HOLD = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); sys.stdin.read(); con.close()"


def test_a_page_says_database_busy_when_another_process_holds_the_file(seeded_db, monkeypatch):
    from store.db import close_all

    close_all()
    monkeypatch.setenv("CPSCREEN_BUSY_TIMEOUT", "0.3")
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(seeded_db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        at = AppTest.from_file(APP, default_timeout=60)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        errors = [e.value for e in at.error]
        assert any("Database busy" in e and "nothing was changed" in e for e in errors), errors
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    at.run()  # the file is free again: the same session shows the page
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.sidebar.selectbox[0].value

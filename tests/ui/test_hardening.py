"""Hardening of the shared service (issue 14, item 6): upload limit, XSRF protection, no HTML from user
text, no secrets in the repository.

The printable report's escaping is checked here on its HTML and in Chromium by
tests/browser/test_local_mode.py (a ``<script>`` title does not run); the Markdown escaping of user
text on the pages by tests/ui/test_user_text_safety.py.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd

from screening.limits import MAX_IMPORT_BYTES
from ui.report import html_report

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".streamlit" / "config.toml"
MIB = 1024 * 1024


def _server_config() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))["server"]


def test_the_upload_limit_is_the_import_limit():
    assert _server_config()["maxUploadSize"] * MIB == MAX_IMPORT_BYTES  # maxUploadSize is in MiB


def test_xsrf_and_cors_protection_are_set_explicitly():
    server = _server_config()
    assert server["enableXsrfProtection"] is True
    assert server["enableCORS"] is True, "without CORS protection Streamlit answers any origin and accepts its WebSocket"


def test_streamlit_reads_the_settings_as_written():
    """Streamlit's own configuration loader, run in the project folder, ends with the same values
    (a misspelt section or key would leave Streamlit's default and fail here for the upload size)."""
    streamlit = Path(sys.executable).with_name("streamlit")
    out = subprocess.run([str(streamlit), "config", "show"], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=120).stdout
    server = out[out.index("\n[server]\n"):]
    server = server[: server.index("\n[", 1)]
    values = dict(re.findall(r"^(\w+) = (.+)$", server, flags=re.M))
    assert values["maxUploadSize"] == str(MAX_IMPORT_BYTES // MIB)
    assert values["enableXsrfProtection"] == "true" and values["enableCORS"] == "true"


def _ui_sources() -> list[Path]:
    return [ROOT / "app.py", *sorted((ROOT / "ui").rglob("*.py"))]


def test_no_page_renders_html():
    """No ``unsafe_allow_html``, ``st.html`` or ``streamlit.components`` anywhere in the app: user text
    (titles, ids, names from the identity provider) can never become markup."""
    found = []
    for path in _ui_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.keyword) and node.arg == "unsafe_allow_html":
                found.append(f"{where} unsafe_allow_html")
            elif isinstance(node, ast.Attribute) and node.attr == "html" and isinstance(node.value, ast.Name) \
                    and node.value.id == "st":
                found.append(f"{where} st.html")
            elif isinstance(node, ast.ImportFrom | ast.Import):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                names += [f"{node.module}.{a.name}" for a in node.names] if isinstance(node, ast.ImportFrom) else []
                if any(n.startswith("streamlit.components") for n in names):
                    found.append(f"{where} streamlit.components")
    assert not found, found
    assert len(_ui_sources()) > 10, "the scan sees the pages"


def test_the_printable_report_escapes_a_script_in_the_title_and_in_cells():
    script = "<script>window.pwned = 1</script>"
    page = html_report({"options": pd.DataFrame({"title": [f"Rinse {script}"], "option_id": ["<img src=x onerror=alert(1)>"]})},
                       f"Report {script}")
    assert "<script" not in page and "<img" not in page
    assert page.count("&lt;script&gt;window.pwned = 1&lt;/script&gt;") == 3  # <title>, <h1> and the cell


def _tracked() -> list[str]:
    return subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()


def test_the_secrets_file_is_ignored_and_none_is_tracked():
    tracked = _tracked()
    assert not [f for f in tracked if f.endswith("secrets.toml")], "a secrets file is in the repository"
    ignored = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT)
    assert ignored.returncode == 0, ".streamlit/secrets.toml is not ignored by git"


#: A cookie or client secret given a literal quoted value (after = or :).
_SECRET_ASSIGNMENT = re.compile(r"""\b(cookie_secret|client_secret)\b\s*[=:]\s*["']([^"'\n]+)["']""")


def test_no_tracked_file_holds_a_literal_secret():
    """Tracked files give secrets only as placeholders (``REPLACE-WITH-...``) or as values made at run time
    (an f-string field ``{...}``), never as a literal."""
    leaks = []
    for name in _tracked():
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for key, value in _SECRET_ASSIGNMENT.findall(text):
            if not (value.startswith("REPLACE-WITH-") or value.startswith("{")):
                leaks.append(f"{name}: {key} = {value[:6]}...")
    assert not leaks, leaks

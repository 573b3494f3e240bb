"""The pages and the CLI reach stored data only through store.service.Store, which applies the acting
user's access (issue 14, item 3): no module of ui/, app.py, cli.py or commands/ imports a store function that
opens the database or reads or writes it with a bare cursor."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Store functions that take a bare cursor (or open one): callers would bypass the access checks.
BYPASS = {"cursor", "connect", "session", "load_table", "load_scores", "import_batch", "import_files", "import_frames",
          "save_options", "load_options", "delete_options", "export_dir", "save_appraisals", "load_appraisals",
          "save_scenario", "load_scenarios", "stored_counts", "table_fingerprint", "add_user", "grant", "revoke",
          "list_users", "load_audit", "record", "ensure_seeded"}
#: Modules whose every function takes a bare cursor.
BYPASS_MODULES = {"store.io", "store.edits", "store.results", "store.users", "store.audit", "store.db", "store.schema",
                  "store.transaction", "store.seed"}


def _sources() -> list[Path]:
    return [ROOT / "app.py", ROOT / "cli.py", *sorted((ROOT / "commands").rglob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]


def test_no_page_or_command_imports_a_bare_cursor_store_function():
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("store"):
                found += [f"{path.relative_to(ROOT)}: from {node.module} import {a.name}" for a in node.names if a.name in BYPASS]
            elif isinstance(node, ast.Import):
                found += [f"{path.relative_to(ROOT)}: import {a.name}" for a in node.names if a.name in BYPASS_MODULES]
    assert not found, "\n".join(found)


def test_the_check_sees_a_bypass():
    tree = ast.parse("from store.io import load_table\nimport store.db\n")
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names]
    assert names == ["load_table"] and "load_table" in BYPASS

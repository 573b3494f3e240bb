"""The server's warm-up (``ui.warmup.warm_process``) imports what the pages need, so no page's first script
run imports a heavy module itself.

Before, the warm-up thread imported three modules; a new server's first Screening render then imported
scipy.stats (through ``screening.assessors``) inside its own script run, 1.3 s under the interpreter lock
that every other session's run waited on (py-spy of a server on the demo data).  The check runs in a new
interpreter, as a server process starts: warm, then every page on the demo data, and the modules each
page's run added are compared with the heavy ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: modules that take a large part of a second or more to import (the warm-up exists for them)
HEAVY = ("scipy.stats", "scipy.optimize", "scipy.special", "scipy.sparse", "skcriteria", "openpyxl", "altair",
         "numba", "llvmlite", "duckdb", "pyarrow", "sklearn", "matplotlib", "seaborn", "dask", "distributed")

_CHILD = r"""
import json, os, sys
from pathlib import Path
from store.seed import ensure_seeded
ensure_seeded(Path(os.environ["CPSCREEN_DB"]))
import ui.data  # app.py imports it (and store.service) before its first page view starts the warm-up
from ui.warmup import WARM_MODULES, warm_process
warm_process()
warmed = set(sys.modules)
from streamlit.testing.v1 import AppTest
added = {}
for page in ["home", "options", "screening", "appraisal", "portfolio", "programme", "policies", "report"]:
    before = set(sys.modules)
    at = AppTest.from_file("app.py", default_timeout=60)
    at.run()
    at.switch_page(f"ui/pages/{page}.py")
    at.run()
    assert not at.exception, (page, [e.value for e in at.exception])
    added[page] = sorted(set(sys.modules) - before)
print(json.dumps({"added": added, "warm": sorted(m for m in WARM_MODULES if m in warmed)}))
"""


def _is_heavy(module: str) -> bool:
    return any(module == h or module.startswith(h + ".") for h in HEAVY)


def test_no_page_imports_a_heavy_module_after_the_warm_up(tmp_path):
    env = {**os.environ, "CPSCREEN_DB": str(tmp_path / "warm.duckdb"), "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    from ui.warmup import WARM_MODULES

    assert got["warm"] == sorted(WARM_MODULES)
    heavy = {page: [m for m in mods if _is_heavy(m)] for page, mods in got["added"].items()}
    assert not any(heavy.values()), f"imported in a page's own script run, not by ui.warmup.warm_process: {heavy}"
    assert sum(map(len, got["added"].values())) > 0  # the pages' runs were seen (the app's own modules come in)


def test_the_heavy_test_would_see_scipy_stats():
    """The check above is not vacuous: a page importing scipy.stats in its run is flagged."""
    assert _is_heavy("scipy.stats._stats_py") and _is_heavy("openpyxl") and not _is_heavy("scipyx")

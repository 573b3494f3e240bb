"""The server's warm-up: what the pages need, imported and loaded once per server process.

The first page view of a new server starts :func:`warm_up`, which runs :func:`warm_process` on a
background thread: the modules of :data:`WARM_MODULES` are imported, the policy packs loaded and the
numerical kernels loaded from numba's disk cache, so no session's script run pays for them.
"""

from __future__ import annotations

import streamlit as st


#: what the pages import beyond Streamlit, heaviest first: imported once per server process by
#: :func:`warm_process`, not inside the first session's script run that needs them (py-spy of a new
#: server on the demo data: scipy.stats through screening.assessors held the first Screening render
#: 1.3 s, finance.risk's scipy.special 0.6 s, the Report's workbook and portfolio solver modules ~0.5 s)
WARM_MODULES = ("screening.assessors", "finance.appraise", "finance.option_detail", "policies.engine",
                "screening.rank", "finance.risk", "finance.sensitivity", "finance.portfolio", "screening.elf", "screening.robustness",
                "screening.implementation", "programme.budget", "programme.mc_records", "programme.montecarlo",
                "programme.mc_columnar", "programme.ration", "programme.uptake", "screening.observed",
                "screening.input_robustness", "finance.explain", "policies.explain", "ui.charts", "ui.report",
                "ui.programme_tables", "openpyxl.packaging.extended")  # the last: imported by openpyxl on a workbook save


def warm_process() -> float:
    """Once per process: import :data:`WARM_MODULES`, load the policy packs and load the numerical kernels
    from numba's disk cache (``programme.warm``; ``scripts/run.sh`` compiles them before the server starts).
    [s] it took.  The server runs it on a thread at its first page view (:func:`warm_up`);
    ``bench/bench_pages.py`` runs it before timing, so its cold renders are a session's, not a process's."""
    import importlib
    import time

    start = time.perf_counter()
    for name in WARM_MODULES:
        importlib.import_module(name)
    from policies.registry import load_packs
    from programme.warm import warm_up as load_kernels

    load_packs()
    load_kernels()
    return time.perf_counter() - start


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Once per server process, at its first page view: :func:`warm_process` on a background thread.

    It takes 2-4 s of one core (``bench/bench_pages.py`` prints it); on the thread, the first
    Screening, Appraisal, Programme or Report render of the server's first users does not pay it in
    its own script run.  Python's import lock makes a page that needs a module before the thread has
    imported it simply wait for it.
    """
    import threading

    threading.Thread(target=warm_process, name="cpscreen-warm-up", daemon=True).start()
    return True

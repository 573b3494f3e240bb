"""The ``cpscreen`` command line's parts (``cli.py`` is its entry point): the parser (``parser``), its flag
types (``argtypes``), where data come from (``data``), how records go out (``output``), the commands by
job (``stored``: import, export, list, policies, users, audit; ``screen``: appraise, rank, risk, suggest;
``budget``: budget, track) and the process's start-up (``startup``).

Each command imports the library modules it needs when it runs, so that parsing and ``--help`` load
no more than numpy, pandas and the parser.
"""

import os

# numpy asks the kernel for transparent huge pages on its large arrays (madvise); where the kernel
# defragments on such faults ('defrag' = madvise, as here) each one may compact memory first, which
# measured 0.5-0.8 s of system time on 300,000 appraisals.  Off for the command line, before numpy
# is imported (this package's modules import it; this runs before any of them); NUMPY_MADVISE_HUGEPAGE=1
# turns it back on.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

"""General inflation: the deflator that turns nominal amounts of year t into real (t = 0) terms.

cpscreen's flows and discount rate are real (DESIGN.md section 3).  Some amounts are fixed in
money of the day by law or contract and lose real value with inflation: tax depreciation (the
base is the historical cost) and the payments of a loan (interest and repayments in nominal
money).  With the enterprise's ``inflation`` i [/1 per yr], the nominal amount X_t of year t is
worth X_t (1 + i)**-t in real terms.  Real flows are shown nominal as X_t (1 + i)**t.

The deflator is built by repeated division, year after year, in :func:`deflator` (compiled), the
one place every path takes it from (the scalar model, the kernel, the cash-flow lines), so the
paths agree bit for bit.

References
----------
.. [1] RETScreen International (2005), Clean Energy Project Analysis: RETScreen Engineering & Cases
   Textbook, "Introduction to clean energy project analysis", financial analysis model,
   pp. 57-65: inflation applied from year 1 on, flows at year ends.
.. [2] Brealey, R. A., Myers, S. C. and Allen, F., Principles of Corporate Finance, chapter 6
   ("Inflation and capital budgeting"): depreciation tax shields are nominal and are discounted
   at the nominal rate, i.e. deflated before discounting at the real rate.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_JIT)
def deflator(inflation: float, width: int, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """(1 + inflation)**-t for t = 0..width-1 into ``out[:width]``, by repeated division. [/1]"""
    d = 1.0
    g = 1.0 + inflation
    for t in range(width):
        out[t] = d
        d = d / g


@njit(**_JIT)
def _deflator_rows(inflation: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    for k in range(inflation.size):
        deflator(inflation[k], out.shape[1], out[k])


def deflators(inflation: np.ndarray, width: int) -> np.ndarray:
    """Deflators (1 + i)**-t [/1], shape (n, width), one row per rate of ``inflation`` [/1 per yr]."""
    inflation = np.require(np.asarray(inflation, dtype=float).reshape(-1), requirements=["C", "W"])
    out = np.empty((inflation.size, width))
    _deflator_rows(inflation, out)
    return out


def nominal(real: np.ndarray, inflation: float) -> np.ndarray:
    """Real flows of t = 0..N [currency of t = 0] in money of each year: X_t / (1 + i)**-t. [currency]"""
    real = np.asarray(real, dtype=float)
    d = np.empty(real.shape[-1])
    deflator(float(inflation), real.shape[-1], d)
    return real / d

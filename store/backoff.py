"""Waiting for the other writer: a bounded, randomised exponential back-off, and how long to wait.

A session that finds the database file locked by another process (:func:`store.db.session`) and a
writer refused by a write-write conflict (:func:`store.transaction.write_transaction`) wait the same
way: pauses that double from a first one up to a longest one, each scaled by a random factor so two
waiters do not retry in step, never past a deadline :func:`busy_timeout` away
(``CPSCREEN_BUSY_TIMEOUT``, default :data:`BUSY_TIMEOUT`).
"""

from __future__ import annotations

import os
import random
import time

from store.errors import StoreError

#: Longest wait for the other process to release the database file; ``CPSCREEN_BUSY_TIMEOUT`` sets it. [s]
BUSY_TIMEOUT = 30.0
#: First pause after finding the file locked; each further pause doubles, up to :data:`BUSY_PAUSE_MAX`. [s]
BUSY_PAUSE = 0.005
#: Longest single pause while waiting for the file. [s]
BUSY_PAUSE_MAX = 0.1
#: First and longest pause before running a writer refused by a write-write conflict again. [s]
CONFLICT_PAUSE = 0.02
CONFLICT_PAUSE_MAX = 0.5


def _back_off(deadline: float, pause: float, most: float) -> float | None:
    """One step of a bounded, randomised exponential back-off.

    Sleeps ``pause`` scaled by a random factor in [0.5, 1.5) (so two waiters do not retry in step),
    never past ``deadline`` (a :func:`time.monotonic` time), and returns the next pause (doubled, at
    most ``most``); returns None without sleeping once the deadline has passed.
    """
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    time.sleep(min(left, pause * (0.5 + random.random())))
    return min(2 * pause, most)


def busy_timeout() -> float:
    """The bounded wait for a locked database file: ``$CPSCREEN_BUSY_TIMEOUT``, else :data:`BUSY_TIMEOUT`. [s]"""
    raw = os.environ.get("CPSCREEN_BUSY_TIMEOUT")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise StoreError(f"CPSCREEN_BUSY_TIMEOUT={raw!r}: expected a number of seconds such as 30") from None
        if value >= 0:
            return value
        raise StoreError(f"CPSCREEN_BUSY_TIMEOUT={raw!r}: must not be negative")
    return BUSY_TIMEOUT

"""The one JSON-plain converter: NaN/NA/NaT/inf -> None, numpy scalars -> Python, dates -> ISO text."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain"]


def plain(v: Any) -> Any:
    """A value as plain JSON: NaN/NA/NaT/inf -> None, numpy scalars -> Python, dates -> ISO text,
    mappings and sequences recursively.

    Parameters
    ----------
    v : Any
        A scalar, mapping or sequence.

    Returns
    -------
    Any
        ``None``, bool, int, float (finite), str, list or dict.
    """
    if isinstance(v, Mapping):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [plain(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and not math.isfinite(v)):
        return None
    if isinstance(v, (pd.Timestamp, date)):
        return v.isoformat()
    return v

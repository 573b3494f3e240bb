"""Charts drawn from a cached Vega-Lite spec: each chart is built and converted once per distinct input.

``st.altair_chart`` builds nothing itself, but converting the Altair chart to its Vega-Lite spec
(``Chart.to_dict``: the spec validated against the Vega-Lite JSON schema) and building the chart
(``encode``: each channel's type inferred and checked) took about 40 % of a page's CPU on the
Appraisal and Programme pages, on every render of every session (py-spy of bench/bench_sessions.py).
:func:`draw` instead keys the finished spec (its data serialised to Arrow as Streamlit does) on the
chart builder's name and arguments (DataFrames and arrays hashed by content by ``st.cache_data``), so
twenty sessions drawing the same chart build and validate it once; the element Streamlit sends is
the one ``st.altair_chart`` would send (``st.vega_lite_chart`` of the same spec).

The builders stay pure functions in :mod:`ui.charts` (DataFrame -> ``alt.Chart``) and are tested there.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import charts

try:  # the conversion st.altair_chart itself uses (its data transformer and theme under Streamlit's lock)
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec as _to_spec
except ImportError:  # pragma: no cover - another Streamlit layout: draw uncached with st.altair_chart
    _to_spec = None


@st.cache_data(show_spinner=False, max_entries=512)
def chart_spec(builder: str, args: tuple[Any, ...], kwargs: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """The Vega-Lite spec of ``ui.charts.<builder>(*args, **kwargs)``, datasets as Arrow IPC bytes (cached)."""
    return _to_spec(getattr(charts, builder)(*args, **dict(kwargs)))


def draw(where: Any, builder: str, *args: Any, width: str = "stretch", **kwargs: Any) -> None:
    """Draw ``ui.charts.<builder>(*args, **kwargs)`` in ``where`` (``st`` or a column) from the cached spec.

    Parameters
    ----------
    where : module or DeltaGenerator
        Where to draw: ``st``, ``st.sidebar``, a column or a tab.
    builder : str
        The name of a chart builder in :mod:`ui.charts`.
    width : str
        As ``st.altair_chart``'s ``width`` (default ``"stretch"``).
    """
    if _to_spec is None:  # pragma: no cover
        where.altair_chart(getattr(charts, builder)(*args, **kwargs), width=width)
        return
    where.vega_lite_chart(chart_spec(builder, args, tuple(sorted(kwargs.items()))), width=width)

"""The Screening page's cached ranking and its robustness.

The ranking of an enterprise's options with their appraisal metrics, the options with the derived
criteria, and the ranking's robustness: to the weights (acceptability over weight draws, flip
points) and to the uncertain inputs (the options drawn by ``finance.risk`` and ranked in each draw).
Cached across sessions on the data fingerprint (:mod:`ui.data`) and the ranking's arguments; the
ranking's ``prepared`` matrix passed with a leading underscore is not hashed (those arguments fix it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from store.service import Store
from ui.data import enterprises, options, options_with_metrics


@st.cache_data(show_spinner=False, max_entries=64)
def ranking(_cur: Store, version: str, enterprise_id: str, on_date: date, method: str,
            criteria: tuple[Any, ...] | None = None, profile: str = "default") -> Any:
    """``screening.rank.rank_options`` of the enterprise's options with their metrics (:func:`options_with_metrics`).

    Raises
    ------
    ValueError
        From the ranking (not cached).
    """
    from screening.rank import rank_options

    opts = options_with_metrics(_cur, version, enterprise_id, on_date)
    return rank_options(opts, enterprises(_cur, version), method=method,
                        criteria=None if criteria is None else list(criteria), profile=profile)


@st.cache_data(show_spinner="Drawing the weight sets", max_entries=32)
def weight_acceptability(_prepared: Any, version: str, enterprise_id: str, on_date: date, method: str,
                         criteria: tuple[Any, ...], n_draws: int, k: int, spread: float,
                         chunks: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Shares of weight draws in which each ranked option is first and in the top ``k`` [/1]
    (``screening.robustness.acceptability`` in ``chunks`` seeded batches, seeds 0, 1, ...), for the
    ranking of :func:`ranking` with these arguments (its ``prepared``)."""
    from screening.robustness import acceptability

    per = int(np.ceil(n_draws / chunks))
    first = topk = 0.0
    done = 0
    for i in range(chunks):
        m = min(per, n_draws - done)
        if m <= 0:
            break
        acc = acceptability(_prepared, method, n_draws=m, spread=spread, k=k, seed=i)
        first += acc.first * m
        topk += acc.top_k * m
        done += m
    return first / done, topk / done


@st.cache_data(show_spinner="Drawing the options' uncertain inputs", max_entries=8)
def criterion_draws(_cur: Store, version: str, enterprise_id: str, on_date: date,
                    draws: int) -> dict[str, np.ndarray]:
    """Every option of the enterprise drawn by ``finance.risk`` (default spreads or the option's own
    bounds), as criterion columns -> (options, draws) (``screening.input_robustness.criterion_draws``),
    rows in the order of :func:`options`."""
    from finance.risk import simulate
    from screening.input_robustness import criterion_draws as to_criteria

    opts = options(_cur, version, enterprise_id).reset_index(drop=True)
    ents = enterprises(_cur, version)
    ents = ents[ents["enterprise_id"] == enterprise_id].reset_index(drop=True)
    sim = simulate(opts, ents, on_date, draws=draws, seed=0)
    base = {c: pd.to_numeric(opts[c], errors="coerce").to_numpy(dtype=float)
            for c in ("investment", "annual_savings", "annual_cost_change") if c in opts.columns}
    return to_criteria({"npv": sim.npv, "irr": sim.irr, "simple_payback_years": sim.simple_payback_years}, sim.inputs, base)


@st.cache_data(show_spinner="Ranking the options in the input draws", max_entries=32)
def input_acceptability(_cur: Store, _prepared: Any, _method: str, _scaling: str | None, version: str, enterprise_id: str,
                        on_date: date, method: str, criteria: tuple[Any, ...], n_input: int, k: int,
                        ranked_positions: tuple[int, ...]) -> Any:
    """``screening.input_robustness.input_acceptability`` of the ranking of :func:`ranking` (its
    ``prepared`` and result's method and scaling) over :func:`criterion_draws` of the options at
    ``ranked_positions`` (the ranked, non-mandatory options in the order of :func:`options`)."""
    from screening.input_robustness import input_acceptability as acceptability_in

    drawn = criterion_draws(_cur, version, enterprise_id, on_date, n_input)
    pos = np.asarray(ranked_positions, dtype=int)
    return acceptability_in(_prepared, _method, _scaling, {c: v[pos] for c, v in drawn.items()}, k=k)


@st.cache_data(show_spinner=False, max_entries=32)
def flip_points(_prepared: Any, version: str, enterprise_id: str, on_date: date, method: str,
                criteria: tuple[Any, ...]) -> pd.DataFrame:
    """``screening.robustness.flip_points`` of the ranking of :func:`ranking` with these arguments (its ``prepared``)."""
    from screening.robustness import flip_points as flips

    return flips(_prepared)


@st.cache_data(show_spinner=False, max_entries=64)
def derived_options(_cur: Store, version: str, enterprise_id: str, on_date: date) -> pd.DataFrame:
    """``screening.criteria.add_derived_columns`` of :func:`options_with_metrics` (row order reset)."""
    from screening.criteria import add_derived_columns

    return add_derived_columns(options_with_metrics(_cur, version, enterprise_id, on_date).reset_index(drop=True),
                               enterprises(_cur, version))

"""Invariants on random inputs (Hypothesis): no method crashes on zeros, negatives or gaps; ranks
are a permutation; weighted-sum contributions add up to the score; a dominant option is first."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.criteria import Criterion
from screening.mcda import evaluate, prepare

values = st.one_of(st.just(0.0), st.just(np.nan), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False))


@st.composite
def problems(draw):
    n = draw(st.integers(1, 12))
    m = draw(st.integers(1, 4))
    data = {f"c{j}": [draw(values) for _ in range(n)] for j in range(m)}
    frame = pd.DataFrame(data)
    frame.insert(0, "option_id", [f"o{i}" for i in range(n)])
    crit = [Criterion(f"c{j}", draw(st.sampled_from(["max", "min"])), draw(st.floats(0.01, 10))) for j in range(m)]
    return frame, crit


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from(["wsm", "topsis", "vikor", "wpm"]), st.sampled_from([None, "minmax", "vector", "sum", "none"]))
def test_every_method_ranks_any_input_without_crashing(problem, method, scaling):
    frame, crit = problem
    if frame[[c.column for c in crit]].isna().all().all():
        return  # nothing at all to rank on: prepare leaves every criterion out, tested elsewhere
    res = evaluate(prepare(frame, crit), method, scaling)
    assert sorted(res.rank.tolist()) == list(range(1, len(frame) + 1))
    assert np.all(np.isfinite(res.score))
    if method == "wsm":
        np.testing.assert_allclose(res.contributions.sum(axis=1).to_numpy(), res.score, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(problems(), st.sampled_from(["wsm", "topsis", "vikor", "wpm"]))
def test_an_option_best_on_every_criterion_ranks_first(problem, method):
    frame, crit = problem
    frame = frame.fillna(1.0)
    best = {c.column: (frame[c.column].max() + 1 if c.direction == "max" else frame[c.column].min() - 1) for c in crit}
    frame = pd.concat([frame, pd.DataFrame([{"option_id": "star", **best}])], ignore_index=True)
    res = evaluate(prepare(frame, crit), method)
    assert frame["option_id"].iloc[int(np.argmin(res.rank))] == "star"

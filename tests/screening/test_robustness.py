"""Robustness on cases whose answer is known by construction, and the vectorised kernels
against scikit-criteria's own results for the chosen weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from screening.criteria import Criterion
from screening.mcda import evaluate, prepare
from screening.robustness import acceptability, draw_weights, flip_points, kernel, method_agreement

METHODS = ["wsm", "topsis", "vikor", "wpm"]


def random_prep(n: int = 40, seed: int = 7):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "option_id": [f"o{i:03d}" for i in range(n)],
            "npv": rng.uniform(1, 1000, n),
            "payback": rng.uniform(0.2, 12, n),
            "co2": rng.uniform(0.5, 80, n),
            "feas": rng.integers(1, 11, n).astype(float),
        }
    )
    crit = [Criterion("npv", "max", 3), Criterion("payback", "min", 2), Criterion("co2", "max", 4), Criterion("feas", "max", 1)]
    return prepare(frame, crit)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("scaling", [None, "vector", "sum", "none", "minmax"])
def test_vectorised_kernel_equals_scikit_criteria_for_the_chosen_weights(method, scaling):
    prep = random_prep()
    res = evaluate(prep, method, scaling)
    k = kernel(prep, method, scaling).scores(prep.weights)[:, 0]
    expected = -res.score if method == "vikor" else res.score
    np.testing.assert_allclose(k, expected, rtol=1e-10, atol=1e-12)


def test_kernel_equals_scikit_criteria_for_drawn_weights_too():
    from screening.criteria import Criterion as C

    prep = random_prep(n=15)
    W = draw_weights(prep.weights, 5, spread=0.8, seed=1)
    for method in METHODS:
        scores = kernel(prep, method).scores(W)
        for d in range(W.shape[0]):
            crit = [C(c.column, c.direction, float(w)) for c, w in zip(prep.criteria, W[d])]
            p2 = prep.__class__(prep.matrix, crit, prep.keys, prep.tie_order)
            ref = evaluate(p2, method).score
            np.testing.assert_allclose(scores[:, d], -ref if method == "vikor" else ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", METHODS)
def test_a_dominant_option_ranks_first_in_every_draw(method):
    rng = np.random.default_rng(11)
    n = 25
    frame = pd.DataFrame(
        {
            "option_id": [f"o{i}" for i in range(n)],
            "npv": rng.uniform(10, 100, n),
            "payback": rng.uniform(1, 10, n),
            "co2": rng.uniform(1, 50, n),
        }
    )
    frame.loc[13, ["npv", "payback", "co2"]] = [200.0, 0.5, 90.0]  # better on every criterion
    prep = prepare(frame, [Criterion("npv", "max", 1), Criterion("payback", "min", 1), Criterion("co2", "max", 1)])
    acc = acceptability(prep, method, n_draws=500, spread=1.0, k=3)
    assert acc.first[13] == 1.0
    assert acc.first.sum() == pytest.approx(1.0)
    assert acc.top_k[13] == 1.0
    assert acc.top_k.sum() == pytest.approx(3.0)


def two_option_case():
    # Scaled by min-max: A = (1, 0), B = (0, 1), C = (0, 0).
    frame = pd.DataFrame({"option_id": ["A", "B", "C"], "x": [10.0, 4.0, 4.0], "y": [2.0, 8.0, 2.0]})
    return prepare(frame, [Criterion("x", "max", 0.6), Criterion("y", "max", 0.4)])


def test_flip_points_at_the_weight_computed_by_hand():
    # Scores: A = w_x, B = w_y = 1 - w_x.  A leads at w_x = 0.6 and B takes the lead when
    # w_x falls below 0.5: a decrease of 0.1 in x's weight, or an increase of 0.1 in y's.
    prep = two_option_case()
    fp = flip_points(prep).set_index("criterion")
    assert fp.loc["x", "decrease"] == pytest.approx(0.1)
    assert fp.loc["x", "weight_down"] == pytest.approx(0.5)
    assert fp.loc["x", "new_top_down"] == "B"
    assert np.isnan(fp.loc["x", "increase"])  # more weight on x only helps A
    assert fp.loc["y", "increase"] == pytest.approx(0.1)
    assert fp.loc["y", "new_top_up"] == "B"
    assert np.isnan(fp.loc["y", "decrease"])
    # and the ranking does swap just past the flip point
    frame = pd.DataFrame({"option_id": ["A", "B", "C"], "x": [10.0, 4.0, 4.0], "y": [2.0, 8.0, 2.0]})
    for wx, top in [(0.51, 0), (0.49, 1)]:
        r = evaluate(prepare(frame, [Criterion("x", "max", wx), Criterion("y", "max", 1 - wx)]), "wsm")
        assert int(np.argmin(r.rank)) == top


def test_flip_points_three_criteria_proportional_rescaling_by_hand():
    # Min-max scaled: A = (1, 0, 0), B = (0, 1, 1), C = (0, 0, 0); weights 0.6, 0.3, 0.1.
    # A = 0.6 leads B = 0.4.  When one weight moves by d the other two scale by the same factor.
    # x down by d: A = 0.6 - d, B = 0.4 (0.4 + d) / 0.4 = 0.4 + d -> equal at d = 0.1.
    # y up by d:   A = 0.6 (0.7 - d) / 0.7, B = 0.3 + d + 0.1 (0.7 - d) / 0.7
    #              -> 0.42 - 0.6 d = 0.28 + 0.6 d -> d = 0.14 / 1.2 = 7/60.
    # z up by d:   A = 0.6 (0.9 - d) / 0.9, B = 0.3 (0.9 - d) / 0.9 + 0.1 + d
    #              -> 0.27 - 0.3 d = 0.09 + 0.9 d -> d = 0.15.
    frame = pd.DataFrame({"option_id": ["A", "B", "C"], "x": [2.0, 0.0, 0.0], "y": [0.0, 1.0, 0.0], "z": [0.0, 1.0, 0.0]})
    prep = prepare(frame, [Criterion("x", "max", 0.6), Criterion("y", "max", 0.3), Criterion("z", "max", 0.1)])
    fp = flip_points(prep).set_index("criterion")
    assert fp.loc["x", "decrease"] == pytest.approx(0.1)
    assert np.isnan(fp.loc["x", "increase"])
    assert fp.loc["y", "increase"] == pytest.approx(7 / 60)
    assert fp.loc["y", "weight_up"] == pytest.approx(0.3 + 7 / 60)
    assert fp.loc["z", "increase"] == pytest.approx(0.15)
    assert np.isnan(fp.loc["y", "decrease"]) and np.isnan(fp.loc["z", "decrease"])
    assert set(fp["new_top_up"].dropna()) | set(fp["new_top_down"].dropna()) == {"B"}


def test_acceptability_is_reproducible_and_shares_add_up():
    prep = random_prep()
    a = acceptability(prep, "topsis", n_draws=300, k=5, seed=42)
    b = acceptability(prep, "topsis", n_draws=300, k=5, seed=42)
    np.testing.assert_array_equal(a.first, b.first)
    assert a.first.sum() == pytest.approx(1.0)
    assert a.top_k.sum() == pytest.approx(5.0)


def test_acceptability_without_spread_is_the_ranking_itself():
    prep = random_prep()
    for method in METHODS:
        res = evaluate(prep, method)
        acc = acceptability(prep, method, n_draws=10, spread=0.0, k=4)
        assert acc.first[int(np.argmin(res.rank))] == 1.0
        np.testing.assert_array_equal(np.flatnonzero(acc.top_k == 1.0), np.flatnonzero(res.rank <= 4))


def test_draw_weights_stay_around_the_chosen_ones():
    w = np.array([0.5, 0.3, 0.2])
    W = draw_weights(w, 20000, spread=0.5, seed=0)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    np.testing.assert_allclose(W.mean(axis=0), w, atol=0.01)
    with pytest.raises(ValueError, match="spread must be within 0..1"):
        draw_weights(w, 10, spread=1.5)


def test_method_agreement_is_one_on_itself_and_symmetric():
    prep = random_prep()
    tau = method_agreement(prep)
    np.testing.assert_allclose(np.diag(tau.to_numpy()), 1.0)
    np.testing.assert_allclose(tau.to_numpy(), tau.to_numpy().T)
    # one criterion: every method orders by it, so all agree perfectly
    frame = pd.DataFrame({"option_id": list("abcdef"), "x": [3.0, 1.0, 4.0, 1.5, 5.0, 9.0]})
    tau1 = method_agreement(prepare(frame, [Criterion("x", "max", 1)]))
    np.testing.assert_allclose(tau1.to_numpy(), 1.0)


def _acceptability_by_full_sort(prep, method, n_draws, spread, k, seed):
    """Second method: every option's place in every draw by a full stable sort of the scores
    (ties to the static tie order), no pruning."""
    from screening.robustness import Kernel

    ker = kernel(prep, method)
    perm = prep.tie_order
    S = Kernel(ker.method, ker.scaled[perm], ker.signs).scores(draw_weights(prep.weights, n_draws, spread, seed))
    S = np.where(np.isnan(S), -np.inf, S)
    n = S.shape[0]
    order = np.argsort(-S, axis=0, kind="stable")
    first, top = np.zeros(n), np.zeros(n)
    first[perm] = np.bincount(order[0], minlength=n) / n_draws
    top[perm] = np.bincount(order[: min(k, n)].ravel(), minlength=n) / n_draws
    return first, top


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", range(6))
def test_pruned_top_k_equals_a_full_sort_of_every_draw(method, case):
    # many options (the probe is a small part of them), clustered and tied scores included
    rng = np.random.default_rng(100 + case)
    n = [300, 2000, 70, 5000, 400, 1200][case]
    frame = pd.DataFrame({
        "option_id": [f"o{i:05d}" for i in range(n)],
        "npv": rng.uniform(1, 1000, n) if case % 2 else np.round(rng.uniform(1, 10, n)),  # ties when rounded
        "payback": rng.uniform(0.2, 12, n),
        "co2": rng.lognormal(1, 1.5, n),
        "feas": rng.integers(1, 11, n).astype(float),
    })
    if case == 4:  # a block of identical options at the top
        frame.loc[:49, ["npv", "payback", "co2", "feas"]] = [2000.0, 0.1, 500.0, 10.0]
    crit = [Criterion("npv", "max", 3), Criterion("payback", "min", 2), Criterion("co2", "max", 4), Criterion("feas", "max", 1)]
    prep = prepare(frame, crit)
    k = [3, 3, 10, 1, 3, 5][case]
    acc = acceptability(prep, method, n_draws=150, spread=[0.5, 0.9, 0.5, 1.0, 0.3, 0.5][case], k=k, seed=case)
    first, top = _acceptability_by_full_sort(prep, method, 150, acc.spread, k, case)
    np.testing.assert_array_equal(acc.first, first)
    np.testing.assert_array_equal(acc.top_k, top)

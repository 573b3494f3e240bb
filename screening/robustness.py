"""Robustness of a ranking: weight flip points, rank acceptability, agreement between methods.

* :func:`flip_points` (weighted sum): for each criterion, the smallest increase and decrease of
  its weight that changes the top option, the other weights rescaled in proportion so that the
  weights still sum to one.  On the (weight-independent) scaled matrix ``Z`` the score of option
  ``i`` is linear in the change ``d`` of weight ``j``:
  ``s_i(d) = s_i + d * (z_ij - (s_i - w_j z_ij) / (1 - w_j))``; the flip is the nearest ``d``
  at which another option's line crosses the top option's [1]_.
* :func:`acceptability`: Monte Carlo over weights drawn around the chosen ones (each weight
  times a factor uniform in ``[1 - spread, 1 + spread]``, then normalised); the share of draws
  in which each option ranks first and in the top k (SMAA's rank acceptability index [2]_).
  Vectorised: every method is written as matrix products over all draws at once on the matrix
  scikit-criteria's pipeline scaled (the scaling does not depend on the weights).
* :func:`method_agreement`: Kendall's tau between the rankings of several methods.

References
----------
.. [1] Triantaphyllou, E., Sanchez, A. (1997). A sensitivity analysis approach for some
   deterministic multi-criteria decision-making methods. Decision Sciences 28(1), 151-194.
.. [2] Lahdelma, R., Hokkanen, J., Salminen, P. (1998). SMAA - Stochastic multiobjective
   acceptability analysis. European Journal of Operational Research 106(1), 137-143.
.. [3] Kendall, M. G. (1938). A new measure of rank correlation. Biometrika 30(1/2), 81-93.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from screening.mcda import VIKOR_V, Prepared, _check, evaluate

_CHUNK_CELLS = 4_000_000  # options x draws per chunk: bounds memory (about 32 MB a float array)


def draw_weights(weights: np.ndarray, n_draws: int, spread: float = 0.5, seed: int | None = 0) -> np.ndarray:
    """Weights drawn around ``weights``: each times a factor uniform in [1 - spread, 1 + spread],
    rows normalised to sum to one.

    Parameters
    ----------
    weights : ndarray, shape (m,)
        Chosen weights. [/1]
    n_draws : int
    spread : float
        Relative half-width of the uniform factor, 0 <= spread <= 1. [/1]
    seed : int or None
        Seed of numpy's default generator (results are reproducible by default).

    Returns
    -------
    ndarray, shape (n_draws, m)
    """
    if not 0 <= spread <= 1:
        raise ValueError(f"spread must be within 0..1, got {spread!r}")
    if n_draws < 1:
        raise ValueError(f"n_draws must be at least 1, got {n_draws!r}")
    w = np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    draws = w * rng.uniform(1 - spread, 1 + spread, size=(n_draws, len(w)))
    return draws / draws.sum(axis=1, keepdims=True)


@dataclass
class Kernel:
    """A method written for many weight vectors at once.

    ``scores(W)`` returns an (n, d) array for d weight rows, higher is better (VIKOR's Q negated).
    """

    method: str
    scaled: np.ndarray
    signs: np.ndarray

    def scores(self, W: np.ndarray) -> np.ndarray:
        Z = self.scaled
        W = np.atleast_2d(np.asarray(W, dtype=float))
        if self.method == "wsm":
            return Z @ W.T
        if self.method == "wpm":
            return np.log10(Z) @ W.T
        if self.method == "topsis":
            best = np.where(self.signs > 0, Z.max(axis=0), Z.min(axis=0))
            worst = np.where(self.signs > 0, Z.min(axis=0), Z.max(axis=0))
            W2 = (W**2).T
            d_best = np.sqrt(((Z - best) ** 2) @ W2)
            d_worst = np.sqrt(((Z - worst) ** 2) @ W2)
            with np.errstate(invalid="ignore", divide="ignore"):
                return d_worst / (d_best + d_worst)
        if self.method == "vikor":
            best = np.where(self.signs > 0, Z.max(axis=0), Z.min(axis=0))
            worst = np.where(self.signs > 0, Z.min(axis=0), Z.max(axis=0))
            dist = (best - Z) / (best - worst)  # normalised distance to the ideal, 0..1
            S = dist @ W.T
            R = np.zeros_like(S)
            for j in range(Z.shape[1]):
                np.maximum(R, np.multiply.outer(dist[:, j], W[:, j]), out=R)

            def unit(a: np.ndarray) -> np.ndarray:
                lo, hi = a.min(axis=0), a.max(axis=0)
                with np.errstate(invalid="ignore", divide="ignore"):
                    return np.nan_to_num((a - lo) / (hi - lo))

            return -(VIKOR_V * unit(S) + (1 - VIKOR_V) * unit(R))
        raise ValueError(f"unknown method {self.method!r}")


def kernel(prep: Prepared, method: str = "wsm", scaling: str | None = None) -> Kernel:
    """The vectorised kernel of ``method`` on the matrix its scikit-criteria pipeline scales."""
    result = evaluate(prep, method, scaling)
    signs = prep.signs if method in ("topsis", "vikor") else np.ones(prep.matrix.shape[1], dtype=int)
    return Kernel(method, result.scaled, signs)


@dataclass
class Acceptability:
    """Rank acceptability of each option under weight uncertainty.

    Attributes
    ----------
    first : ndarray
        Share of draws in which the option ranks first. [/1]
    top_k : ndarray
        Share of draws in which it ranks within the top ``k``. [/1]
    k, n_draws : int
    spread : float
    """

    first: np.ndarray
    top_k: np.ndarray
    k: int
    n_draws: int
    spread: float


def acceptability(
    prep: Prepared,
    method: str = "wsm",
    scaling: str | None = None,
    *,
    n_draws: int = 1000,
    spread: float = 0.5,
    k: int = 3,
    seed: int | None = 0,
) -> Acceptability:
    """Share of weight draws in which each option ranks first and in the top ``k``.

    Ties within a draw go to the option first in the static tie order (BASF step, then ids), as
    in :func:`screening.mcda.tie_break_rank`.

    Parameters
    ----------
    prep : Prepared
    method, scaling : str
    n_draws : int
        Number of weight draws.
    spread : float
        Relative half-width of the uniform weight factor. [/1]
    k : int
        Size of the top group.
    seed : int or None

    Returns
    -------
    Acceptability
    """
    scaling = _check(method, scaling)
    n, m = prep.matrix.shape
    k = max(1, min(int(k), n))
    first = np.zeros(n)
    top = np.zeros(n)
    if n == 0:
        return Acceptability(first, top, k, n_draws, spread)
    if m == 0 or n == 1:
        first[prep.tie_order[0]] = 1.0
        top[prep.tie_order[:k]] = 1.0
        return Acceptability(first, top, k, n_draws, spread)
    ker = kernel(prep, method, scaling)
    perm = prep.tie_order
    ker_p = Kernel(ker.method, ker.scaled[perm], ker.signs)
    W = draw_weights(prep.weights, n_draws, spread, seed)
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    first_p = np.zeros(n)
    top_p = np.zeros(n)
    # the options that can reach the top k: the best few under the chosen weights give, in every
    # draw, a lower bound of the k-th best score; an option below it in every draw of a chunk
    # cannot be in that chunk's top k (k options score more), so the exact ordering runs on the
    # few options left (a full argpartition of 1,000 draws x 100,000 options took seconds)
    base = ker_p.scores(prep.weights)[:, 0]
    # a weighted sum or product of finite values with finite weights is finite: no NaN to look for
    # (the chosen weights are all positive, so a value that is not finite shows in ``base``)
    may_nan = ker.method not in ("wsm", "wpm") or not np.isfinite(base).all()
    base = np.where(np.isnan(base), -np.inf, base)
    n_probe = min(n, max(4 * k, 64))
    probe = np.argpartition(-base, n_probe - 1)[:n_probe] if n_probe < n else np.arange(n)
    for start in range(0, n_draws, chunk):
        S = ker_p.scores(W[start : start + chunk])
        if may_nan:
            S[np.isnan(S)] = -np.inf
        first_p += _count_top(S, probe, k, top_p)
    first[perm] = first_p / n_draws
    top[perm] = top_p / n_draws
    return Acceptability(first, top, k, n_draws, spread)


def _count_top(S: np.ndarray, probe: np.ndarray, k: int, top: np.ndarray) -> np.ndarray:
    """Options ranked first in each column (draw) of ``S`` counted, and those in the top ``k``
    added to ``top``; ties go to the lower row (rows are in the static tie order).

    Parameters
    ----------
    S : ndarray, shape (n, d)
        Scores of n options (rows in tie order) in d draws, higher is better, no NaN.
    probe : ndarray of int
        Rows whose k-th best score bounds the k-th best of all rows from below in each draw.
    k : int
    top : ndarray, shape (n,)
        Counts of top-k places, added to in place.

    Returns
    -------
    ndarray, shape (n,)
        Counts of first places.
    """
    n, d = S.shape
    if k >= n:
        top += d
        return np.bincount(np.argmax(S, axis=0), minlength=n).astype(float)
    probe_scores = S[probe]
    bound = np.partition(probe_scores, len(probe) - k, axis=0)[len(probe) - k]  # k-th best among probe
    rows = _reaching(S, bound)
    if len(rows) > max(n // 16, 4 * len(probe)):  # the probe's bound is loose: take the exact k-th best
        bound = np.partition(S, n - k, axis=0)[n - k]
        rows = _reaching(S, bound)
    order = np.argsort(-S[rows], axis=0, kind="stable")[:k]  # (k, d): best first, ties to the lower row
    best = rows[order]
    top += np.bincount(best.ravel(), minlength=n)
    return np.bincount(best[0], minlength=n).astype(float)


def _reaching(S: np.ndarray, bound: np.ndarray) -> np.ndarray:
    """Rows (ascending: the tie order kept) that reach ``bound`` in at least one column (draw): those
    whose best score reaches the lowest bound first (one pass, no n x d mask), then the exact test
    on those few."""
    near = np.flatnonzero(S.max(axis=1) >= bound.min())
    return near[(S[near] >= bound).any(axis=1)]


def flip_points(prep: Prepared, scaling: str | None = None) -> pd.DataFrame:
    """Weighted sum: the smallest change of each weight that changes the top option.

    The other weights are rescaled in proportion so that the weights keep summing to one.

    Parameters
    ----------
    prep : Prepared
    scaling : str, optional
        Scaling of the weighted sum (default min-max).

    Returns
    -------
    DataFrame
        One row per criterion: ``criterion``, ``weight`` [/1], ``increase`` and ``decrease``
        (the smallest change of the weight, up or down, at which another option reaches the top
        option's score [/1]; NaN where no change within 0..1 does it), ``weight_up``,
        ``weight_down`` (the weights at those points) and ``new_top_up``, ``new_top_down`` (the
        option that takes the lead).
    """
    res = evaluate(prep, "wsm", scaling)
    Z = res.scaled
    w = prep.weights
    n, m = Z.shape
    rows = []
    top = int(np.argmin(res.rank)) if n else 0
    ids = prep.keys["option_id"].to_numpy()
    for j, c in enumerate(prep.criteria):
        row = {"criterion": c.column, "weight": w[j], "increase": np.nan, "decrease": np.nan,
               "weight_up": np.nan, "weight_down": np.nan, "new_top_up": None, "new_top_down": None}
        if n >= 2 and w[j] < 1:
            s = Z @ w
            g = Z[:, j] - (s - w[j] * Z[:, j]) / (1 - w[j])
            with np.errstate(divide="ignore", invalid="ignore"):
                d = (s[top] - s) / (g - g[top])
            d[top] = np.nan
            up = np.where((d > 0) & (d <= 1 - w[j]) & np.isfinite(d), d, np.inf)
            down = np.where((d < 0) & (d >= -w[j]) & np.isfinite(d), -d, np.inf)
            if np.isfinite(up.min()):
                i = int(np.argmin(up))
                row.update(increase=up[i], weight_up=w[j] + up[i], new_top_up=ids[i])
            if np.isfinite(down.min()):
                i = int(np.argmin(down))
                row.update(decrease=down[i], weight_down=w[j] - down[i], new_top_down=ids[i])
        rows.append(row)
    return pd.DataFrame(rows)


def method_agreement(prep: Prepared, methods: Sequence[str] = ("wsm", "topsis", "vikor", "wpm")) -> pd.DataFrame:
    """Kendall's tau between the rankings (ties broken) of several methods on the same options.

    Returns
    -------
    DataFrame
        Symmetric matrix of tau, methods x methods. [/1]
    """
    from scipy.stats import kendalltau  # scipy.stats takes seconds to import; only this needs it

    ranks = {m: evaluate(prep, m).rank for m in methods}
    out = pd.DataFrame(np.eye(len(methods)), index=list(methods), columns=list(methods))
    for a in methods:
        for b in methods:
            if a < b:
                tau = kendalltau(ranks[a], ranks[b]).statistic if len(ranks[a]) > 1 else np.nan
                out.loc[a, b] = out.loc[b, a] = tau
    return out

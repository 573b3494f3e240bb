"""Multi-criteria ranking through scikit-criteria pipelines, with our own tie-breaking.

Methods (DESIGN.md section 4):

* ``wsm``: weighted sum; default scaling ``minmax`` through ``MinMaxInverter`` (min-max scaled,
  cost criteria inverted, every criterion in [0, 1]: the audit handbook's weighted-sum scoring).
  With ``vector``, ``sum`` or ``none`` scaling, cost criteria are inverted by 1/x first.
  The contribution of each criterion (weight x scaled value) is returned: they sum to the score.
* ``topsis``: TOPSIS, default ``vector`` scaling (Hwang and Yoon); closeness in [0, 1].
* ``vikor``: VIKOR, plain ranking by Q (lower is better; v = 0.5), on its own linear
  normalisation (a scaling choice does not apply).
* ``wpm``: weighted product; cost criteria inverted by 1/x; the score is log10 of the product.
  Its ranking does not depend on a ratio scaling (vector, sum); min-max scaling would put zeros
  into the product, so wpm then runs on the raw values (noted).

Input treatment, always reported (never silent): a criterion missing for some options takes the
criterion's worst observed value for them (the option gains nothing from a value it lacks); a
criterion missing for every option, or equal for every option, is left out (it cannot change the
order); where a ratio method (wpm, or wsm without min-max scaling) meets values <= 0, the
criterion is shifted to be positive, ``x - min + (max - min) / 100``; magnitudes below 1e-100
are read as zero (1/x or x**2 of them would overflow).

Ties are broken by our own code, never by scikit-criteria's ``untied_rank_`` (known wrong,
DESIGN.md section 4): equal scores (to 12 significant digits) are ordered by the place in BASF's
order (prevention first), then by ``enterprise_id``, ``option_id``.

References
----------
.. [1] Hwang, C.-L., Yoon, K. (1981). Multiple Attribute Decision Making: Methods and
   Applications. Springer, Lecture Notes in Economics and Mathematical Systems 186 (TOPSIS).
.. [2] Opricovic, S., Tzeng, G.-H. (2004). Compromise solution by MCDM methods: a comparative
   analysis of VIKOR and TOPSIS. European Journal of Operational Research 156(2), 445-455.
.. [3] Fishburn, P. C. (1967). Additive utilities with incomplete product sets; Triantaphyllou,
   E. (2000). Multi-Criteria Decision Making Methods: A Comparative Study. Kluwer (WSM, WPM).
.. [4] Cabral, J. B., Luczywo, N. A., Zanazzi, J. L. (2016). Scikit-Criteria: colección de
   métodos de análisis multi-criterio integrado al stack científico de Python. 45 JAIIO.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from screening.criteria import Criterion, normalise_weights

METHODS: tuple[str, ...] = ("wsm", "topsis", "vikor", "wpm")
SCALINGS: tuple[str, ...] = ("minmax", "vector", "sum", "none")
DEFAULT_SCALING: dict[str, str] = {"wsm": "minmax", "topsis": "vector", "vikor": "none", "wpm": "none"}
#: VIKOR's strategy weight (group utility vs individual regret), the usual consensus value.
VIKOR_V = 0.5


@dataclass
class Prepared:
    """A decision matrix ready for the methods.

    Attributes
    ----------
    matrix : ndarray, shape (n, m)
        Criteria values after the input treatment (no NaN). [criterion units]
    criteria : list of Criterion
        The criteria used (weights normalised over them). [/1]
    keys : DataFrame
        ``enterprise_id`` and ``option_id`` of each row (positional).
    tie_order : ndarray, shape (n,)
        Static tie-break order: position of each row when ties are broken (0 first).
    missing : dict
        Row position -> criteria that row lacked (filled with the criterion's worst value).
    notes : list of str
        Everything done to the input, in words.
    """

    matrix: np.ndarray
    criteria: list[Criterion]
    keys: pd.DataFrame
    tie_order: np.ndarray
    missing: dict[int, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def weights(self) -> np.ndarray:
        return np.array([c.weight for c in self.criteria], dtype=float)

    @property
    def signs(self) -> np.ndarray:
        """+1 for criteria to maximise, -1 for criteria to minimise."""
        return np.array([1 if c.direction == "max" else -1 for c in self.criteria], dtype=int)


@dataclass
class MethodResult:
    """Scores and ranks of one method.

    Attributes
    ----------
    method, scaling : str
    score : ndarray
        Higher is better, except VIKOR's Q (see ``score_direction``). [/1]
    score_direction : {'higher_is_better', 'lower_is_better'}
    rank : ndarray of int
        1 = best, no ties.
    contributions : DataFrame or None
        wsm only: weight x scaled value per criterion (rows sum to the score). [/1]
    scaled : ndarray
        The matrix the aggregation saw (after inversion and scaling).
    notes : list of str
    """

    method: str
    scaling: str
    score: np.ndarray
    score_direction: str
    rank: np.ndarray
    contributions: pd.DataFrame | None
    scaled: np.ndarray
    notes: list[str] = field(default_factory=list)


def prepare(options: pd.DataFrame, criteria: Sequence[Criterion]) -> Prepared:
    """Build the decision matrix of ``options`` on ``criteria``, treating gaps and constants.

    Parameters
    ----------
    options : DataFrame
        One row per option; needs ``option_id`` (``enterprise_id`` optional) and each criterion's
        column, numeric.
    criteria : sequence of Criterion
        Criteria with direction and weight (weights need not sum to one).

    Returns
    -------
    Prepared

    Raises
    ------
    ValueError
        Unknown or non-numeric criterion column, duplicate criterion, no positive weight.
    """
    items = list(criteria)
    if not items:
        raise ValueError("need at least one criterion")
    seen: set[str] = set()
    for c in items:
        if c.column in seen:
            raise ValueError(f"criterion {c.column!r} given twice")
        seen.add(c.column)
        if c.column not in options.columns:
            raise ValueError(f"criterion {c.column!r}: no such column among the options")
        col = options[c.column]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            converted = pd.to_numeric(col, errors="coerce")
            bad = col.notna() & converted.isna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise ValueError(
                    f"criterion {c.column!r}: column is not numeric (row {row + 1} holds {col.iloc[row]!r})"
                )
    n = len(options)
    keys = pd.DataFrame(
        {
            "enterprise_id": _text(options["enterprise_id"]) if "enterprise_id" in options.columns else [""] * n,
            "option_id": _text(options["option_id"]) if "option_id" in options.columns else [str(i) for i in range(n)],
        },
        dtype=object,
    )
    hier = (
        pd.to_numeric(options["hierarchy_score"], errors="coerce").fillna(0.0).to_numpy()
        if "hierarchy_score" in options.columns
        else np.zeros(n)
    )
    tie_order = np.lexsort(
        (np.array(keys["option_id"].tolist(), dtype=str), np.array(keys["enterprise_id"].tolist(), dtype=str), -hier)
    )
    notes: list[str] = []
    missing: dict[int, list[str]] = {}
    used: list[Criterion] = []
    columns: list[np.ndarray] = []
    total = sum(c.weight for c in items)
    if total <= 0:
        raise ValueError("need at least one criterion with a positive weight")
    for c in items:
        x = pd.to_numeric(options[c.column], errors="coerce").astype("float64").to_numpy().copy()
        x[~np.isfinite(x)] = np.nan
        x[np.abs(x) < 1e-100] = 0.0  # magnitudes this small are zero in any unit; 1/x, x**2 would overflow
        gaps = np.isnan(x)
        if gaps.all():
            notes.append(f"{c.column}: no option has a value; criterion left out")
            continue
        if c.weight == 0:
            notes.append(f"{c.column}: weight 0; criterion left out")
            continue
        if gaps.any():
            worst = np.nanmin(x) if c.direction == "max" else np.nanmax(x)
            x[gaps] = worst
            rows = np.flatnonzero(gaps)
            for r in rows:
                missing.setdefault(int(r), []).append(c.column)
            notes.append(
                f"{c.column}: missing for {len(rows)} option(s) ({_list_ids(keys, rows)}); "
                f"given the worst observed value {worst:.6g}"
            )
        if np.all(x == x[0]):
            notes.append(f"{c.column}: same value for every option; cannot change the order, left out")
            continue
        used.append(c)
        columns.append(x)
    matrix = np.column_stack(columns) if columns else np.zeros((n, 0))
    used = normalise_weights(used) if used else []
    return Prepared(matrix=matrix, criteria=used, keys=keys, tie_order=tie_order, missing=missing, notes=notes)


def _text(col: pd.Series) -> np.ndarray:
    """Each value as text, '' where missing (an object array; column-wise)."""
    text = col.astype(object)
    return text.where(text.notna(), "").astype(str).to_numpy(dtype=object)


def _list_ids(keys: pd.DataFrame, rows: np.ndarray, limit: int = 5) -> str:
    shown = [
        (f"{keys['enterprise_id'].iat[r]}/{keys['option_id'].iat[r]}" if keys["enterprise_id"].iat[r] else keys["option_id"].iat[r])
        for r in rows[:limit]
    ]
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ", ".join(shown) + more


def make_positive(matrix: np.ndarray, columns: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Shift columns holding values <= 0 to ``x - min + (max - min) / 100`` (ratio methods).

    Returns the shifted matrix and a note per shifted column.
    """
    out = np.array(matrix, dtype=float)
    notes: list[str] = []
    for j, name in enumerate(columns):
        lo, hi = out[:, j].min(), out[:, j].max()
        if lo <= 0:
            delta = (hi - lo) / 100.0 if hi > lo else 1.0
            out[:, j] = out[:, j] - lo + delta
            notes.append(f"{name}: values <= 0 shifted by {delta - lo:.6g} so a ratio method can use them")
    return out, notes


def _objectives(prep: Prepared) -> list[int]:
    return [1 if c.direction == "max" else -1 for c in prep.criteria]


def _dm(matrix: np.ndarray, objectives: Sequence[int], weights: np.ndarray, names: Sequence[str]):
    import skcriteria as skc  # imported where needed: about 3 s at process start (issue 11)

    return skc.mkdm(
        matrix=matrix,
        objectives=list(objectives),
        weights=list(weights),
        alternatives=[f"a{i}" for i in range(matrix.shape[0])],
        criteria=list(names),
    )


def build_pipeline(method: str, scaling: str) -> object:
    """The scikit-criteria pipeline of a method and scaling (inputs must already be positive
    where the method divides or takes logarithms)."""
    # imported here, not at module level: scikit-criteria (with scipy.stats and seaborn) takes
    # about 3 s to import, and the default weighted sum with min-max scaling does not need it
    from skcriteria.agg.simple import WeightedProductModel, WeightedSumModel
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.agg.vikor import VIKOR
    from skcriteria.pipelines import mkpipe
    from skcriteria.preprocessing.invert_objectives import InvertMinimize, MinMaxInverter
    from skcriteria.preprocessing.scalers import MinMaxScaler, SumScaler, VectorScaler

    scaler = {
        "vector": VectorScaler(target="matrix"),
        "sum": SumScaler(target="matrix"),
        "minmax": MinMaxScaler(target="matrix"),
        "none": None,
    }[scaling]
    if method == "wsm":
        if scaling == "minmax":
            return mkpipe(MinMaxInverter(), WeightedSumModel())
        steps = [InvertMinimize()] + ([scaler] if scaler is not None else []) + [WeightedSumModel()]
        return mkpipe(*steps)
    if method == "wpm":
        steps = [InvertMinimize()] + ([scaler] if scaler is not None else []) + [WeightedProductModel()]
        return mkpipe(*steps)
    if method == "topsis":
        return mkpipe(scaler, TOPSIS()) if scaler is not None else TOPSIS()
    if method == "vikor":
        # VIKOR normalises by itself; a scikit-criteria pipeline needs two steps, so the
        # decision maker stands alone (it has the same ``evaluate``).
        return VIKOR(v=VIKOR_V, use_compromise_set=False)
    raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")


def _check(method: str, scaling: str | None) -> str:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    scaling = DEFAULT_SCALING[method] if scaling is None else scaling
    if scaling not in SCALINGS:
        raise ValueError(f"unknown scaling {scaling!r}; expected one of {', '.join(SCALINGS)}")
    return scaling


def input_matrix(prep: Prepared, method: str, scaling: str) -> tuple[np.ndarray, list[str]]:
    """The matrix handed to the pipeline (after the positivity shift a method needs)."""
    names = [c.column for c in prep.criteria]
    needs_positive = method == "wpm" or (method == "wsm" and scaling != "minmax") or (method == "topsis" and scaling == "sum")
    if needs_positive:
        return make_positive(prep.matrix, names)
    return prep.matrix, []


def minmax_invert(matrix: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """Min-max scaling with cost criteria inverted, columnar (scikit-criteria's ``MinMaxInverter``).

    Benefit criteria ``(x - min) / (max - min)``, cost criteria ``(x - max) / (min - max)``; a
    constant column gives 0 (NaN replaced by 0, as scikit-criteria does).  The same operations in
    the same order as ``skcriteria.preprocessing.invert_objectives.MinMaxInverter._invert``, so
    the values are identical (tests/screening/test_methods.py compares them).

    Parameters
    ----------
    matrix : ndarray, shape (n, m)
        Criteria values. [criterion units]
    signs : ndarray, shape (m,)
        +1 to maximise, -1 to minimise.

    Returns
    -------
    ndarray, shape (n, m)
        Every criterion in [0, 1], higher is better. [/1]
    """
    matrix = np.asarray(matrix, dtype=float)
    cost = np.asarray(signs) < 0
    benefit = ~cost
    out = np.empty_like(matrix, dtype=float)
    maxs = np.max(matrix, axis=0)
    mins = np.min(matrix, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, cost] = (matrix[:, cost] - maxs[cost]) / (mins[cost] - maxs[cost])
        out[:, benefit] = (matrix[:, benefit] - mins[benefit]) / (maxs[benefit] - mins[benefit])
    return np.nan_to_num(out, nan=0.0)


def tie_break_rank(score: np.ndarray, tie_order: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Ranks 1..n without ties: by score (12 significant digits), then the static tie order.

    Parameters
    ----------
    score : ndarray
        Scores. [/1]
    tie_order : ndarray
        Permutation: ``tie_order[0]`` is the row that wins a tie against all others.
    higher_is_better : bool
    """
    n = len(score)
    s = np.asarray(score, dtype=float)
    s = s if higher_is_better else -s
    s = np.where(np.isnan(s), -np.inf, s)
    finite = np.isfinite(s)
    scale = np.max(np.abs(s[finite])) if finite.any() else 1.0
    scale = scale if scale > 0 else 1.0
    key = np.where(finite, np.round(s / scale, 12), s)
    position = np.empty(n, dtype=np.int64)
    position[tie_order] = np.arange(n)
    order = np.lexsort((position, -key))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(1, n + 1)
    return rank


def evaluate(prep: Prepared, method: str = "wsm", scaling: str | None = None) -> MethodResult:
    """Score and rank the prepared options with one method.

    Parameters
    ----------
    prep : Prepared
        From :func:`prepare`.
    method : {'wsm', 'topsis', 'vikor', 'wpm'}
    scaling : {'minmax', 'vector', 'sum', 'none'} or None
        None: the method's default (wsm minmax, topsis vector, vikor and wpm none).

    Returns
    -------
    MethodResult
    """
    scaling = _check(method, scaling)
    n, m = prep.matrix.shape
    notes = list(prep.notes)
    names = [c.column for c in prep.criteria]
    direction = "lower_is_better" if method == "vikor" else "higher_is_better"
    if method == "vikor" and scaling != "none":
        notes.append(f"VIKOR uses its own linear normalisation; scaling {scaling!r} not applied")
        scaling = "none"
    if method == "wpm" and scaling == "minmax":
        notes.append("min-max scaling would put zeros into a product; wpm uses the raw (ratio) values")
        scaling = "none"
    if m == 0 or n < 2:
        notes.append("nothing to compare (no discriminating criterion or fewer than two options); all scores equal")
        score = np.zeros(n)
        contrib = pd.DataFrame(np.zeros((n, m)), columns=names) if method == "wsm" else None
        return MethodResult(method, scaling, score, direction, tie_break_rank(score, prep.tie_order), contrib, prep.matrix, notes)
    matrix, shift_notes = input_matrix(prep, method, scaling)
    notes.extend(shift_notes)
    if method == "wsm" and scaling == "minmax":
        # the default, columnar without scikit-criteria: its pipeline is MinMaxInverter then
        # WeightedSumModel (np.inner of the scaled matrix and the weights); equal to it, tested
        scaled = minmax_invert(matrix, prep.signs)
        # column-major as scikit-criteria holds it (its DataFrame), so np.inner sums in the same order
        score = np.asarray(np.inner(np.asfortranarray(scaled), prep.weights), dtype=float).reshape(n)
        rank = tie_break_rank(score, prep.tie_order)
        contributions = pd.DataFrame(scaled * prep.weights, columns=names)
        return MethodResult(method, scaling, score, direction, rank, contributions, scaled, notes)
    pipe = build_pipeline(method, scaling)
    dm = _dm(matrix, _objectives(prep), prep.weights, names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if hasattr(pipe, "steps"):
            scaled_dm = pipe.transform(dm)
            result = pipe.steps[-1][1].evaluate(scaled_dm)
        else:
            scaled_dm = dm
            result = pipe.evaluate(dm)
    scaled = scaled_dm.matrix.to_numpy(dtype=float)
    contributions = None
    if method == "wsm":
        score = np.asarray(result.e_.score, dtype=float)
        contributions = pd.DataFrame(scaled * prep.weights, columns=names)
    elif method == "wpm":
        score = np.asarray(result.e_.score, dtype=float)
    elif method == "topsis":
        score = np.asarray(result.e_.similarity, dtype=float)
    else:
        score = np.asarray(result.e_.q_k, dtype=float)
    rank = tie_break_rank(score, prep.tie_order, higher_is_better=(method != "vikor"))
    return MethodResult(method, scaling, score, direction, rank, contributions, scaled, notes)

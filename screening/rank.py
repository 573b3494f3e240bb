"""Ranking of options end to end: derived criteria, preliminary sort, MCDA, the CLI's records.

:func:`rank_records` returns exactly the records of ``cpscreen rank`` (DESIGN.md section 5):
``option_id, enterprise_id, rank`` (1 = best, no ties), ``score``, ``score_direction``,
``sort_class``, ``sort_reason`` and, for wsm, ``contributions`` (criterion -> weighted scaled
value).  Mandatory options are kept out of the ranking: they come last with ``rank``, ``score``
and ``contributions`` null and ``sort_class`` ``mandatory``.  All other options are ranked,
including those the preliminary sort rejects (their ``sort_class`` says so).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from screening.criteria import Criterion, add_derived_columns, resolve_profile
from screening.mcda import MethodResult, Prepared, evaluate, prepare
from screening.sort import SortRules, preliminary_sort


def parse_criteria(spec: str, columns: Iterable[str]) -> list[Criterion]:
    """Parse ``COL:max|min:WEIGHT[,...]`` (the CLI's ``--criteria``).

    Parameters
    ----------
    spec : str
        Comma-separated items, e.g. ``"npv:max:2,investment:min:1"``.
    columns : iterable of str
        Columns available (options columns, derived columns and appraisal metrics).

    Returns
    -------
    list of Criterion
        Weights as given (normalise with :func:`screening.criteria.normalise_weights`).

    Raises
    ------
    ValueError
        One line naming the bad item: wrong shape, unknown column, bad direction, weight not a
        number or negative, duplicate column, or all weights zero.
    """
    available = set(columns)
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("--criteria is empty; expected COL:max|min:WEIGHT[,...]")
    out: list[Criterion] = []
    seen: set[str] = set()
    for raw in spec.split(","):
        item = raw.strip()
        parts = [p.strip() for p in item.split(":")]
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"--criteria item {item!r}: expected COL:max|min:WEIGHT")
        col, direction, weight_txt = parts
        if col not in available:
            raise ValueError(f"--criteria item {item!r}: unknown column {col!r}")
        if direction not in ("max", "min"):
            raise ValueError(f"--criteria item {item!r}: direction must be max or min, got {direction!r}")
        try:
            weight = float(weight_txt)
        except ValueError:
            raise ValueError(f"--criteria item {item!r}: weight {weight_txt!r} is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"--criteria item {item!r}: weight must be a finite number >= 0, got {weight_txt!r}")
        if col in seen:
            raise ValueError(f"--criteria item {item!r}: column {col!r} given twice")
        seen.add(col)
        out.append(Criterion(col, direction, weight))
    if sum(c.weight for c in out) <= 0:
        raise ValueError("--criteria: all weights are zero")
    return out


@dataclass
class Ranking:
    """A ranking with what it was built from.

    Attributes
    ----------
    table : DataFrame
        One row per option (input order): ``enterprise_id, option_id, rank, score,
        score_direction, sort_class, sort_reason, cost_class, payback_years, missing`` (criteria
        the option lacked), plus one ``contrib:<criterion>`` column per criterion for wsm.
    criteria : list of Criterion
        Criteria used, weights normalised. [/1]
    prepared : Prepared
        The decision matrix of the ranked (non-mandatory) options.
    result : MethodResult
    notes : list of str
        Profile groups left out, gaps filled, columns dropped or shifted.
    """

    table: pd.DataFrame
    criteria: list[Criterion]
    prepared: Prepared
    result: MethodResult
    notes: list[str] = field(default_factory=list)


def rank_options(
    options: pd.DataFrame,
    enterprises: pd.DataFrame | None = None,
    *,
    method: str = "wsm",
    criteria: str | list[Criterion] | None = None,
    scaling: str | None = None,
    profile: str = "default",
    rules: SortRules | None = None,
) -> Ranking:
    """Sort and rank options.

    Parameters
    ----------
    options : DataFrame
        Validated options (DESIGN.md section 2), optionally with appraisal metrics as columns.
    enterprises : DataFrame, optional
        For the ELF criterion (``product_output_t``) and the currency of cost classes.
    method : {'wsm', 'topsis', 'vikor', 'wpm'}
    criteria : str, list of Criterion or None
        ``COL:max|min:WEIGHT[,...]``, criteria, or None for the weight ``profile``.
    scaling : {'minmax', 'vector', 'sum', 'none'} or None
    profile : str
        Named weight profile (:data:`screening.criteria.PROFILES`) when no criteria are given.
    rules : SortRules, optional

    Returns
    -------
    Ranking
    """
    if "option_id" not in options.columns:
        raise ValueError("options: missing column option_id")
    if enterprises is None:
        return _rank_options(options, enterprises, method, criteria, scaling, profile, rules)
    from policies.join import one_join

    with one_join(enterprises):  # the options' enterprise rows looked up once for every criterion and rule
        return _rank_options(options, enterprises, method, criteria, scaling, profile, rules)


def _rank_options(options: pd.DataFrame, enterprises: pd.DataFrame | None, method: str,
                  criteria: str | list[Criterion] | None, scaling: str | None, profile: str,
                  rules: SortRules | None) -> Ranking:
    frame = add_derived_columns(options.reset_index(drop=True), enterprises)
    notes: list[str] = []
    if criteria is None:
        chosen, profile_notes = resolve_profile(frame[~_mandatory(frame)], profile)
        notes.extend(profile_notes)
    elif isinstance(criteria, str):
        chosen = parse_criteria(criteria, frame.columns)
    else:
        chosen = list(criteria)
    sort = preliminary_sort(frame, enterprises, rules)
    ranked = ~_mandatory(frame)
    sub = frame[ranked].reset_index(drop=True)
    prep = prepare(sub, chosen)
    result = evaluate(prep, method, scaling)
    notes.extend(result.notes)
    n = len(frame)
    table = pd.DataFrame(
        {
            "enterprise_id": frame["enterprise_id"].astype(str) if "enterprise_id" in frame.columns else "",
            "option_id": frame["option_id"].astype(str),
        }
    )
    rank = np.full(n, np.nan)
    score = np.full(n, np.nan)
    pos = np.flatnonzero(ranked.to_numpy())
    rank[pos] = result.rank
    score[pos] = result.score
    table["rank"] = pd.array(rank, dtype="Int64")
    table["score"] = score
    table["score_direction"] = result.score_direction
    # the sort's columns as it made them (no text converted back and forth)
    table["sort_class"] = sort["sort_class"].array
    table["sort_reason"] = sort["sort_reason"].array
    table["cost_class"] = sort["cost_class"].array
    table["payback_years"] = sort["payback_years"].to_numpy()
    missing = [""] * n
    for r, cols in prep.missing.items():
        missing[pos[r]] = ";".join(cols)
    table["missing"] = missing
    if result.contributions is not None:
        for c in result.contributions.columns:
            col = np.full(n, np.nan)
            col[pos] = result.contributions[c].to_numpy()
            table[f"contrib:{c}"] = col
    return Ranking(table=table, criteria=prep.criteria, prepared=prep, result=result, notes=notes)


def _mandatory(frame: pd.DataFrame) -> pd.Series:
    if "mandatory" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame["mandatory"].fillna(False).astype(bool)


def rank_records(
    options: pd.DataFrame,
    enterprises: pd.DataFrame | None,
    **kwargs: object,
) -> list[dict]:
    """The records of ``cpscreen rank`` as plain dicts (:func:`rank_frame` row by row); keywords as there."""
    from records.plain import plain

    frame = rank_frame(options, enterprises, **kwargs)  # type: ignore[arg-type]
    recs = frame.drop(columns=["contributions"], errors="ignore").to_dict(orient="records")
    if "contributions" in frame.columns:  # the Arrow map column as dicts
        for rec, m in zip(recs, frame["contributions"].array.__arrow_array__().to_pylist()):
            rec["contributions"] = None if m is None else dict(m)
        recs = [{k: r[k] for k in frame.columns} for r in recs]
    return [plain(r) for r in recs]


def _contribution_maps(names: list[str], values: np.ndarray, ranked: np.ndarray) -> pd.Series:
    """criterion -> contribution per ranked option (null for the unranked), as an Arrow map column
    built from the matrix in one step (no dict per option)."""
    import pyarrow as pa

    n, k = values.shape
    offsets = np.zeros(n + 1, dtype=np.int32)
    offsets[1:] = np.cumsum(np.where(ranked, k, 0))
    keys = pa.array(np.tile(np.asarray(names, dtype=object), int(ranked.sum())), type=pa.string())
    flat = values[ranked].ravel()
    items = pa.array(flat, mask=~np.isfinite(flat), type=pa.float64())
    arr = pa.MapArray.from_arrays(pa.array(offsets, type=pa.int32()), keys, items,
                                  mask=pa.array(~ranked))
    return pd.Series(pd.arrays.ArrowExtensionArray(arr))


def rank_frame(
    options: pd.DataFrame,
    enterprises: pd.DataFrame | None,
    *,
    method: str = "wsm",
    criteria: str | list | None = None,
    scaling: str | None = None,
    top: int | None = None,
    profile: str = "default",
    draws: int | None = None,
    seed: int | None = 0,
    input_draws: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The records of ``cpscreen rank`` (DESIGN.md section 5), best first, as one frame (column-wise).

    Parameters
    ----------
    options, enterprises : DataFrame
        Validated import-format frames (appraisal metrics may be extra option columns).
    method : {'wsm', 'topsis', 'vikor', 'wpm'}
    criteria : str, list of Criterion, or None
        ``COL:max|min:WEIGHT[,...]``; None: the weight ``profile``.
    scaling : {'minmax', 'vector', 'sum', 'none'} or None
        None: wsm minmax, topsis vector (VIKOR normalises itself, wpm is scale-free).
    top : int, optional
        Keep the best ``top`` ranked options (mandatory options are then left out).
    profile : str
    draws : int, optional
        With robustness: weight draws of :func:`screening.robustness.acceptability` (spread 0.5),
        adding ``share_first`` and ``share_top_3`` [/1] to each ranked record (None for the unranked).
    seed : int or None
        Seed of the draws.
    input_draws : Mapping[str, ndarray], optional
        Robustness to the inputs: criterion column -> drawn values, shape (options, draws), rows as
        ``options`` (:func:`screening.input_robustness.criterion_draws` of ``finance.risk``'s draws),
        adding ``share_first_inputs`` and ``share_top_3_inputs`` [/1] (None for the unranked).

    Returns
    -------
    DataFrame
        ``option_id, enterprise_id, rank, score, score_direction, sort_class, sort_reason`` and
        for wsm ``contributions`` (criterion -> weight x scaled value [/1], None for the unranked);
        missing values NaN/NA.

    Raises
    ------
    ValueError
        Bad method, scaling, criteria or top (one-line message).
    """
    if top is not None and (not isinstance(top, (int, np.integer)) or top < 1):
        raise ValueError(f"--top must be a positive integer, got {top!r}")
    if draws is not None and (not isinstance(draws, (int, np.integer)) or draws < 1):
        raise ValueError(f"--draws must be a positive integer, got {draws!r}")
    ranking = rank_options(options, enterprises, method=method, criteria=criteria, scaling=scaling, profile=profile)
    t = ranking.table
    acc = None
    if draws is not None:
        from screening.robustness import acceptability

        acc = acceptability(ranking.prepared, ranking.result.method, ranking.result.scaling, n_draws=int(draws), k=3, seed=seed)
    # the prepared matrix's row of each ranked option (the ranked rows in input order)
    prepared_row = np.cumsum(t["rank"].notna().to_numpy()) - 1
    order = np.lexsort((np.arange(len(t)), t["rank"].fillna(np.iinfo(np.int64).max).to_numpy(dtype=np.int64)))
    t = t.iloc[order].reset_index(drop=True)
    ranked = t["rank"].notna().to_numpy()
    keep = np.ones(len(t), dtype=bool) if top is None else ranked & (t["rank"].fillna(0).to_numpy() <= top)
    t, ranked, source = t[keep].reset_index(drop=True), ranked[keep], order[keep]
    at = prepared_row[source]  # each output row's prepared row (read where ranked)
    out = pd.DataFrame({
        "option_id": t["option_id"].array,
        "enterprise_id": t["enterprise_id"].array,
        "rank": pd.array(t["rank"].to_numpy(dtype=float), dtype="Int64"),
        "score": pd.to_numeric(t["score"], errors="coerce").to_numpy(dtype=float),
        "score_direction": t["score_direction"].array,
        "sort_class": t["sort_class"].array,
        "sort_reason": t["sort_reason"].array,
    })
    if method == "wsm":
        contrib_cols = [c for c in t.columns if c.startswith("contrib:")]
        names = [c[len("contrib:"):] for c in contrib_cols]
        values = t[contrib_cols].to_numpy(dtype=float) if contrib_cols else np.zeros((len(t), 0))
        out["contributions"] = _contribution_maps(names, values, ranked)
    if acc is not None:
        out["share_first"], out["share_top_3"] = _by_row(at, ranked, acc.first, acc.top_k)
    if input_draws is not None:
        from screening.input_robustness import input_acceptability

        pos = np.flatnonzero(~_mandatory(options.reset_index(drop=True)).to_numpy())  # the ranked rows, in order
        acc_in = input_acceptability(ranking.prepared, ranking.result.method, ranking.result.scaling,
                                     {c: np.asarray(v)[pos] for c, v in input_draws.items()}, k=3)
        out["share_first_inputs"], out["share_top_3_inputs"] = _by_row(at, ranked, acc_in.first, acc_in.top_k)
    return out


def _by_row(at: np.ndarray, ranked: np.ndarray, *values: np.ndarray) -> list[np.ndarray]:
    """Per-option ``values`` (positional on the prepared matrix's rows) at each output row's prepared
    row ``at``; NaN for the rows not ranked."""
    out = []
    for v in values:
        col = np.full(len(at), np.nan)
        col[ranked] = np.asarray(v, dtype=float)[at[ranked]]
        out.append(col)
    return out


def robustness_report(
    ranking: Ranking,
    *,
    n_draws: int = 1000,
    spread: float = 0.5,
    k: int = 3,
    seed: int | None = 0,
    methods: tuple[str, ...] = ("wsm", "topsis", "vikor", "wpm"),
) -> dict[str, pd.DataFrame]:
    """The robustness that goes with a ranking (DESIGN.md section 4: never one without it).

    Parameters
    ----------
    ranking : Ranking
        From :func:`rank_options`.
    n_draws, spread, k, seed
        Monte Carlo over weights: draws, relative half-width of the uniform weight factor [/1],
        size of the top group, seed.
    methods : tuple of str
        Methods to compare by Kendall's tau.

    Returns
    -------
    dict of DataFrame
        ``acceptability``: per ranked option ``enterprise_id, option_id, rank,
        share_first, share_top_k`` [/1] for the ranking's method; ``flip_points``: per criterion,
        the smallest weight change that changes the top option (weighted sum only, else empty);
        ``method_agreement``: Kendall's tau between methods [/1].
    """
    from screening.robustness import acceptability, flip_points, method_agreement

    prep = ranking.prepared
    res = ranking.result
    acc = acceptability(prep, res.method, res.scaling, n_draws=n_draws, spread=spread, k=k, seed=seed)
    table = prep.keys.copy()
    table["rank"] = res.rank
    table["share_first"] = acc.first
    table[f"share_top_{acc.k}"] = acc.top_k
    table = table.sort_values("rank", kind="stable").reset_index(drop=True)
    flips = flip_points(prep, res.scaling) if res.method == "wsm" else pd.DataFrame()
    return {"acceptability": table, "flip_points": flips, "method_agreement": method_agreement(prep, methods)}

"""Monte Carlo risk of each option: draws of its uncertain inputs through the same appraisal.

Inputs that may be uncertain: ``investment`` [currency], ``annual_savings``, ``annual_cost_change``
[currency/yr] and ``lifetime_years`` [yr].  Each is drawn from a triangular distribution with the
given value as its mode and

* the option's own bounds, columns ``<input>_low`` and ``<input>_high`` (the import format keeps
  extra columns as attributes), where both are given; else
* a relative spread p: low = v (1 - p), high = v (1 + p), from ``spreads`` (the CLI's
  ``--spread annual_savings=20%``) or :data:`DEFAULT_SPREADS`.

Savings and cost change may be correlated (a Gaussian copula with coefficient ``correlation``).
A drawn lifetime is rounded to whole years in 1..50.  Every draw is a full appraisal with the
support of the pack in force (support follows the drawn investment): the policy engine and the
compiled batch kernels of :func:`finance.appraise.appraise`, on a frame of (option, draw) rows in
chunks, each draw of an enterprise's options its own enterprise (so cumulative caps are spent
within a draw, never across draws).

Random numbers are counter-based: the uniform of (seed, option, draw, input) is a 64-bit hash
(SplitMix64 finaliser) of those four numbers, the option keyed by a hash of its enterprise and
option ids; so a figure depends neither on the order of the options, nor on how the work is split
into chunks or across machines.

Outputs per option: mean and P10/P50/P90 of the NPV [currency], the probability that the NPV is
negative [/1], the median IRR [/1] and simple payback [yr] (None where the median draw never pays
back or has no IRR), and ``drivers``: each uncertain input's share of the NPV's variance [/1], the
squared standardised regression coefficients of the NPV on the drawn inputs, normalised to sum to
1 (the impact chart of RETScreen's risk analysis).

References
----------
.. [1] Natural Resources Canada, RETScreen Expert Help, "Risk analysis" (Monte Carlo over the key
   inputs' ranges, 500+ draws, impact of each input on the spread of the NPV).
.. [2] AACE International Recommended Practice 18R-97, Cost estimate classification system
   (2020): a Class 4 (feasibility) estimate's range is -15 % to -30 % low, +20 % to +50 % high.
.. [3] Steele, G. L., Lea, D., Flood, C. H. (2014), "Fast splittable pseudorandom number
   generators", OOPSLA (SplitMix64).
.. [4] Saltelli, A. et al. (2008), Global Sensitivity Analysis: The Primer, Wiley, ch. 1.2.5
   (standardised regression coefficients as variance shares of a near-linear model).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from numba import njit
from scipy.special import ndtr, ndtri

from finance.appraise import WORKERS
from finance.batch import batch_appraise
from finance.inputs import appraisal_inputs, with_inflation
from policies import corporate_tax, engine

__all__ = ["UNCERTAIN_INPUTS", "DEFAULT_SPREADS", "RISK_COLUMNS", "spread_problem", "checked_draw_args", "Draws", "risk", "simulate", "summarise", "uniforms",
           "triangular_ppf", "draw_inputs", "option_keys"]

#: Inputs that can carry an uncertainty, in the order of the ``input`` counter of :func:`uniforms`.
UNCERTAIN_INPUTS: tuple[str, ...] = ("investment", "annual_savings", "annual_cost_change", "lifetime_years")

#: Default relative spread of each input [/1] where an option gives no bounds: investment +-25 %,
#: the middle of a Class 4 feasibility estimate's range (AACE 18R-97 [2]_); savings and cost change
#: +-30 % and lifetime +-20 % (assumptions of this project, stated: no standard source; set your own
#: with ``spreads`` / ``--spread``).
DEFAULT_SPREADS: dict[str, float] = {"investment": 0.25, "annual_savings": 0.30, "annual_cost_change": 0.30,
                                     "lifetime_years": 0.20}

#: Columns of :func:`risk`'s result (DESIGN.md section 5, ``cpscreen risk``).
RISK_COLUMNS: tuple[str, ...] = ("enterprise_id", "option_id", "draws", "npv_mean", "npv_p10", "npv_p50", "npv_p90",
                                 "prob_npv_negative", "irr_p50", "simple_payback_years_p50", "drivers")

_M1, _M2, _GOLDEN = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB), np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on uint64 (wrapping arithmetic) [3]_."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def uniforms(seed: int, option_key: np.ndarray, draw: np.ndarray, which: int) -> np.ndarray:
    """Uniforms in (0, 1) keyed on (seed, option, draw, input): the same numbers however work is split.

    Parameters
    ----------
    seed : int
    option_key : ndarray of uint64
        One key per value (e.g. a hash of the enterprise and option ids).
    draw : ndarray of int
        Draw number per value, broadcast with ``option_key``.
    which : int
        Input counter (position in :data:`UNCERTAIN_INPUTS`, or more for other streams).

    Returns
    -------
    ndarray of float
        Shape of the broadcast; values (k + 0.5) / 2^53. [/1]
    """
    with np.errstate(over="ignore"):
        h = _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ _mix(np.asarray(option_key, dtype=np.uint64)))
        h = _mix(h ^ (np.asarray(draw, dtype=np.uint64) * _GOLDEN))
        h = _mix(h ^ np.uint64(which + 1) * _M2)
    return ((h >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def _streams(seed: int, key: np.ndarray, draw: np.ndarray, which: list[int]) -> dict[int, np.ndarray]:
    """:func:`uniforms` of every (draw, option) row (row ``j * n + i``) for each input in ``which``:
    the same numbers, the hash of (seed, option) taken once per option and of the draw once per row."""
    n, k = len(key), len(draw)
    with np.errstate(over="ignore"):
        per_option = _mix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) ^ _mix(np.asarray(key, dtype=np.uint64)))
        h = _mix(np.tile(per_option, k) ^ (np.repeat(np.asarray(draw, dtype=np.uint64), n) * _GOLDEN))
        out = {}
        for i in which:
            out[i] = ((_mix(h ^ np.uint64(i + 1) * _M2) >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)
    return out


def triangular_ppf(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (low <= mode <= high); the mode where low == high.

    Arguments broadcast; one compiled pass computes only the branch each value needs (the same
    arithmetic, in the same order, as the two-branch array formula).
    """
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (u, low, mode, high)))
    flat = [np.ascontiguousarray(a).ravel() for a in arrays]
    out = np.empty(flat[0].size)
    _triangular_rows(*flat, out)
    return out.reshape(arrays[0].shape)


@njit(cache=True, nogil=True, error_model="numpy")
def _triangular_rows(u: np.ndarray, low: np.ndarray, mode: np.ndarray, high: np.ndarray,
                     out: np.ndarray) -> None:  # pragma: no cover - compiled
    for i in range(u.size):
        width = high[i] - low[i]
        if width > 0:
            fc = (mode[i] - low[i]) / width
            if u[i] < fc:
                out[i] = low[i] + math.sqrt(u[i] * width * (mode[i] - low[i]))
            else:
                out[i] = high[i] - math.sqrt((1.0 - u[i]) * width * (high[i] - mode[i]))
        else:
            out[i] = mode[i]


@dataclass(frozen=True)
class _Bounds:
    low: np.ndarray
    mode: np.ndarray
    high: np.ndarray
    uncertain: bool


def _bounds(options: pd.DataFrame, name: str, spread: float | None) -> _Bounds:
    n = len(options)
    if name in options.columns:
        mode = pd.to_numeric(options[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    else:
        mode = np.zeros(n)
    if name == "annual_cost_change":
        mode = np.where(np.isnan(mode), 0.0, mode)
    p = DEFAULT_SPREADS[name] if spread is None else float(spread)
    low, high = mode - np.abs(mode) * p, mode + np.abs(mode) * p
    lo_col, hi_col = f"{name}_low", f"{name}_high"
    if lo_col in options.columns and hi_col in options.columns:
        own_lo = pd.to_numeric(options[lo_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        own_hi = pd.to_numeric(options[hi_col], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        own = ~np.isnan(own_lo) & ~np.isnan(own_hi)
        bad = own & ~((own_lo <= mode) & (mode <= own_hi))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"options row {i}: fields {lo_col!r}, {name!r}, {hi_col!r} must be ordered low <= value <= "
                             f"high, got {own_lo[i]!r}, {mode[i]!r}, {own_hi[i]!r}")
        low, high = np.where(own, own_lo, low), np.where(own, own_hi, high)
    if name == "investment":
        low = np.maximum(low, 0.0)
    if name == "lifetime_years":
        low, high = np.maximum(low, 1.0), np.minimum(high, 50.0)
    return _Bounds(low, mode, high, bool(np.any(high > low)))


@dataclass(frozen=True)
class Draws:
    """Every draw of every option: matrices of shape (options, draws).

    Attributes
    ----------
    npv : ndarray
        [currency]
    irr : ndarray
        [/1], NaN where a draw has no IRR.
    simple_payback_years : ndarray
        [yr], NaN where a draw never pays back.
    inputs : dict of str -> ndarray
        The drawn values of the inputs that vary (:data:`UNCERTAIN_INPUTS`).
    """

    npv: np.ndarray
    irr: np.ndarray
    simple_payback_years: np.ndarray
    inputs: dict[str, np.ndarray]


def risk(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    on_date: date,
    *,
    draws: int = 1000,
    seed: int = 0,
    spreads: Mapping[str, float] | None = None,
    correlation: float = 0.0,
    discount_rate: float | None = None,
    params: Mapping[str, float] | None = None,
    rows_per_chunk: int = 400_000,
) -> pd.DataFrame:
    """NPV, IRR and payback distributions of every option with its inputs uncertain.

    Parameters
    ----------
    options, enterprises : DataFrame
        Validated frames (DESIGN.md section 2); options may carry ``<input>_low``/``<input>_high``.
    on_date : datetime.date
        Appraisal date (rules and tax rates in force).
    draws : int
        Draws per option (>= 2). [/1]
    seed : int
        Seed of the counter-based generator.
    spreads : Mapping[str, float], optional
        Relative spread per input of :data:`UNCERTAIN_INPUTS` [/1] (0 = certain), for options without
        their own bounds; unnamed inputs keep :data:`DEFAULT_SPREADS`.
    correlation : float
        Correlation of savings and cost change in the Gaussian copula, -1..1. [/1]
    discount_rate : float, optional
        One rate for all options [/1 per yr] (default per option, as :func:`finance.appraise.appraise`).
    params : Mapping[str, float], optional
        Programme parameters of the policy engine.
    rows_per_chunk : int
        (option, draw) rows appraised at once; results do not depend on it.

    Returns
    -------
    DataFrame
        One row per option, in input order, columns :data:`RISK_COLUMNS`; ``drivers`` is a dict
        input -> share of the NPV variance [/1] over the inputs that vary.

    Raises
    ------
    ValueError
        On a bad number of draws, an unknown input in ``spreads``, a negative spread, a correlation
        outside -1..1, or bounds out of order (naming the row and fields).
    """
    draws, spreads = checked_draw_args(draws, spreads, correlation)
    opts = options.reset_index(drop=True)
    out = pd.DataFrame({"enterprise_id": opts["enterprise_id"].to_numpy(), "option_id": opts["option_id"].to_numpy()})
    if len(opts) == 0:
        for c in RISK_COLUMNS[2:]:
            out[c] = pd.Series(dtype=object)
        return out
    sim = simulate(opts, enterprises, on_date, draws=draws, seed=seed, spreads=spreads, correlation=correlation,
                   discount_rate=discount_rate, params=params, rows_per_chunk=rows_per_chunk)
    return summarise(sim, opts)


def summarise(sim: Draws, options: pd.DataFrame) -> pd.DataFrame:
    """The :data:`RISK_COLUMNS` of every option from its draws (``options`` in the order simulated)."""
    opts = options.reset_index(drop=True)
    out = pd.DataFrame({"enterprise_id": opts["enterprise_id"].to_numpy(), "option_id": opts["option_id"].to_numpy()})
    npv = sim.npv
    out["draws"] = npv.shape[1]
    out["npv_mean"] = npv.mean(axis=1)
    p10, p50, p90 = np.percentile(npv, [10, 50, 90], axis=1)
    out["npv_p10"], out["npv_p50"], out["npv_p90"] = p10, p50, p90
    out["prob_npv_negative"] = (npv < 0).mean(axis=1)
    # medians of quantities that may be undefined: an undefined draw counts as the worst (never / no IRR)
    out["irr_p50"] = _median_undefined_low(sim.irr)
    out["simple_payback_years_p50"] = _median_undefined_high(sim.simple_payback_years)
    out["drivers"] = _drivers(npv, sim.inputs, list(sim.inputs))
    return out


def simulate(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    on_date: date,
    *,
    draws: int = 1000,
    seed: int = 0,
    spreads: Mapping[str, float] | None = None,
    correlation: float = 0.0,
    discount_rate: float | None = None,
    params: Mapping[str, float] | None = None,
    rows_per_chunk: int = 400_000,
) -> Draws:
    """Every draw's NPV, IRR and payback (the matrices :func:`risk` summarises); parameters as there."""
    draws, spreads = checked_draw_args(draws, spreads, correlation)
    opts = with_inflation(options.reset_index(drop=True), enterprises)  # as appraise: the enterprise's inflation
    n = len(opts)
    bounds = {name: _bounds(opts, name, spreads.get(name)) for name in UNCERTAIN_INPUTS}
    varying = [name for name in UNCERTAIN_INPUTS if bounds[name].uncertain]
    key = option_keys(opts)
    inputs = appraisal_inputs(opts, enterprises, on_date, discount_rate)

    npv = np.empty((n, draws))
    irr = np.empty((n, draws))
    payback = np.empty((n, draws))
    drawn = {name: np.empty((n, draws)) for name in varying}
    # chunks of draws run on WORKERS threads at once (numpy, pandas' array work and the compiled
    # kernels release the GIL); each chunk writes its own columns of the result matrices, and a
    # figure does not depend on the chunks, so the split only bounds memory (chunks in flight x rows)
    threads = WORKERS if n * draws > rows_per_chunk else 1
    per = max(1, rows_per_chunk // (n * threads))
    # each (enterprise, draw) its own enterprise, numbered: only the options' enterprises are copied
    code, uniq = pd.factorize(opts["enterprise_id"])
    ent_all = enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id", drop=False)
    ent = ent_all.loc[uniq].reset_index(drop=True)
    opts = opts.copy()  # one consolidated frame that the threads only read
    ent = ent.copy()
    n_ent = len(ent)
    tiled = {"tax_rate": inputs.tax_rate, "discount_rate": inputs.discount_rate, "tax_capacity": inputs.tax_capacity,
             "loss": inputs.loss_carry_forward_years}

    def chunk(d0: int) -> None:
        d = np.arange(d0, min(draws, d0 + per))
        k = d.size
        frame = draw_inputs(opts, d, seed=seed, key=key, bounds=bounds, correlation=correlation)
        local = np.repeat(np.arange(k, dtype=np.int64), n)
        frame["enterprise_id"] = np.tile(code.astype(np.int64), k) + n_ent * local
        for name in varying:
            drawn[name][:, d0:d0 + k] = frame[name].to_numpy(dtype=float).reshape(k, n).T
        ents = ent.iloc[np.tile(np.arange(n_ent), k)].reset_index(drop=True)
        ents["enterprise_id"] = np.arange(n_ent * k, dtype=np.int64)
        table = engine.support_table(frame, ents, on_date, params)
        # tax rates by year and depreciation schedules over the drawn lives
        width = int(pd.to_numeric(frame["lifetime_years"]).max()) + 1
        years = {"tax_rate_by_year": corporate_tax.tax_rates_by_year(frame, ents, on_date, width),
                 "depreciation_schedule": corporate_tax.depreciation_schedules(frame, ents, on_date, width)}
        res = batch_appraise(frame, np.tile(tiled["tax_rate"], k), np.tile(tiled["discount_rate"], k),
                             np.tile(tiled["tax_capacity"], k), table,
                             loss_carry_forward_years=np.tile(tiled["loss"], k),
                             workers=WORKERS if threads == 1 else 1, support_total=False, **years)
        npv[:, d0:d0 + k] = res["npv"].to_numpy().reshape(k, n).T
        irr[:, d0:d0 + k] = res["irr"].to_numpy().reshape(k, n).T
        payback[:, d0:d0 + k] = res["simple_payback_years"].to_numpy().reshape(k, n).T

    starts = range(0, draws, per)
    if threads > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(chunk, starts))  # list(): re-raises a chunk's error here
    else:
        for d0 in starts:
            chunk(d0)
    return Draws(npv, irr, payback, drawn)


def option_keys(options: pd.DataFrame) -> np.ndarray:
    """One uint64 key per option, a hash of its (enterprise_id, option_id): the option's part of the
    generator's counter, the same wherever the option sits in a frame or partition."""
    return pd.util.hash_pandas_object(options[["enterprise_id", "option_id"]].astype(str), index=False).to_numpy(dtype=np.uint64)


def draw_inputs(
    options: pd.DataFrame,
    draw: np.ndarray,
    *,
    seed: int,
    spreads: Mapping[str, float] | None = None,
    correlation: float = 0.0,
    key: np.ndarray | None = None,
    bounds: Mapping[str, "_Bounds"] | None = None,
) -> pd.DataFrame:
    """The options repeated once per draw, their uncertain inputs drawn (triangular, Gaussian copula).

    Parameters
    ----------
    options : DataFrame
        Validated options (DESIGN.md section 2), index 0..n-1.
    draw : ndarray of int
        Draw numbers; row ``j * n + i`` of the result is option ``i`` in draw ``draw[j]``.
    seed : int
        Seed of the counter-based generator (:func:`uniforms`, keyed on (seed, option, draw, input)).
    spreads : Mapping[str, float], optional
        Relative spread per input of :data:`UNCERTAIN_INPUTS` [/1], as :func:`risk`.
    correlation : float
        Correlation of savings and cost change. [/1]
    key, bounds : optional
        Precomputed :func:`option_keys` and bounds (internal reuse).

    Returns
    -------
    DataFrame
        ``len(draw) * n`` rows, the options' columns with the drawn inputs (``lifetime_years`` whole
        years; ``eligible_investment`` keeps its share of the drawn investment).
    """
    opts = options.reset_index(drop=True)
    n = len(opts)
    if bounds is None:
        spreads = dict(spreads or {})
        bounds = {name: _bounds(opts, name, spreads.get(name)) for name in UNCERTAIN_INPUTS}
    key = option_keys(opts) if key is None else key
    d = np.asarray(draw, dtype=np.int64)
    k = d.size
    frame = opts.iloc[np.tile(np.arange(n), k)].reset_index(drop=True)
    varying = [name for name in UNCERTAIN_INPUTS if bounds[name].uncertain]
    # normal scores of the inputs drawn (and of savings where a correlated cost change needs them)
    need = set(varying) | ({"annual_savings"} if correlation and "annual_cost_change" in varying else set())
    streams = _streams(seed, key, d, [i for i, name in enumerate(UNCERTAIN_INPUTS) if name in need])
    z = {name: ndtri(streams[i]) for i, name in enumerate(UNCERTAIN_INPUTS) if name in need}
    if correlation and "annual_cost_change" in z:
        z["annual_cost_change"] = correlation * z["annual_savings"] + np.sqrt(1 - correlation ** 2) * z["annual_cost_change"]
    for name in varying:
        b = bounds[name]
        v = triangular_ppf(ndtr(z[name]), np.tile(b.low, k), np.tile(b.mode, k), np.tile(b.high, k))
        if name == "lifetime_years":  # whole years; a tax life not given follows the drawn life
            v = np.clip(np.round(v), 1, 50)
        frame[name] = v
    if "eligible_investment" in frame.columns and "investment" in varying:
        # the eligible part keeps its share of the investment
        share = np.tile(_share(opts), k)
        frame["eligible_investment"] = np.where(np.isnan(share), np.nan, share * frame["investment"].to_numpy())
    return frame


#: Inputs with a floor, where a relative spread above 100 % would put the low end below it. [/1]
_FLOORS: dict[str, str] = {"investment": "an investment cannot be negative (the low end would be cut at 0)",
                           "lifetime_years": "a life is at least 1 year (the low end would be cut at 1)"}


def spread_problem(name: str, value: float) -> str | None:
    """Why ``value`` is no relative spread for the input ``name`` (None: it is one).

    A spread is a number >= 0.  For an input with a floor (:data:`_FLOORS`), a spread above 1
    (100 %) would draw below the floor for every option, and cutting the draws there would give a
    distribution other than the triangle asked for: refused, not cut silently.  (A life is still
    kept within 1-50 years where an option's own life and a smaller spread reach past them.)
    """
    if name not in UNCERTAIN_INPUTS:
        return f"spread for {name}: not an uncertain input (expected {', '.join(UNCERTAIN_INPUTS)})"
    if not (np.isfinite(value) and value >= 0):
        return f"spread for {name} is {value!r} (expected a number >= 0, e.g. 0.2 for +-20 %)"
    if value > 1 and name in _FLOORS:
        return (f"spread for {name} is {value:.0%}: above 100 % {_FLOORS[name]}; give the options' own "
                f"{name}_low and {name}_high for a range that is not symmetric")
    return None


def checked_draw_args(draws: int, spreads: Mapping[str, float] | None, correlation: float) -> tuple[int, dict[str, float]]:
    """``draws`` as an int and ``spreads`` as a dict, once checked: a whole number of draws >= 2, each spread
    (:func:`spread_problem`) and a correlation in -1..1; a ValueError naming the first bad one.  The one
    check of :func:`risk`, :func:`simulate` and the programme's draws (``programme.montecarlo.McSpec``)."""
    if int(draws) != draws or draws < 2:
        raise ValueError(f"draws is {draws!r} (expected a whole number >= 2)")
    spreads = dict(spreads or {})
    for k, v in sorted(spreads.items()):
        problem = spread_problem(k, v)
        if problem:
            raise ValueError(problem)
    if not -1.0 <= correlation <= 1.0:
        raise ValueError(f"correlation is {correlation!r} (expected -1..1)")
    return int(draws), spreads


def _share(opts: pd.DataFrame) -> np.ndarray:
    inv = pd.to_numeric(opts["investment"], errors="coerce").to_numpy(dtype=float)
    el = pd.to_numeric(opts["eligible_investment"], errors="coerce").to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(inv > 0, el / inv, np.nan)


def _median_undefined_low(x: np.ndarray) -> np.ndarray:
    """Median where NaN ranks below every number (no IRR is worse than any IRR); NaN if the median is."""
    filled = np.where(np.isnan(x), -np.inf, x)
    m = np.median(filled, axis=1)
    return np.where(np.isfinite(m), m, np.nan)


def _median_undefined_high(x: np.ndarray) -> np.ndarray:
    """Median where NaN (never pays back) ranks above every number; NaN if the median never does."""
    filled = np.where(np.isnan(x), np.inf, x)
    m = np.median(filled, axis=1)
    return np.where(np.isfinite(m), m, np.nan)


def _drivers(npv: np.ndarray, drawn: Mapping[str, np.ndarray], varying: list[str],
             block: int = 1000) -> list[dict[str, float]]:
    """Per option: squared standardised regression coefficients of NPV on the drawn inputs, normalised [4]_.

    Options are taken ``block`` at a time (each option's figures use its own row only), which bounds
    the temporary (options, inputs, draws) arrays.
    """
    n = npv.shape[0]
    if not varying:
        return [{} for _ in range(n)]
    if n > block:
        return [d for lo in range(0, n, block)
                for d in _drivers(npv[lo:lo + block], {v: drawn[v][lo:lo + block] for v in varying}, varying, block)]
    # inputs on the middle axis, draws last: every reduction runs over contiguous memory
    X = np.stack([drawn[v] for v in varying], axis=1)  # (n, k, D)
    Xc = X - X.mean(axis=2, keepdims=True)
    yc = npv - npv.mean(axis=1, keepdims=True)
    sx = np.sqrt(np.einsum("nid,nid->ni", Xc, Xc) / X.shape[2])  # population std (n, k), as numpy's std
    sy = yc.std(axis=1)
    cov = np.matmul(Xc, Xc.transpose(0, 2, 1))  # (n, k, k)
    rhs = np.matmul(Xc, yc[:, :, None])[:, :, 0]
    k = len(varying)
    # inputs that do not vary for an option (spread 0 or value 0) get a unit diagonal and coefficient 0
    fixed = sx <= 1e-12 * np.maximum(1.0, np.abs(X).max(axis=2))
    cov = np.where(fixed[:, :, None] | fixed[:, None, :], 0.0, cov) + np.eye(k)[None] * fixed[:, :, None]
    rhs = np.where(fixed, 0.0, rhs)
    beta = np.linalg.solve(cov, rhs[:, :, None])[:, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        src2 = (beta * sx / sy[:, None]) ** 2
        share = src2 / src2.sum(axis=1, keepdims=True)
    out: list[dict[str, float]] = []
    for i in range(n):
        if not np.isfinite(share[i]).all():
            out.append({v: 0.0 for v in varying})
        else:
            out.append({v: float(share[i, j]) for j, v in enumerate(varying)})
    return out

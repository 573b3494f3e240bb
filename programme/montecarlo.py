"""Programme budget under uncertainty: draws over the options' inputs and over uptake.

One draw is one possible programme: every option's uncertain inputs drawn (``finance.risk``'s
triangular inputs and counter-based generator), the programme run on them as today
(:func:`programme.budget.run_programme`: support, cumulative caps spent per enterprise in option
order, exclusive groups), and each enterprise's decision drawn:

* deterministic rules (payback, NPV, IRR) give p = 0 or 1, so the decision is the rule's;
* the logistic rule gives p1 (with support) and p0 (without); the enterprise takes the option up
  with support when u < p1 and would have without when u < p0, with u its own uniform, keyed on
  (seed, option, draw, :data:`UPTAKE_STREAM`) (the monotone coupling of ``programme.uptake``:
  a free rider is u < min(p0, p1)).  For the caps an option counts as taken up when
  p1 >= ``APPLY_PROBABILITY``, as in :func:`run_programme` ("caps spent per draw as today").

A draw's outlay is the realised public money: each support item's outlay per period
(``programme.outlay``) of the options taken up.  Its additional effects are those of the uptake the
programme induces in the draw, (taken with - taken without) x yearly effect x drawn life.

Random numbers depend only on (seed, option's ids, draw, stream), so figures do not depend on how
the options are split into chunks, partitions or workers; the per-draw sums of :class:`DrawSums`
add up over partitions (``programme.distributed``).  Draws are stacked several at a time, each
(enterprise, draw) its own enterprise (every cap of the engine runs within an enterprise), as
``finance.risk.simulate`` does.

References
----------
.. [1] European Commission, Common methodology for State aid evaluation, SWD(2014) 179 final.
.. [2] D. Vose, "Risk Analysis: A Quantitative Guide", 3rd ed., Wiley, 2008 (Monte Carlo
   percentiles, triangular inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Iterator

import numpy as np
import pandas as pd

from finance.risk import DEFAULT_SPREADS, UNCERTAIN_INPUTS, _bounds, draw_inputs, option_keys, checked_draw_args, uniforms
from programme.budget import EFFECTS, baseline, run_programme
from programme.outlay import GOVERNMENT_DISCOUNT_RATE
from programme.uptake import DecisionRule
# the distribution figures of the draws live in programme.mc_summary; imported from here as before
from programme.mc_summary import draw_records, percentiles_undefined_high, summary_record, year_records, year_totals  # noqa: F401

__all__ = ["UPTAKE_STREAM", "THRESHOLD_STREAM", "ENGINES", "engine_path", "threshold_bounds", "enterprise_keys", "McSpec", "DrawSums", "OptionDraws", "empty_sums", "draw_sums", "option_draws", "year_records",
           "summary_record", "draw_records", "percentiles_undefined_high"]

#: Input counter of the uptake uniform in ``finance.risk.uniforms`` (the inputs use 0..3).
UPTAKE_STREAM: int = len(UNCERTAIN_INPUTS)

#: Input counter of the enterprises' drawn payback thresholds (keyed on the enterprise, not the option).
THRESHOLD_STREAM: int = UPTAKE_STREAM + 1

#: Values of :attr:`McSpec.engine`.
ENGINES: tuple[str, ...] = ("auto", "columnar", "general")

#: Effect columns whose additional amounts the draws record, in :data:`programme.budget.EFFECTS` order.
EFFECT_COLUMNS: tuple[str, ...] = tuple(EFFECTS)


@dataclass(frozen=True)
class McSpec:
    """What a set of draws depends on (besides the options).

    Attributes
    ----------
    pack : str
        Programme pack code.
    on_date : datetime.date
        Appraisal date.
    rule : DecisionRule
        Enterprises' decision rule.
    draws : int
        Number of draws (>= 2).
    seed : int
        Seed of the counter-based generator.
    params : Mapping[str, float]
        Programme parameters.
    spreads : Mapping[str, float]
        Relative spread per uncertain input [/1] (``finance.risk.DEFAULT_SPREADS`` for those not named).
    correlation : float
        Correlation of savings and cost change. [/1]
    government_discount_rate : float
        Real discount rate of public money. [/1]
    rows_per_chunk : int
        (option, draw) rows run at once; figures do not depend on it, memory does.
    engine : {"auto", "columnar", "general"}
        How drawn inputs are run: ``columnar`` the compiled kernel of :mod:`programme.mc_columnar`
        (refused, with the reason, for a programme it does not express), ``general`` the stacked
        frames through ``run_programme``, ``auto`` (default) the kernel where it applies.  The
        figures agree to rounding; with no input drawn the programme runs once either way.
    """

    pack: str
    on_date: date
    rule: DecisionRule
    draws: int
    seed: int = 0
    params: Mapping[str, float] = field(default_factory=dict)
    spreads: Mapping[str, float] = field(default_factory=dict)
    correlation: float = 0.0
    government_discount_rate: float = GOVERNMENT_DISCOUNT_RATE
    rows_per_chunk: int = 200_000
    engine: str = "auto"
    threshold_spread: float = 0.0

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine is {self.engine!r} (expected one of {', '.join(ENGINES)})")
        checked_draw_args(self.draws, self.spreads, self.correlation)  # as finance.risk checks its own
        if not (np.isfinite(self.threshold_spread) and 0 <= self.threshold_spread <= 1):
            raise ValueError(f"threshold spread is {self.threshold_spread!r} (expected a number from 0 to 1, e.g. 0.3 for "
                             "+-30 %: above 100 % the payback limit's low end would be negative, cut at 0)")
        if self.threshold_spread > 0 and self.rule.kind != "payback":
            raise ValueError(f"a threshold spread draws the payback rule's limit; the {self.rule.kind} rule has none "
                             "(it would change nothing)")
        if self.rows_per_chunk < 1:
            raise ValueError(f"rows_per_chunk is {self.rows_per_chunk!r} (expected >= 1)")

    def all_spreads(self) -> dict[str, float]:
        """Every uncertain input's spread: the given ones over ``DEFAULT_SPREADS``. [/1]"""
        return {**DEFAULT_SPREADS, **dict(self.spreads)}


@dataclass(frozen=True)
class DrawSums:
    """Per-draw sums over a set of options; sums of two disjoint sets add (:meth:`merge`).

    Attributes
    ----------
    keys : tuple of (t, instrument_id, kind)
        Rows of ``outlay``, sorted.
    outlay : ndarray, shape (len(keys), draws)
        Realised outlay per period and instrument. [currency]
    additional : ndarray, shape (len(EFFECT_COLUMNS), draws)
        Additional effects over the lives. [t, MWh]
    uptake_with, uptake_without : ndarray, shape (draws,)
        Options taken up with support, and that would be without it. [options]
    engines : tuple of str
        How the draws were run (:func:`engine_path`): ``columnar``, ``fixed`` or ``general (why)``,
        one entry per distinct way over the partitions.
    """

    keys: tuple[tuple[int, str, str], ...]
    outlay: np.ndarray
    additional: np.ndarray
    uptake_with: np.ndarray
    uptake_without: np.ndarray
    engines: tuple[str, ...] = ()

    @property
    def draws(self) -> int:
        return int(self.uptake_with.shape[0])

    def total(self) -> np.ndarray:
        """Total realised outlay of each draw. [currency]"""
        return self.outlay.sum(axis=0) if len(self.keys) else np.zeros(self.draws)

    def merge(self, other: "DrawSums") -> "DrawSums":
        """The sums of both sets of options (same draws)."""
        keys = tuple(sorted(set(self.keys) | set(other.keys)))
        out = np.zeros((len(keys), self.draws))
        pos = {k: i for i, k in enumerate(keys)}
        for s in (self, other):
            for i, k in enumerate(s.keys):
                out[pos[k]] += s.outlay[i]
        return DrawSums(keys, out, self.additional + other.additional, self.uptake_with + other.uptake_with,
                        self.uptake_without + other.uptake_without, tuple(sorted(set(self.engines) | set(other.engines))))


@dataclass(frozen=True)
class OptionDraws:
    """Per-option matrices (options x draws) of one run: what rationing needs.

    ``gross`` is the option's nominal outlay if taken up [currency], ``upfront`` the part paid at
    t = 0 [currency], ``taken``/``taken_without`` its decisions [bool], ``effect`` its lifetime
    CO2e avoided [t], ``npv`` its NPV with support [currency], ``investment`` [currency].
    """

    gross: np.ndarray
    upfront: np.ndarray
    taken: np.ndarray
    taken_without: np.ndarray
    effect: np.ndarray
    npv: np.ndarray
    investment: np.ndarray
    sums: DrawSums


def _chunks(n: int, spec: McSpec) -> Iterator[np.ndarray]:
    per = max(1, spec.rows_per_chunk // max(n, 1))
    for d0 in range(0, spec.draws, per):
        yield np.arange(d0, min(spec.draws, d0 + per))


@dataclass(frozen=True)
class _Chunk:
    d: np.ndarray
    n: int
    out: pd.DataFrame  # outlay items: row, instrument_id, kind, t, outlay
    taken: np.ndarray
    taken_without: np.ndarray
    life_effect: dict[str, np.ndarray]
    npv: np.ndarray
    investment: np.ndarray
    p_with: np.ndarray
    p_without: np.ndarray


def _fixed_inputs(options: pd.DataFrame, spec: McSpec) -> bool:
    """True when no input is uncertain (every draw's inputs are the options' own): then every draw
    runs the same programme and only the uptake is drawn."""
    spreads = spec.all_spreads()
    return not any(_bounds(options, name, spreads.get(name)).uncertain for name in UNCERTAIN_INPUTS)


#: Part of ``programme.outlay.outlay_table`` (grants, tax instruments, soft loans) each kind is listed in.
_OUTLAY_PART = {"grant": 0, "tax_deduction": 1, "tax_credit": 1, "depreciation": 1, "tax_holiday": 1, "soft_loan": 2}


def _repeat_chunk(one: _Chunk, spec: McSpec, d: np.ndarray, key: np.ndarray) -> _Chunk:
    """:func:`_run_chunk` on draws ``d`` when the inputs are fixed, from its run on one draw.

    Draws stacked as enterprises of their own share nothing, so each draw's block of the stacked
    run is the one-draw run: its arrays repeated, its outlay items repeated in the order the stacked
    outlay table lists them (by part, then draw, table order within), and the uptake drawn per draw.
    """
    n, k = one.n, len(d)
    out = one.out
    m = len(out)
    part = np.asarray(out["kind"].astype(str).map(_OUTLAY_PART), dtype=np.int64)
    block = np.repeat(np.arange(k, dtype=np.int64), m)
    order = np.lexsort((block, np.tile(part, k)))  # stable: by part, then by draw, table order within
    src = np.tile(np.arange(m), k)[order]
    rep = out.iloc[src].reset_index(drop=True)
    rep["row"] = out["row"].to_numpy(dtype=np.int64)[src] + n * block[order]
    u = uniforms(spec.seed, np.tile(key, k), np.repeat(d, n), UPTAKE_STREAM)
    p_with, p_without = np.tile(one.p_with, k), np.tile(one.p_without, k)
    return _Chunk(d, n, rep, u < p_with, u < p_without, {c: np.tile(v, k) for c, v in one.life_effect.items()},
                  np.tile(one.npv, k), np.tile(one.investment, k), p_with, p_without)


def _chunks_run(opts: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec, key: np.ndarray) -> Iterator[_Chunk]:
    """Every chunk of draws, run; with fixed inputs the programme runs once, on one draw."""
    one = _run_chunk(opts, enterprises, spec, np.array([0]), key) if _fixed_inputs(opts, spec) else None
    for d in _chunks(len(opts), spec):
        yield _run_chunk(opts, enterprises, spec, d, key) if one is None else _repeat_chunk(one, spec, d, key)


def _run_chunk(options: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec, d: np.ndarray,
               key: np.ndarray) -> _Chunk:
    """The programme on draws ``d`` of ``options`` stacked (row j * n + i: option i, draw d[j])."""
    n, k = len(options), len(d)
    frame = draw_inputs(options, d, seed=spec.seed, spreads=spec.all_spreads(), correlation=spec.correlation, key=key)
    code, uniq = pd.factorize(options["enterprise_id"])
    ent = enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id", drop=False).loc[uniq].reset_index(drop=True)
    n_ent = len(ent)
    frame["enterprise_id"] = np.tile(code.astype(np.int64), k) + n_ent * np.repeat(np.arange(k, dtype=np.int64), n)
    ents = ent.iloc[np.tile(np.arange(n_ent), k)].reset_index(drop=True)
    ents["enterprise_id"] = np.arange(n_ent * k, dtype=np.int64)
    b = baseline(frame, ents, on_date=spec.on_date, with_irr=spec.rule.kind == "irr")
    res = run_programme(frame, ents, spec.pack, params=dict(spec.params) or None, on_date=spec.on_date, rule=spec.rule,
                        base=b, government_discount_rate=spec.government_discount_rate)
    out = res.outlay  # the outlay table run_programme costed (the same items, computed once)
    u = uniforms(spec.seed, np.tile(key, k), np.repeat(d, n), UPTAKE_STREAM)
    p_with = res.by_option["p_with"].to_numpy(dtype=float)
    p_without = res.by_option["p_without"].to_numpy(dtype=float)
    taken = u < p_with
    without = u < p_without
    life = pd.to_numeric(b.options["lifetime_years"]).to_numpy(dtype=float)
    effects = {c: (pd.to_numeric(b.options[c], errors="coerce").fillna(0.0).to_numpy(dtype=float) * life
                   if c in b.options.columns else np.zeros(n * k)) for c in EFFECT_COLUMNS}
    return _Chunk(d, n, out, taken, without, effects, res.by_option["npv"].to_numpy(dtype=float),
                  pd.to_numeric(b.options["investment"]).to_numpy(dtype=float), p_with, p_without)


def _sums(c: _Chunk, draws: int) -> DrawSums:
    k, n = len(c.d), c.n
    out = c.out
    rows = out["row"].to_numpy(dtype=np.int64)
    amt = out["outlay"].to_numpy(dtype=float) * c.taken[rows]
    local = rows // n
    # instrument ids and kinds stay categorical (a handful of values over many rows) until grouped
    frame = pd.DataFrame({"t": out["t"].to_numpy(dtype=np.int64), "instrument_id": out["instrument_id"].array,
                          "kind": out["kind"].array, "draw": c.d[local], "outlay": amt})
    g = frame.groupby(["t", "instrument_id", "kind", "draw"], sort=True, observed=True)["outlay"].sum()
    keys = tuple(sorted({(int(t), str(i), str(kd)) for t, i, kd, _ in g.index}))
    pos = {kk: j for j, kk in enumerate(keys)}
    mat = np.zeros((len(keys), draws))
    for (t, i, kd, dr), v in g.items():
        mat[pos[(int(t), str(i), str(kd))], int(dr)] += v
    add = np.zeros((len(EFFECT_COLUMNS), draws))
    induced = c.taken.astype(float) - c.taken_without.astype(float)
    for j, col in enumerate(EFFECT_COLUMNS):
        add[j, c.d] = (induced * c.life_effect[col]).reshape(k, n).sum(axis=1)
    uw = np.zeros(draws)
    uo = np.zeros(draws)
    uw[c.d] = c.taken.reshape(k, n).sum(axis=1)
    uo[c.d] = c.taken_without.reshape(k, n).sum(axis=1)
    return DrawSums(keys, mat, add, uw, uo)


def empty_sums(draws: int) -> DrawSums:
    """Sums over no option: zeros for each of ``draws`` draws."""
    z = np.zeros(draws)
    return DrawSums((), np.zeros((0, draws)), np.zeros((len(EFFECT_COLUMNS), draws)), z, z.copy())


def draw_sums(options: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec) -> DrawSums:
    """Per-draw sums of a set of options (all, or a partition of whole enterprises).

    Memory is bounded by ``spec.rows_per_chunk`` rows, not by the number of draws; the result
    holds (periods x instruments + 5) x draws numbers.

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames (DESIGN.md section 2); every option's enterprise among ``enterprises``.
    spec : McSpec

    Returns
    -------
    DrawSums
    """
    opts = options.reset_index(drop=True)
    total = empty_sums(spec.draws)
    if len(opts) == 0:
        return total
    path, found = engine_path(opts, enterprises, spec)
    if path == "columnar":
        from programme.mc_columnar import columnar_sums

        return replace(columnar_sums(found, spec), engines=("columnar",))
    key = option_keys(opts)
    for c in _chunks_run(opts, enterprises, spec, key):
        total = total.merge(_sums(c, spec.draws))
    return replace(total, engines=("fixed",) if path == "fixed" else (f"general ({found})",))


def threshold_bounds(limit: float, spread: float) -> tuple[float, float]:
    """Low and high of the drawn payback limit: max(L (1 - s), 0) and L (1 + s). [yr]"""
    return max(limit * (1.0 - spread), 0.0), limit * (1.0 + spread)


def enterprise_keys(options: pd.DataFrame) -> np.ndarray:
    """One uint64 key per option, a hash of its enterprise_id alone: the options of an enterprise
    share it, so a figure drawn with it (the payback threshold) is the enterprise's."""
    return pd.util.hash_pandas_object(options["enterprise_id"].astype(str), index=False).to_numpy(dtype=np.uint64)


def engine_path(options: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec) -> tuple[str, Any]:
    """Which path :func:`draw_sums` takes for these options: ``("fixed", reason)`` when no input is
    drawn (the programme runs once), ``("columnar", plan)`` for the compiled kernel, or
    ``("general", reason)`` with the sentence saying why the kernel does not apply.

    Raises
    ------
    ValueError
        With ``spec.engine == "columnar"`` for a programme the kernel does not express.
    """
    opts = options.reset_index(drop=True)
    drawn_limit = spec.threshold_spread > 0
    if _fixed_inputs(opts, spec) and not drawn_limit:
        return "fixed", "no input is drawn: the programme runs once and only the uptake is drawn"
    if spec.engine == "general":
        if drawn_limit:
            raise ValueError("a threshold spread needs the columnar engine (run_programme takes one payback limit)")
        return "general", "the general engine was asked for"
    from programme.mc_columnar import plan

    found = plan(opts, enterprises, spec)
    if isinstance(found, str):
        if spec.engine == "columnar" or drawn_limit:
            what = "a threshold spread needs the columnar engine, which" if drawn_limit else "the columnar engine"
            raise ValueError(f"{what} cannot run this programme: {found}")
        return "general", found
    return "columnar", found


def option_draws(options: pd.DataFrame, enterprises: pd.DataFrame, spec: McSpec) -> OptionDraws:
    """:func:`draw_sums` plus the per-option matrices (options x draws) that rationing reads.

    Memory grows with options x draws (7 matrices): for the in-process run of one machine.

    Raises
    ------
    ValueError
        With a threshold spread: these matrices come from the general path, which takes one limit.
    """
    if spec.threshold_spread > 0:
        raise ValueError("a threshold spread runs on the columnar engine, which gives per-draw sums, not the per-option "
                         "matrices of --by option and --ration")
    opts = options.reset_index(drop=True)
    n, D = len(opts), spec.draws
    mats = {name: np.zeros((n, D)) for name in ("gross", "upfront", "effect", "npv", "investment")}
    taken = np.zeros((n, D), dtype=bool)
    without = np.zeros((n, D), dtype=bool)
    total = empty_sums(D)
    if n:
        key = option_keys(opts)
        for c in _chunks_run(opts, enterprises, spec, key):
            d = c.d
            total = total.merge(_sums(c, D))
            k = len(d)
            rows = c.out["row"].to_numpy(dtype=np.int64)
            amt = c.out["outlay"].to_numpy(dtype=float)
            t0 = c.out["t"].to_numpy() == 0
            gross = np.bincount(rows, weights=amt, minlength=n * k)
            up = np.bincount(rows[t0], weights=amt[t0], minlength=n * k)
            for name, v in (("gross", gross), ("upfront", up), ("effect", c.life_effect["co2e_avoided_t"]),
                            ("npv", c.npv), ("investment", c.investment)):
                mats[name][:, d] = v.reshape(k, n).T
            taken[:, d] = c.taken.reshape(k, n).T
            without[:, d] = c.taken_without.reshape(k, n).T
    # the general path always: rationing and --by option read every option's figures in every draw
    total = replace(total, engines=("general (per-option figures of every draw: rationing in-process or --by option)",))
    return OptionDraws(mats["gross"], mats["upfront"], taken, without, mats["effect"], mats["npv"], mats["investment"],
                       total)

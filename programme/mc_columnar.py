"""Columnar, compiled Monte Carlo of a grant programme: every draw without a frame per draw.

:func:`programme.montecarlo.draw_sums` runs the programme on each chunk of draws through the
general engine (a stacked frame, the policy engine, ``run_programme``'s allocation rounds, the
outlay table).  For the programmes this module can express, it instead builds per-option arrays
once per partition (:func:`plan`) and hands every draw to one compiled kernel
(:func:`programme.mc_kernels.draw_block`), which draws the inputs, appraises, applies the caps,
decides uptake and adds the per-draw sums.  The figures are those of the general path to rounding
(the tests compare both on the same draws); random numbers are the same counter-based ones, keyed
on (seed, option, draw, input), so they depend neither on partitions nor on workers.

What it expresses (else :func:`plan` returns the reason and the general path runs):

* every rule of the pack in force is a ``grant`` (taxable or not, reducing the depreciation base
  or not, within an aid ceiling or not); rate forms ``fixed``, ``range``, ``by_type``,
  ``size_bonus`` and ``lowest_of`` with terms ``share``, ``share_by_size``, ``per_unit`` (at most
  one over the lifetime), ``payback_floor`` (at most one) and ``highest_of`` per-unit terms alike;
  eligibility thresholds not on a drawn input; any caps (per project, minimum aid, per
  enterprise, per year, investment per year), exclusions between rules and bases net of others;
* exclusive options (at most one of a group taken up, the best-ranked) where the programme has no
  cumulative cap (with one, ``run_programme`` allocates the caps in layers); enterprises with tax capacity (or no tax), tax rates by year where
  they change, straight-line depreciation (no asset-class schedule);
* decision rules ``payback``, ``npv`` and ``logistic`` (``irr`` needs the IRR solver per draw);
  the payback rule's limit may be drawn per (enterprise, draw) (``McSpec.threshold_spread``:
  only this path can, ``run_programme`` takes one limit for all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from finance import tca
from finance.batch_arrays import option_arrays
from finance.inputs import appraisal_inputs, with_inflation
from finance.risk import UNCERTAIN_INPUTS, _bounds, option_keys
from policies import corporate_tax, join, registry
from policies.eligibility import conditions
from policies.engine import _Prefixed
from policies.kinds import RATE_FORMS, Batch, Params, rate_size_bonus
from policies.parameters import ceilings_in_force, rules_in_force, split_params
from policies.schema import LowestOfRate
from programme import mc_kernels as K
from programme.budget import APPLY_PROBABILITY
from screening.excludes import exclusive_groups

__all__ = ["Plan", "plan", "columnar_sums", "DRAWN_CONDITIONS"]

#: Eligibility conditions that read drawn amounts: evaluated per draw by the kernel.
DRAWN_CONDITIONS: frozenset[str] = frozenset({"min_investment", "max_investment", "min_payback_years"})

#: Columns a threshold must not read (they are drawn).
_DRAWN_COLUMNS = frozenset(UNCERTAIN_INPUTS) | {"eligible_investment"}


@dataclass(frozen=True)
class Plan:
    """Arrays of one partition for :func:`programme.mc_kernels.draw_block` (see there)."""

    options: dict[str, Any]
    rules: dict[str, np.ndarray]
    rule_ids: tuple[str, ...]
    decision: tuple[int, float, float, float, bool, float]
    threshold: tuple[bool, float, float, np.ndarray]
    correlation: float


def _per_unit_family(terms: list[Any]) -> bool:
    """Per-unit terms alike in lifetime and discount: their highest is one per-unit term whose
    amount per year is the highest (x the same lifetime factor >= 0, so the same numbers)."""
    return all(t.per_unit is not None for t in terms) and len({(t.over_lifetime, t.discount is None) for t in terms}) == 1 \
        and len({None if t.discount is None else t.discount.value for t in terms}) == 1


def _over_lifetime(t: Any) -> bool:
    return bool((t.per_unit is not None and t.over_lifetime)
                or (t.highest_of is not None and t.highest_of[0].over_lifetime))


def _rule_reason(rule: Any, ceilings: dict[str, Any]) -> str | None:
    if rule.kind != "grant":
        return f"rule {rule.id} is a {rule.kind} (only grants are compiled)"
    for col in rule.eligibility.thresholds:
        if col in _DRAWN_COLUMNS:
            return f"rule {rule.id} has a threshold on the drawn input {col}"
    if rule.rate is None or rule.rate.form not in RATE_FORMS:
        return f"rule {rule.id} has no rate form the kernel knows"
    if isinstance(rule.rate, LowestOfRate):
        terms = rule.rate.terms
        for t in terms:
            if t.highest_of is not None and not _per_unit_family(t.highest_of):
                return f"rule {rule.id}'s highest-of term {t.name} mixes terms other than per-unit ones of one kind"
        if sum(_over_lifetime(t) for t in terms) > 1:
            return f"rule {rule.id} has more than one per-unit term over the lifetime"
        if sum(t.payback_floor is not None for t in terms) > 1:
            return f"rule {rule.id} has more than one payback-floor term"
    return None


def plan(options: pd.DataFrame, enterprises: pd.DataFrame, spec: Any) -> Plan | str:
    """The kernel's arrays for ``options`` (a partition of whole enterprises), or why it cannot run.

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames.
    spec : programme.montecarlo.McSpec

    Returns
    -------
    Plan or str
        The arrays, or one sentence saying what the kernel does not express (the general path runs).
    """
    rule = spec.rule
    if rule.kind not in ("payback", "npv", "logistic"):
        return f"the {rule.kind} decision rule needs the IRR of every draw"
    packs = registry.load_packs()
    pack = packs.get(spec.pack)
    if pack is None:
        return f"unknown pack {spec.pack!r}"
    ceiling_pack = packs.get(pack.meta.aid_ceiling_pack or "", pack)
    ceilings = {c.measure: c for c in ceilings_in_force(ceiling_pack, spec.on_date)}
    in_force = rules_in_force(pack, spec.on_date)
    for r in in_force:
        why = _rule_reason(r, ceilings)
        if why:
            return why
    opt = with_inflation(options.reset_index(drop=True), enterprises)
    n = len(opt)
    group = exclusive_groups(opt)
    if (group >= 0).any() and any(r.caps.per_enterprise is not None or r.caps.per_year is not None
                                  or r.caps.investment_per_year is not None for r in in_force):
        return "some options exclude each other and the programme has cumulative caps (allocated in layers)"
    inputs = appraisal_inputs(opt, enterprises, spec.on_date)
    width = K.WIDTH
    rate_year = corporate_tax.tax_rates_by_year(opt, enterprises, spec.on_date, width)  # years 0..50 cover every drawn life
    if corporate_tax.depreciation_schedules(opt, enterprises, spec.on_date, width) is not None:
        return "some options depreciate on an asset-class schedule"
    if (~inputs.tax_capacity & (inputs.tax_rate > 0)).any():
        return "some taxed enterprises have no tax capacity (losses carried forward)"
    disc_rate = inputs.discount_rate
    bad = ~np.isfinite(disc_rate) | (disc_rate <= -1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"options row {i}: field 'discount_rate' is {disc_rate[i]!r} (expected a number > -1)")
    arr = option_arrays(opt)  # validates the rows as the appraisal does
    spreads = spec.all_spreads()
    bounds = [_bounds(options.reset_index(drop=True), name, spreads.get(name)) for name in UNCERTAIN_INPUTS]
    dep = (pd.to_numeric(opt["depreciation_years"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
           if "depreciation_years" in opt.columns else np.full(n, np.nan))
    tiers = tca.tier_savings(opt)
    inv0 = pd.to_numeric(opt["investment"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    elig0 = (pd.to_numeric(opt["eligible_investment"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
             if "eligible_investment" in opt.columns else np.full(n, np.nan))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(inv0 > 0, elig0 / inv0, np.nan)  # finance.risk._share: the part kept of a drawn investment
    rates, which = np.unique(disc_rate, return_inverse=True)
    disc = np.exp(-np.arange(width)[None, :] * np.log1p(rates)[:, None])  # as programme.appraisal.decision_metrics
    from programme.montecarlo import EFFECT_COLUMNS

    effects = np.stack([pd.to_numeric(opt[c], errors="coerce").fillna(0.0).to_numpy(dtype=float) if c in opt.columns
                        else np.zeros(n) for c in EFFECT_COLUMNS]) if EFFECT_COLUMNS else np.zeros((0, n))
    code, _ = pd.factorize(opt["enterprise_id"])
    f = np.ascontiguousarray
    o: dict[str, Any] = {
        "key": f(option_keys(opt), dtype=np.uint64), "ent": f(code, dtype=np.int64), "n_ent": int(code.max()) + 1 if n else 0,
        "low": f(np.stack([b.low for b in bounds])), "mode": f(np.stack([b.mode for b in bounds])),
        "high": f(np.stack([b.high for b in bounds])), "vary": np.array([b.uncertain for b in bounds], dtype=np.bool_),
        "share": f(share), "elig0": f(elig0),
        "extra": f(pd.to_numeric(opt["extra_investment_cost"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                   if "extra_investment_cost" in opt.columns else np.full(n, np.nan)),
        "other": f(pd.to_numeric(opt["other_grants"], errors="coerce").fillna(0.0).to_numpy(dtype=float)
                   if "other_grants" in opt.columns else np.zeros(n)),
        "tiers": f(np.zeros(n) if tiers is None else np.asarray(tiers, dtype=float)),
        "salvage": f(arr["salvage_value"]), "g_sav": f(arr["savings_escalation"]), "g_cost": f(arr["cost_escalation"]),
        "inflation": f(arr["inflation"]), "dep_years": f(np.where(np.isnan(dep), -1, dep), dtype=np.int64),
        "tax": f(inputs.tax_rate, dtype=float), "rate_year": f(np.zeros((0, 0)) if rate_year is None else rate_year, dtype=float), "disc": f(disc), "disc_of": f(which.reshape(-1), dtype=np.int64),
        "effects": f(effects), "grouped": bool((group >= 0).any()), "group": f(group, dtype=np.int64),
        "n_groups": int(group.max()) + 1 if n else 0,
    }
    rules = _rule_arrays(in_force, pack, packs, opt, enterprises, spec)
    kind = {"payback": K.RULE_PAYBACK, "npv": K.RULE_NPV, "logistic": K.RULE_LOGISTIC}[rule.kind]
    decision = (kind, float(rule.payback_limit), float(rule.intercept), float(rule.slope), rule.transform == "log",
                float(rule.log_floor))
    from programme.montecarlo import enterprise_keys, threshold_bounds

    spread = float(spec.threshold_spread)
    lo, hi = threshold_bounds(float(rule.payback_limit), spread)
    threshold = (spread > 0, lo, hi, np.ascontiguousarray(enterprise_keys(opt), dtype=np.uint64))
    return Plan(o, rules, tuple(r.id for r in in_force), decision, threshold, float(spec.correlation))


def _rule_arrays(in_force: list[Any], pack: Any, packs: Any, opt: pd.DataFrame, enterprises: pd.DataFrame,
                 spec: Any) -> dict[str, np.ndarray]:
    """Per-rule arrays: the engine's own formulas evaluated on the fixed columns (base 1 for the
    linear rate forms), what depends on drawn amounts left to the kernel."""
    n, R = len(opt), len(in_force)
    overrides = split_params(dict(spec.params) or None, packs, spec.on_date)
    ent = enterprises.copy()
    ent["jurisdiction"] = spec.pack  # as run_programme offers the programme to every enterprise
    j = join._Joined(opt, ent)
    b = Batch(j.options, None, {}, j.enterprises, j.pos)
    excl: dict[str, set[str]] = {r.id: set(r.stacking.excludes) for r in pack.rules}
    for r in pack.rules:
        for other in r.stacking.excludes:
            excl.setdefault(other, set()).add(r.id)
    out = {name: np.full(R, np.nan) for name in ("ld", "floor", "min_inv", "max_inv", "min_pb", "min_aid")}
    out.update({name: np.full(R, np.inf) for name in ("project", "cap_ent", "cap_year", "cap_inv")})
    out.update({"base": np.zeros(R, dtype=np.int64), "ext": np.zeros(R, dtype=np.bool_),
                "netof": np.zeros((R, R), dtype=np.bool_), "excl": np.zeros((R, R), dtype=np.bool_),
                "ok": np.ones((R, n), dtype=np.bool_), "lin": np.full((R, n), np.inf), "const": np.full((R, n), np.inf),
                "lq": np.full((R, n), np.nan), "year": np.zeros(R, dtype=np.int64), "spread": np.ones(R, dtype=np.int64),
                "taxed": np.zeros(R, dtype=np.bool_), "reduce": np.zeros(R, dtype=np.bool_),
                "ceil": np.full(R, -1, dtype=np.int64)})
    ceiling_pack = packs.get(pack.meta.aid_ceiling_pack or "", pack)
    ceilings = {c.measure: c for c in ceilings_in_force(ceiling_pack, spec.on_date)}
    measures: list[str] = []
    c_af: list[np.ndarray] = []
    c_cap: list[float] = []
    c_base: list[int] = []
    ids = [r.id for r in in_force]
    ones = np.ones(n)
    for k, rule in enumerate(in_force):
        p = Params(rule, overrides.get(rule.id, {}))
        for c in conditions(rule, p, b):
            if c.kind not in DRAWN_CONDITIONS:
                out["ok"][k] &= c.passed
        e = rule.eligibility
        if e.min_investment is not None:
            out["min_inv"][k] = p("eligibility.min_investment")
        if e.max_investment is not None:
            out["max_inv"][k] = p("eligibility.max_investment")
        if e.min_payback_years is not None:
            out["min_pb"][k] = p("eligibility.min_payback_years")
        out["base"][k] = {"investment": K.BASE_INVESTMENT, "eligible_investment": K.BASE_ELIGIBLE}.get(rule.base.of, K.BASE_EXTRA)
        out["ext"][k] = bool(rule.base.net_of_external)
        for q, other in enumerate(ids[:k]):
            out["netof"][k, q] = other in rule.base.net_of
            out["excl"][k, q] = other in excl.get(rule.id, ())
        if isinstance(rule.rate, LowestOfRate):
            lin = np.full(n, np.inf)
            for t in rule.rate.terms:
                path = f"rate.terms.{t.name}"
                if t.share is not None or t.share_by_size is not None:
                    from policies.kinds import term_amount

                    v = term_amount(t, "rate.terms", p, b, ones)
                    lin = np.where(np.isnan(v) | np.isnan(lin), np.nan, np.minimum(lin, v))
                elif t.per_unit is not None or t.highest_of is not None:
                    unit = [(t, path)] if t.per_unit is not None else [(h, f"{path}.{h.name}") for h in t.highest_of]
                    amount = np.maximum.reduce([p(f"{q}.per_unit") * b.quantity(h.of) for h, q in unit])
                    first, q0 = unit[0]
                    if first.over_lifetime:
                        out["lq"][k] = amount
                        if first.discount is not None:
                            out["ld"][k] = p(f"{q0}.discount")
                    else:
                        out["const"][k] = np.minimum(out["const"][k], amount)
                elif t.payback_floor is not None:
                    out["floor"][k] = p(f"{path}.payback_floor")
            out["lin"][k] = lin
        else:
            out["lin"][k] = RATE_FORMS[rule.rate.form](rule.rate, p, b, ones)
        caps = rule.caps
        if caps.per_project is not None:
            out["project"][k] = p("caps.per_project")
        if caps.min_aid is not None:
            out["min_aid"][k] = p("caps.min_aid")
        if caps.per_enterprise is not None:
            out["cap_ent"][k] = p("caps.per_enterprise")
        if caps.per_year is not None:
            out["cap_year"][k] = p("caps.per_year") * rule.timing.spread_years
        if caps.investment_per_year is not None:
            out["cap_inv"][k] = p("caps.investment_per_year")
        out["year"][k], out["spread"][k] = rule.timing.year, rule.timing.spread_years
        out["taxed"][k], out["reduce"][k] = bool(rule.taxable), bool(rule.reduces_depreciation_base)
        measure = rule.stacking.aid_ceiling
        if measure is not None and measure in ceilings:
            if measure not in measures:
                c = ceilings[measure]
                cp = Params(c, overrides.get(c.id, {}))  # type: ignore[arg-type]
                # min(intensity x base, cap x base) of policies.engine.ceiling_allowed, the intensity read at base 1
                c_af.append(rate_size_bonus(c.intensity, _Prefixed(cp, "intensity"), b, ones))  # type: ignore[arg-type]
                c_cap.append(cp("cap") if c.cap is not None else np.inf)
                c_base.append({"investment": K.BASE_INVESTMENT, "eligible_investment": K.BASE_ELIGIBLE}.get(c.base_of, K.BASE_EXTRA))
                measures.append(measure)
            out["ceil"][k] = measures.index(measure)
    out["c_base"] = np.array(c_base, dtype=np.int64)
    out["c_af"] = np.array(c_af, dtype=float).reshape(len(c_af), n)
    out["c_cap"] = np.array(c_cap, dtype=float)
    return {k: np.ascontiguousarray(v) for k, v in out.items()}


def columnar_sums(p: Plan, spec: Any) -> Any:
    """Per-draw sums of a partition from its :class:`Plan` (a :class:`programme.montecarlo.DrawSums`)."""
    return columnar_run(p, spec)[0]


def columnar_run(p: Plan, spec: Any, *, envelope: float | None = None,
                 offset: np.ndarray | None = None) -> tuple[Any, np.ndarray, np.ndarray | None]:
    """:func:`columnar_sums`, the money the applications ask for per draw [currency], and with an
    ``envelope`` and the ``offset`` asked before this partition per draw, the first-come rationing
    of each draw: rows funded, asked left out [currency], CO2e bought [t], funded, left out [applications]."""
    from programme.montecarlo import EFFECT_COLUMNS, DrawSums

    o, r = p.options, p.rules
    D = int(spec.draws)
    n = o["key"].size
    R = len(p.rule_ids)
    outlay = np.zeros((K.WIDTH, R, D))
    seen = np.zeros((K.WIDTH, R), dtype=np.bool_)
    additional = np.zeros((len(EFFECT_COLUMNS), D))
    up_with, up_without = np.zeros(D), np.zeros(D)
    asked = np.zeros(D)
    ration = envelope is not None
    offset_all = np.zeros(D) if offset is None else np.ascontiguousarray(offset, dtype=float)
    rat = np.zeros((5, D))
    err = np.zeros(4, dtype=np.int64)
    seed = np.uint64(int(spec.seed) & 0xFFFFFFFFFFFFFFFF)
    correlated = bool(p.correlation) and bool(o["vary"][2])
    per = max(1, spec.rows_per_chunk // max(n, 1)) if correlated else D  # uniforms held per block: (draws, options)
    for d0 in range(0, D, per):
        d = np.arange(d0, min(D, d0 + per), dtype=np.int64)
        if correlated:
            us, uc = np.empty((d.size, n)), np.empty((d.size, n))
            K.uniforms_rows(seed, o["key"], d, 1, us)
            K.uniforms_rows(seed, o["key"], d, 2, uc)
            c = p.correlation  # the Gaussian copula of finance.risk.draw_inputs
            u_cost = np.ascontiguousarray(ndtr(c * ndtri(us) + math.sqrt(1 - c ** 2) * ndtri(uc)))
        else:
            u_cost = np.zeros((0, 0))
        block = np.zeros((K.WIDTH, R, d.size))
        add_b = np.zeros((len(EFFECT_COLUMNS), d.size))
        uw, uo, ask_b = np.zeros(d.size), np.zeros(d.size), np.zeros(d.size)
        rat_b = np.zeros((5, d.size))
        K.draw_block(seed, d, o["key"], o["ent"], o["n_ent"], o["low"], o["mode"], o["high"], o["vary"], u_cost,
                     o["share"], o["elig0"], o["extra"], o["other"], o["tiers"], o["salvage"], o["g_sav"], o["g_cost"],
                     o["inflation"], o["dep_years"], o["tax"], o["rate_year"], o["disc"], o["disc_of"], o["effects"],
                     *p.decision, *p.threshold, APPLY_PROBABILITY,
                     r["base"], r["ext"], r["netof"], r["excl"], r["ok"], r["lin"], r["const"], r["lq"], r["ld"],
                     r["floor"], r["min_inv"], r["max_inv"], r["min_pb"], r["project"], r["min_aid"], r["cap_ent"],
                     r["cap_year"], r["cap_inv"], r["year"], r["spread"], r["taxed"], r["reduce"], r["ceil"],
                     r["c_base"], r["c_af"], r["c_cap"], o["grouped"], o["group"], o["n_groups"],
                     block, seen, add_b, uw, uo, ask_b, ration, np.ascontiguousarray(offset_all[d]),
                     float(envelope) if ration else 0.0, rat_b, err)
        if err[0]:
            q = int(err[3])
            raise ValueError(f"options row {int(err[1])} (draw {int(err[2])}): the grant {p.rule_ids[q]} falls in years "
                             f"{int(r['year'][q])}..{int(r['year'][q] + r['spread'][q] - 1)}, beyond the option's drawn life")
        outlay[:, :, d] = block
        additional[:, d] = add_b
        up_with[d], up_without[d], asked[d] = uw, uo, ask_b
        rat[:, d] = rat_b
    t_idx, r_idx = np.nonzero(seen)
    keys = sorted((int(t), p.rule_ids[q], "grant") for t, q in zip(t_idx, r_idx))
    mat = np.array([outlay[t, p.rule_ids.index(rid)] for t, rid, _ in keys]).reshape(len(keys), D)
    return DrawSums(tuple(keys), mat, additional, up_with, up_without), asked, (rat if ration else None)

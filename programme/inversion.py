"""Inversion: the smallest grant that makes an option pass a target, per option and programme-wide.

Per option (:func:`required_grant`)
    The smallest up-front grant G in [0, G_max] with which the option passes the target, on top of
    the support it already has:

    * ``payback``: simple payback <= ``years``;
    * ``npv``: NPV >= 0 at the enterprise's discount rate;
    * ``irr``: IRR >= ``hurdle``, solved as NPV at the hurdle rate >= 0 (equivalent for the
      conventional flows of an investment followed by net inflows).

    Each target is a monotone function f(G) (NPV, NPV at the hurdle, ``years`` - payback) that
    passes when f >= 0.  The root is bracketed by G = 0 and G_max (``max_rate`` x eligible
    investment) and found by the Illinois variant of regula falsi, vectorised over the options,
    with bisection where f is undefined (payback never reached).  NPV is affine in G (with tax
    capacity), so the first secant step lands on the root; payback is piecewise linear, which
    regula falsi also solves exactly in a few steps.  Options that pass without a grant need 0;
    those that fail even at G_max get NaN with a reason.

Programme-wide (:func:`programme_rate`)
    The smallest uniform grant rate r (share of eligible investment) at which the expected uptake
    reaches a target; since the outlay r x sum(eligible of the taken options) grows with r, the
    smallest such r is also the cheapest uniform rate.  For deterministic rules, option i is taken
    up iff r >= r_i = G_i / eligible_i, so the rate is an order statistic of the r_i.  For the
    logistic rule the expected uptake sum_i p_i(r) is continuous and increasing in r and is solved
    by bisection.  (The ``npv`` rule is NPV > 0 strictly; the grant giving NPV = 0 is its infimum
    and is what is reported.)  The targeted alternative (each option gets exactly G_i, the cheapest options
    first) is reported as the least-cost lower bound.

References
----------
.. [1] M. Dowell, P. Jarratt, "A modified regula falsi method for computing the root of an
   equation", BIT 11, 1971, 168-174 (the Illinois method).
.. [2] NRCan ecoENERGY Retrofit and SMECO rules (POLICY-FACTS: incentives capped so the customer's
   payback stays at least a floor): the payback-target grant is their mirror image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from programme.appraisal import appraise_metrics, empty_support, grant_rows
from programme.uptake import DecisionRule, uptake_probability

__all__ = ["Target", "required_grant", "programme_rate", "ProgrammeRate"]


@dataclass(frozen=True)
class Target:
    """What the grant must achieve.

    Attributes
    ----------
    kind : {"payback", "npv", "irr"}
    years : float
        Payback target for ``kind="payback"``. [yr]
    hurdle : float
        IRR target for ``kind="irr"``. [/1]
    """

    kind: Literal["payback", "npv", "irr"] = "npv"
    years: float = 3.0
    hurdle: float = 0.10

    def __post_init__(self) -> None:
        if self.kind not in ("payback", "npv", "irr"):
            raise ValueError(f"target kind {self.kind!r} is not one of payback, npv, irr")
        if not np.isfinite(self.years) or self.years < 0:
            raise ValueError(f"target years {self.years!r} must be finite and >= 0")
        if not np.isfinite(self.hurdle) or self.hurdle <= -1:
            raise ValueError(f"target hurdle {self.hurdle!r} must be finite and > -1")


def _eligible(options: pd.DataFrame) -> np.ndarray:
    inv = pd.to_numeric(options["investment"], errors="coerce").to_numpy(dtype=float)
    if "eligible_investment" in options.columns:
        el = pd.to_numeric(options["eligible_investment"], errors="coerce").to_numpy(dtype=float)
        return np.where(np.isnan(el), inv, el)
    return inv


def _merge(support: pd.DataFrame | None, rows: np.ndarray, amounts: np.ndarray, taxable: bool, reduces: bool) -> pd.DataFrame:
    extra = grant_rows(rows, amounts, taxable=taxable, reduces_depreciation_base=reduces)
    if support is None or len(support) == 0:
        return extra
    return pd.concat([support, extra], ignore_index=True)


def _score(options: pd.DataFrame, support: pd.DataFrame | None, tax_rate: np.ndarray, g: np.ndarray,
           target: Target, disc: np.ndarray, cap: np.ndarray, taxable: bool, reduces: bool,
           years: Mapping[str, np.ndarray | None]) -> np.ndarray:
    """f(G) per option: >= 0 passes; NaN where undefined (payback never reached)."""
    rows = np.arange(len(options))
    sup = _merge(support, rows, g, taxable, reduces)
    rate = np.full(len(options), target.hurdle) if target.kind == "irr" else disc
    m = appraise_metrics(options, sup, tax_rate, discount_rate=rate, tax_capacity=cap, **years)
    if target.kind == "payback":
        return target.years - m["simple_payback_years"].to_numpy()
    return m["npv"].to_numpy()


def required_grant(
    options: pd.DataFrame,
    tax_rate: np.ndarray,
    target: Target,
    *,
    support: pd.DataFrame | None = None,
    max_rate: float = 1.0,
    taxable: bool = False,
    reduces_depreciation_base: bool = False,
    tol: float = 1e-9,
    max_iter: int = 100,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
    loss_carry_forward_years: np.ndarray | None = None,
) -> pd.DataFrame:
    """Smallest up-front grant per option that makes it pass ``target``.

    Parameters
    ----------
    options : pandas.DataFrame
        Validated options, with ``discount_rate`` and ``tax_capacity`` merged from the enterprises
        (defaults 0.08 and True where absent).
    tax_rate : numpy.ndarray
        Tax rate per option (position-aligned). [/1]
    target : Target
    support : pandas.DataFrame, optional
        Support the options already get (long table, ``row`` = position); the grant comes on top.
    max_rate : float
        Largest grant as a share of the eligible investment. [/1]
    taxable, reduces_depreciation_base : bool
        Tax treatment of the grant.
    tol : float
        Convergence: |f| <= tol x scale (scale = max(1, eligible) for NPV targets, 1 for payback),
        or bracket width <= tol x max(1, eligible). [/1]
    max_iter : int
    tax_rate_by_year, depreciation_schedule : numpy.ndarray, shape (n, >= max life + 1), optional
        The tax rate in force in each year of the life [/1] and the cumulative depreciation share
        [/1] per option, and ``loss_carry_forward_years`` [yr] (NaN = none): what
        :func:`finance.inputs.appraisal_inputs` resolves (``inputs.years()``).  Pass them, and
        options with the enterprise's ``inflation`` (:func:`finance.inputs.with_inflation`), so
        that the grant is found on the appraisal's cash flow; ``tax_rate`` alone is one rate for
        the whole life with straight-line depreciation.

    Returns
    -------
    pandas.DataFrame
        Index 0..n-1; ``grant`` [currency] (NaN where even ``max_rate`` does not suffice),
        ``rate`` = grant / eligible investment [/1] (NaN where eligible is 0), ``passes_without``
        (bool), ``reason`` ('' or why no grant exists).

    References
    ----------
    Dowell & Jarratt 1971 [1]_.
    """
    opt = options.reset_index(drop=True)
    n = len(opt)
    disc = (pd.to_numeric(opt["discount_rate"], errors="coerce").fillna(0.08).to_numpy(dtype=float)
            if "discount_rate" in opt.columns else np.full(n, 0.08))
    cap = (opt["tax_capacity"].fillna(True).astype(bool).to_numpy() if "tax_capacity" in opt.columns else np.ones(n, dtype=bool))
    el = _eligible(opt)
    if not 0 < max_rate <= 10:
        raise ValueError(f"max_rate is {max_rate!r} (expected 0 < max_rate <= 10)")
    hi = max_rate * el
    years = {"tax_rate_by_year": tax_rate_by_year, "depreciation_schedule": depreciation_schedule,
             "loss_carry_forward_years": loss_carry_forward_years}
    score = lambda g: _score(opt, support, tax_rate, g, target, disc, cap, taxable, reduces_depreciation_base, years)  # noqa: E731
    f_lo = score(np.zeros(n))
    passes0 = np.nan_to_num(f_lo, nan=-1.0) >= 0
    f_hi = score(hi)
    feasible = np.nan_to_num(f_hi, nan=-1.0) >= 0
    grant = np.where(passes0, 0.0, np.nan)
    todo = ~passes0 & feasible & (hi > 0)
    lo = np.zeros(n)
    hi_g = hi.copy()
    scale = np.maximum(el, 1.0) if target.kind != "payback" else np.ones(n)
    side = np.zeros(n, dtype=int)  # Illinois: which end was kept last time
    fl, fh = f_lo.copy(), f_hi.copy()
    for _ in range(max_iter):
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        a, b, fa, fb = lo[idx], hi_g[idx], fl[idx], fh[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            sec = b - fb * (b - a) / (fb - fa)
        mid = 0.5 * (a + b)
        ok = np.isfinite(fa) & np.isfinite(fb) & np.isfinite(sec) & (sec > a) & (sec < b)
        c = np.where(ok, sec, mid)
        g = np.zeros(n)
        g[idx] = c
        fc = score(g)[idx]
        passes = np.nan_to_num(fc, nan=-1.0) >= 0
        # shrink the bracket: passing points become the upper end
        new_hi = np.where(passes, c, b)
        new_lo = np.where(passes, a, c)
        new_fh = np.where(passes, fc, fb)
        new_fl = np.where(passes, fa, fc)
        # Illinois: halve the retained end's value when the same end is kept twice
        keep_lo = passes & (side[idx] == -1)
        keep_hi = ~passes & (side[idx] == 1)
        new_fl = np.where(keep_lo, new_fl / 2, new_fl)
        new_fh = np.where(keep_hi, new_fh / 2, new_fh)
        side[idx] = np.where(passes, -1, 1)
        lo[idx], hi_g[idx], fl[idx], fh[idx] = new_lo, new_hi, new_fl, new_fh
        done = (passes & (np.abs(fc) <= tol * scale[idx])) | (new_hi - new_lo <= tol * np.maximum(el[idx], 1.0))
        grant[idx[done]] = new_hi[done]
        todo[idx[done]] = False
    if todo.any():
        grant[todo] = hi_g[todo]  # best passing grant found within max_iter
    reason = np.where(passes0, "passes without a grant",
                      np.where(~feasible, f"fails even with a grant of {max_rate:g} x eligible investment", ""))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(el > 0, grant / el, np.where(grant == 0, 0.0, np.nan))
    return pd.DataFrame({"grant": grant, "rate": rate, "passes_without": passes0, "reason": reason})


@dataclass(frozen=True)
class ProgrammeRate:
    """The uniform grant rate that reaches a target uptake.

    Attributes
    ----------
    rate : float
        Smallest uniform grant rate reaching the target (NaN if unreachable). [/1]
    uptake : float
        Expected number of options taken up at that rate.
    outlay : float
        Expected grant outlay at that rate. [currency]
    targeted_outlay : float
        Outlay if each option got exactly its own required grant, cheapest first, until the same
        uptake (a lower bound for any scheme). [currency]
    per_option : pandas.DataFrame
        :func:`required_grant` result (deterministic rules) or the uptake probabilities at ``rate``.
    """

    rate: float
    uptake: float
    outlay: float
    targeted_outlay: float
    per_option: pd.DataFrame


def programme_rate(
    options: pd.DataFrame,
    tax_rate: np.ndarray,
    rule: DecisionRule,
    target_uptake: float,
    *,
    support: pd.DataFrame | None = None,
    max_rate: float = 1.0,
    tol: float = 1e-9,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
    loss_carry_forward_years: np.ndarray | None = None,
) -> ProgrammeRate:
    """Smallest uniform grant rate at which the expected uptake reaches ``target_uptake``.

    Parameters
    ----------
    options : pandas.DataFrame
        As for :func:`required_grant`.
    tax_rate : numpy.ndarray
        Per option. [/1]
    rule : DecisionRule
        The enterprises' decision rule.
    target_uptake : float
        Share of the options (0 < x <= 1) to be taken up. [/1]
    support : pandas.DataFrame, optional
        Existing support, as for :func:`required_grant`.
    max_rate : float
        Largest rate considered. [/1]
    tol : float
        Rate tolerance of the logistic search. [/1]
    tax_rate_by_year, depreciation_schedule : numpy.ndarray, shape (n, >= max life + 1), optional
        The tax rate in force in each year of the life [/1] and the cumulative depreciation share
        [/1] per option, and ``loss_carry_forward_years`` [yr] (NaN = none): what
        :func:`finance.inputs.appraisal_inputs` resolves (``inputs.years()``).  Pass them, and
        options with the enterprise's ``inflation`` (:func:`finance.inputs.with_inflation`), so
        that the grant is found on the appraisal's cash flow; ``tax_rate`` alone is one rate for
        the whole life with straight-line depreciation.

    Returns
    -------
    ProgrammeRate
    """
    if not 0 < target_uptake <= 1:
        raise ValueError(f"target_uptake is {target_uptake!r} (expected a share in (0, 1])")
    opt = options.reset_index(drop=True)
    n = len(opt)
    el = _eligible(opt)
    need = target_uptake * n
    if rule.kind != "logistic":
        tgt = {"payback": Target("payback", years=rule.payback_limit), "npv": Target("npv"),
               "irr": Target("irr", hurdle=rule.hurdle)}[rule.kind]
        per = required_grant(opt, tax_rate, tgt, support=support, max_rate=max_rate, tax_rate_by_year=tax_rate_by_year,
                             depreciation_schedule=depreciation_schedule,
                             loss_carry_forward_years=loss_carry_forward_years)
        r = per["rate"].to_numpy()
        r = np.where(per["grant"].to_numpy() == 0, 0.0, r)
        k = int(np.ceil(need - 1e-9))
        rs = np.sort(np.where(np.isnan(r), np.inf, r))
        rate = float(rs[k - 1]) if k >= 1 and np.isfinite(rs[k - 1]) else float("nan")
        if np.isnan(rate):
            return ProgrammeRate(rate, float(np.isfinite(rs).sum()), float("nan"), float("nan"), per)
        taken = np.where(np.isnan(r), False, r <= rate + 1e-12)
        g = per["grant"].to_numpy()
        cheapest = np.sort(np.where(np.isnan(g), np.inf, g))[:k]
        return ProgrammeRate(rate, float(taken.sum()), float((rate * el)[taken & (r > 0)].sum()), float(cheapest.sum()), per)

    disc = (pd.to_numeric(opt["discount_rate"], errors="coerce").fillna(0.08).to_numpy(dtype=float)
            if "discount_rate" in opt.columns else np.full(n, 0.08))
    cap = (opt["tax_capacity"].fillna(True).astype(bool).to_numpy() if "tax_capacity" in opt.columns else np.ones(n, dtype=bool))

    def probs(r: float) -> np.ndarray:
        sup = _merge(support, np.arange(n), r * el, False, False)
        m = appraise_metrics(opt, sup, tax_rate, discount_rate=disc, tax_capacity=cap, tax_rate_by_year=tax_rate_by_year,
                             depreciation_schedule=depreciation_schedule,
                             loss_carry_forward_years=loss_carry_forward_years)
        return uptake_probability(rule, payback=m["simple_payback_years"].to_numpy(), npv=m["npv"].to_numpy(), irr=m["irr"].to_numpy())

    p0 = probs(0.0)
    if p0.sum() >= need:
        return ProgrammeRate(0.0, float(p0.sum()), 0.0, 0.0, pd.DataFrame({"p": p0}))
    p1 = probs(max_rate)
    if p1.sum() < need:
        return ProgrammeRate(float("nan"), float(p1.sum()), float("nan"), float("nan"), pd.DataFrame({"p": p1}))
    a, b = 0.0, max_rate
    while b - a > tol:
        c = 0.5 * (a + b)
        if probs(c).sum() >= need:
            b = c
        else:
            a = c
    p = probs(b)
    return ProgrammeRate(b, float(p.sum()), float((p * b * el).sum()), float("nan"), pd.DataFrame({"p": p}))

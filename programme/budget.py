"""Programme budget: every option's support, the outlay by year and instrument, uptake, deadweight
and cost-effectiveness, vectorised over all options.

How a programme is run (:func:`run_programme`)
----------------------------------------------
1. The programme is one policy pack with its parameters.  It is offered to every enterprise given:
   the support is computed by ``policies.engine.support_table`` with each enterprise's
   jurisdiction set to the programme's pack.  The enterprises' own tax rates (their
   ``tax_rate``, else their own jurisdiction's rate on ``on_date``) value the tax items.
2. Every option is appraised twice with ``finance.batch``: without support and with the
   programme's support.  The decision rule turns each appraisal into an uptake probability p0
   (without) and p1 (with); 0/1 for the deterministic rules.  Of options that exclude each other
   (``excludes``: an exclusive group) an enterprise takes up at most one, the one its rule ranks
   best, with support and (separately, for the counterfactual) without; the others get p = 0
   (:mod:`programme.exclusive`, which also says how the caps and deadweight read then).
3. Cumulative caps (``caps.per_enterprise``, ``caps.per_year``, ``caps.investment_per_year``:
   the engine's caps that run over an enterprise's options) are spent only on options that are
   taken up, **in the order of the options within the enterprise** (the frame's order):
   option k gets what the engine gives it after the enterprise's *taken-up* options before it;
   it is taken up if the rule passes with that support, and only then does it use the caps.
   An option not taken up leaves the cap to the options after it; its ``support`` is what it
   would have got had it gone ahead (so ``outlay_if_all`` is an upper bound, not a feasible
   total).  Option order, not best payback first: a programme office serves a company's
   applications in the order they come in until the company's (or the year's) limit is reached,
   and the frame's order stands for that order; the user sets it (sort the options by the
   enterprise's priority or application date); and it does not hand the cap first to the
   options that need support least (best payback first serves the free riders first).  With the logistic rule an option counts as taken up, for the caps, when
   p1 >= :data:`APPLY_PROBABILITY` (its likelier outcome); its expected outlay is still p1 x its
   support, so an enterprise's expected outlay can exceed a cap by the expected outlay of
   options below that probability.
4. Outlay: each item's public money per period (:mod:`programme.outlay`: grants at payment, tax
   deductions and credits as tax expenditure in the year they arise), times p1 = the expected
   outlay.  ``outlay_if_all`` is the outlay if every eligible option took the support up.
5. Deadweight: support to options that would pass the rule without support, min(p0, p1) x outlay
   (:mod:`programme.uptake`).
6. Cost-effectiveness over the options' lives (yearly effects x lifetime_years): public money per
   tonne CO2e, per tonne waste, per MWh; per *additional* unit (effects of the uptake the
   programme induces, (p1 - p0) x effect; NaN where nothing is induced) and per *supported* unit
   (p1 x effect, gross of free riders).  Leverage = private investment per unit of public money
   = (expected investment of supported options - public money) / public money.
7. Present value to the treasury: every period's expected outlay discounted to t = 0 at the
   government's real discount rate (``government_discount_rate``, default
   :data:`GOVERNMENT_DISCOUNT_RATE` = 3 %, :mod:`programme.outlay`): ``pv_cost`` by year and
   instrument, by option and in the summary, with ``pv_grants``, ``pv_tax_expenditure``,
   ``pv_deadweight`` (and its share), ``pv_leverage``, ``pv_cost_per_*`` and
   ``pv_cost_per_supported_*``.  The nominal figures (``total_outlay``, ``cost_per_*``,
   ``leverage``) are kept as they were: the cash view of the budget.  **Use the pv_ figures to
   compare instruments and programmes**: a timing-only instrument (bonus or free depreciation)
   has nominal outlay 0 and so a nominal cost per tonne of 0, while its true cost, the interest
   on the tax deferred, is its ``pv_cost``; grants paid at t = 0 cost the same in both views.
   Effects are not discounted (tonnes over the lives, as in the nominal figures).

Periods: t = 0 is the investment year, ``calendar_year = on_date.year + t``.

References
----------
.. [1] European Commission, Common methodology for State aid evaluation, SWD(2014) 179 final
   (deadweight, incentive effect, cost per unit of outcome).
.. [2] OECD, "Tax Expenditures in OECD Countries", 2010 (revenue-forgone costing).
.. [3] NRCan, ecoENERGY Retrofit - Incentive for Industry (lowest-of incentive, caps per
   application and per company): the reference programme of the tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from finance.appraise import AppraisalInputs, appraisal_inputs, with_inflation
from programme.appraisal import cumulative_payback, flows_and_metrics, payback_from_cumulative
from programme.caps import amount_caps, uncapped_enterprises
from policies.engine import support_table
from programme.outlay import GOVERNMENT_DISCOUNT_RATE, outlay_table, present_value_factor
from programme.scenarios import Scenario
from programme.exclusive import ExclusiveChoice, choose_one, member_rank, rank_score, take_rows
from programme.uptake import DecisionRule, uptake_probability
from records.plain import plain
from screening.excludes import exclusive_groups

__all__ = [
    "ProgrammeResult", "Baseline", "baseline", "run_programme", "budget_records", "compare_scenarios",
    "EFFECTS", "SUMMARY_KEYS", "YEAR_COLUMNS", "APPLY_PROBABILITY", "GOVERNMENT_DISCOUNT_RATE",
]

#: Up to this many options :func:`baseline` computes IRRs by default.
IRR_AUTO_LIMIT: int = 200_000

#: Effect column -> name suffix of the cost-effectiveness figures.
EFFECTS: dict[str, str] = {"co2e_avoided_t": "t_co2e", "waste_avoided_t": "t_waste", "energy_saved_mwh": "mwh"}

#: Keys of :attr:`ProgrammeResult.summary`, in order.
SUMMARY_KEYS: tuple[str, ...] = (
    "pack", "scenario", "options", "eligible_options", "uptake_without_support", "uptake_with_support",
    "additional_uptake", "total_outlay", "outlay_if_all", "grants", "tax_expenditure", "deadweight",
    "deadweight_share", "private_investment", "leverage",
    *(f"{k}_{s}" for s in EFFECTS.values() for k in ("additional", "cost_per")),
    *(f"cost_per_supported_{s}" for s in EFFECTS.values()),
    # added with the present value to the treasury (fields are only ever added, DESIGN.md section 5)
    "government_discount_rate", "pv_cost", "pv_grants", "pv_tax_expenditure", "pv_deadweight",
    "pv_deadweight_share", "pv_leverage",
    *(f"pv_cost_per_{s}" for s in EFFECTS.values()),
    *(f"pv_cost_per_supported_{s}" for s in EFFECTS.values()),
)

#: Amount columns of :attr:`ProgrammeResult.by_year_instrument` (summed by instrument).
YEAR_COLUMNS: tuple[str, ...] = ("outlay", "outlay_if_all", "deadweight", "pv_cost", "pv_deadweight")


@dataclass(frozen=True)
class Baseline:
    """What does not depend on the programme: joined options, tax rates, no-support metrics.

    Computed once by :func:`baseline` and shared by the scenarios of one comparison.
    """

    options: pd.DataFrame
    enterprises: pd.DataFrame
    tax_rate: np.ndarray
    discount_rate: np.ndarray
    tax_capacity: np.ndarray
    metrics: pd.DataFrame
    net: np.ndarray
    cum: np.ndarray | None  # the cumulative flows, where a caller kept them; None = computed where needed from net
    life: np.ndarray
    with_irr: bool
    enterprise_tax_rate: pd.Series
    enterprise_code: np.ndarray
    loss_carry_forward_years: np.ndarray  # per option, the regime's limit without tax capacity, NaN = none [yr]
    inputs: AppraisalInputs | None = None  # the resolved inputs (tax rates by year, depreciation schedules)

    def years(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray | None]:
        """Tax rates by year and depreciation schedules of the options (at ``rows``), as batch keywords."""
        if self.inputs is None:
            return {"tax_rate_by_year": None, "depreciation_schedule": None}
        return self.inputs.years(rows)


@dataclass(frozen=True)
class ProgrammeResult:
    """A programme's budget.

    Attributes
    ----------
    by_year_instrument : pandas.DataFrame
        One row per (calendar_year, instrument_id, kind): ``t`` [yr], ``outlay`` (expected)
        [currency], ``outlay_if_all`` [currency], ``deadweight`` [currency], ``pv_cost`` (the
        expected outlay discounted to t = 0 at the government's rate) [currency], ``pv_deadweight``
        [currency].
    by_option : pandas.DataFrame
        One row per option: ids, ``support`` (nominal public money if taken up) [currency],
        ``support_value`` (NPV with - without support, to the enterprise) [currency],
        ``p_without``, ``p_with`` [/1], ``expected_outlay``, ``deadweight``, ``pv_cost`` (expected
        outlay discounted to t = 0 at the government's rate) [currency], and the
        metrics with and without support (``npv``, ``irr``, ``simple_payback_years`` and the same
        with suffix ``_no_support``), ``exclusive_group`` (the ``option_id`` of the first option of
        the option's exclusive group, None outside groups) and ``alternative_to`` (for an option
        of a group not chosen with support, the ``option_id`` of the one chosen; else None).
    summary : dict
        Keys :data:`SUMMARY_KEYS` (amounts [currency], shares [/1], effects [unit over the
        lives], costs [currency/unit]).
    support : pandas.DataFrame
        The long support table from the engine (``row`` = option position).
    outlay : pandas.DataFrame
        :func:`programme.outlay.outlay_table` of ``support``: the public money of every item in
        every period it costs (``row``, ``instrument_id``, ``kind``, ``t`` [yr], ``outlay`` [currency]).
    """

    by_year_instrument: pd.DataFrame
    by_option: pd.DataFrame
    summary: dict[str, Any]
    support: pd.DataFrame = field(repr=False)
    outlay: pd.DataFrame | None = field(default=None, repr=False)


def baseline(options: pd.DataFrame, enterprises: pd.DataFrame, *, on_date: date, with_irr: bool | None = None) -> Baseline:
    """Tax rates, discount rates, tax capacity and the no-support appraisal of every option.

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames (DESIGN.md section 2).
    on_date : datetime.date
        Appraisal date (tax rates in force).
    with_irr : bool, optional
        Compute IRRs (the costliest metric); default: up to :data:`IRR_AUTO_LIMIT` options.
        Without them the ``irr`` columns are left out of the results and the ``irr`` decision
        rule is refused.

    Returns
    -------
    Baseline
    """
    return _baseline(options, enterprises, on_date, with_irr)[0]


def _baseline(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, with_irr: bool | None,
              alongside: Callable[[Baseline], Any] | None = None) -> tuple[Baseline, Any]:
    """:func:`baseline`, and ``alongside(partial)`` run on another thread while the no-support flows are
    computed (``partial``: the baseline without ``metrics``, ``net`` and ``life``); its result is returned."""
    opt = options.reset_index(drop=True)
    codes, ent_codes = _enterprise_codes(opt, enterprises)
    # joined on integer codes, not the id text (the same rows, a cheaper hash): messages, if any,
    # come from a second run on the ids
    opt_c, ent_c = opt.assign(enterprise_id=codes), enterprises.assign(enterprise_id=ent_codes)
    try:
        # the enterprise's inflation on each option's row, as finance.appraise sets it (the kernels read it there)
        with_infl = with_inflation(opt_c, ent_c)
        # the same inputs as finance.appraise (one resolution of tax, discount rate, capacity, carry-forward,
        # tax rates by year and depreciation schedules)
        inputs = appraisal_inputs(with_infl, ent_c, on_date)
    except Exception:
        appraisal_inputs(with_inflation(opt, enterprises), enterprises, on_date)
        raise
    if with_infl is not opt_c:
        opt = opt.assign(inflation=with_infl["inflation"].to_numpy())
    tax, disc, cap = inputs.tax_rate, inputs.discount_rate, inputs.tax_capacity
    loss = inputs.loss_carry_forward_years
    bad = ~np.isfinite(disc) | (disc <= -1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"options row {i}: field 'discount_rate' is {disc[i]!r} (expected a number > -1)")
    irr = len(opt) <= IRR_AUTO_LIMIT if with_irr is None else bool(with_irr)
    ent_ids, first = np.unique(codes, return_index=True)
    ent_rate = pd.Series(tax[first], index=opt["enterprise_id"].to_numpy()[first])
    # the no-support flows are all that is left; `alongside` (the engine's first run, which reads none of
    # them) runs on another thread meanwhile
    partial = Baseline(opt, enterprises, tax, disc, cap, pd.DataFrame(), np.zeros((0, 0)), None, np.zeros(0, dtype=np.int64),
                       irr, ent_rate, codes, loss, inputs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        side = pool.submit(alongside, partial) if alongside is not None else None
        net, life, m = flows_and_metrics(opt, tax, cap, disc, None, loss_carry_forward_years=loss, with_irr=irr,
                                         **inputs.years())
        extra = side.result() if side is not None else None
    return dataclasses.replace(partial, metrics=m, net=net, life=life), extra


def _enterprise_codes(options: pd.DataFrame, enterprises: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the enterprise ids: of each option (0, 1, ... in order of first appearance,
    ``Baseline.enterprise_code``) and of each enterprise row (the same code for the same id; ids no
    option names get codes after those)."""
    codes, uniques = pd.factorize(options["enterprise_id"])
    ent = pd.Index(uniques).get_indexer(enterprises["enterprise_id"]) if len(uniques) else np.full(len(enterprises), -1)
    ent = np.asarray(ent, dtype=np.int64)
    other = ent < 0
    if other.any():
        ent[other] = len(uniques) + pd.factorize(enterprises["enterprise_id"].to_numpy()[other])[0]
    return codes.astype(np.int64), ent


def _probabilities(rule: DecisionRule, m: pd.DataFrame) -> np.ndarray:
    return uptake_probability(rule, payback=m["simple_payback_years"].to_numpy(), npv=m["npv"].to_numpy(),
                              irr=m["irr"].to_numpy() if "irr" in m.columns else None)


def _grant_only(support: pd.DataFrame) -> bool:
    """True when every item is a grant that is neither taxable nor reduces the depreciable base:
    such grants leave taxable profit untouched, so the flows with support are the flows without
    plus the grants (exact under the model of ``finance.cashflow``)."""
    return bool((support["kind"] == "grant").all() and not support["taxable"].astype(bool).any()
                and not support["reduces_depreciation_base"].astype(bool).any())


def _lifetime(opt: pd.DataFrame, col: str) -> np.ndarray:
    if col not in opt.columns:
        return np.zeros(len(opt))
    v = pd.to_numeric(opt[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    return v * pd.to_numeric(opt["lifetime_years"]).to_numpy(dtype=float)


#: An option counts as taking its support up, for the cumulative caps, when its uptake probability
#: with support is at least this (exactly the taken-up options under the deterministic rules).
APPLY_PROBABILITY: float = 0.5


def _support_for(b: Baseline, ent: pd.DataFrame, on_date: date, params: Mapping[str, float] | None,
                 rows: np.ndarray | None = None, *, alone: bool = False) -> pd.DataFrame:
    """The engine's support table of the options at ``rows`` (all when None), in frame order.

    ``ent`` holds one row per enterprise in the order of ``b.enterprise_code``.  ``row`` of the
    result is the option's position in ``b.options``; items whose nominal amount is 0 give nothing
    and are dropped, except a tax holiday, whose amount is always 0 (its value is the tax it removes).  With ``alone``
    every option is its own enterprise (same enterprise attributes): the support it gets when no
    other option of its enterprise has used the enterprise's cumulative caps.
    """
    # the engine joins options and enterprises on integer ids (the enterprise codes: the same join as
    # on the id text, a cheaper hash); an error is raised again from a run on the ids, for its message
    if rows is None:
        opt, e = b.options.assign(enterprise_id=b.enterprise_code), ent.assign(enterprise_id=np.arange(len(ent)))
        named = (b.options, ent)
    else:
        opt = b.options.iloc[rows].reset_index(drop=True)
        codes = b.enterprise_code[rows]
        if alone:
            e = ent.iloc[codes].reset_index(drop=True)
            own = np.arange(len(opt), dtype=np.int64)
            e["enterprise_id"] = own
            opt = opt.assign(enterprise_id=own)
            named = (opt, e)
        else:
            used = np.unique(codes)
            e = ent.iloc[used].reset_index(drop=True)
            named = (opt, e)
            opt, e = opt.assign(enterprise_id=codes), e.assign(enterprise_id=used)
    try:
        support = support_table(opt, e, on_date, params)
    except Exception:
        support_table(*named, on_date, params)
        raise
    if len(support):
        keep = (support["amount"].to_numpy(dtype=float) != 0) | (support["kind"].to_numpy() == "tax_holiday")
        support = support[keep].reset_index(drop=True)
    if rows is not None and len(support):
        support["row"] = np.asarray(rows, dtype=np.int64)[support["row"].to_numpy(dtype=np.int64)]
    return support


def _metrics_with(b: Baseline, support: pd.DataFrame, rows: np.ndarray, keep: dict[str, Any] | None = None) -> pd.DataFrame:
    """Decision metrics (``npv``, ``simple_payback_years``, ``irr`` when the baseline has IRRs) of
    the options at ``rows`` (positions, increasing) with ``support`` (whose ``row`` are all among
    ``rows``); index 0..len(rows)-1.  ``keep`` receives ``net``, the net flows with ``support`` of
    every option (row i = option i), where they were computed for all options."""
    if len(support) == 0:
        return b.metrics.iloc[rows].reset_index(drop=True)
    n_all = len(b.options)
    if 2 * len(rows) >= n_all:
        # most options: work on the whole baseline (no copies of its matrices), then select
        m = _metrics_of(b, support, np.arange(n_all), keep)
        return m if len(rows) == n_all else m.iloc[rows].reset_index(drop=True)
    return _metrics_of(b, support, rows)


def _metrics_of(b: Baseline, support: pd.DataFrame, rows: np.ndarray, keep: dict[str, Any] | None = None) -> pd.DataFrame:
    n = len(rows)
    whole = n == len(b.options)
    local = np.full(len(b.options), -1, dtype=np.int64)
    local[rows] = np.arange(n)
    rows_s = local[support["row"].to_numpy(dtype=np.int64)]
    if (rows_s < 0).any():
        raise ValueError("internal: support rows outside the options appraised")
    if _grant_only(support) and not b.with_irr:
        # untaxed grants: flows with support = flows without + grants (see _grant_only)
        spread = support["spread_years"].to_numpy(dtype=np.int64)
        year0 = support["year"].to_numpy(dtype=np.int64)
        amount_s = support["amount"].to_numpy(dtype=float)
        life = b.life if whole else b.life[rows]
        disc = b.discount_rate if whole else b.discount_rate[rows]
        rep = np.repeat(np.arange(len(support)), spread)
        years = year0[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(spread) - spread, spread))
        if (years > life[rows_s[rep]]).any():
            j = int(rep[np.flatnonzero(years > life[rows_s[rep]])[0]])
            raise ValueError(f"support row {j}: grant falls beyond option row {rows[rows_s[j]]}'s life of "
                             f"{life[rows_s[j]]} years")
        per = amount_s[rep] / spread[rep]
        pv = per * np.exp(-years * np.log1p(disc[rows_s[rep]]))
        npv0 = b.metrics["npv"].to_numpy()
        npv1 = (npv0 if whole else npv0[rows]) + np.bincount(rows_s[rep], weights=pv, minlength=n)
        if b.cum is not None:
            cum = b.cum if whole else b.cum[rows]
        else:
            cum = cumulative_payback(b.net if whole else b.net[rows], life)[0]
        width = cum.shape[1]
        if (years == 0).all():
            cum1 = cum + np.bincount(rows_s, weights=amount_s, minlength=n)[:, None]
        else:
            add = np.bincount(rows_s[rep] * width + years, weights=per, minlength=n * width).reshape(n, width)
            cum1 = cum + cumulative_payback(add, life, keep_cumulative=True)[0]
            del add
        m1 = pd.DataFrame({"npv": npv1, "simple_payback_years": payback_from_cumulative(cum1, life)})
        del cum1
        return m1
    opt = b.options if whole else b.options.iloc[rows].reset_index(drop=True)
    sup = support.assign(row=rows_s)
    net, _, m = flows_and_metrics(opt, b.tax_rate[rows], b.tax_capacity[rows], b.discount_rate[rows], sup,
                                  loss_carry_forward_years=b.loss_carry_forward_years[rows], with_irr=b.with_irr,
                                  **b.years(None if whole else rows))
    if keep is not None and whole:
        keep["net"] = net
    return m


def _amounts(support: pd.DataFrame, rows: np.ndarray, n_options: int, instruments: list[str]) -> np.ndarray:
    """Amount of each instrument per option at ``rows``: shape (len(rows), len(instruments)). [currency]"""
    out = np.zeros((len(rows), len(instruments)))
    if len(support) == 0:
        return out
    local = np.full(n_options, -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    r = local[support["row"].to_numpy(dtype=np.int64)]
    ids = pd.Categorical(support["instrument_id"])  # categorical from the engine: no copy
    k = pd.Index(instruments).get_indexer(ids.categories.astype(str))[ids.codes]
    keep = r >= 0
    np.add.at(out, (r[keep], k[keep]), support["amount"].to_numpy(dtype=float)[keep])
    return out


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate support tables, keeping the categorical text columns categorical."""
    parts = [p.copy(deep=False) for p in parts]
    for c in parts[0].columns:
        if all(isinstance(p[c].dtype, pd.CategoricalDtype) for p in parts):
            union = pd.Index(list(dict.fromkeys(x for p in parts for x in p[c].cat.categories)), dtype=object)
            for p in parts:
                p[c] = p[c].cat.set_categories(union)
    return pd.concat(parts, ignore_index=True)


def _instruments(*tables: pd.DataFrame) -> list[str]:
    """Sorted instrument ids present in the support tables."""
    return sorted({str(v) for t in tables if len(t) for v in pd.unique(t["instrument_id"])})


def _first_by_group(mask: np.ndarray, code: np.ndarray, n_groups: int) -> np.ndarray:
    """Smallest position i with mask[i] in each group (len(mask) where none)."""
    first = np.full(n_groups, len(mask), dtype=np.int64)
    idx = np.flatnonzero(mask)
    np.minimum.at(first, code[idx], idx)
    return first


def _allocate(b: Baseline, ent: pd.DataFrame, on_date: date, params: Mapping[str, float] | None,
              rule: DecisionRule, *, pack: str = "", shortcut: bool = True,
              keep: dict[str, Any] | None = None, first: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Support of every option with the enterprises' cumulative caps spent on taken-up options only.

    The allocation is the sequential one of :func:`run_programme` (options of an enterprise in frame
    order; an option gets what the engine gives it after the taken-up options before it; it uses
    the caps only if it is taken up with that support).  It is computed in rounds over whole
    enterprises: each round runs the engine over the options still in play (taken-up and
    undecided ones, in frame order) and settles, in each enterprise, every option up to and
    including the first one that fails the rule (their predecessors in play are all taken up, so
    their support is final), and every later option whose support equals its stand-alone support
    (what it gets with no predecessor: a cap left at least as large cannot give it more).  A
    settled option that fails leaves play.  Where the shortcut settled an option in an enterprise
    in which another option was clipped by a cap, a last engine run over the taken-up options
    checks their support; where it differs (possible only with caps whose use does not shrink with
    the options in play) the whole allocation is made again without the stand-alone shortcut
    (``shortcut=False``: settled by order only, exact whatever the caps).

    An enterprise that no cumulative cap of the ``pack``'s rules can clip (:func:`programme.caps.uncapped_enterprises`: its
    amounts in the first engine run, over all its options, and its bases stay below the caps) is
    settled at once: fewer options in play can only leave more under the caps.

    ``first``: the engine's run over all options (:func:`_support_for` of ``b`` and ``ent``), when
    already made.  ``keep`` (a dict) receives ``net``, the net flows of every option with the returned support,
    where the first engine run's support is the answer and its flows were computed for all options
    (left empty otherwise).

    Returns
    -------
    support : pandas.DataFrame
        The support each option gets (if it is taken up), ``row`` = position, sorted by row.
    m1 : pandas.DataFrame
        Decision metrics with that support, one row per option.
    """
    n = len(b.options)
    code = b.enterprise_code
    n_ent = int(code.max()) + 1 if n else 0
    idx = np.arange(n)
    ent0 = ent
    ent = _per_code(b, ent)
    support = first if first is not None else _support_for(b, ent, on_date, params)
    if len(support) == 0:
        return support, b.metrics
    has = np.zeros(n, dtype=bool)
    has[support["row"].to_numpy(dtype=np.int64)] = True
    rows_s = np.flatnonzero(has)
    ms = _metrics_with(b, support, rows_s, keep)
    m1 = pd.DataFrame({c: _put(b.metrics[c].to_numpy(), rows_s, ms[c].to_numpy()) for c in b.metrics.columns})
    p = _probabilities(rule, m1)
    # options after the first supported option that fails the rule may have been short-changed by it
    fail = has & (p < APPLY_PROBABILITY)
    after = idx > _first_by_group(fail, code, n_ent)[code]
    if not after.any():
        return support, m1
    below = uncapped_enterprises(b.options, b.enterprise_code, ent, support, pack, on_date, params) if shortcut else None
    if below is not None:
        after &= ~below[code]
        if not after.any():
            return support, m1

    by_stand_alone = np.zeros(n_ent, dtype=bool)  # enterprises where the stand-alone shortcut settled an option
    clipped = np.zeros(n_ent, dtype=bool)  # ... and where some undecided option got less than stand-alone

    def settle(undecided: np.ndarray, shortcut: bool, support: pd.DataFrame, m1: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        cand = np.flatnonzero(undecided)
        alone = _support_for(b, ent, on_date, params, cand, alone=True) if shortcut else support.iloc[:0]
        instruments = _instruments(support, alone)
        solo = _amounts(alone, cand, n, instruments)
        solo_of = np.full(n, -1, dtype=np.int64)
        solo_of[cand] = np.arange(len(cand))
        in_play = np.ones(n, dtype=bool)
        # settled options before the first failure that are not taken up leave play
        involved = np.zeros(n_ent, dtype=bool)
        involved[code[cand]] = True
        in_play[~undecided & (_probabilities(rule, m1) < APPLY_PROBABILITY) & involved[code]] = False
        redone = np.zeros(n, dtype=bool)  # options whose support comes from a later round
        parts: list[pd.DataFrame] = []
        # round 0 (with the shortcut) reads the engine run over all options: an option whose support
        # there equals its stand-alone support is settled; the order rule does not apply (settled
        # failures are still in that frame)
        frame0 = shortcut
        while undecided.any():
            u = np.flatnonzero(undecided)
            if frame0:
                sup_u = support  # _amounts reads only the rows of u
                mu = m1.iloc[u].reset_index(drop=True)
                done = np.zeros(len(u), dtype=bool)
            else:
                active = np.zeros(n_ent, dtype=bool)
                active[code[u]] = True
                sup_f = _support_for(b, ent, on_date, params, np.flatnonzero(in_play & active[code]))
                sup_u = sup_f[undecided[sup_f["row"].to_numpy(dtype=np.int64)]] if len(sup_f) else sup_f
                mu = _metrics_with(b, sup_u, u)
            pu = _probabilities(rule, mu)
            if not frame0:
                failing = np.zeros(n, dtype=bool)
                failing[u[pu < APPLY_PROBABILITY]] = True
                done = u <= _first_by_group(failing, code, n_ent)[code[u]]
            if shortcut:
                if set(_instruments(sup_u)) - set(instruments):
                    # an instrument the stand-alone run never gave: not comparable, settle by order only
                    same = np.zeros(len(u), dtype=bool)
                else:
                    same = (_amounts(sup_u, u, n, instruments) == solo[solo_of[u]]).all(axis=1)
                by_stand_alone[code[u[same & ~done]]] = True
                clipped[code[u[~same]]] = True
                done |= same
            newly = u[done]
            if not frame0:  # round 0 settles options at their first-run support and metrics, already in place
                for c in m1.columns:
                    m1.loc[newly, c] = mu[c].to_numpy()[done]
                redone[newly] = True
                if len(sup_u):
                    now = np.zeros(n, dtype=bool)
                    now[newly] = True
                    parts.append(sup_u[now[sup_u["row"].to_numpy(dtype=np.int64)]])
            frame0 = False
            in_play[newly[pu[done] < APPLY_PROBABILITY]] = False
            undecided[newly] = False
        if not redone.any():
            return support, m1
        # one table: the first run's rows of the options not redone and the later rounds' rows, by row
        parts = [t for t in parts if len(t)]
        out = _concat([support] + parts)
        row = out["row"].to_numpy(dtype=np.int64)
        kept = np.flatnonzero(np.r_[~redone[row[:len(support)]], np.ones(len(out) - len(support), dtype=bool)])
        order = kept[np.argsort(row[kept], kind="stable")]
        return out.take(order).reset_index(drop=True), m1

    first = support
    support, m1 = settle(after.copy(), shortcut, support, m1)
    if keep is not None and support is not first:
        keep.clear()  # some options' support came from later rounds: the first run's flows are not theirs
    # Check.  In an enterprise where no undecided option ever got less than its stand-alone support,
    # every option in play kept the support it has alone, so with fewer options in play (the taken-up
    # ones) every cumulative cap, clip(cap - sum of the amounts before, 0, amount), has at least as
    # much left: the settled support is exact.  Elsewhere the shortcut relies on the caps' use
    # shrinking with the options in play; an engine run over the taken-up options checks it.
    suspect = by_stand_alone & clipped
    if not suspect.any():
        return support, m1
    taken = (_probabilities(rule, m1) >= APPLY_PROBABILITY) & suspect[code]
    rows_t = np.flatnonzero(taken)
    check = _support_for(b, ent, on_date, params, rows_t)
    instruments = _instruments(support, check)
    # (cumulative caps subtract running sums: a different frame may round differently, ~1e-12 relative)
    differs = ~np.isclose(_amounts(check, rows_t, n, instruments), _amounts(support, rows_t, n, instruments),
                          rtol=1e-9, atol=1e-6).all(axis=1)
    if differs.any():
        if keep is not None:
            keep.clear()
        return _allocate(b, ent0, on_date, params, rule, pack=pack, shortcut=False, first=first)
    return support, m1


def _per_code(b: Baseline, ent: pd.DataFrame) -> pd.DataFrame:
    """The enterprises as the engine reads them (the first row of an id), one row per enterprise code."""
    _, first_of = np.unique(b.enterprise_code, return_index=True)
    ent = ent.drop_duplicates("enterprise_id")
    pos = pd.Index(ent["enterprise_id"]).get_indexer(b.options["enterprise_id"].to_numpy()[first_of])
    return ent.iloc[pos].reset_index(drop=True)


def _put(values: np.ndarray, rows: np.ndarray, new: np.ndarray) -> np.ndarray:
    """A copy of ``values`` with ``new`` at ``rows``."""
    out = np.array(values, copy=True)
    out[rows] = new
    return out


def _allocate_exclusive(b: Baseline, ent: pd.DataFrame, on_date: date, params: Mapping[str, float] | None,
                        rule: DecisionRule, *, pack: str, keep: dict[str, Any] | None = None,
                        first: pd.DataFrame | None = None,
                        group: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame, ExclusiveChoice]:
    """:func:`_allocate` with at most one option per exclusive group taken up (``programme.exclusive``).

    Without groups this is :func:`_allocate`.  Without cumulative caps in the pack (each option's
    support independent of the others) one allocation is read for the choice.  With caps, the
    enterprises with groups are allocated in layers (layer r: their options of no group and the
    r-th option of each group) for the choice, then once over the options of no group and the
    chosen ones (an enterprise whose chosen options all have the same place r in their groups is
    settled by layer r, which holds exactly those options); not-chosen options keep their layer's
    support and metrics.
    """
    opt = b.options
    n = len(opt)
    group = exclusive_groups(opt) if group is None else group
    if not (group >= 0).any():
        return (*_allocate(b, ent, on_date, params, rule, pack=pack, keep=keep, first=first),
                ExclusiveChoice(group, np.ones(n, bool), np.ones(n, bool)))
    without = choose_one(group, rank_score(rule, b.metrics))
    if amount_caps(pack, on_date, params) == {}:
        support, m1 = _allocate(b, ent, on_date, params, rule, pack=pack, keep=keep, first=first)
        return support, m1, ExclusiveChoice(group, choose_one(group, rank_score(rule, m1)), without)
    code = b.enterprise_code
    has_group = np.zeros(int(code.max()) + 1, dtype=bool)
    has_group[code[group >= 0]] = True
    in_grouped = has_group[code]
    rank = member_rank(group)
    m1 = b.metrics.copy()

    def run(rows: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        sup, m = _allocate(take_rows(b, rows), ent, on_date, params, rule, pack=pack)
        if len(sup):
            sup = sup.assign(row=rows[sup["row"].to_numpy(dtype=np.int64)])
        return sup, m

    layers: list[tuple[np.ndarray, pd.DataFrame, pd.DataFrame]] = []
    for r in range(int(rank.max()) + 1):
        rows = np.flatnonzero(in_grouped & ((group < 0) | (rank == r)))
        sup, m = run(rows)
        layers.append((rows, m, sup))
        mine = rank[rows] == r
        for c in m1.columns:
            m1.loc[rows[mine], c] = m[c].to_numpy()[mine]
    chosen = choose_one(group, rank_score(rule, m1))
    # The layer each option's figures come from: a not-chosen option its own; in an enterprise whose
    # chosen options all sit at the same place r of their groups, every option layer r (its options
    # in play are exactly those of the final allocation); elsewhere (-1) a final allocation.
    n_ent = int(code.max()) + 1
    win = np.flatnonzero(chosen & (group >= 0))
    lo = np.full(n_ent, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n_ent, -1, dtype=np.int64)
    np.minimum.at(lo, code[win], rank[win])
    np.maximum.at(hi, code[win], rank[win])
    same = has_group & (lo == hi)
    source = np.where(chosen, np.where(same[code], lo[code], -1), rank)
    parts: list[pd.DataFrame] = []
    final = np.flatnonzero(source < 0)
    if len(final):
        sup, m = run(final)
        for c in m1.columns:
            m1.loc[final, c] = m[c].to_numpy()
        parts.append(sup)
    for r, (rows, m, sup) in enumerate(layers):
        here = source[rows] == r
        for c in m1.columns:
            m1.loc[rows[here], c] = m[c].to_numpy()[here]
        if len(sup):
            parts.append(sup[source[sup["row"].to_numpy(dtype=np.int64)] == r])
    parts = [t for t in parts if len(t)]
    if not parts:
        return layers[0][2].iloc[:0], m1, ExclusiveChoice(group, chosen, without)
    support = _concat(parts)
    support = support.take(np.argsort(support["row"].to_numpy(dtype=np.int64), kind="stable")).reset_index(drop=True)
    return support, m1, ExclusiveChoice(group, chosen, without)

def run_programme(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    pack: str,
    *,
    params: Mapping[str, float] | None = None,
    on_date: date,
    rule: DecisionRule,
    scenario: str = "",
    base: Baseline | None = None,
    government_discount_rate: float = GOVERNMENT_DISCOUNT_RATE,
) -> ProgrammeResult:
    """Support, outlay, uptake, deadweight and cost-effectiveness of one programme.

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames (DESIGN.md section 2).
    pack : str
        The programme's pack code, e.g. ``"CA-ECOENERGY"``.
    params : Mapping[str, float], optional
        Programme parameters ``<rule id>.<path>`` (see ``policies.engine``).
    on_date : datetime.date
        Appraisal date: the rules in force and tax rates on it; calendar year of t = 0.
    rule : DecisionRule
        The enterprises' decision rule.
    scenario : str
        Name recorded in the summary.
    base : Baseline, optional
        Precomputed :func:`baseline` of the same frames and date (reused across scenarios).
    government_discount_rate : float
        Real discount rate of public money for the ``pv_`` figures (module docstring, step 7);
        default :data:`GOVERNMENT_DISCOUNT_RATE`. [/1]

    Returns
    -------
    ProgrammeResult

    Notes
    -----
    Caps per enterprise and per year are spent only on taken-up options, in the order of the
    options within each enterprise (module docstring, step 3; ``_allocate`` gives the rounds that
    compute it).

    Raises
    ------
    ValueError
        On bad frames, an unknown pack or parameter (messages name row, field and reason).

    References
    ----------
    SWD(2014) 179 [1]_; OECD 2010 [2]_.
    """
    present_value_factor(np.zeros(1), government_discount_rate)  # refuse a bad rate before any work
    def programme_enterprises(b: Baseline) -> pd.DataFrame:
        ent = enterprises.copy()
        ent["jurisdiction"] = pack
        # the engine values tax items (aid ceilings) at the enterprises' own rates, not the pack's
        ent["tax_rate"] = ent["enterprise_id"].map(b.enterprise_tax_rate).astype(float)
        return ent

    def first_run(b: Baseline) -> tuple[pd.DataFrame, pd.DataFrame]:
        ent = programme_enterprises(b)
        return ent, _support_for(b, _per_code(b, ent), on_date, params)

    first = None
    group = exclusive_groups(options.reset_index(drop=True) if base is None else base.options)
    if base is not None:
        b = base
        ent = programme_enterprises(b)
    elif not (group >= 0).any():
        # the engine's run over all options needs no flows: made while the baseline's flows are computed
        b, (ent, first) = _baseline(options, enterprises, on_date, True if rule.kind == "irr" else None, first_run)
    else:
        b = baseline(options, enterprises, on_date=on_date, with_irr=True if rule.kind == "irr" else None)
        ent = programme_enterprises(b)
    if rule.kind == "irr" and not b.with_irr:
        raise ValueError("the 'irr' decision rule needs IRRs: build the baseline with with_irr=True")
    opt = b.options
    n = len(opt)
    flows: dict[str, Any] = {}  # the net flows with the support, when _allocate computed them for all options
    support, m1, choice = _allocate_exclusive(b, ent, on_date, params, rule, pack=pack, keep=flows, first=first, group=group)
    # at most one option per exclusive group: the one the rule ranks best (programme.exclusive)
    p0 = _probabilities(rule, b.metrics) * choice.chosen_without
    p1 = _probabilities(rule, m1) * choice.chosen_with
    dw_p = np.minimum(p0, p1)

    out = outlay_table(support, opt, b.tax_rate, tax_capacity=b.tax_capacity,
                       loss_carry_forward_years=b.loss_carry_forward_years, net_without=b.net,
                       net_with=flows.pop("net", None), **b.years())
    rows = out["row"].to_numpy()
    amt = out["outlay"].to_numpy()
    gross = np.bincount(rows, weights=amt, minlength=n)
    eligible = np.zeros(n, dtype=bool)
    if len(support):
        eligible[support["row"].to_numpy()] = True
    exp_outlay = p1 * gross
    deadweight = dw_p * gross

    disc = present_value_factor(out["t"].to_numpy(), government_discount_rate)
    pv_amt = amt * disc
    # instrument ids and kinds stay categorical (a handful of values over many rows) until grouped
    key = pd.DataFrame({"t": out["t"].to_numpy(), "instrument_id": out["instrument_id"].array,
                        "kind": out["kind"].array, "outlay": amt * p1[rows], "outlay_if_all": amt,
                        "deadweight": amt * dw_p[rows], "pv_cost": pv_amt * p1[rows], "pv_deadweight": pv_amt * dw_p[rows]})
    byi = key.groupby(["t", "instrument_id", "kind"], sort=True, as_index=False, observed=True)[list(YEAR_COLUMNS)].sum()
    for c in ("instrument_id", "kind"):
        byi[c] = byi[c].astype(object).astype(str)
    byi.insert(0, "calendar_year", on_date.year + byi["t"].astype(np.int64))

    ids = [c for c in ("enterprise_id", "option_id") if c in opt.columns]
    by_option = opt[ids].copy()
    by_option["eligible"] = eligible
    by_option["support"] = gross
    npv0 = b.metrics["npv"].to_numpy()
    by_option["support_value"] = m1["npv"].to_numpy() - npv0
    by_option["p_without"] = p0
    by_option["p_with"] = p1
    by_option["expected_outlay"] = exp_outlay
    by_option["deadweight"] = deadweight
    pv_gross = np.bincount(rows, weights=pv_amt, minlength=n)
    by_option["pv_cost"] = p1 * pv_gross
    if choice.any:
        oid = opt["option_id"].astype(str).to_numpy(dtype=object) if "option_id" in opt.columns else np.arange(n).astype(object)
        by_option["exclusive_group"] = choice.label(oid)  # the group's first option; None outside groups
        by_option["alternative_to"] = choice.alternative_to(oid)  # not chosen: the alternative taken instead
    else:  # no groups: None throughout (the ids are not read)
        by_option["exclusive_group"] = np.full(n, None, dtype=object)
        by_option["alternative_to"] = np.full(n, None, dtype=object)
    for c in ("npv", "irr", "simple_payback_years"):
        if c not in m1.columns:
            continue
        by_option[c] = m1[c].to_numpy()
        by_option[f"{c}_no_support"] = b.metrics[c].to_numpy()

    total = float(exp_outlay.sum())
    # Timing-only instruments (accelerated depreciation) give tax forgone early and back later: their
    # nominal total is zero, and the float residue of that sum must not pass for an outlay.
    flows = float(np.abs(key["outlay"]).sum())
    noise = 1e-9 * max(1.0, flows)
    if abs(total) <= noise:
        total = 0.0
    if abs(float(deadweight.sum())) <= noise:
        deadweight = np.zeros_like(deadweight)
    grant_mask = out["kind"].to_numpy() == "grant"
    grants = float((amt * p1[rows])[grant_mask].sum())
    inv = pd.to_numeric(opt["investment"]).to_numpy(dtype=float)
    supported_inv = float((p1 * inv)[eligible].sum())
    summary: dict[str, Any] = {
        "pack": pack, "scenario": scenario, "options": n, "eligible_options": int(eligible.sum()),
        "uptake_without_support": float(p0.sum()), "uptake_with_support": float(p1.sum()),
        "additional_uptake": float((p1 - p0).sum()),
        "total_outlay": total, "outlay_if_all": float(gross.sum()), "grants": grants,
        "tax_expenditure": total - grants, "deadweight": float(deadweight.sum()),
        "deadweight_share": float(deadweight.sum() / total) if total > 0 else float("nan"),
        "private_investment": supported_inv - total,
        "leverage": (supported_inv - total) / total if total > 0 else float("nan"),
    }
    pv = float((p1 * pv_gross).sum())
    pv_dw = float((dw_p * pv_gross).sum())
    pv_grants = float((pv_amt * p1[rows])[grant_mask].sum())
    summary.update({
        "government_discount_rate": float(government_discount_rate), "pv_cost": pv, "pv_grants": pv_grants,
        "pv_tax_expenditure": pv - pv_grants, "pv_deadweight": pv_dw,
        "pv_deadweight_share": pv_dw / pv if pv > 0 else float("nan"),
        "pv_leverage": (supported_inv - pv) / pv if pv > 0 else float("nan"),
    })
    for col, suffix in EFFECTS.items():
        life_effect = _lifetime(opt, col)
        # over all options: where support makes an enterprise switch alternatives, the option given up
        # (eligible or not) subtracts its effects; elsewhere p1 == p0 outside the eligible options
        add = float(((p1 - p0) * life_effect).sum())
        sup = float((p1 * life_effect)[eligible].sum())
        summary[f"additional_{suffix}"] = add
        summary[f"cost_per_{suffix}"] = total / add if add > 0 else float("nan")
        summary[f"cost_per_supported_{suffix}"] = total / sup if sup > 0 else float("nan")
        summary[f"pv_cost_per_{suffix}"] = pv / add if add > 0 else float("nan")
        summary[f"pv_cost_per_supported_{suffix}"] = pv / sup if sup > 0 else float("nan")
    summary = {k: summary[k] for k in SUMMARY_KEYS}
    return ProgrammeResult(byi, by_option, summary, support, out)


def budget_records(result: ProgrammeResult, by: str = "year") -> list[dict[str, Any]]:
    """The records ``cpscreen budget`` prints, as plain dicts (:func:`budget_frame` row by row).

    JSON-ready: NaN and infinities become ``None``.
    """
    return [{k: plain(v) for k, v in rec.items()} for rec in budget_frame(result, by).to_dict(orient="records")]


def budget_frame(result: ProgrammeResult, by: str = "year") -> pd.DataFrame:
    """The records ``cpscreen budget`` prints, as one frame (written column by column).

    Parameters
    ----------
    result : ProgrammeResult
    by : {"year", "instrument", "option", "summary"}
        ``year``: one record per (calendar_year, instrument_id, kind) with ``t`` and
        :data:`YEAR_COLUMNS` (``outlay``, ``outlay_if_all``, ``deadweight``, ``pv_cost``,
        ``pv_deadweight``) [currency]; ``instrument``: the same summed over years;
        ``option``: one record per option (:attr:`ProgrammeResult.by_option`); ``summary``: one
        record with :data:`SUMMARY_KEYS`.

    Returns
    -------
    DataFrame
    """
    if by == "year":
        frame = result.by_year_instrument
    elif by == "instrument":
        frame = result.by_year_instrument.groupby(["instrument_id", "kind"], as_index=False, sort=True)[
            list(YEAR_COLUMNS)].sum()
    elif by == "option":
        frame = result.by_option
    elif by == "summary":
        return pd.DataFrame([{k: plain(v) for k, v in result.summary.items()}])
    else:
        raise ValueError(f"by is {by!r} (expected 'year', 'instrument', 'option' or 'summary')")
    return frame.reset_index(drop=True)


def compare_scenarios(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    scenarios: list[Scenario],
    *,
    on_date: date,
    government_discount_rate: float = GOVERNMENT_DISCOUNT_RATE,
) -> tuple[pd.DataFrame, dict[str, ProgrammeResult]]:
    """Run several named scenarios on the same options and put their summaries side by side.

    The no-support appraisal (:func:`baseline`) is computed once and shared (with IRRs if any
    scenario's rule is ``irr``).

    Parameters
    ----------
    options, enterprises : pandas.DataFrame
        Validated frames.
    scenarios : list of programme.scenarios.Scenario
        Names must be unique.
    on_date : datetime.date
        Appraisal date.
    government_discount_rate : float
        Real discount rate of public money for the ``pv_`` figures. [/1]

    Returns
    -------
    table : pandas.DataFrame
        One row per scenario, columns :data:`SUMMARY_KEYS` (``scenario`` = its name).
    results : dict
        Scenario name -> :class:`ProgrammeResult`.
    """
    names = [s.name for s in scenarios]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"scenario names must be unique; repeated: {dup}")
    base = baseline(options, enterprises, on_date=on_date,
                    with_irr=True if any(s.rule.kind == "irr" for s in scenarios) else None)
    results = {s.name: run_programme(options, enterprises, s.pack, params=s.params, on_date=on_date, rule=s.rule,
                                     scenario=s.name, base=base, government_discount_rate=government_discount_rate)
               for s in scenarios}
    table = pd.DataFrame([r.summary for r in results.values()], columns=list(SUMMARY_KEYS))
    return table, results

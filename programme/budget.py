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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from programme.allocation import APPLY_PROBABILITY, _allocate_exclusive, _per_code, _probabilities, _support_for
from programme.baseline import Baseline, _baseline, baseline
from programme.outlay import GOVERNMENT_DISCOUNT_RATE, is_value, outlay_table, present_value_factor
from programme.scenarios import Scenario
from programme.uptake import DecisionRule
from records.plain import plain
from screening.excludes import exclusive_groups

__all__ = [
    "ProgrammeResult", "Baseline", "baseline", "run_programme", "budget_records", "compare_scenarios",
    "EFFECTS", "SUMMARY_KEYS", "YEAR_COLUMNS", "APPLY_PROBABILITY", "GOVERNMENT_DISCOUNT_RATE",
]

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


def _lifetime(opt: pd.DataFrame, col: str, life: np.ndarray | None = None) -> np.ndarray:
    """The yearly effect ``col`` over each option's life (``life``: the lifetimes, when already read)."""
    if col not in opt.columns:
        return np.zeros(len(opt))
    v = pd.to_numeric(opt[col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    return v * (pd.to_numeric(opt["lifetime_years"]).to_numpy(dtype=float) if life is None else life)


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
    options within each enterprise (module docstring, step 3; ``programme.allocation._allocate`` gives the rounds that
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
    key = {"outlay": amt * p1[rows], "outlay_if_all": amt, "deadweight": amt * dw_p[rows],
           "pv_cost": pv_amt * p1[rows], "pv_deadweight": pv_amt * dw_p[rows]}
    byi = _year_table(out, key)
    byi.insert(0, "calendar_year", on_date.year + byi["t"].astype(np.int64))

    ids = [c for c in ("enterprise_id", "option_id") if c in opt.columns]
    npv0 = b.metrics["npv"].to_numpy()
    pv_gross = np.bincount(rows, weights=pv_amt, minlength=n)
    cols: dict[str, Any] = {c: opt[c] for c in ids}
    cols.update({"eligible": eligible, "support": gross, "support_value": m1["npv"].to_numpy() - npv0, "p_without": p0,
                 "p_with": p1, "expected_outlay": exp_outlay, "deadweight": deadweight, "pv_cost": p1 * pv_gross})
    if choice.any:
        oid = opt["option_id"].astype(str).to_numpy(dtype=object) if "option_id" in opt.columns else np.arange(n).astype(object)
        cols["exclusive_group"] = choice.label(oid)  # the group's first option; None outside groups
        cols["alternative_to"] = choice.alternative_to(oid)  # not chosen: the alternative taken instead
    else:  # no groups: None throughout (the ids are not read)
        cols["exclusive_group"] = np.full(n, None, dtype=object)
        cols["alternative_to"] = np.full(n, None, dtype=object)
    for c in ("npv", "irr", "simple_payback_years"):
        if c not in m1.columns:
            continue
        cols[c] = m1[c]
        cols[f"{c}_no_support"] = b.metrics[c]
    # one frame of the columns as they are (this function's own arrays and the frames' columns, not copied
    # one by one as column assignment does)
    by_option = pd.DataFrame({c: v if isinstance(v, pd.Series) else pd.Series(v, copy=False) for c, v in cols.items()},
                             copy=False)

    total = float(exp_outlay.sum())
    # Timing-only instruments (accelerated depreciation) give tax forgone early and back later: their
    # nominal total is zero, and the float residue of that sum must not pass for an outlay.
    flows = float(np.abs(key["outlay"]).sum())
    if _residue(total, flows):
        total = 0.0
    if _residue(float(deadweight.sum()), flows):
        deadweight = np.zeros_like(deadweight)
    if_all = float(gross.sum())  # the same residue, had every eligible option taken the support up
    if _residue(if_all, float(np.abs(amt).sum())):
        if_all = 0.0
    grant_mask = is_value(out["kind"], "grant")
    grants = float((amt * p1[rows])[grant_mask].sum())
    inv = pd.to_numeric(opt["investment"]).to_numpy(dtype=float)
    supported_inv = float((p1 * inv)[eligible].sum())
    summary: dict[str, Any] = {
        "pack": pack, "scenario": scenario, "options": n, "eligible_options": int(eligible.sum()),
        "uptake_without_support": float(p0.sum()), "uptake_with_support": float(p1.sum()),
        "additional_uptake": float((p1 - p0).sum()),
        "total_outlay": total, "outlay_if_all": if_all, "grants": grants,
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
    life = pd.to_numeric(opt["lifetime_years"]).to_numpy(dtype=float)
    for col, suffix in EFFECTS.items():
        life_effect = _lifetime(opt, col, life)
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


def _residue(total: float, flows: float) -> bool:
    """Whether a sum of yearly amounts is only the float residue of flows that net to zero: within 1e-9 of the
    sum of their absolute values ``flows`` (at least 1e-9)."""
    return abs(total) <= 1e-9 * max(1.0, flows)


def _year_table(out: pd.DataFrame, amounts: dict[str, np.ndarray]) -> pd.DataFrame:
    """``amounts`` (one value per row of the outlay table ``out``) summed by (t, instrument_id, kind), in
    that order (instrument ids and kinds in their categories' order); ids and kinds as text.

    The three keys are grouped as one integer, (t x ids + id code) x kinds + kind code, which sorts
    as they do: the same groups, each summed over its rows in table order by the same groupby sum
    as grouping on the three columns (the same numbers), without factorising three columns of a
    million rows.
    """
    if len(out) and all(isinstance(out[c].dtype, pd.CategoricalDtype) for c in ("instrument_id", "kind")):
        ids, kinds = out["instrument_id"].array, out["kind"].array
        n_id, n_kind = len(ids.categories), len(kinds.categories)
        t = out["t"].to_numpy(dtype=np.int64)
        combined = (t * n_id + ids.codes.astype(np.int64)) * n_kind + kinds.codes.astype(np.int64)
        sums = pd.DataFrame({c: amounts[c] for c in YEAR_COLUMNS}).groupby(combined, sort=True).sum()
        g = sums.index.to_numpy(dtype=np.int64)
        byi = pd.DataFrame({"t": g // (n_id * n_kind),
                            "instrument_id": pd.Series(np.asarray(ids.categories, dtype=object)[(g // n_kind) % n_id]).astype(str),
                            "kind": pd.Series(np.asarray(kinds.categories, dtype=object)[g % n_kind]).astype(str)})
        for c in YEAR_COLUMNS:
            byi[c] = sums[c].to_numpy()
        return byi
    key = pd.DataFrame({"t": out["t"].to_numpy(), "instrument_id": out["instrument_id"].array, "kind": out["kind"].array,
                        **{c: amounts[c] for c in YEAR_COLUMNS}})
    byi = key.groupby(["t", "instrument_id", "kind"], sort=True, as_index=False, observed=True)[list(YEAR_COLUMNS)].sum()
    for c in ("instrument_id", "kind"):
        byi[c] = byi[c].astype(object).astype(str)
    return byi


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

"""Programme budget: every option's support, the outlay by year and instrument, uptake, deadweight
and cost-effectiveness, vectorised over all options.

How a programme is run (:func:`run_programme`)
----------------------------------------------
1. The programme is one policy pack with its parameters.  It is offered to every enterprise given:
   the support is computed by ``policies.engine.support_table`` with each enterprise's
   jurisdiction set to the programme's pack (per-project, per-enterprise and per-year caps are
   applied there, cumulatively in the options frame's order).  The enterprises' own tax rates
   (their ``tax_rate``, else their own jurisdiction's rate on ``on_date``) value the tax items.
2. Every option is appraised twice with ``finance.batch``: without support and with the
   programme's support.  The decision rule turns each appraisal into an uptake probability p0
   (without) and p1 (with); 0/1 for the deterministic rules.
3. Outlay: each item's public money per period (:mod:`programme.outlay`: grants at payment, tax
   deductions and credits as tax expenditure in the year they arise), times p1 = the expected
   outlay.  ``outlay_if_all`` is the outlay if every eligible option took the support up.
4. Deadweight: support to options that would pass the rule without support, min(p0, p1) x outlay
   (:mod:`programme.uptake`).
5. Cost-effectiveness over the options' lives (nominal public money, yearly effects x
   lifetime_years): public money per tonne CO2e, per tonne waste, per MWh; per *additional* unit
   (effects of the uptake the programme induces, (p1 - p0) x effect; NaN where nothing is
   induced) and per *supported* unit (p1 x effect, gross of free riders).  Leverage = private
   investment per unit of public money = (expected investment of supported options - expected
   outlay) / expected outlay.

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

from finance.batch import batch_cash_flows
from programme.appraisal import decision_metrics, payback_from_cumulative
from policies.engine import support_table, tax_rates
from programme.outlay import outlay_table
from programme.scenarios import Scenario
from programme.uptake import DecisionRule, uptake_probability

__all__ = [
    "ProgrammeResult", "Baseline", "baseline", "run_programme", "budget_records", "compare_scenarios",
    "EFFECTS", "SUMMARY_KEYS",
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
)


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
    cum: np.ndarray
    life: np.ndarray
    with_irr: bool
    enterprise_tax_rate: pd.Series


@dataclass(frozen=True)
class ProgrammeResult:
    """A programme's budget.

    Attributes
    ----------
    by_year_instrument : pandas.DataFrame
        One row per (calendar_year, instrument_id, kind): ``t`` [yr], ``outlay`` (expected)
        [currency], ``outlay_if_all`` [currency], ``deadweight`` [currency].
    by_option : pandas.DataFrame
        One row per option: ids, ``support`` (nominal public money if taken up) [currency],
        ``support_value`` (NPV with - without support, to the enterprise) [currency],
        ``p_without``, ``p_with`` [/1], ``expected_outlay``, ``deadweight`` [currency], and the
        metrics with and without support (``npv``, ``irr``, ``simple_payback_years`` and the same
        with suffix ``_no_support``).
    summary : dict
        Keys :data:`SUMMARY_KEYS` (amounts [currency], shares [/1], effects [unit over the
        lives], costs [currency/unit]).
    support : pandas.DataFrame
        The long support table from the engine (``row`` = option position).
    """

    by_year_instrument: pd.DataFrame
    by_option: pd.DataFrame
    summary: dict[str, Any]
    support: pd.DataFrame = field(repr=False)


def _enterprise_columns(options: pd.DataFrame, enterprises: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    ent = enterprises.drop_duplicates("enterprise_id").set_index("enterprise_id")
    pos = ent.index.get_indexer(options["enterprise_id"])
    if (pos < 0).any():
        i = int(np.flatnonzero(pos < 0)[0])
        raise ValueError(f"options row {i}: field 'enterprise_id' is {options['enterprise_id'].iloc[i]!r}, not among the enterprises")

    def col(name: str, default: float | bool) -> np.ndarray:
        if name in options.columns:
            v = options[name]
        elif name in ent.columns:
            v = pd.Series(ent[name].to_numpy()[pos])
        else:
            return np.full(len(options), default)
        return v.where(v.notna(), default).to_numpy()

    disc = pd.to_numeric(pd.Series(col("discount_rate", 0.08)), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(disc) | (disc <= -1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"options row {i}: field 'discount_rate' is {disc[i]!r} (expected a number > -1)")
    cap_raw = col("tax_capacity", True)
    cap = np.array([c if isinstance(c, (bool, np.bool_)) else str(c).strip().lower() in ("yes", "true", "1") for c in pd.unique(cap_raw)])
    lookup = dict(zip(pd.unique(cap_raw), cap))
    capacity = pd.Series(cap_raw).map(lookup).to_numpy(dtype=bool)
    return disc, capacity


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
    opt = options.reset_index(drop=True)
    tax = np.asarray(tax_rates(opt, enterprises, on_date), dtype=float)
    disc, cap = _enterprise_columns(opt, enterprises)
    flows = batch_cash_flows(opt, tax, cap, None)
    irr = len(opt) <= IRR_AUTO_LIMIT if with_irr is None else bool(with_irr)
    m = decision_metrics(flows.net, flows.life, disc, with_irr=irr)
    ent_ids, first = np.unique(pd.factorize(opt["enterprise_id"])[0], return_index=True)
    ent_rate = pd.Series(tax[first], index=opt["enterprise_id"].to_numpy()[first])
    return Baseline(opt, enterprises, tax, disc, cap, m, flows.net, np.cumsum(flows.net, axis=1), flows.life, irr, ent_rate)


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

    Returns
    -------
    ProgrammeResult

    Raises
    ------
    ValueError
        On bad frames, an unknown pack or parameter (messages name row, field and reason).

    References
    ----------
    SWD(2014) 179 [1]_; OECD 2010 [2]_.
    """
    b = base if base is not None else baseline(options, enterprises, on_date=on_date, with_irr=True if rule.kind == "irr" else None)
    if rule.kind == "irr" and not b.with_irr:
        raise ValueError("the 'irr' decision rule needs IRRs: build the baseline with with_irr=True")
    opt = b.options
    n = len(opt)
    ent = enterprises.copy()
    ent["jurisdiction"] = pack
    # the engine values tax items (aid ceilings) at the enterprises' own rates, not the pack's
    ent["tax_rate"] = ent["enterprise_id"].map(b.enterprise_tax_rate).astype(float)
    support = support_table(opt, ent, on_date, params)
    support = support[support["amount"] != 0].reset_index(drop=True) if len(support) else support
    if len(support) and _grant_only(support) and not b.with_irr:
        # untaxed grants: flows with support = flows without + grants (see _grant_only)
        rows_s = support["row"].to_numpy(dtype=np.int64)
        spread = support["spread_years"].to_numpy(dtype=np.int64)
        year0 = support["year"].to_numpy(dtype=np.int64)
        amount_s = support["amount"].to_numpy(dtype=float)
        rep = np.repeat(np.arange(len(support)), spread)
        years = year0[rep] + (np.arange(rep.size) - np.repeat(np.cumsum(spread) - spread, spread))
        if (years > b.life[rows_s[rep]]).any():
            j = int(rep[np.flatnonzero(years > b.life[rows_s[rep]])[0]])
            raise ValueError(f"support row {j}: grant falls beyond option row {rows_s[j]}'s life of {b.life[rows_s[j]]} years")
        per = amount_s[rep] / spread[rep]
        pv = per * np.exp(-years * np.log1p(b.discount_rate[rows_s[rep]]))
        npv1 = b.metrics["npv"].to_numpy() + np.bincount(rows_s[rep], weights=pv, minlength=n)
        width = b.cum.shape[1]
        if (years == 0).all():
            cum1 = b.cum + np.bincount(rows_s, weights=amount_s, minlength=n)[:, None]
        else:
            add = np.bincount(rows_s[rep] * width + years, weights=per, minlength=n * width).reshape(n, width)
            cum1 = b.cum + np.cumsum(add, axis=1)
            del add
        m1 = pd.DataFrame({"npv": npv1, "simple_payback_years": payback_from_cumulative(cum1, b.life)})
        del cum1
    elif len(support):
        flows = batch_cash_flows(opt, b.tax_rate, b.tax_capacity, support)
        m1 = decision_metrics(flows.net, flows.life, b.discount_rate, with_irr=b.with_irr)
        del flows
    else:
        m1 = b.metrics
    p0 = _probabilities(rule, b.metrics)
    p1 = _probabilities(rule, m1)
    dw_p = np.minimum(p0, p1)

    out = outlay_table(support, opt, b.tax_rate)
    rows = out["row"].to_numpy()
    amt = out["outlay"].to_numpy()
    gross = np.bincount(rows, weights=amt, minlength=n)
    eligible = np.zeros(n, dtype=bool)
    if len(support):
        eligible[support["row"].to_numpy()] = True
    exp_outlay = p1 * gross
    deadweight = dw_p * gross

    key = pd.DataFrame({"t": out["t"].to_numpy(), "instrument_id": out["instrument_id"].to_numpy(),
                        "kind": out["kind"].to_numpy(), "outlay": amt * p1[rows], "outlay_if_all": amt,
                        "deadweight": amt * dw_p[rows]})
    byi = key.groupby(["t", "instrument_id", "kind"], sort=True, as_index=False)[["outlay", "outlay_if_all", "deadweight"]].sum()
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
    for col, suffix in EFFECTS.items():
        life_effect = _lifetime(opt, col)
        add = float(((p1 - p0) * life_effect)[eligible].sum())
        sup = float((p1 * life_effect)[eligible].sum())
        summary[f"additional_{suffix}"] = add
        summary[f"cost_per_{suffix}"] = total / add if add > 0 else float("nan")
        summary[f"cost_per_supported_{suffix}"] = total / sup if sup > 0 else float("nan")
    summary = {k: summary[k] for k in SUMMARY_KEYS}
    return ProgrammeResult(byi, by_option, summary, support)


def _clean(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else float(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def budget_records(result: ProgrammeResult, by: str = "year") -> list[dict[str, Any]]:
    """The records ``cpscreen budget`` prints.

    Parameters
    ----------
    result : ProgrammeResult
    by : {"year", "instrument", "option", "summary"}
        ``year``: one record per (calendar_year, instrument_id, kind) with ``t``, ``outlay``,
        ``outlay_if_all``, ``deadweight`` [currency]; ``instrument``: the same summed over years;
        ``option``: one record per option (:attr:`ProgrammeResult.by_option`); ``summary``: one
        record with :data:`SUMMARY_KEYS`.

    Returns
    -------
    list of dict
        JSON-ready: NaN and infinities become ``None``.
    """
    if by == "year":
        frame = result.by_year_instrument
    elif by == "instrument":
        frame = result.by_year_instrument.groupby(["instrument_id", "kind"], as_index=False, sort=True)[
            ["outlay", "outlay_if_all", "deadweight"]].sum()
    elif by == "option":
        frame = result.by_option
    elif by == "summary":
        return [{k: _clean(v) for k, v in result.summary.items()}]
    else:
        raise ValueError(f"by is {by!r} (expected 'year', 'instrument', 'option' or 'summary')")
    return [{k: _clean(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]


def compare_scenarios(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    scenarios: list[Scenario],
    *,
    on_date: date,
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
                                     scenario=s.name, base=base) for s in scenarios}
    table = pd.DataFrame([r.summary for r in results.values()], columns=list(SUMMARY_KEYS))
    return table, results

"""The policy engine: which rules are in force, and what support each option gets.

Evaluation, per pack and per rule in force on the appraisal date, in the pack's order, all steps
vectorised over the pack's options:

1. eligibility (size class, category, environmental quantities, attributes, thresholds,
   minimum/maximum eligible investment, minimum payback without support);
2. base [currency] = the rule's ``base.of`` column, minus the amounts of the earlier rules named
   in ``base.net_of``, minus the option's ``other_grants`` column where ``net_of_external``;
   ``caps.investment_per_year`` limits the base per enterprise (cumulative in frame order);
3. amount = the rate form's formula, then the kind's formula (:mod:`policies.kinds`);
4. stacking: a rule excluded with one that already gave this option a positive amount gives
   nothing (exclusion is symmetric; the earlier rule in the pack wins);
5. ``caps.per_project``; then the aid ceiling: the grant equivalent (grant and credit in full,
   deduction x tax rate) of all items under the same ceiling measure may not exceed
   intensity x the ceiling's base, intensity = min(cap, base + size bonus) of the ceiling in force
   (earlier items served first); then ``caps.min_aid`` (smaller amounts are dropped);
6. ``caps.per_enterprise`` and ``caps.per_year`` (x spread years): cumulative within each
   enterprise **in the order of the options frame** (earlier rows are served first).

Options of enterprises whose jurisdiction is ``none`` get no items.  Programme parameters are
named ``<rule id>.<parameter path>`` (e.g. ``NL-CP-GRANT.rate``, ``NL-EIA-2024.caps.per_year``);
unknown names are refused, and so is a parameter that would change nothing: its rule or ceiling
is not in force on the date (the message gives the validity dates), or no rule in force is held
to the ceiling it names (:func:`check_parameters` adds the programme's scope).

The packs come from :mod:`policies.registry` (:func:`~policies.registry.load_packs`), the tax rates
from :mod:`policies.corporate_tax`, each option's enterprise from :mod:`policies.join` (one hash
join per appraisal in a :func:`~policies.join.one_join` block); the rules' pieces become the long
item table in :mod:`policies.assembly`.

References
----------
.. [1] Commission Regulation (EU) No 651/2014 (GBER) as amended by 2023/1315, art. 36 and 38:
   maximum aid intensity = base intensity + size bonus, on the eligible (extra) cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from policies.assembly import _assemble
from policies.corporate_tax import _rates
from policies.eligibility import conditions, eligible
from policies.items import SupportItem
from policies.join import _Joined
from policies.kinds import GRANT_EQUIVALENT_FACTOR, KINDS, Batch, ParameterError, Params, cumulative_cap, rate_size_bonus
from policies.parameters import ceilings_in_force, parameter_bounds, parameters, rules_in_force, split_params
from policies.parameters import check_parameters as _check_parameters
from policies.registry import NO_PACK, load_packs
from policies.schema import Ceiling, Pack

__all__ = [
    "ParameterError", "rules_in_force", "ceilings_in_force", "support_table", "support_items", "unread_parameters",
    "check_parameters", "parameters", "parameter_bounds",
]


def check_parameters(params: Mapping[str, float] | None, on_date: date, *, programme: str | None = None,
                     packs: Mapping[str, Pack] | None = None) -> None:
    """Refuse programme parameters that would change nothing, before any appraisal runs
    (:func:`policies.parameters.check_parameters` on the shipped packs by default)."""
    _check_parameters(params, on_date, load_packs() if packs is None else packs, programme=programme)


def _run_pack(pack: Pack, packs: Mapping[str, Pack], b: Batch, ent_codes: np.ndarray, tax: np.ndarray,
              on_date: date, overrides: Mapping[str, Mapping[str, float]],
              trace: dict[str, set[str]] | None, steps: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    pieces: list[dict[str, Any]] = []
    given: dict[str, np.ndarray] = {}
    used: dict[str, np.ndarray] = {}
    ceiling_pack = packs.get(pack.meta.aid_ceiling_pack or "", pack)
    ceilings = {c.measure: c for c in ceilings_in_force(ceiling_pack, on_date)}
    excl: dict[str, set[str]] = {r.id: set(r.stacking.excludes) for r in pack.rules}
    for r in pack.rules:
        for o in r.stacking.excludes:
            excl.setdefault(o, set()).add(r.id)
    for rule in rules_in_force(pack, on_date):
        p = Params(rule, overrides.get(rule.id, {}))
        conds = conditions(rule, p, b)
        ok = eligible(conds, b.n)
        rec: dict[str, Any] = {"rule": rule, "pack": pack, "batch": b, "params": p, "conditions": conds,
                               "eligible": ok.copy(), "base_of": b.base(rule.base.of)}
        base = rec["base_of"].copy()
        for other in rule.base.net_of:
            if other in given:
                base = base - given[other]
        if rule.base.net_of_external:
            base = base - b.numeric("other_grants", 0.0)
        base = np.maximum(base, 0.0)
        rec["base_net"] = base
        stages: list[tuple[str, np.ndarray, np.ndarray]] = []  # (cap, amount before, after)
        if rule.caps.investment_per_year is not None:
            before = np.where(ok, base, 0.0)
            base = cumulative_cap(before, ent_codes, p("caps.investment_per_year"))
            rec["base_capped"] = (before, base)
        amount, fields = KINDS[rule.kind](rule, p, b, base)
        rec.update(base=base, gross=amount, finite=np.isfinite(amount))
        ok &= np.isfinite(amount)
        excluded: list[tuple[str, np.ndarray]] = []
        for other in excl.get(rule.id, ()):
            if other in given:
                excluded.append((other, ok & (given[other] > 0)))
                ok &= ~(given[other] > 0)
        rec["excluded"] = excluded
        amount = np.where(ok, amount, 0.0)
        if rule.caps.per_project is not None:
            before, amount = amount, np.minimum(amount, p("caps.per_project"))
            stages.append(("per_project", before, amount))
        ceiling_note = np.zeros(b.n, dtype=bool)
        measure = rule.stacking.aid_ceiling
        factor_kind = GRANT_EQUIVALENT_FACTOR.get(rule.kind)
        if measure is not None and factor_kind is not None and measure in ceilings:
            c = ceilings[measure]
            cp = Params(c, overrides.get(c.id, {}))  # type: ignore[arg-type]
            allowed = ceiling_allowed(c, cp, b)
            if trace is not None:
                trace.setdefault(c.id, set()).update(cp.read)
            factor = np.ones(b.n) if factor_kind == "one" else tax
            prev = used.get(measure, np.zeros(b.n))
            head = np.maximum(allowed - prev, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                limit = np.where(factor > 0, head / factor, np.inf)
            ceiling_note = (amount > limit) & bool(ceiling_pack.unverified_reasons(c))
            before, amount = amount, np.minimum(amount, limit)
            stages.append(("aid_ceiling", before, amount))
            rec["ceiling"] = (c, allowed)
        if rule.caps.min_aid is not None:
            before, amount = amount, np.where(amount < p("caps.min_aid"), 0.0, amount)
            stages.append(("min_aid", before, amount))
        if rule.caps.per_enterprise is not None:
            before, amount = amount, cumulative_cap(amount, ent_codes, p("caps.per_enterprise"))
            stages.append(("per_enterprise", before, amount))
        if rule.caps.per_year is not None:
            before, amount = amount, cumulative_cap(amount, ent_codes, p("caps.per_year") * rule.timing.spread_years)
            stages.append(("per_year", before, amount))
        if rule.kind in ("depreciation", "tax_holiday"):
            emit = ok & (base > 0)
        else:
            emit = ok & (amount > 0)
        given[rule.id] = np.where(emit, amount, 0.0)
        if steps is not None:
            rec.update(stages=stages, amount=amount, applies=emit, fields=fields)
            steps.append(rec)
        if measure is not None and factor_kind is not None and measure in ceilings:
            factor = np.ones(b.n) if factor_kind == "one" else tax
            used[measure] = used.get(measure, np.zeros(b.n)) + given[rule.id] * factor
        if trace is not None:
            trace.setdefault(rule.id, set()).update(p.read)
        rows = np.flatnonzero(emit)
        if rows.size == 0:
            continue
        reasons = pack.unverified_reasons(rule)
        piece: dict[str, Any] = {
            "row": rows, "instrument_id": rule.id, "name": rule.name, "kind": rule.kind,
            "amount": amount[rows], "year": rule.timing.year, "pack": pack.code,
            "pack_version": pack.version, "source": pack.source_text(rule.source),
            "unverified": bool(reasons) | ceiling_note[rows], "spread_years": rule.timing.spread_years,
            "unverified_reason": "; ".join(reasons),
        }
        for k, v in fields.items():
            piece[k] = v[rows] if isinstance(v, np.ndarray) else v
        if ceiling_note[rows].any():
            extra = f"capped by aid ceiling {ceilings[measure].id}, whose figures are unverified"  # type: ignore[index]
            joined = "; ".join(reasons + [extra])
            piece["unverified_reason"] = np.where(ceiling_note[rows], joined, "; ".join(reasons)).astype(object)
        pieces.append(piece)
    return pieces


def ceiling_allowed(c: Ceiling, cp: Params, b: Batch) -> np.ndarray:
    """Aid allowed by a ceiling [currency]: min(cap, base intensity + size bonus) x the ceiling's base."""
    cbase = b.base(c.base_of)
    allowed = rate_size_bonus(c.intensity, _Prefixed(cp, "intensity"), b, cbase)  # type: ignore[arg-type]
    if c.cap is not None:
        allowed = np.minimum(allowed, cp("cap") * cbase)
    return allowed


class _Prefixed:
    """A Params view that prefixes paths (a ceiling's intensity reads ``intensity.base``)."""

    def __init__(self, p: Params, prefix: str) -> None:
        self.p, self.prefix = p, prefix

    def __call__(self, path: str) -> float:
        return self.p(f"{self.prefix}.{path.removeprefix('rate.')}")


def _support_table(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
                   params: Mapping[str, float] | None = None, *, packs: Mapping[str, Pack] | None = None,
                   trace: dict[str, set[str]] | None = None, steps: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """The support table; with ``steps``, also each rule's intermediate arrays (for :mod:`policies.explain`).

    Each entry of ``steps`` is one rule of one pack: ``rows`` (positions in ``options``), the
    rule, its batch and parameters, the eligibility conditions, the base before and after netting
    and caps, the amount of the formula, the stacking exclusions, the caps in order as (name,
    before, after), the final amount and whether it applies.
    """
    packs = load_packs() if packs is None else packs
    overrides = split_params(params, packs, on_date)
    j = _Joined(options, enterprises)
    jur, labels = j.jurisdictions(packs)
    ent_codes = j.pos
    tax = _rates(j, jur, labels, packs, on_date, strict=False)  # NaN before a pack's first rate
    shared: dict[str, Any] = {}
    pieces: list[dict[str, Any]] = []
    for k, code in enumerate(labels):
        if code == NO_PACK:
            continue
        idx = np.flatnonzero(jur == k)
        if idx.size == 0:
            continue
        b = Batch(j.options, None if idx.size == j.n else idx, shared, j.enterprises, j.pos)
        mark = len(steps) if steps is not None else 0
        for piece in _run_pack(packs[code], packs, b, ent_codes[idx], tax[idx], on_date, overrides, trace, steps):
            piece["row"] = idx[piece["row"]]
            pieces.append(piece)
        for rec in (steps or [])[mark:]:
            rec["rows"] = idx
    return _assemble(pieces)


def support_table(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
                  params: Mapping[str, float] | None = None, *,
                  packs: Mapping[str, Pack] | None = None) -> pd.DataFrame:
    """Support items of many options: one row per (option, item).

    Parameters
    ----------
    options : pandas.DataFrame
        Options in the import format (DESIGN.md section 2); extra columns such as
        ``project_type``, ``extra_investment_cost`` [currency], ``other_grants`` [currency] or
        ``mia_tier`` are read by rules that name them.
    enterprises : pandas.DataFrame
        Enterprises with ``enterprise_id``, ``jurisdiction`` (a pack code or ``none``),
        ``size_class`` and optionally ``tax_rate`` [/1].
    on_date : datetime.date
        Appraisal date: only rules in force on it apply.
    params : Mapping[str, float], optional
        Programme parameters ``<rule id>.<path>``; unknown names raise :class:`ParameterError`.
    packs : Mapping[str, Pack], optional
        Packs to use instead of the shipped ones (e.g. ``load_packs(folder)``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`policies.items.ITEM_COLUMNS`; ``row`` is the option's position in
        ``options``; ``carry_forward_years`` is nullable (NA = without limit); the text columns
        (instrument_id, name, kind, pack, pack_version, source, unverified_reason) are
        categorical (compare with ``==`` as usual).  Sorted by row, then in pack order.
    """
    return _support_table(options, enterprises, on_date, params, packs=packs)


def support_items(option: Mapping[str, Any], enterprise: Mapping[str, Any], on_date: date,
                  params: Mapping[str, float] | None = None, *,
                  packs: Mapping[str, Pack] | None = None) -> list[SupportItem]:
    """Support items of one option: :func:`support_table` on a batch of one (same formulas)."""
    opt = dict(option)
    opt.setdefault("enterprise_id", enterprise.get("enterprise_id", "_"))
    ent = dict(enterprise)
    ent.setdefault("enterprise_id", opt["enterprise_id"])
    table = support_table(pd.DataFrame([opt]), pd.DataFrame([ent]), on_date, params, packs=packs)
    items = []
    for rec in table.drop(columns="row").to_dict("records"):
        cf = rec["carry_forward_years"]
        rec["carry_forward_years"] = None if cf is None or cf is pd.NA else int(cf)
        for k in ("year", "spread_years", "exempt_years", "reduced_years", "loan_years"):
            rec[k] = int(rec[k])
        for k in ("unverified", "taxable", "reduces_depreciation_base"):
            rec[k] = bool(rec[k])
        items.append(SupportItem(**rec))
    return items


def unread_parameters(pack: Pack, packs: Mapping[str, Pack] | None = None) -> list[str]:
    """Parameters the pack defines that no formula reads (``<rule id>.<path>``), for code health.

    Each rule is run on its own ``valid_from`` date over a synthetic batch covering every size
    class, category and listed attribute value, with positive environmental quantities, so every
    formula the rule uses runs; the :class:`~policies.kinds.Params` record says what was read.
    """
    packs = dict(load_packs() if packs is None else packs)
    packs[pack.code] = pack
    unread: list[str] = []
    for rule in pack.rules:
        rows = []
        keys: list[tuple[str, str]] = [("", "")]
        if rule.rate is not None and rule.rate.form == "by_type":
            keys = [(rule.rate.attribute, k) for k in rule.rate.values]
        for size in ("micro", "small", "medium", "large"):
            for cat in ("good_housekeeping", "input_substitution", "process_control", "equipment_modification",
                        "technology_change", "onsite_recovery", "byproduct", "product_modification", "end_of_pipe"):
                for attr, val in keys:
                    row = {"option_id": f"o{len(rows)}", "enterprise_id": f"e{len(rows)}", "category": cat, "size_class": size,
                           "investment": 1e6, "annual_savings": 1e5, "annual_cost_change": 0.0, "lifetime_years": 10,
                           "energy_saved_mwh": 100.0, "co2e_avoided_t": 50.0, "waste_avoided_t": 10.0, "water_saved_m3": 10.0}
                    for col, vals in rule.eligibility.attributes.items():
                        row[col] = vals[0]
                    for col, v in rule.eligibility.thresholds.items():
                        row[col] = v.value
                    if attr:
                        row[attr] = val
                    rows.append(row)
        opts = pd.DataFrame(rows)
        ents = pd.DataFrame({"enterprise_id": opts["enterprise_id"], "jurisdiction": pack.code, "size_class": opts["size_class"]})
        opts = opts.drop(columns="size_class")
        trace: dict[str, set[str]] = {}
        _support_table(opts, ents, date.fromisoformat(rule.valid_from), packs=packs, trace=trace)
        defined = {path for path in Params(rule).values}
        unread += [f"{rule.id}.{p}" for p in sorted(defined - trace.get(rule.id, set()))]
    for c in pack.ceilings:
        cp = Params(c)  # type: ignore[arg-type]
        b = Batch(pd.DataFrame({"size_class": list(("micro", "small", "medium", "large")), "investment": 1.0}))
        ceiling_allowed(c, cp, b)
        unread += [f"{c.id}.{p}" for p in sorted(set(cp.values) - cp.read)]
    return unread

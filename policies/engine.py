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

References
----------
.. [1] Commission Regulation (EU) No 651/2014 (GBER) as amended by 2023/1315, art. 36 and 38:
   maximum aid intensity = base intensity + size bonus, on the eligible (extra) cost.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from policies.eligibility import conditions, eligible
from policies.items import ITEM_COLUMNS, SupportItem
from policies.kinds import GRANT_EQUIVALENT_FACTOR, KINDS, Batch, ParameterError, Params, cumulative_cap, rate_size_bonus
from policies.parameters import ceilings_in_force, parameter_bounds, parameters, rules_in_force, split_params
from policies.parameters import check_parameters as _check_parameters
from policies.schema import Ceiling, Pack, PackError, TaxRegime, Value, load_pack

PACKS_DIR: Path = Path(__file__).resolve().parent / "packs"
NO_PACK = "none"

__all__ = [
    "PACKS_DIR", "NO_PACK", "ParameterError", "load_packs", "rules_in_force", "ceilings_in_force",
    "corporate_rate", "tax_regime", "tax_rates", "support_table", "support_items", "unread_parameters",
    "NoTaxRateError", "check_parameters", "parameters", "parameter_bounds", "date_span", "tax_rates_by_year",
    "depreciation_schedules",
]


@lru_cache(maxsize=8)
def _load_all(root: str) -> dict[str, Pack]:
    packs: dict[str, Pack] = {}
    for folder in sorted(Path(root).iterdir()):
        if folder.is_dir() and (folder / "pack.yaml").exists():
            packs[folder.name] = load_pack(folder)
    for pack in packs.values():
        ref = pack.meta.aid_ceiling_pack
        if ref is None:
            continue
        if ref not in packs:
            raise PackError(f"{pack.folder}/pack.yaml: rule -: field aid_ceiling_pack: unknown pack {ref!r}; known: {sorted(packs)}")
        measures = {c.measure for c in packs[ref].ceilings}
        for r in pack.rules:
            m = r.stacking.aid_ceiling
            if m is not None and m not in measures:
                raise PackError(f"{pack.folder}/rules.yaml: rule {r.id}: field stacking.aid_ceiling: "
                                f"{m!r} is not a measure of pack {ref}; known: {sorted(measures)}")
    return packs


def load_packs(root: Path | None = None) -> dict[str, Pack]:
    """All packs under ``root`` (default: the shipped ``policies/packs``), validated and cached.

    Returns
    -------
    dict[str, Pack]
        By pack code.
    """
    return _load_all(str(Path(root) if root is not None else PACKS_DIR))


def date_span(packs: Mapping[str, Pack] | None = None) -> tuple[date, date]:
    """The dates the packs speak about: the earliest rule start or tax-schedule entry, and the
    latest of those and of the rules' ends (for a date picker's bounds)."""
    packs = load_packs() if packs is None else packs
    days = [d for p in packs.values() for r in list(p.rules) + list(p.ceilings) for d in (r.valid_from, r.valid_to) if d]
    days += [e.from_ for p in packs.values() if p.meta.tax is not None for e in p.meta.tax.corporate_rate]
    return date.fromisoformat(min(days)), date.fromisoformat(max(days))


class NoTaxRateError(ValueError):
    """A date the pack's corporate tax schedule does not cover; the message names the fix."""


def corporate_rate(pack: Pack, on_date: date) -> float:
    """The pack's main corporate income tax rate on a date [/1]; 0 where the pack has none (EU).

    The main (top marginal) rate applies: an investment's incremental profit is taxed at the
    enterprise's marginal rate; lower bands for small profits are given in the pack's notes.

    Raises
    ------
    NoTaxRateError
        For a date before the schedule's first entry: "pack NL has no corporate rate on
        1950-01-01 (its schedule starts 1980-01-01): give the enterprise a tax_rate".
    """
    if pack.meta.tax is None:
        return 0.0
    on = on_date.isoformat()
    rate = None
    for entry in pack.meta.tax.corporate_rate:
        if entry.from_ <= on:
            rate = entry.rate.value
    if rate is None:
        first = pack.meta.tax.corporate_rate[0].from_
        raise NoTaxRateError(f"pack {pack.code} has no corporate rate on {on} (its schedule starts {first}): "
                             "give the enterprise a tax_rate")
    return rate


def _loss_value(tax: TaxRegime, on: str) -> Value | None:
    """The loss carry-forward limit in force on an ISO date (a dated list or one value)."""
    lcf = tax.loss_carry_forward_years
    if isinstance(lcf, list):
        entries = [e for e in lcf if e.from_ <= on]
        return entries[-1].years if entries else None
    return lcf


def tax_regime(code: str, on_date: date, packs: Mapping[str, Pack] | None = None) -> dict[str, Any]:
    """A pack's tax regime on a date, for finance.

    Returns
    -------
    dict
        ``corporate_rate`` [/1] (0 for ``none`` and packs without a corporate tax; NaN on a date the
        pack's schedule does not cover, where the enterprise must give its own tax_rate),
        ``loss_carry_forward_years`` [yr] (None = without limit or not stated) in force on the
        date, ``unverified`` (reasons, "" if none).
    """
    packs = load_packs() if packs is None else packs
    if code == NO_PACK:
        return {"corporate_rate": 0.0, "loss_carry_forward_years": None, "unverified": ""}
    if code not in packs:
        raise ValueError(f"unknown policy pack {code!r}; known: {sorted(packs) + [NO_PACK]}")
    pack = packs[code]
    reasons: list[str] = []
    lcf: int | None = None
    tax = pack.meta.tax
    if tax is not None:
        on = on_date.isoformat()
        entries = [e for e in tax.corporate_rate if e.from_ <= on]
        loss = _loss_value(tax, on)
        values = ([entries[-1].rate] if entries else []) + ([loss] if loss is not None else [])
        for v in values:
            for r in (v.unverified, pack.meta.sources[v.ref].unverified):
                if r:
                    reasons.append(r)
        if loss is not None and np.isfinite(loss.value):
            lcf = int(loss.value)
    try:
        rate = corporate_rate(pack, on_date)
    except NoTaxRateError:
        rate = float("nan")  # the enterprise's own tax_rate is needed; tax_rates names the fix
    return {"corporate_rate": rate, "loss_carry_forward_years": lcf, "unverified": "; ".join(dict.fromkeys(reasons))}


#: The look-ups of :func:`one_join`'s block: [enterprises, {options' id column -> (enterprises, pos)}].
_JOIN: ContextVar[list[Any] | None] = ContextVar("policies_engine_join", default=None)


@contextmanager
def one_join(enterprises: pd.DataFrame) -> Iterator[None]:
    """Within the block, each options' enterprise look-up against ``enterprises`` is made once.

    An appraisal asks for the options' enterprise rows several times (tax rates, the rates by
    year, the support table, the inputs); in the block the first answer is kept per options' id
    column (the same array, as frames derived without copying it share it) and reused.  The
    frames must not change within the block.  A block within a block for the same enterprises
    keeps the outer block's answers (a command that appraises and then reads the rows again).
    """
    outer = _JOIN.get()
    if outer is not None and outer[0] is enterprises:
        yield
        return
    token = _JOIN.set([enterprises, {}])
    try:
        yield
    finally:
        _JOIN.reset(token)


def enterprise_rows(options: pd.DataFrame, enterprises: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The enterprises without repeated ids (first kept) and each option's row among them (-1: not found).

    One hash join; in a :func:`one_join` block, once per options' id column.
    """
    memo = _JOIN.get()
    ids = options["enterprise_id"]
    key = None
    if memo is not None and memo[0] is enterprises:
        values = ids.to_numpy()
        if values.dtype == object and not values.flags.writeable:  # a view of the frame's column, not a copy
            key = (values.__array_interface__["data"][0], values.strides, values.size)
            if key in memo[1]:
                return memo[1][key]
    ents = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    pos = np.asarray(pd.Index(ents["enterprise_id"]).get_indexer(ids), dtype=np.int64)
    if key is not None:
        memo[1][key] = (ents, pos)
    return ents, pos


class _Joined:
    """Options with each one's enterprise row (``pos``), without copying enterprise columns."""

    def __init__(self, options: pd.DataFrame, enterprises: pd.DataFrame) -> None:
        if "enterprise_id" not in options.columns:
            raise ValueError("options: missing column 'enterprise_id'")
        for col in ("enterprise_id", "jurisdiction", "size_class"):
            if col not in enterprises.columns:
                raise ValueError(f"enterprises: missing column {col!r}")
        self.options = options.reset_index(drop=True)
        self.enterprises, pos = enterprise_rows(self.options, enterprises)
        if (pos < 0).any():
            row = int(np.flatnonzero(pos < 0)[0])
            raise ValueError(f"options row {row}: field enterprise_id: {self.options['enterprise_id'].iloc[row]!r} "
                             "is not among the enterprises")
        self.pos = np.asarray(pos, dtype=np.int64)
        self.n = len(self.options)

    def tax_override(self) -> np.ndarray:
        """The enterprise's tax_rate per option [/1], NaN where not given."""
        if "tax_rate" not in self.enterprises.columns:
            return np.full(self.n, np.nan)
        return pd.to_numeric(self.enterprises["tax_rate"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[self.pos]

    def jurisdictions(self, packs: Mapping[str, Pack]) -> tuple[np.ndarray, list[str]]:
        """(codes per option, pack code per code); unknown codes raise naming the row."""
        # codes in the order of first appearance (pd.factorize), columnar: a list.index per row took
        # about 1 s per engine run on a million options
        ent_code, found = pd.factorize(self.enterprises["jurisdiction"].astype(str).to_numpy(dtype=object))
        ent_code = np.asarray(ent_code, dtype=np.int64)
        uniq = [str(u) for u in found]
        codes = ent_code[self.pos]
        for k, j in enumerate(uniq):
            if j != NO_PACK and j not in packs:
                hit = np.flatnonzero(codes == k)
                if hit.size:
                    raise ValueError(f"options row {int(hit[0])}: field jurisdiction: unknown pack {j!r}; "
                                     f"known: {sorted(packs) + [NO_PACK]}")
        return codes, uniq


def _rates(j: _Joined, codes: np.ndarray, labels: list[str], packs: Mapping[str, Pack], on_date: date,
           strict: bool) -> np.ndarray:
    rate = np.zeros(j.n)
    override = j.tax_override()
    for k, code in enumerate(labels):
        if code == NO_PACK:
            continue
        mask = codes == k
        try:
            rate[mask] = corporate_rate(packs[code], on_date)
        except NoTaxRateError as exc:
            missing = mask & np.isnan(override)
            if strict and missing.any():
                ent = j.enterprises["enterprise_id"].iloc[j.pos[int(np.flatnonzero(missing)[0])]]
                raise NoTaxRateError(f"enterprise {ent!r}: {exc}") from None
            rate[mask] = np.nan
    return np.where(np.isnan(override), rate, override)


def tax_rates(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
              packs: Mapping[str, Pack] | None = None) -> np.ndarray:
    """Corporate income tax rate per option [/1].

    The enterprise's ``tax_rate`` where given, else the main rate of its pack in force on
    ``on_date`` (see :func:`corporate_rate`); 0 for jurisdiction ``none`` and for packs without a
    corporate tax (EU).  A date before the pack's first rate raises ValueError naming the row,
    unless the enterprise gives its own tax_rate.
    """
    packs = load_packs() if packs is None else packs
    j = _Joined(options, enterprises)
    codes, labels = j.jurisdictions(packs)
    return _rates(j, codes, labels, packs, on_date, strict=True)


def tax_rates_by_year(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, width: int,
                      packs: Mapping[str, Pack] | None = None) -> np.ndarray | None:
    """The rate in force in each year t = 0..width-1 of every option's life [/1], None where none
    changes (:func:`policies.schedules.tax_rates_by_year`)."""
    from policies import schedules

    return schedules.tax_rates_by_year(options, enterprises, on_date, width, packs)


def depreciation_schedules(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, width: int,
                           packs: Mapping[str, Pack] | None = None) -> np.ndarray | None:
    """Cumulative tax depreciation share by year of the options with an ``asset_class`` [/1], None
    where none has one (:func:`policies.schedules.depreciation_schedules`)."""
    from policies import schedules

    return schedules.depreciation_schedules(options, enterprises, on_date, width, packs)


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


_DEFAULTS: dict[str, Any] = {
    f: d for f, d in ((f.name, f.default) for f in SupportItem.__dataclass_fields__.values())  # type: ignore[attr-defined]
}


_TEXT = ("instrument_id", "name", "kind", "pack", "pack_version", "source", "unverified_reason")
_INTS = ("row", "year", "spread_years", "exempt_years", "reduced_years", "loan_years")
_BOOLS = ("unverified", "taxable", "reduces_depreciation_base")


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


def _assemble(pieces: list[dict[str, Any]]) -> pd.DataFrame:
    """Concatenate per-rule pieces into the long item table, sorted by row (stable: pack order)."""
    sizes = [p["row"].size for p in pieces]
    total = int(sum(sizes))
    cols: dict[str, Any] = {}
    same: set[str] = set()  # columns every piece gives as one and the same scalar: no concatenation nor sort
    for c in ITEM_COLUMNS:
        if c in _TEXT:
            labels: dict[str, int] = {}
            parts = []
            for p, n in zip(pieces, sizes):
                v = p[c] if c in p else _DEFAULTS[c]
                if isinstance(v, np.ndarray):
                    codes, uniq = pd.factorize(v)
                    remap = np.array([labels.setdefault(str(u), len(labels)) for u in uniq], dtype=np.int64)
                    parts.append(remap[codes])
                else:
                    parts.append(np.full(n, labels.setdefault(str(v), len(labels)), dtype=np.int64))
            codes_all = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            cols[c] = (codes_all, list(labels))
            continue
        scalars = [_scalar(p[c] if c in p else _DEFAULTS[c], c) for p in pieces]
        if scalars and all(s is not None for s in scalars) and all(_same(s, scalars[0]) for s in scalars):
            cols[c] = np.full(total, scalars[0], dtype=float if c not in _BOOLS else bool)  # as concatenated
            same.add(c)
            continue
        parts = []
        for p, n in zip(pieces, sizes):
            v = p[c] if c in p else _DEFAULTS[c]
            if c == "carry_forward_years" and v is None:
                v = np.nan
            parts.append(np.asarray(v, dtype=float if c not in _BOOLS else bool) if isinstance(v, np.ndarray)
                         else np.full(n, v, dtype=float if c not in _BOOLS else bool))
        cols[c] = np.concatenate(parts) if parts else np.zeros(0, dtype=float if c not in _BOOLS else bool)
    order = np.argsort(cols["row"], kind="stable") if total else np.zeros(0, dtype=np.int64)
    data: dict[str, Any] = {}
    for c in ITEM_COLUMNS:
        v = cols[c]
        if c in same:  # the same in every row: sorted already
            order_c: Any = slice(None)
        else:
            order_c = order
        if c in _TEXT:
            codes, labels_list = v
            data[c] = pd.Categorical.from_codes(codes[order], categories=pd.Index(labels_list, dtype=object)) if labels_list \
                else pd.Categorical([], categories=pd.Index([], dtype=object))
        elif c == "carry_forward_years":
            data[c] = pd.array(v[order_c], dtype="Float64").astype("Int64")
        elif c in _INTS:
            data[c] = v[order_c].astype(np.int64)
        else:
            data[c] = v[order_c]
    # copy=False: each column its own block, as built; consolidating the ~20 number columns of a 1M-item
    # table into one 2-D block copied them all (0.6 s of CPU of a budget 1M run, DataFrame._stack_arrays)
    return pd.DataFrame(data, columns=list(ITEM_COLUMNS), copy=False)


def _scalar(v: Any, column: str) -> Any:
    """A piece's value of a number or flag column where it is one scalar for the piece, else None
    (an array); a missing carry-forward limit as NaN, as the concatenation reads it."""
    if isinstance(v, np.ndarray):
        return None
    if column == "carry_forward_years" and v is None:
        return np.nan
    return v


def _same(a: Any, b: Any) -> bool:
    """Two pieces' scalars give the same cells (NaN the same as NaN; 1 and 1.0 and True alike only
    where equal as numbers, which is what the float or bool column holds)."""
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return fa == fb or (math.isnan(fa) and math.isnan(fb))


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

"""Which rules are in force on a date, and which programme parameters may be set on it.

A programme parameter is named ``<rule id>.<path>`` (``NL-CP-GRANT.rate``,
``DE-ESTG-7D.depreciation.first_year_share``) and is refused, with the reason, when it would change
nothing: its rule or aid ceiling is not in force on the appraisal date (the message gives the
validity dates), no rule in force is held to the ceiling it names, or it belongs to another pack
than the programme's.  A value outside the range the rule allows is refused before anything
runs.  The policy engine applies these checks on every call, so the CLI, the Programme page and
library callers share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np

from policies.kinds import ParameterError, Params
from policies.registry import load_packs
from policies.schema import Ceiling, Pack, RangeRate, Rule


#: Parameter paths that are shares of a whole and so at most 1: accelerated depreciation writes off the
#: depreciable base, never more than it (a first-year share of 2 would deduct twice the asset's cost).
WHOLE_SHARES: tuple[str, ...] = ("depreciation.first_year_share", "depreciation.later_share")


def in_force(valid_from: str, valid_to: str | None, on: str) -> bool:
    """True where ``on`` (ISO date) lies within [valid_from, valid_to] (valid_to None = open)."""
    return valid_from <= on and (valid_to is None or on <= valid_to)


def rules_in_force(pack: Pack, on_date: date) -> list[Rule]:
    """The pack's rules with valid_from <= on_date <= valid_to (valid_to None = open), in pack order."""
    on = on_date.isoformat()
    return [r for r in pack.rules if in_force(r.valid_from, r.valid_to, on)]


def ceilings_in_force(pack: Pack, on_date: date) -> list[Ceiling]:
    """The pack's aid ceilings in force on a date."""
    on = on_date.isoformat()
    return [c for c in pack.ceilings if in_force(c.valid_from, c.valid_to, on)]


def split_params(params: Mapping[str, float] | None, packs: Mapping[str, Pack],
                 on_date: date | None = None) -> dict[str, dict[str, float]]:
    """Programme parameters by rule id: ``{"NL-CP-GRANT": {"rate": 0.25}}``, every one checked.

    Raises
    ------
    ParameterError
        An unknown rule id or path, a value that is not a finite number >= 0 or lies outside its
        range, and (given ``on_date``) a parameter that changes nothing on that date.
    """
    ids = {r.id for p in packs.values() for r in p.rules} | {c.id for p in packs.values() for c in p.ceilings}
    out: dict[str, dict[str, float]] = {}
    for key, value in (params or {}).items():
        rid = next((i for i in sorted(ids, key=len, reverse=True) if key.startswith(i + ".")), None)
        if rid is None:
            raise ParameterError(f"unknown parameter {key!r}: expected '<rule id>.<parameter>', rule ids: {sorted(ids)}")
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise ParameterError(f"parameter {key!r}: {value!r} is not a number") from None
        if not np.isfinite(v) or v < 0:
            raise ParameterError(f"parameter {key!r}: {v} must be a finite number >= 0")
        path = key[len(rid) + 1:]
        if path in WHOLE_SHARES and v > 1:
            raise ParameterError(f"parameter {key!r}: {v:g} is a share of the depreciable base, at most 1 (100 %)")
        out.setdefault(rid, {})[path] = v
    for p in packs.values():  # check names now, even for rules not in force on the date
        for r in list(p.rules) + list(p.ceilings):
            if r.id in out:
                given = Params(r, out[r.id])  # type: ignore[arg-type]
                for path in out[r.id]:  # ranges too, before anything runs
                    if path in given.ranges:
                        given(path)
                    elif path == "rate":
                        given.range_rate()
    if on_date is not None:
        _refuse_not_in_force(out, packs, on_date)
    return out


def idle_rules(params: Mapping[str, float] | None, support: Any, packs: Mapping[str, Pack]) -> list[str]:
    """The rules (not ceilings: a ceiling gives no item of its own) whose parameters ``params`` set
    and that gave no option an item in ``support`` (the engine's support table, ``instrument_id``
    the rule id): at these values they change nothing for those options.  In the order first given.
    """
    rule_ids = {r.id for p in packs.values() for r in p.rules}
    used = supporting_rules(support)
    return [rid for rid in split_params(params, packs) if rid in rule_ids and rid not in used]


def supporting_rules(support: Any) -> set[str]:
    """The rule ids that gave at least one item in ``support`` (the engine's support table): its distinct
    ``instrument_id`` values (a categorical's present categories), not a text copy of each of its rows."""
    return {str(v) for v in support["instrument_id"].unique()} if len(support) else set()


def _first_name(rid: str, given: Mapping[str, float]) -> str:
    return f"{rid}.{sorted(given)[0]}"


def _refuse_not_in_force(out: Mapping[str, Mapping[str, float]], packs: Mapping[str, Pack], on_date: date) -> None:
    """Refuse parameters that change nothing on the date: their rule or ceiling is not in force,
    or no rule in force is held to the ceiling."""
    on = on_date.isoformat()
    for p in packs.values():
        for r in list(p.rules) + list(p.ceilings):
            if r.id not in out:
                continue
            what = "rule" if isinstance(r, Rule) else "aid ceiling"
            if not in_force(r.valid_from, r.valid_to, on):
                span = f"{r.valid_from} to {r.valid_to}" if r.valid_to else f"from {r.valid_from}"
                raise ParameterError(f"parameter {_first_name(r.id, out[r.id])}: {what} {r.id} is in force {span}, "
                                     f"not on {on}: pick an appraisal date within it (--date)")
            if isinstance(r, Ceiling):
                held = [x.id for q in packs.values() if q is p or q.meta.aid_ceiling_pack == p.code
                        for x in rules_in_force(q, on_date) if x.stacking.aid_ceiling == r.measure]
                if not held:
                    raise ParameterError(f"parameter {_first_name(r.id, out[r.id])}: no rule in force on {on} is held to "
                                         f"aid ceiling {r.id} (measure {r.measure!r}), so it changes nothing")


def check_parameters(params: Mapping[str, float] | None, on_date: date, packs: Mapping[str, Pack], *,
                     programme: str | None = None) -> None:
    """Refuse programme parameters that would change nothing, before any appraisal runs.

    The policy engine applies the same checks on every call (:func:`split_params` from
    :func:`policies.engine.support_table`); this function lets the CLI and the Programme page fail
    fast, and adds the programme's scope.

    Parameters
    ----------
    params : Mapping[str, float] or None
        Programme parameters ``<rule id>.<path>``.
    on_date : datetime.date
        Appraisal date.
    packs : Mapping[str, Pack]
        The packs, by code (:func:`policies.registry.load_packs`).
    programme : str, optional
        The programme's pack code: parameters of another pack's rules are refused (its ceiling
        pack's ceilings are allowed).

    Raises
    ------
    ParameterError
        Unknown names, values outside a range, a rule or ceiling not in force on the date (with
        its validity dates), a ceiling no rule in force is held to, or a rule of another pack.
    """
    if packs is None:
        packs = load_packs()
    out = split_params(params, packs, on_date)
    if programme is None or programme not in packs:
        return
    own = {programme, packs[programme].meta.aid_ceiling_pack}
    for code, p in packs.items():
        if code in own:
            continue
        for r in list(p.rules) + list(p.ceilings):
            if r.id in out:
                raise ParameterError(f"parameter {_first_name(r.id, out[r.id])}: {r.id} belongs to pack {code}, "
                                     f"not to programme {programme}, so it changes nothing")


def parameters(pack: Pack, on_date: date) -> dict[str, float]:
    """Programme parameters of the pack's rules in force on a date: name -> default value.

    Names are ``<rule id>.<path>`` as :func:`support_table` accepts them: every referenced figure,
    ``<rule id>.rate`` for a range rate and the path of each "up to" figure (its default).
    """
    out: dict[str, float] = {}
    for rule in rules_in_force(pack, on_date):
        p = Params(rule)
        if isinstance(rule.rate, RangeRate):
            out[f"{rule.id}.rate"] = p.range_rate()
        for path, value in p.values.items():
            out[f"{rule.id}.{path}"] = value
    return out


def parameter_bounds(pack: Pack, on_date: date) -> dict[str, tuple[float, float]]:
    """The allowed [low, high] of the range parameters among :func:`parameters`, and [0, 1] for the shares of a
    whole (:data:`WHOLE_SHARES`); others are >= 0."""
    out: dict[str, tuple[float, float]] = {}
    for rule in rules_in_force(pack, on_date):
        p = Params(rule)
        if isinstance(rule.rate, RangeRate):
            out[f"{rule.id}.rate"] = (rule.rate.low.value, rule.rate.high.value)
        out.update({f"{rule.id}.{path}": (lo, hi) for path, (lo, hi, _) in p.ranges.items()})
        out.update({f"{rule.id}.{path}": (0.0, 1.0) for path in WHOLE_SHARES
                    if p.has(path) and f"{rule.id}.{path}" not in out})
    return out

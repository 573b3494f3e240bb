"""Plain records describing the packs, for ``cpscreen policies list | show CODE`` and the UI.

Every record says where its figures come from and, where a figure could not be confirmed, why
(``unverified``): the UI shows that reason beside the rule, never the figure alone.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from policies.corporate_tax import corporate_rate
from policies.registry import NO_PACK, load_packs
from policies.schema import Ceiling, Pack, RangeValue, Rule, Term, Value


def _pack(code: str) -> Pack:
    packs = load_packs()
    if code not in packs:
        raise ValueError(f"unknown policy pack {code!r}; known: {sorted(packs)} (or {NO_PACK!r} for no pack)")
    return packs[code]


def list_packs(on_date: date | None = None) -> list[dict[str, Any]]:
    """One record per pack: code, name, currency, version, rules, ceilings, tax_rate, tax_rate_unverified.

    ``tax_rate`` is the main corporate rate in force on ``on_date`` (default today) [/1], or
    None where the pack has no corporate tax or none yet on that date.
    """
    on = on_date or date.today()
    out = []
    for code, pack in load_packs().items():
        try:
            rate: float | None = corporate_rate(pack, on) if pack.meta.tax is not None else None
        except ValueError:
            rate = None
        flag = ""
        if pack.meta.tax is not None:
            entries = [e for e in pack.meta.tax.corporate_rate if e.from_ <= on.isoformat()]
            if entries:
                v = entries[-1].rate
                flag = v.unverified or pack.meta.sources[v.ref].unverified or ""
        out.append({
            "code": code, "name": pack.meta.name, "currency": pack.meta.currency, "version": pack.version,
            "rules": len(pack.rules), "ceilings": len(pack.ceilings), "tax_rate": rate,
            "tax_rate_unverified": flag,
        })
    return out


def _pct(v: float) -> str:
    return f"{v * 100:g} %"


def _share(v: Value | RangeValue, param: str) -> str:
    """A share in words; a range names its programme parameter and the default assumed."""
    if isinstance(v, RangeValue):
        span = f"up to {_pct(v.high.value)}" if v.low.value == 0 else f"{_pct(v.low.value)} to {_pct(v.high.value)}"
        return f"{span} (programme parameter {param}, default {_pct(v.default.value)})"
    return _pct(v.value)


def _term(t: Term) -> str:
    if t.share is not None:
        return f"{_pct(t.share.value)} of the base"
    if t.share_by_size is not None:
        return "share of the base by size (" + ", ".join(f"{k} {_pct(v.value)}" for k, v in t.share_by_size.items()) + ")"
    if t.per_unit is not None:
        s = f"{t.per_unit.value:g} per {t.of} per year"
        if t.over_lifetime:
            s += " x lifetime" + (f" discounted at {_pct(t.discount.value)}" if t.discount is not None else "")
        return s
    if t.payback_floor is not None:
        return f"base - {t.payback_floor.value:g} yr x net annual savings"
    assert t.highest_of is not None
    return "highest of (" + "; ".join(_term(x) for x in t.highest_of) + ")"


def describe_rate(rule: Rule | Ceiling) -> str:
    """The rule's rate (or schedule) in words."""
    if isinstance(rule, Ceiling):
        r = rule.intensity
        return f"{_pct(r.base.value)} of {rule.base_of}" + "".join(f", +{_pct(v.value)} {k}" for k, v in r.bonus.items())
    if rule.kind == "depreciation" and rule.depreciation is not None:
        d = rule.depreciation
        later = (f", then {_share(d.later_share, f'{rule.id}.depreciation.later_share')} a year" if d.later_share is not None
                 else ", the rest straight line")
        return f"{_share(d.first_year_share, f'{rule.id}.depreciation.first_year_share')} of {rule.base.of} in year 1{later}"
    if rule.kind == "tax_holiday" and rule.holiday is not None:
        h = rule.holiday
        return f"no tax for {h.exempt_years.value:g} years, then x{h.reduced_factor.value:g} for {h.reduced_years.value:g} years"
    rate = rule.rate
    assert rate is not None
    if rate.form == "fixed":
        s = _pct(rate.value.value)
    elif rate.form == "range":
        d = rate.default.value if rate.default is not None else rate.low.value
        s = f"{_pct(rate.low.value)} to {_pct(rate.high.value)} (programme parameter {rule.id}.rate, default {_pct(d)})"
    elif rate.form == "by_type":
        s = f"by {rate.attribute}: " + ", ".join(f"{k} {_share(v, f'{rule.id}.rate.values.{k}')}" for k, v in rate.values.items())
        s += "".join(f", +{_pct(v.value)} {k}" for k, v in rate.bonus.items())
    elif rate.form == "size_bonus":
        s = _pct(rate.base.value) + "".join(f", +{_pct(v.value)} {k}" for k, v in rate.bonus.items())
    else:
        return "lowest of: " + "; ".join(_term(t) for t in rate.terms)
    net = f" net of {', '.join(rule.base.net_of)}" if rule.base.net_of else ""
    ext = " net of other grants" if rule.base.net_of_external else ""
    return f"{s} of {rule.base.of}{net}{ext}"


def _conditions(rule: Rule) -> str:
    e = rule.eligibility
    parts = []
    if e.size_classes is not None:
        parts.append("size " + "/".join(e.size_classes))
    if e.categories is not None:
        parts.append("categories " + ", ".join(e.categories))
    if e.requires_all:
        parts.append(" and ".join(f"{q} > 0" for q in e.requires_all))
    if e.requires_any:
        parts.append("any of " + ", ".join(f"{q} > 0" for q in e.requires_any))
    parts += [f"{c} in {v}" for c, v in e.attributes.items()]
    parts += [f"{c} >= {v.value:g}" for c, v in e.thresholds.items()]
    if e.min_investment is not None:
        parts.append(f"eligible investment >= {e.min_investment.value:g}")
    if e.max_investment is not None:
        parts.append(f"eligible investment <= {e.max_investment.value:g}")
    if e.min_payback_years is not None:
        parts.append(f"payback without support >= {e.min_payback_years.value:g} yr")
    c = rule.caps
    for name in ("per_project", "per_enterprise", "per_year", "investment_per_year", "min_aid"):
        v = getattr(c, name)
        if v is not None:
            parts.append(f"{name.replace('_', ' ')} {v.value:g}")
    if rule.stacking.excludes:
        parts.append("not with " + ", ".join(rule.stacking.excludes))
    if rule.stacking.aid_ceiling:
        parts.append(f"aid ceiling {rule.stacking.aid_ceiling}")
    return "; ".join(parts) or "none"


def show_pack(code: str) -> list[dict[str, Any]]:
    """One record per rule (and aid ceiling) of a pack.

    Keys: id, name, kind, rate, conditions, valid_from, valid_to, timing, taxable,
    reduces_depreciation_base, source_title, source_article, source_url, source_date_read,
    unverified (the reasons joined by "; ", "" where every figure is confirmed), note.

    Raises
    ------
    ValueError
        For an unknown code, naming the known codes.
    """
    pack = _pack(code)
    out: list[dict[str, Any]] = []
    for rule in list(pack.rules) + list(pack.ceilings):
        src = pack.meta.sources[rule.source]
        is_rule = isinstance(rule, Rule)
        out.append({
            "id": rule.id, "name": rule.name, "kind": rule.kind if is_rule else "aid_ceiling",  # type: ignore[union-attr]
            "rate": describe_rate(rule),
            "conditions": _conditions(rule) if is_rule else f"measure {rule.measure}",  # type: ignore[arg-type,union-attr]
            "valid_from": rule.valid_from, "valid_to": rule.valid_to,
            "timing": (f"year {rule.timing.year}" + (f" over {rule.timing.spread_years} years" if rule.timing.spread_years > 1 else "")) if is_rule else "",  # type: ignore[union-attr]
            "taxable": rule.taxable if is_rule else None,  # type: ignore[union-attr]
            "reduces_depreciation_base": rule.reduces_depreciation_base if is_rule else None,  # type: ignore[union-attr]
            "source_title": src.title, "source_article": src.article, "source_url": src.url,
            "source_date_read": src.date_read,
            "unverified": "; ".join(pack.unverified_reasons(rule)),
            "note": " ".join(rule.note.split()),
        })
    return out

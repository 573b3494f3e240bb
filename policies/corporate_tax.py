"""The packs' corporate income tax: the rate and loss carry-forward in force, per pack and per option.

:func:`corporate_rate` is a pack's main (top marginal) rate on a date, :func:`tax_regime` its
regime for finance (rate, loss carry-forward limit, unverified figures), :func:`tax_rates` the
rate per option (the enterprise's ``tax_rate`` where given); :func:`tax_rates_by_year` and
:func:`depreciation_schedules` are the year arrays of :mod:`policies.schedules`.  Jurisdiction
``none`` and packs without a corporate tax (EU) have rate 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from policies.join import _Joined
from policies.registry import NO_PACK, load_packs
from policies.schema import Pack, TaxRegime, Value

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

"""Tax that changes over an option's life, and depreciation by asset class: the packs' schedules as arrays.

Two (options x years) arrays the cash-flow engine reads (:func:`finance.batch_flows.batch_cash_flows`):

* :func:`tax_rates_by_year`: the corporate rate in force in each year t = 0..T-1 of the life of
  an option appraised on date D: the pack's rate in force on the date D + t years (same day and
  month; 29 February -> 28 February), i.e. the rate of calendar year year(D) + t for a pack
  whose rates change on 1 January (the DE cuts of 2028-2032).  The enterprise's own
  ``tax_rate`` holds for the whole life; jurisdiction ``none`` pays no tax.
* :func:`depreciation_schedules`: the cumulative tax depreciation share at the end of each year
  t [/1] of an option whose ``asset_class`` names a class of its pack's ``tax.depreciation`` (the
  entry in force on D, the acquisition date); NaN rows = straight line over
  ``depreciation_years`` (options without a class).

Depreciation methods (:class:`policies.schema.DepreciationEntry`), share of the cost, book value
B_0 = 1, years t = 1, 2, ...:

* ``straight_line``: C(t) = min(t / Y, 1), Y = ``years`` or the option's ``depreciation_years``.
* ``declining_balance``: d = ``rate``, or min(``multiple`` / Y, ``rate``) with a multiple;
  D_1 = ``first_year`` where given, else d B_0; D_t = d B_{t-1}; with
  ``switch_to_straight_line`` D_t = max(d B_{t-1}, B_{t-1} / (Y - t + 1)) (all of B_{t-1} once
  t >= Y); B_t = B_{t-1} - D_t, C(t) = 1 - B_t.
* ``table``: C(t) = sum of the published shares of years 1..t (1 from the table's last year on).

The engine writes off the book value left at t = N (the end of the option's life).

References
----------
.. [1] IRS Publication 946, How To Depreciate Property, appendix A, table A-1 (MACRS half-year).
.. [2] § 7 Abs. 2 and 3 EStG (declining balance, switch to straight line); § 5 afskrivningsloven
   (DK balance); Capital Allowances Act 2001 ss. 45S, 56, 104D (UK).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from policies.corporate_tax import NoTaxRateError, corporate_rate
from policies.join import _Joined
from policies.registry import NO_PACK, load_packs
from policies.schema import DepreciationEntry, Pack

__all__ = ["anniversary", "tax_rates_by_year", "depreciation_schedules", "cumulative_shares", "class_entry"]


def anniversary(on_date: date, years: int) -> date:
    """The date ``years`` years after ``on_date`` (29 February -> 28 February)."""
    try:
        return on_date.replace(year=on_date.year + years)
    except ValueError:
        return on_date.replace(year=on_date.year + years, day=28)


def pack_rates_by_year(pack: Pack, on_date: date, width: int) -> np.ndarray:
    """The pack's corporate rate in force on D + t years, t = 0..width-1 [/1].

    Raises
    ------
    NoTaxRateError
        For a date before the pack's schedule (as :func:`policies.corporate_tax.corporate_rate`).
    """
    return np.array([corporate_rate(pack, anniversary(on_date, t)) for t in range(width)])


def tax_rates_by_year(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, width: int,
                      packs: Mapping[str, Pack] | None = None) -> np.ndarray | None:
    """The tax rate in force in each year t = 0..width-1 of every option's life [/1], or None.

    None where no option's rate changes within ``width`` years (every path then uses the one rate
    of :func:`policies.corporate_tax.tax_rates`, so results are those of a constant rate exactly).

    Parameters
    ----------
    options, enterprises : DataFrame
        Validated frames (DESIGN.md section 2).
    on_date : datetime.date
        Appraisal date D (year t uses the rate in force on D + t years).
    width : int
        Years 0..width-1 (the longest life + 1).

    Returns
    -------
    ndarray, shape (n, width), or None
    """
    packs = load_packs() if packs is None else packs
    j = _Joined(options, enterprises)
    codes, labels = j.jurisdictions(packs)
    override = j.tax_override()
    out: np.ndarray | None = None
    for k, code in enumerate(labels):
        if code == NO_PACK:
            continue
        mask = (codes == k) & np.isnan(override)
        if not mask.any():
            continue
        try:
            rates = pack_rates_by_year(packs[code], on_date, width)
        except NoTaxRateError:
            continue  # corporate_tax.tax_rates names the missing rate
        if np.all(rates == rates[0]):
            continue
        if out is None:
            out = np.repeat(np.asarray(_base_rates(j, codes, labels, packs, on_date))[:, None], width, axis=1)
        out[mask] = rates
    return out


def _base_rates(j: _Joined, codes: np.ndarray, labels: list[str], packs: Mapping[str, Pack], on_date: date) -> np.ndarray:
    from policies.corporate_tax import _rates

    return _rates(j, codes, labels, packs, on_date, strict=False)


def class_entry(pack: Pack, name: str, on_date: date) -> DepreciationEntry:
    """The entry of depreciation class ``name`` in force on a date.

    Raises
    ------
    ValueError
        For a class the pack does not define, or a date before the class's first entry.
    """
    classes = pack.meta.tax.depreciation if pack.meta.tax is not None else {}
    if name not in classes:
        raise ValueError(f"asset class {name!r} is not a depreciation class of pack {pack.code}; known: {sorted(classes)}")
    on = on_date.isoformat()
    entries = [e for e in classes[name] if e.from_ <= on]
    if not entries:
        raise ValueError(f"asset class {name!r} of pack {pack.code} starts {classes[name][0].from_}, after {on}")
    return entries[-1]


def cumulative_shares(entry: DepreciationEntry, depreciation_years: int, width: int) -> np.ndarray:
    """Cumulative depreciation share C(t) at the end of years t = 0..width-1 of one class entry. [/1]

    See the module docstring for the formulas; ``depreciation_years`` [yr] is used where the entry
    gives no ``years``.
    """
    t = np.arange(width, dtype=float)
    years = float(entry.years.value) if entry.years is not None else float(depreciation_years)
    if entry.method == "straight_line":
        return np.minimum(t / years, 1.0)
    if entry.method == "table":
        assert entry.shares is not None
        shares = np.asarray(entry.shares.percent, dtype=float) / 100.0
        cum = np.ones(width)
        cum[0] = 0.0
        last = min(len(shares), width - 1)
        cum[1:last + 1] = np.minimum(np.cumsum(shares)[:last], 1.0)
        if len(shares) <= width - 1:
            cum[len(shares)] = 1.0  # the table's shares sum to 100 % (checked on load)
        return cum
    assert entry.rate is not None
    d = entry.rate.value if entry.multiple is None else min(entry.multiple.value / years, entry.rate.value)
    cum = np.zeros(width)
    book = 1.0
    for y in range(1, width):
        dep = entry.first_year.value if (y == 1 and entry.first_year is not None) else d * book
        if entry.switch_to_straight_line:
            remaining = years - y + 1
            dep = book if remaining <= 1 else max(dep, book / remaining)
        book -= min(dep, book)
        cum[y] = 1.0 - book
    return cum


def depreciation_schedules(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, width: int,
                           packs: Mapping[str, Pack] | None = None) -> np.ndarray | None:
    """Cumulative depreciation share by year of every option with an ``asset_class`` [/1], or None.

    Parameters
    ----------
    options, enterprises : DataFrame
        Validated frames; ``options`` may carry ``asset_class`` (a class of the option's pack's
        ``tax.depreciation``; empty = straight line over ``depreciation_years``).
    on_date : datetime.date
        Acquisition date: the class's entry in force then.
    width : int
        Years 0..width-1 (the longest life + 1).

    Returns
    -------
    ndarray, shape (n, width), or None
        NaN rows for options without a class (or of jurisdiction ``none``, which pays no tax);
        None where no option has a class.

    Raises
    ------
    ValueError
        Naming the option row and the field: a class the pack does not define, or not yet in force.
    """
    if "asset_class" not in options.columns:
        return None
    opts = options.reset_index(drop=True)
    # each distinct class name once (a column holds a handful): its code, -1 where empty
    raw, names = pd.factorize(opts["asset_class"], use_na_sentinel=True)
    names = [str(c).strip() for c in names]
    empty = np.array([c == "" for c in names] + [True], dtype=bool)  # the last entry: the NA code -1
    cls = np.where(empty[raw], -1, raw)
    if (cls < 0).all():
        return None
    packs = load_packs() if packs is None else packs
    j = _Joined(opts, enterprises)
    codes, labels = j.jurisdictions(packs)
    dep = pd.to_numeric(opts["depreciation_years"], errors="coerce") if "depreciation_years" in opts.columns else None
    life = pd.to_numeric(opts["lifetime_years"], errors="coerce").to_numpy(dtype=float)
    years = life if dep is None else np.where(dep.isna().to_numpy(), life, dep.to_numpy(dtype=float, na_value=np.nan))
    out = np.full((len(opts), width), np.nan)
    taxed = np.array([code != NO_PACK for code in labels], dtype=bool)[codes]
    rows = np.flatnonzero((cls >= 0) & taxed)
    # one schedule per distinct (pack, class, tax life); each option takes its group's row
    y = np.nan_to_num(years[rows], nan=0.0).astype(np.int64)
    key = (codes[rows].astype(np.int64) * (len(names) + 1) + cls[rows]) * 1000 + y
    uniq, first, group = np.unique(key, return_index=True, return_inverse=True)
    order = np.argsort(group, kind="stable")
    members = np.split(rows[order], np.cumsum(np.bincount(group, minlength=uniq.size))[:-1])
    for k in range(uniq.size):
        i = int(rows[first[k]])
        code, name = labels[codes[i]], names[cls[i]]
        try:
            entry = class_entry(packs[code], name, on_date)
        except ValueError as exc:
            raise ValueError(f"options row {i}: field 'asset_class': {exc}") from None
        out[members[k]] = cumulative_shares(entry, int(years[i]), width)
    return out if not np.isnan(out[:, 0]).all() else None

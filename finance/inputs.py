"""What every appraisal path reads besides the options, resolved once per option.

:func:`appraisal_inputs` is the one resolution used by :func:`finance.appraise.appraise`,
:func:`finance.option_detail.appraise_option`, the cash-flow table, the risk analysis and the
programme budget (``programme.budget.baseline``), so that every path appraises an option alike;
:func:`with_inflation` puts the enterprise's general inflation on the options' rows.

Inputs
------
* Tax rate [/1] per option: ``policies.corporate_tax.tax_rates`` (the enterprise's ``tax_rate`` override,
  else the pack's corporate rate on the date; 0 for jurisdiction ``none``).
* Discount rate [/1]: the ``discount_rate`` argument, else the option's ``discount_rate`` column,
  else the enterprise's, else 0.08 (DESIGN.md section 2).
* Tax capacity: the enterprise's ``tax_capacity`` (default True).
* Loss carry-forward without tax capacity [yr]: the pack's ``loss_carry_forward_years``
  (``policies.corporate_tax.tax_regime``), None = without limit.
* The pack and its version per option, the tax rate in force in each year of the life and the
  asset classes' depreciation schedules (:mod:`policies.schedules`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from finance.batch_arrays import filled
from policies import corporate_tax, join, registry

DEFAULT_DISCOUNT_RATE = 0.08


def _enterprise_column(options: pd.DataFrame, enterprises: pd.DataFrame, name: str,
                       pos: np.ndarray | None = None) -> np.ndarray:
    """The enterprise's ``name`` for every option (``pos``: the options' enterprise rows, if known)."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if pos is None:
        pos = _enterprise_rows(options, enterprises)  # the same rows: the first of repeated ids
    if name not in ent.columns:
        return np.full(len(options), np.nan, dtype=object)
    return ent[name].to_numpy(dtype=object)[pos]


def _enterprise_rows(options: pd.DataFrame, enterprises: pd.DataFrame) -> np.ndarray:
    """Row of each option's enterprise in ``enterprises`` (first of duplicates); one hash join."""
    _, pos = join.enterprise_rows(options, enterprises)
    if (pos < 0).any():
        row = int(np.flatnonzero(pos < 0)[0])
        raise ValueError(f"options row {row}: field 'enterprise_id': "
                         f"{options['enterprise_id'].iloc[row]!r} is not among the enterprises")
    return pos


def _bool(values: np.ndarray, default: bool, field_name: str) -> np.ndarray:
    """Parse yes/no cells; each distinct value once (a column holds a handful)."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=True)
    return _bool_codes(codes, uniques, default, field_name)


def _bool_codes(codes: np.ndarray, uniques: Any, default: bool, field_name: str) -> np.ndarray:
    """:func:`_bool` of cells given as codes into ``uniques`` (-1 = empty); only the values the
    codes use are read (a value no cell has is never refused)."""
    parsed = np.zeros(len(uniques), dtype=bool)
    used = np.zeros(len(uniques), dtype=bool)
    used[codes[codes >= 0]] = True
    for k, v in enumerate(uniques):
        if not used[k]:
            continue
        if isinstance(v, (bool, np.bool_)):
            parsed[k] = bool(v)
        elif isinstance(v, float) and math.isnan(v):
            parsed[k] = default
        elif str(v).strip().lower() in ("yes", "true", "1", "y"):
            parsed[k] = True
        elif str(v).strip().lower() in ("no", "false", "0", "n"):
            parsed[k] = False
        else:
            i = int(np.flatnonzero(codes == k)[0])
            raise ValueError(f"options row {i}: field {field_name!r} must be yes/no, got {v!r}")
    return np.where(codes < 0, default, parsed[np.maximum(codes, 0)] if len(parsed) else default)


def _float(values: np.ndarray) -> np.ndarray:
    return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _enterprise_floats(options: pd.DataFrame, enterprises: pd.DataFrame, name: str,
                       pos: np.ndarray | None = None) -> np.ndarray:
    """The enterprise's number ``name`` for every option (NaN where missing or not a number): each
    enterprise's cell converted once, then taken per option (the same values as converting per option)."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if pos is None:
        pos = _enterprise_rows(options, enterprises)
    if name not in ent.columns:
        return np.full(len(options), np.nan)
    return _float(ent[name].to_numpy(dtype=object))[pos]


def with_inflation(options: pd.DataFrame, enterprises: pd.DataFrame) -> pd.DataFrame:
    """The options with the column ``inflation`` [/1 per yr]: their enterprise's (0 where it has none).

    General inflation is an enterprise field; the cash-flow model reads it from each option's row
    (:mod:`finance.inflation`).  An ``inflation`` column the options carry is replaced.
    """
    ent = _enterprise_floats(options, enterprises, "inflation")
    if np.isnan(ent).all() and "inflation" not in options.columns:
        return options
    return options.assign(inflation=np.where(np.isnan(ent), 0.0, ent))


def _discount_rates(options: pd.DataFrame, enterprises: pd.DataFrame, discount_rate: float | None,
                    pos: np.ndarray | None = None) -> np.ndarray:
    n = len(options)
    if discount_rate is not None:
        return np.full(n, float(discount_rate))
    rate = np.full(n, np.nan)
    if "discount_rate" in options.columns:
        rate = _float(options["discount_rate"].to_numpy(dtype=object))
    ent = _enterprise_floats(options, enterprises, "discount_rate", pos)
    rate = np.where(np.isnan(rate), ent, rate)
    return np.where(np.isnan(rate), DEFAULT_DISCOUNT_RATE, rate)


def _packs(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
           pos: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pack code, pack version and loss carry-forward limit [yr, NaN = none] per option."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if pos is None:
        pos = _enterprise_rows(options, enterprises)
    if "jurisdiction" in ent.columns:  # each enterprise's code as text and coded once, then per option
        ent_codes = ent["jurisdiction"].to_numpy(dtype=object).astype(str)
        ent_of, labels = pd.factorize(ent_codes)
        codes, code_of = ent_codes[pos], ent_of[pos]
    else:
        codes = _enterprise_column(options, enterprises, "jurisdiction", pos).astype(str)
        code_of, labels = pd.factorize(codes)
    versions = filled(len(options), None)
    loss = np.full(len(options), np.nan)
    packs = registry.load_packs()
    for k in _by_first_option(code_of, len(labels)):
        code = labels[k]
        mask = code_of == k
        if code in packs:
            versions[mask] = packs[code].version
        regime = getattr(corporate_tax, "tax_regime", None)
        if regime is not None:
            years = regime(code, on_date)["loss_carry_forward_years"]
            loss[mask] = np.nan if years is None else float(years)
    return codes, versions, loss


def _by_first_option(code_of: np.ndarray, n_labels: int) -> np.ndarray:
    """The codes some option has, in order of their first option (as ``pd.factorize`` of the
    options' own values would number them): codes of enterprises no option names are left out."""
    first = np.full(n_labels, len(code_of), dtype=np.int64)
    np.minimum.at(first, code_of, np.arange(len(code_of), dtype=np.int64))
    used = np.flatnonzero(first < len(code_of))
    return used[np.argsort(first[used], kind="stable")]


@dataclass(frozen=True)
class AppraisalInputs:
    """What every appraisal path reads besides the options, resolved once per option.

    Attributes
    ----------
    tax_rate : ndarray
        Corporate income tax rate: the enterprise's ``tax_rate``, else its pack's rate on the date. [/1]
    discount_rate : ndarray
        The argument, else the option's ``discount_rate``, else the enterprise's, else 0.08. [/1 per yr]
    tax_capacity : ndarray of bool
        The enterprise's ``tax_capacity`` (default True).
    pack, pack_version : ndarray of object
        Pack code (the enterprise's jurisdiction) and its version.
    loss_carry_forward_years : ndarray
        The pack's loss carry-forward limit without tax capacity, NaN = none. [yr]
    tax_rate_by_year : ndarray, shape (n, max life + 1), or None
        The rate in force in each year t of the life (year t of an option appraised on D: the
        rate in force on D + t years, :func:`policies.corporate_tax.tax_rates_by_year`); None where
        no option's rate changes over its life. [/1]
    depreciation_schedule : ndarray, shape (n, max life + 1), or None
        Cumulative tax depreciation share at the end of each year t of the options with an
        ``asset_class`` (NaN rows: straight line), :func:`policies.schedules.depreciation_schedules`;
        None where no option has one. [/1]
    """

    tax_rate: np.ndarray
    discount_rate: np.ndarray
    tax_capacity: np.ndarray
    pack: np.ndarray
    pack_version: np.ndarray
    loss_carry_forward_years: np.ndarray
    tax_rate_by_year: np.ndarray | None = None
    depreciation_schedule: np.ndarray | None = None

    def years(self, rows: np.ndarray | slice | None = None) -> dict[str, np.ndarray | None]:
        """The year arrays as keywords of the batch functions (``rows``: a subset, in that order)."""
        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return values if values is None or rows is None else values[rows]

        return {"tax_rate_by_year": pick(self.tax_rate_by_year), "depreciation_schedule": pick(self.depreciation_schedule)}


def appraisal_inputs(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date,
                     discount_rate: float | None = None) -> AppraisalInputs:
    """Tax rate, discount rate, tax capacity, pack and loss carry-forward of every option.

    The one resolution of these inputs used by :func:`finance.appraise.appraise`,
    :func:`finance.option_detail.appraise_option` and the programme budget
    (``programme.budget.baseline``), so that every path appraises an option alike.

    Parameters
    ----------
    options, enterprises : DataFrame
        Validated frames (DESIGN.md section 2); ``options`` indexed 0..n-1.
    on_date : datetime.date
        Appraisal date (tax rates and regimes in force).
    discount_rate : float, optional
        One rate for all options. [/1 per yr]

    Returns
    -------
    AppraisalInputs
    """
    tax = np.asarray(corporate_tax.tax_rates(options, enterprises, on_date), dtype=float)
    pos = _enterprise_rows(options, enterprises)
    rate = _discount_rates(options, enterprises, discount_rate, pos)
    capacity = _capacity(options, enterprises, pos)
    codes, versions, loss = _packs(options, enterprises, on_date, pos)
    width = _width(options)
    by_year = corporate_tax.tax_rates_by_year(options, enterprises, on_date, width)
    dep = corporate_tax.depreciation_schedules(options, enterprises, on_date, width)
    return AppraisalInputs(tax, rate, capacity, codes, versions, loss, by_year, dep)


def _capacity(options: pd.DataFrame, enterprises: pd.DataFrame, pos: np.ndarray) -> np.ndarray:
    """The enterprise's ``tax_capacity`` per option (default True): each enterprise's cell coded once."""
    ent = enterprises.drop_duplicates("enterprise_id").reset_index(drop=True)
    if "tax_capacity" not in ent.columns:
        return _bool(np.full(len(options), np.nan, dtype=object), True, "tax_capacity")
    codes, uniques = pd.factorize(pd.Series(ent["tax_capacity"].to_numpy(dtype=object), dtype=object),
                                  use_na_sentinel=True)
    return _bool_codes(np.asarray(codes)[pos], uniques, True, "tax_capacity")


def _width(options: pd.DataFrame) -> int:
    """Years 0..N of the longest life (the fields are validated later, by the paths that read them)."""
    if "lifetime_years" not in options.columns or not len(options):
        return 1
    life = pd.to_numeric(options["lifetime_years"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    life = life[np.isfinite(life)]
    return int(np.clip(np.ceil(life.max()), 1, 50)) + 1 if life.size else 1

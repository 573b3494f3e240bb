"""The programme's baseline: what does not depend on the programme, computed once per set of options.

The options joined to their enterprises, the resolved appraisal inputs (tax rates, discount rates,
tax capacity, loss carry-forward, tax rates by year, depreciation schedules: one resolution shared
with ``finance.appraise``) and the no-support appraisal of every option (net flows and the
decision metrics, :func:`programme.appraisal.flows_and_metrics`).  :func:`programme.budget.run_programme`
and :func:`programme.budget.compare_scenarios` read it (module docstring of :mod:`programme.budget`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from finance.batch_arrays import option_arrays
from finance.inputs import AppraisalInputs, appraisal_inputs, with_inflation
from programme.appraisal import flows_and_metrics

__all__ = ["Baseline", "baseline", "first_rows", "IRR_AUTO_LIMIT"]

#: Up to this many options :func:`baseline` computes IRRs by default.
IRR_AUTO_LIMIT: int = 200_000

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
    arrays: dict[str, np.ndarray] | None = None  # finance.batch_arrays.option_arrays of options (read once, by every pass)

    def years(self, rows: np.ndarray | None = None) -> dict[str, np.ndarray | None]:
        """Tax rates by year and depreciation schedules of the options (at ``rows``), as batch keywords."""
        if self.inputs is None:
            return {"tax_rate_by_year": None, "depreciation_schedule": None}
        return self.inputs.years(rows)

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
    first = first_rows(codes)
    ent_rate = pd.Series(tax[first], index=opt["enterprise_id"].iloc[first].to_numpy())
    # the no-support flows are all that is left; `alongside` (the engine's first run, which reads none of
    # them) runs on another thread meanwhile
    arrays = option_arrays(opt)
    partial = Baseline(opt, enterprises, tax, disc, cap, pd.DataFrame(), np.zeros((0, 0)), None, np.zeros(0, dtype=np.int64),
                       irr, ent_rate, codes, loss, inputs, arrays)
    with ThreadPoolExecutor(max_workers=1) as pool:
        side = pool.submit(alongside, partial) if alongside is not None else None
        net, life, m = flows_and_metrics(opt, tax, cap, disc, None, loss_carry_forward_years=loss, with_irr=irr,
                                         arrays=arrays, **inputs.years())
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


def first_rows(codes: np.ndarray) -> np.ndarray:
    """Position of the first option of each enterprise code 0, 1, ...: ``np.unique(codes, return_index=True)[1]``.

    Codes numbered in order of first appearance (``Baseline.enterprise_code``) need no sort: the
    first appearances are where the running maximum grows.  Other codes take ``np.unique``.
    """
    codes = np.asarray(codes)
    if codes.size == 0:
        return np.zeros(0, dtype=np.intp)
    top = np.maximum.accumulate(codes)
    new = np.empty(codes.size, dtype=bool)
    new[0] = True
    np.greater(top[1:], top[:-1], out=new[1:])
    first = np.flatnonzero(new)
    if codes[0] != 0 or not np.array_equal(codes[first], np.arange(first.size)):
        return np.unique(codes, return_index=True)[1]
    return first

"""Year-by-year after-tax cash flow of one cleaner-production option, with support items.

Conventions (DESIGN.md section 3)
---------------------------------
* Periods t = 0..N with N = ``lifetime_years`` [yr]; every flow falls at the *end* of its period and
  t = 0 (the investment date) is not discounted: the ``numpy_financial.npv`` convention
  ``sum_t v_t / (1 + r)**t``, **not** Excel's ``NPV()``, which discounts its first value by one period.
* Amounts are nominal, in the enterprise's currency [currency]; rates are fractions [/1].
* Cash columns are *signed as they enter* ``net``: ``investment`` <= 0, ``grants`` >= 0,
  ``savings`` = annual_savings (plus the Total Cost Assessment tiers II-IV, :mod:`finance.tca`), ``cost_change`` = -annual_cost_change, ``tax`` = -(tax payable)
  (positive where a tax saving is realised), ``credits`` = tax credit used (>= 0), ``salvage`` >= 0,
  ``loan`` = principal received (+) and repayments (-).
  ``net = investment + grants + savings + cost_change + tax + credits + salvage + loan``.
  ``depreciation``, ``deductions`` and ``taxable_profit`` are not cash; ``pre_tax_net`` is ``net``
  without ``tax`` and ``credits`` (used for the pre-tax payback basis).
* Escalation: ``annual_savings`` and ``annual_cost_change`` are year-1 amounts; year t's amount is
  amount x (1 + g)^(t - 1) with g = ``savings_escalation`` / ``cost_escalation`` (real, per year;
  default 0: constant yearly flows).
* Taxable profit = savings + cost_change - depreciation - deductions + taxable grants + salvage
  gain. Tax = taxable profit x tax rate x holiday factor of the year; the tax rate may be one
  for the whole life or the rate in force in each year (a pack's schedule that changes).
* Depreciation: straight line over ``depreciation_years`` on the depreciable base (investment minus
  grants flagged ``reduces_depreciation_base``, floored at 0), or an asset class's schedule (the
  pack's ``tax.depreciation``: declining balance, MACRS tables, pools), or the schedule of a
  ``depreciation`` item (which overrides the others).  If the option's life ends before the base is fully depreciated, the
  remaining book value is written off at t = N, so the book value at t = N is always 0.
* Salvage: received at t = N and taxed in full as a gain over the (zero) remaining book value.
* ``tax_capacity=True``: the enterprise has other profits, so a negative tax (a saving) is realised
  in the year and every tax credit is used in the year it arises.
  ``tax_capacity=False``: losses carry forward (oldest first) against later positive taxable profit
  for ``loss_carry_forward_years`` years (None = without limit); tax credits are set against the
  year's tax payable (earliest-expiring first) and what is left carries forward for the item's
  ``carry_forward_years`` years (None = without limit), then lapses.  A loss or credit still
  unused at t = N is lost.
* Tax at t = 0: only taxable grants and deductions dated year 0 make a taxable profit at t = 0.
* Tax holiday: the rate factor is 0 in years 1..exempt_years and ``reduced_factor`` in the next
  ``reduced_years`` years (t = 0 always 1); several holidays multiply.
* Soft loan: principal received in the item's year (normally 0), repaid as an annuity over
  ``loan_years`` at ``loan_rate`` starting the next year; any principal still outstanding at t = N
  is repaid at t = N (:func:`finance.financing.amortise`, the one amortisation).  Interest is not
  deducted from taxable profit (the item's value is the interest saved against the discount
  rate, as the contract in ``policies.items`` says).
* Inflation: ``inflation`` i (the enterprise's, per year; default 0) leaves the real flows and the
  real discount rate as they are; the nominal lines lose real value: depreciation enters taxable
  profit as depreciation x (1 + i)**-t (the ``depreciation`` column stays the nominal figure the
  law allows) and loan payments are deflated likewise (:mod:`finance.inflation`).
* Debt (:mod:`finance.financing`): with ``debt_share`` > 0 the columns ``interest`` and
  ``principal`` (real), ``equity`` (the equity cash flow: net + drawdown - interest - principal,
  with the tax recomputed with interest deducted) and ``dscr`` are filled; without debt
  ``interest`` and ``principal`` are 0 and ``equity``, ``dscr`` NaN.  ``net`` is the project's
  (unlevered) flow either way.
* Grants, deductions and credits dated after t = N are an error.

References
----------
.. [1] numpy-financial, ``npv`` and ``irr`` docstrings,
   https://numpy.org/numpy-financial/latest/npv.html
.. [2] Microsoft, "NPV function" (Excel help): NPV() treats its first value as one period ahead,
   https://support.microsoft.com/en-us/office/npv-function-8672cb67-2576-4d07-b67b-ac28acf2a568
.. [3] UNEP/UNIDO, "Audit and Reduction Manual for Industrial Emissions and Wastes",
   Technical Report Series No. 7, 1991, and the Chinese cleaner production audit handbook
   (国家清洁生产中心, 《企业清洁生产审核手册》, 1996): D = I/Y, F = (P - D)(1 - t) + D.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from finance.financing import amortise, annuity_payment, loan_flows, option_debt
from finance.inflation import deflator
from finance import tca
from policies.items import SupportItem

__all__ = ["CASH_FLOW_COLUMNS", "OPTION_FIELDS", "annuity_payment", "cash_flow", "depreciation_shares",
           "holiday_factors", "loan_flows", "option_terms"]

#: Columns of the table returned by :func:`cash_flow`, in order.
CASH_FLOW_COLUMNS: tuple[str, ...] = (
    "t", "investment", "grants", "savings", "cost_change", "depreciation", "deductions",
    "taxable_profit", "tax_rate", "tax", "credits", "salvage", "loan", "pre_tax_net", "net",
    "cumulative", "discounted", "discounted_cumulative", "interest", "principal", "equity", "dscr",
)

#: Option fields read by the cash flow, with the default used where a field is absent or NaN.
OPTION_FIELDS: dict[str, float | None] = {
    "investment": None,
    "annual_savings": None,
    "lifetime_years": None,
    "annual_cost_change": 0.0,
    "salvage_value": 0.0,
    "depreciation_years": math.nan,  # NaN -> lifetime_years
    "savings_escalation": 0.0,  # real growth of the savings per year [/1]
    "cost_escalation": 0.0,  # real growth of the cost change per year [/1]
    "inflation": 0.0,  # the enterprise's general inflation, set on the option by finance.appraise [/1]
}


def _num(option: Mapping[str, Any], field: str, default: float | None, where: str) -> float:
    value = option.get(field, default)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if default is None:
            raise ValueError(f"{where}: field {field!r} is required and missing")
        value = default
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: field {field!r} must be a number, got {value!r}") from exc


def option_terms(option: Mapping[str, Any], where: str = "option") -> dict[str, float | int]:
    """Read and check the fields of one option that the cash flow uses.

    Parameters
    ----------
    option : Mapping
        One option (import-format field names, DESIGN.md section 2).
    where : str
        How to name the option in error messages.

    Returns
    -------
    dict
        ``investment`` [currency], ``annual_savings`` [currency/yr] (with the Total Cost
        Assessment tiers II-IV of :mod:`finance.tca` where given), ``annual_cost_change``
        [currency/yr], ``salvage_value`` [currency], ``lifetime_years`` [yr],
        ``depreciation_years`` [yr].

    Raises
    ------
    ValueError
        Naming the option, the field and the reason.
    """
    out: dict[str, float | int] = {k: _num(option, k, d, where) for k, d in OPTION_FIELDS.items()}
    for key in ("investment", "salvage_value"):
        if not (out[key] >= 0 and math.isfinite(out[key])):
            raise ValueError(f"{where}: field {key!r} must be finite and >= 0, got {out[key]!r}")
    for key in ("annual_savings", "annual_cost_change"):
        if not math.isfinite(out[key]):
            raise ValueError(f"{where}: field {key!r} must be finite, got {out[key]!r}")
    tiers = tca.option_tier_savings(option, where)  # Total Cost Assessment tiers II-IV: the full view
    if tiers != 0:
        out["annual_savings"] = out["annual_savings"] + tiers
    for key in ("savings_escalation", "cost_escalation", "inflation"):
        if not (math.isfinite(out[key]) and -1 < out[key] <= 1):
            raise ValueError(f"{where}: field {key!r} must be a rate in (-1, 1] per year, got {out[key]!r}")
    life = out["lifetime_years"]
    if life != int(life) or not 1 <= life <= 50:
        raise ValueError(f"{where}: field 'lifetime_years' must be an integer 1..50, got {life!r}")
    out["lifetime_years"] = int(life)
    dep = out["depreciation_years"]
    if math.isnan(dep):
        dep = life
    if dep != int(dep) or not 1 <= dep <= 50:
        raise ValueError(f"{where}: field 'depreciation_years' must be an integer 1..50, got {dep!r}")
    out["depreciation_years"] = int(dep)
    return out


def _spread(item: SupportItem, life: int, where: str) -> np.ndarray:
    out = np.zeros(life + 1)
    last = item.year + item.spread_years - 1
    if last > life:
        raise ValueError(
            f"{where}: support item {item.instrument_id!r} ({item.kind}) falls in years "
            f"{item.year}..{last}, beyond the option's life of {life} years"
        )
    out[item.year:last + 1] = item.amount / item.spread_years
    return out


def depreciation_shares(depreciation_years: int, life: int, item: SupportItem | None = None,
                        cumulative: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Share of the depreciable base depreciated in each period t = 0..life. [/1]

    Straight line ``1 / depreciation_years`` per year, an asset class's schedule ``cumulative``
    (cumulative share at the end of each year t = 0..life or more, 0 at t = 0:
    :func:`policies.schedules.depreciation_schedules`), or a ``depreciation`` item's schedule,
    which overrides both (``first_year_share`` in year 1, then ``later_share`` per year, NaN =
    straight line of the remainder over ``depreciation_years - 1`` years).  The cumulative share
    is capped at 1 and set to 1 at t = life (write-off of the remaining book value), so the
    shares sum to 1.
    """
    t = np.arange(life + 1, dtype=float)
    if (item is None or math.isnan(item.first_year_share)) and cumulative is not None and not math.isnan(cumulative[0]):
        cum = np.minimum(np.asarray(cumulative, dtype=float)[:life + 1], 1.0)
    elif item is None or math.isnan(item.first_year_share):
        cum = np.minimum(t / depreciation_years, 1.0)
    else:
        first = item.first_year_share
        later = item.later_share
        if math.isnan(later):
            later = (1.0 - first) / max(depreciation_years - 1, 1)
        cum = np.where(t >= 1, np.minimum(first + (t - 1) * later, 1.0), 0.0)
    cum[life] = 1.0
    return np.diff(cum, prepend=0.0)


def holiday_factors(items: Sequence[SupportItem], life: int) -> np.ndarray:
    """Tax-rate factor for t = 0..life from ``tax_holiday`` items (product of all). [/1]"""
    factor = np.ones(life + 1)
    t = np.arange(life + 1)
    for it in items:
        if it.kind != "tax_holiday":
            continue
        f = np.where((t >= 1) & (t <= it.exempt_years), 0.0, 1.0)
        reduced = (t > it.exempt_years) & (t <= it.exempt_years + it.reduced_years)
        factor *= np.where(reduced, it.reduced_factor, f)
    return factor


def _expires(arising: int, years: int | None, life: int) -> int:
    return life if years is None else min(arising + int(years), life)


def _tax(taxable: np.ndarray, rate: np.ndarray, credit_lots: list[tuple[int, int, float]], tax_capacity: bool,
         loss_carry_forward_years: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Tax cash flow (-payable, + a saving realised) and credits used per year (module docstring)."""
    n = len(taxable) - 1
    credit_arising = np.zeros(n + 1)
    for year, _, amount in credit_lots:
        credit_arising[year] += amount
    if tax_capacity:
        tax = -rate * taxable
        credits = credit_arising
    else:
        tax = np.zeros(n + 1)
        credits = np.zeros(n + 1)
        losses: list[list[float]] = []  # [arising year, remaining]
        lots = [[a, e, x] for a, e, x in credit_lots]
        for y in range(n + 1):
            profit = taxable[y]
            if profit < 0:
                losses.append([y, -profit])
                profit = 0.0
            else:
                for lot in losses:  # oldest first
                    if loss_carry_forward_years is not None and y - lot[0] > loss_carry_forward_years:
                        continue
                    use = min(lot[1], profit)
                    lot[1] -= use
                    profit -= use
            payable = rate[y] * profit
            for lot in sorted((lt for lt in lots if lt[0] <= y <= lt[1]), key=lambda lt: lt[1]):
                use = min(lot[2], payable)
                lot[2] -= use
                payable -= use
                credits[y] += use
            tax[y] = -(payable + credits[y])
    return tax, credits


def cash_flow(
    option: Mapping[str, Any],
    tax_rate: float | Sequence[float] | np.ndarray,
    items: Sequence[SupportItem] = (),
    tax_capacity: bool = True,
    *,
    discount_rate: float | None = None,
    loss_carry_forward_years: int | None = None,
    where: str = "option",
    depreciation_schedule: Sequence[float] | np.ndarray | None = None,
) -> pd.DataFrame:
    """After-tax cash flow of one option, year by year, with its support items.

    Parameters
    ----------
    option : Mapping
        The option's fields (DESIGN.md section 2): ``investment`` [currency], ``annual_savings``
        [currency/yr], ``lifetime_years`` [yr], and optionally ``annual_cost_change``
        [currency/yr], ``salvage_value`` [currency], ``depreciation_years`` [yr],
        ``discount_rate`` [/1].
    tax_rate : float or sequence of float
        Corporate income tax rate on the incremental profit [/1]: one rate for every year, or the
        rate in force in each year t = 0..N (or more; a pack's schedule that changes,
        :func:`policies.schedules.tax_rates_by_year`).
    items : sequence of SupportItem
        Support items for this option (see :mod:`policies.items` for each kind).
    tax_capacity : bool
        True if the enterprise has other profits that absorb tax losses and credits in the year
        they arise (see the module docstring for False).
    discount_rate : float, optional
        Discount rate for the ``discounted`` columns. [/1 per yr] Default: the option's
        ``discount_rate`` field, else 0.08.
    loss_carry_forward_years : int or None
        Years a tax loss may be carried forward when ``tax_capacity`` is False (None = no limit).
        [yr]
    where : str
        How to name the option in error messages.
    depreciation_schedule : sequence of float, optional
        Cumulative tax depreciation share at the end of each year t = 0..N or more [/1] (an asset
        class's schedule); NaN at t = 0 or None = straight line over ``depreciation_years``.

    Returns
    -------
    pandas.DataFrame
        One row per period t = 0..N with the columns :data:`CASH_FLOW_COLUMNS`. [currency]

    Raises
    ------
    ValueError
        On a bad field or an item that does not fit the option, naming the option and the field.

    References
    ----------
    .. [1] numpy-financial ``npv`` (t = 0 undiscounted).
    .. [2] UNEP/UNIDO (1991) and the Chinese cleaner production audit handbook (1996):
       F = (P - D)(1 - t) + D is this model with straight-line depreciation and no support.
    """
    terms = option_terms(option, where)
    n = int(terms["lifetime_years"])
    if np.ndim(tax_rate) == 0:
        year_rates = np.full(n + 1, float(tax_rate))  # type: ignore[arg-type]
    else:
        year_rates = np.asarray(tax_rate, dtype=float)[:n + 1]
        if year_rates.size < n + 1:
            raise ValueError(f"{where}: tax_rate by year needs {n + 1} values (t = 0..{n}), got {year_rates.size}")
    if not ((year_rates >= 0.0) & (year_rates <= 1.0)).all():
        raise ValueError(f"{where}: tax_rate must be in 0..1, got {tax_rate!r}")
    if depreciation_schedule is not None and len(depreciation_schedule) < n + 1:
        raise ValueError(f"{where}: depreciation_schedule needs {n + 1} values (t = 0..{n}), got {len(depreciation_schedule)}")
    if discount_rate is None:
        discount_rate = _num(option, "discount_rate", 0.08, where)
    if not discount_rate > -1:
        raise ValueError(f"{where}: discount_rate must be > -1, got {discount_rate!r}")
    t = np.arange(n + 1)
    investment = np.zeros(n + 1)
    investment[0] = -terms["investment"]
    # year 1 as given, year t = amount x (1 + g)^(t - 1) (real escalation)
    grow = np.maximum(t - 1, 0)
    savings = np.where(t >= 1, terms["annual_savings"] * (1.0 + terms["savings_escalation"]) ** grow, 0.0)
    cost_change = np.where(t >= 1, 0.0 - terms["annual_cost_change"] * (1.0 + terms["cost_escalation"]) ** grow, 0.0)
    salvage = np.zeros(n + 1)
    salvage[n] = terms["salvage_value"]

    grants = np.zeros(n + 1)
    taxable_grants = np.zeros(n + 1)
    deductions = np.zeros(n + 1)
    loan = np.zeros(n + 1)
    base_reduction = 0.0
    credit_lots: list[tuple[int, int, float]] = []  # (arising year, expiry year, amount)
    dep_item: SupportItem | None = None
    for it in items:
        if it.kind == "grant":
            g = _spread(it, n, where)
            grants += g
            if it.taxable:
                taxable_grants += g
            if it.reduces_depreciation_base:
                base_reduction += it.amount
        elif it.kind == "tax_deduction":
            deductions += _spread(it, n, where)
        elif it.kind == "tax_credit":
            c = _spread(it, n, where)
            for year in np.flatnonzero(c):
                credit_lots.append((int(year), _expires(int(year), it.carry_forward_years, n), float(c[year])))
        elif it.kind == "depreciation":
            if dep_item is not None:
                raise ValueError(f"{where}: more than one 'depreciation' support item "
                                 f"({dep_item.instrument_id!r}, {it.instrument_id!r})")
            dep_item = it
        elif it.kind == "soft_loan":
            loan += loan_flows(it.amount, it.loan_rate, it.loan_years, it.year, n, terms["inflation"])
    base = max(terms["investment"] - base_reduction, 0.0)
    depreciation = base * depreciation_shares(int(terms["depreciation_years"]), n, dep_item, depreciation_schedule)
    rate = year_rates * holiday_factors(items, n)

    defl = np.empty(n + 1)
    deflator(terms["inflation"], n + 1, defl)  # nominal depreciation and loan payments in real terms
    taxable = savings + cost_change - depreciation * defl - deductions + taxable_grants + salvage
    tax, credits = _tax(taxable, rate, credit_lots, tax_capacity, loss_carry_forward_years)
    net = investment + grants + savings + cost_change + tax + credits + salvage + loan
    disc = (1.0 + discount_rate) ** -t.astype(float)
    discounted = net * disc
    interest, principal = np.zeros(n + 1), np.zeros(n + 1)
    equity, dscr = np.full(n + 1, np.nan), np.full(n + 1, np.nan)
    debt = option_debt(option, where)
    if debt is not None:  # the equity flow: drawdown, debt service, interest deducted (finance.financing)
        p = debt["share"] * terms["investment"]
        amortise(p, debt["rate"], debt["term"], 0, n, debt["linear"], interest, principal)
        interest, principal = interest * defl, principal * defl
        tax_e, credits_e = _tax(taxable - interest, rate, credit_lots, tax_capacity, loss_carry_forward_years)
        equity = net - tax - credits + tax_e + credits_e - interest - principal
        equity[0] += p
        service = interest + principal
        with np.errstate(divide="ignore", invalid="ignore"):
            dscr = np.where((t >= 1) & (service > 0), (equity + service) / service, np.nan)
    return pd.DataFrame(
        {
            "t": t,
            "investment": investment,
            "grants": grants,
            "savings": savings,
            "cost_change": cost_change,
            "depreciation": depreciation,
            "deductions": deductions,
            "taxable_profit": taxable,
            "tax_rate": rate,
            "tax": tax,
            "credits": credits,
            "salvage": salvage,
            "loan": loan,
            "pre_tax_net": investment + grants + savings + cost_change + salvage + loan,
            "net": net,
            "cumulative": np.cumsum(net),
            "discounted": discounted,
            "discounted_cumulative": np.cumsum(discounted),
            "interest": interest,
            "principal": principal,
            "equity": equity,
            "dscr": dscr,
        },
        columns=list(CASH_FLOW_COLUMNS),
    )

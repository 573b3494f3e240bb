"""The cash flow, line by line: one row per option and year t = 0..N, with and without support.

The table behind ``cpscreen appraise --cash-flow``, the Appraisal page's year-by-year table and the
report's ``cash flow`` sheet.  It comes from the engine that gives the metrics: the net and pre-tax
cash flows are those of :func:`finance.batch_flows.batch_cash_flows` (the compiled kernel behind
:func:`finance.appraise.appraise`), so an option's discounted lines sum to its ``npv``.  The lines
the kernel does not hand out (depreciation, tax deductions, taxable profit, the year's tax rate)
are built here from the same validated arrays, vectorised over options x years (no Python per
option); the tests check every line against the scalar :func:`finance.cashflow.cash_flow`.
The inputs are those of :func:`finance.appraise.appraise` (its helpers are imported, not copied).

Lines (amounts [currency], in the enterprise's currency; t = 0 is the investment date)
-------------------------------------------------------------------------------------
``investment``      outlay at t = 0 (positive), 0 after.
``savings``         annual_savings (plus the Total Cost Assessment tiers II-IV, finance.tca) in t = 1..N.
``cost_change``     annual_cost_change in t = 1..N, as entered (positive = extra cost).
``depreciation``    tax depreciation of the year (straight line over depreciation_years, or a
                    ``depreciation`` item's schedule; the base less grants that reduce it; the
                    remaining book value written off at t = N).
``tax_deductions``  deductions of ``tax_deduction`` items from taxable profit (not cash).
``taxable_profit``  savings - cost_change - depreciation - tax_deductions + taxable grants + salvage.
``tax_rate``        the year's income tax rate after tax holidays [/1].
``tax``             income tax paid on the option's profit in the year, after loss carry-forward and
                    tax credits (negative = a tax saving realised): pre-tax minus after-tax flow.
``support_paid``    cash the instruments pay in the year: grants, and soft-loan principal in and
                    repayments out.
``salvage``         salvage value at t = N.
``net_cash_flow``   = -investment + savings - cost_change - tax + support_paid + salvage.
``support``         the support's effect on the year's net cash flow (cash paid plus tax saved):
                    net_cash_flow - net_cash_flow_no_support; its discounted sum is the option's
                    ``support_total``.
``interest``, ``principal``  the option's debt (:mod:`finance.financing`): interest paid and principal
                    repaid, deflated to real terms where the enterprise has ``inflation``; null
                    (NaN) for options without debt.
``equity_cash_flow`` the equity cash flow: net_cash_flow + drawdown - interest - principal, the tax
                    recomputed with the interest deducted (the kernel's, :mod:`finance.equity`).
``dscr``            debt service coverage (equity + debt service) / debt service, in years with
                    debt service [/1].
``cumulative_net_cash_flow``, ``discount_factor`` = (1 + r)**-t [/1], ``discounted_net_cash_flow``
                    (sums to the option's ``npv``), ``net_cash_flow_no_support`` and
                    ``discounted_net_cash_flow_no_support`` (sums to ``npv_no_support``).

Support items, year by year (:attr:`CashFlowTable.items`, long: option x item x year)
-------------------------------------------------------------------------------------
``cash`` is the item's share of ``support`` in the year: :func:`finance.valuation.item_values`'
``by_year`` (the one valuation of support items every path uses), marginal in the order of the
pack's support table: item k's cash is the net cash flow with items 1..k minus that with items
1..k-1.  A grant's cash is its payment less the tax on it and on the depreciation it takes away; a
tax deduction's is the tax it saves; a soft loan's its principal and repayments.  The items' cash
adds up to ``support`` in every year, and an item's discounted cash to its ``npv_effect``.

References
----------
.. [1] numpy-financial ``npv`` (t = 0 undiscounted), see :mod:`finance.cashflow`.
.. [2] UNEP/UNIDO (1991), Audit and Reduction Manual for Industrial Emissions and Wastes, and the
   Chinese cleaner production audit handbook (1996): the year-by-year after-tax cash flow of an
   option's economic evaluation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from finance import kernels
from finance.batch_arrays import _support_arrays, option_arrays, year_arrays
from finance.batch_flows import batch_cash_flows
from finance.equity import equity_flows
from finance.inflation import deflators
from finance.inputs import DEFAULT_DISCOUNT_RATE, _enterprise_column, _float, appraisal_inputs, with_inflation
from finance.valuation import item_values
from policies import engine, registry
from policies.items import ITEM_COLUMNS

#: Fields of each record of ``cpscreen appraise --cash-flow`` (DESIGN.md section 5), in order;
#: the extra lines of the module docstring follow them in :data:`LINE_COLUMNS`.
CONTRACT_COLUMNS: tuple[str, ...] = (
    "enterprise_id", "option_id", "year", "savings", "cost_change", "depreciation", "tax_deductions",
    "taxable_profit", "tax", "support", "net_cash_flow", "cumulative_net_cash_flow", "discount_factor",
    "discounted_net_cash_flow", "net_cash_flow_no_support", "interest", "principal", "equity_cash_flow",
)

#: Every column of :attr:`CashFlowTable.lines`: the contract's, then the extra lines.
LINE_COLUMNS: tuple[str, ...] = CONTRACT_COLUMNS + (
    "investment", "salvage", "support_paid", "tax_rate", "discounted_net_cash_flow_no_support", "dscr",
)

#: Columns of :attr:`CashFlowTable.items`.
ITEM_CASH_COLUMNS: tuple[str, ...] = ("enterprise_id", "option_id", "instrument_id", "kind", "year", "cash")

#: Columns of :attr:`CashFlowTable.inputs`.
INPUT_COLUMNS: tuple[str, ...] = (
    "enterprise_id", "option_id", "currency", "investment", "eligible_investment", "annual_savings",
    "annual_cost_change", "lifetime_years", "depreciation_years", "salvage_value", "tax_rate", "tax_rate_source",
    "discount_rate", "discount_rate_source", "tax_capacity", "loss_carry_forward_years", "pack", "pack_version",
)


def _escalated(amount: np.ndarray, growth: np.ndarray, width: int) -> np.ndarray:
    """Year-t amounts amount x (1 + g)^(t - 1) for t = 1..width-1 (column 0 is 0), by repeated
    multiplication in the kernel's order, so the lines equal the engine's flows bit for bit."""
    out = np.zeros((amount.size, width))
    if width > 1:
        out[:, 1] = amount
        out[:, 2:] = (1.0 + growth)[:, None]
        np.cumprod(out[:, 1:], axis=1, out=out[:, 1:])
    return out


@dataclass(frozen=True)
class BatchLines:
    """Cash-flow lines of n options over T = max life + 1 periods (zero beyond each life).

    Attributes
    ----------
    life : ndarray of int, shape (n,)
        N per option. [yr]
    investment, savings, cost_change, depreciation, tax_deductions, taxable_profit, tax, support_paid, salvage, net :
        ndarray, shape (n, T); the lines of the module docstring. [currency]
    tax_rate : ndarray, shape (n, T)
        The year's tax rate after holidays. [/1]
    interest, principal, equity, dscr : ndarray, shape (n, T)
        The debt's interest and principal (real), the equity cash flow [currency] and the DSCR
        [/1] of :func:`finance.equity.equity_flows` (the kernel's, bit for bit); NaN on the rows
        of options without debt.
    """

    life: np.ndarray
    investment: np.ndarray
    savings: np.ndarray
    cost_change: np.ndarray
    depreciation: np.ndarray
    tax_deductions: np.ndarray
    taxable_profit: np.ndarray
    tax_rate: np.ndarray
    tax: np.ndarray
    support_paid: np.ndarray
    salvage: np.ndarray
    net: np.ndarray
    interest: np.ndarray | None = None
    principal: np.ndarray | None = None
    equity: np.ndarray | None = None
    dscr: np.ndarray | None = None


def _scatter_spread(sup: dict[str, np.ndarray], pick: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """amount / spread_years in years year..year+spread-1 of each picked item, summed per option row."""
    out = np.zeros(shape)
    if not pick.any():
        return out
    spread = sup["spread_years"][pick]
    rows = np.repeat(sup["row"][pick], spread)
    start = np.repeat(sup["year"][pick], spread)
    offset = np.arange(spread.sum()) - np.repeat(np.cumsum(spread) - spread, spread)
    np.add.at(out, (rows, start + offset), np.repeat(sup["amount"][pick] / spread, spread))
    return out


def batch_lines(
    options: pd.DataFrame,
    tax_rate: npt.ArrayLike,
    tax_capacity: npt.ArrayLike = True,
    support: pd.DataFrame | None = None,
    *,
    loss_carry_forward_years: int | None | npt.ArrayLike = None,
    tax_rate_by_year: np.ndarray | None = None,
    depreciation_schedule: np.ndarray | None = None,
) -> BatchLines:
    """Every line of every option's cash flow (the model of :func:`finance.cashflow.cash_flow`).

    Parameters are those of :func:`finance.batch_flows.batch_cash_flows` (with the tax rate in force
    in each year and an asset class's depreciation schedule where given).  ``net`` and the pre-tax flow
    are that function's (the engine of the metrics); ``tax`` = pre-tax - net and ``support_paid`` =
    pre-tax - (-investment + savings - cost_change + salvage) follow from them exactly; the
    non-cash lines are built here from the same validated arrays.

    Returns
    -------
    BatchLines
    """
    flows = batch_cash_flows(options, tax_rate, tax_capacity, support, loss_carry_forward_years=loss_carry_forward_years,
                             tax_rate_by_year=tax_rate_by_year, depreciation_schedule=depreciation_schedule)
    arr = option_arrays(options)
    n, width = flows.net.shape
    rate_year, dep_cum = year_arrays(tax_rate_by_year, depreciation_schedule, arr["lifetime_years"])
    life = flows.life
    t = np.arange(width)[None, :]
    alive = t <= life[:, None]
    savings = np.where((t >= 1) & alive, _escalated(arr["annual_savings"], arr["savings_escalation"], width), 0.0)
    cost_change = np.where((t >= 1) & alive, _escalated(arr["annual_cost_change"], arr["cost_escalation"], width), 0.0)
    operating = savings - cost_change
    at_end = t == life[:, None]
    salvage = np.where(at_end, arr["salvage_value"][:, None], 0.0)
    # the pre-tax flow without support, built in the kernel's order of operations (bitwise equal)
    base_flow = operating + salvage
    base_flow[:, 0] -= arr["investment"]
    investment = np.zeros((n, width))
    investment[:, 0] = arr["investment"]

    sup = _support_arrays(support, n, life)
    kind = sup.get("kind_code", np.zeros(0, dtype=np.int8))
    if sup:
        deductions = _scatter_spread(sup, kind == kernels.DEDUCTION, (n, width))
        taxed_grants = _scatter_spread(sup, (kind == kernels.GRANT) & (sup["taxable"] != 0), (n, width))
        cut = (kind == kernels.GRANT) & (sup["reduces_depreciation_base"] != 0)
        reduction = np.bincount(sup["row"][cut], weights=sup["amount"][cut], minlength=n)
        dep = (kind == kernels.DEPRECIATION) & ~np.isnan(sup["first_year_share"])
        first = np.full(n, np.nan)
        later = np.full(n, np.nan)
        first[sup["row"][dep]] = sup["first_year_share"][dep]
        later[sup["row"][dep]] = sup["later_share"][dep]
        factor = np.ones((n, width))
        hol = kind == kernels.HOLIDAY
        if hol.any():
            ex, red = sup["exempt_years"][hol][:, None], sup["reduced_years"][hol][:, None]
            f = np.where((t >= 1) & (t <= ex), 0.0, np.where((t > ex) & (t <= ex + red), sup["reduced_factor"][hol][:, None], 1.0))
            np.multiply.at(factor, sup["row"][hol], f)
    else:
        deductions = taxed_grants = np.zeros((n, width))
        reduction = np.zeros(n)
        first = later = np.full(n, np.nan)
        factor = np.ones((n, width))
    base = np.maximum(arr["investment"] - reduction, 0.0)
    years = arr["depreciation_years"].astype(float)[:, None]
    has_schedule = ~np.isnan(first)
    later = np.where(has_schedule & np.isnan(later), (1.0 - first) / np.maximum(years[:, 0] - 1.0, 1.0), later)
    with np.errstate(invalid="ignore"):
        scheduled = np.where(t == 0, 0.0, np.minimum(first[:, None] + (t - 1) * later[:, None], 1.0))
    straight = np.minimum(t / years, 1.0)
    if dep_cum is not None:  # an asset class's schedule where the row has one
        cls = dep_cum[:, :width]
        straight = np.where(np.isnan(cls[:, :1]), straight, np.minimum(cls, 1.0))
    cum = np.where(has_schedule[:, None], scheduled, straight)
    cum = np.where(t >= life[:, None], 1.0, cum)
    depreciation = np.where(alive, np.diff(cum, axis=1, prepend=0.0) * base[:, None], 0.0)
    # depreciation is nominal: its real deduction is deflated by (1 + inflation)**-t (finance.inflation)
    real_depreciation = depreciation * deflators(arr["inflation"], width) if np.any(arr["inflation"]) else depreciation
    taxable = np.where(alive, operating + salvage - real_depreciation - deductions + taxed_grants, 0.0)
    rate = np.broadcast_to(np.asarray(tax_rate, dtype=float), (n,))
    year_rate = rate[:, None] if rate_year is None else rate_year[:, :width]
    debt = {k: np.full((n, width), np.nan) for k in ("interest", "principal", "equity", "dscr")}
    eq = equity_flows(options, tax_rate, tax_capacity, support, loss_carry_forward_years=loss_carry_forward_years,
                      tax_rate_by_year=tax_rate_by_year, depreciation_schedule=depreciation_schedule)
    if eq.rows.size:
        w = eq.equity.shape[1]
        for k in debt:
            debt[k][eq.rows, :w] = np.where(t[:, :w] <= eq.life[:, None], getattr(eq, k), np.nan)
    return BatchLines(
        life=life, investment=investment,
        savings=savings, cost_change=cost_change,
        depreciation=depreciation, tax_deductions=np.where(alive, deductions, 0.0), taxable_profit=taxable,
        tax_rate=np.where(alive, year_rate * factor, 0.0),
        tax=flows.pre_tax_net - flows.net, support_paid=np.where(alive, flows.pre_tax_net - base_flow, 0.0),
        salvage=salvage, net=flows.net, **debt,
    )


@dataclass(frozen=True)
class CashFlowTable:
    """The year-by-year cash flows of many options, with the inputs they used.

    Attributes
    ----------
    lines : DataFrame
        One row per option and year t = 0..N, columns :data:`LINE_COLUMNS` (with support).
    lines_no_support : DataFrame
        The same without support (``support``, ``support_paid`` and ``tax_deductions`` 0; the
        ``_no_support`` columns equal the plain ones).
    items : DataFrame
        One row per option, support item and year t = 0..N, columns :data:`ITEM_CASH_COLUMNS`.
    inputs : DataFrame
        One row per option, columns :data:`INPUT_COLUMNS`: the inputs the lines used.
    """

    lines: pd.DataFrame
    lines_no_support: pd.DataFrame
    items: pd.DataFrame
    inputs: pd.DataFrame

    def select(self, enterprise_id: str, option_id: str) -> "CashFlowTable":
        """The part of the table about one option (its lines, items and inputs)."""
        def mine(frame: pd.DataFrame) -> pd.DataFrame:
            hit = (frame["enterprise_id"].astype(str) == str(enterprise_id)) & (frame["option_id"].astype(str) == str(option_id))
            return frame[hit.to_numpy()].reset_index(drop=True)

        out = CashFlowTable(mine(self.lines), mine(self.lines_no_support), mine(self.items), mine(self.inputs))
        if out.inputs.empty:
            raise ValueError(f"option {option_id!r} of enterprise {enterprise_id!r} is not in the cash-flow table")
        return out


def _long(lines: BatchLines, keys: dict[str, np.ndarray], rate: np.ndarray, plain: BatchLines) -> pd.DataFrame:
    """(n, T) lines as one row per option and year 0..N (option-major)."""
    n, width = lines.net.shape
    t = np.arange(width)[None, :]
    alive = t <= lines.life[:, None]
    factor = (1.0 + rate[:, None]) ** -t.astype(float)
    row_of = np.repeat(np.arange(n), lines.life + 1)
    # key columns as object arrays: pandas would otherwise scan a million strings to infer their type
    cols: dict[str, Any] = {k: pd.Series(np.asarray(v, dtype=object)[row_of], dtype=object) for k, v in keys.items()}
    cols["year"] = np.broadcast_to(t, (n, width))[alive]
    for name in ("savings", "cost_change", "depreciation", "tax_deductions", "taxable_profit", "tax"):
        cols[name] = getattr(lines, name)[alive]
    cols["support"] = (lines.net - plain.net)[alive]
    cols["net_cash_flow"] = lines.net[alive]
    cols["cumulative_net_cash_flow"] = np.cumsum(np.where(alive, lines.net, 0.0), axis=1)[alive]
    cols["discount_factor"] = np.broadcast_to(factor, (n, width))[alive]
    cols["discounted_net_cash_flow"] = (lines.net * factor)[alive]
    cols["net_cash_flow_no_support"] = plain.net[alive]
    for name in ("interest", "principal"):
        cols[name] = getattr(lines, name)[alive]
    cols["equity_cash_flow"] = lines.equity[alive]
    for name in ("investment", "salvage", "support_paid", "tax_rate", "dscr"):
        cols[name] = getattr(lines, name)[alive]
    cols["discounted_net_cash_flow_no_support"] = (plain.net * factor)[alive]
    return pd.DataFrame(cols, columns=list(LINE_COLUMNS))


def _tax_rate_sources(opts: pd.DataFrame, enterprises: pd.DataFrame, codes: np.ndarray, versions: np.ndarray,
                      on_date: date) -> np.ndarray:
    """Where each option's tax rate comes from: the enterprise's override or the pack's rate entry."""
    override = _float(_enterprise_column(opts, enterprises, "tax_rate"))
    out = np.empty(len(opts), dtype=object)
    packs = registry.load_packs()
    on = on_date.isoformat()
    for code in pd.unique(codes):
        mask = codes == code
        pack = packs.get(code)
        if code == registry.NO_PACK or pack is None:
            text = "jurisdiction none: no income tax"
        elif pack.meta.tax is None:
            text = f"pack {code} version {pack.meta.version}: no corporate income tax"
        else:
            entries = [e for e in pack.meta.tax.corporate_rate if e.from_ <= on]
            if entries:
                e = entries[-1]
                src = pack.meta.sources.get(e.rate.ref)
                where = f"{e.rate.ref}" + (f", {src.url}" if src is not None and getattr(src, "url", None) else "")
                text = f"pack {code} version {pack.meta.version}: corporate rate in force from {e.from_} ({where})"
            else:
                text = f"pack {code} version {pack.meta.version}: no corporate rate on {on}"
        out[mask] = text
    return np.where(np.isnan(override), out, "enterprise override (the enterprise's tax_rate)")


def _changing(sources: np.ndarray, by_year: np.ndarray | None, life: np.ndarray) -> np.ndarray:
    """The sources, saying where the rate changes over the option's life (the year's rate is in its line)."""
    if by_year is None:
        return sources
    alive = np.arange(by_year.shape[1])[None, :] <= life[:, None]
    first = by_year[:, :1]
    changes = (alive & (by_year != first)).any(axis=1)
    note = "; the rate changes over the life: each year's rate is in the tax_rate line"
    return np.where(changes, sources.astype(object) + note, sources).astype(object)


def _discount_rate_sources(opts: pd.DataFrame, enterprises: pd.DataFrame, discount_rate: float | None) -> np.ndarray:
    """Where each option's discount rate comes from (the order of :func:`finance.inputs._discount_rates`)."""
    n = len(opts)
    if discount_rate is not None:
        return np.full(n, "given for this appraisal", dtype=object)
    own = _float(opts["discount_rate"].to_numpy(dtype=object)) if "discount_rate" in opts.columns else np.full(n, np.nan)
    ent = _float(_enterprise_column(opts, enterprises, "discount_rate"))
    return np.where(~np.isnan(own), "the option's discount_rate",
                    np.where(~np.isnan(ent), "the enterprise's discount_rate",
                             f"default {DEFAULT_DISCOUNT_RATE:g} (DESIGN.md section 2)")).astype(object)


def cash_flow_table(
    options: pd.DataFrame,
    enterprises: pd.DataFrame,
    on_date: date,
    *,
    discount_rate: float | None = None,
    with_support: bool = True,
    params: Mapping[str, float] | None = None,
) -> CashFlowTable:
    """Year-by-year cash flow of every option, with and without support, and the inputs used.

    Parameters
    ----------
    options, enterprises : DataFrame
        As for :func:`finance.appraise.appraise` (validated import-format frames).
    on_date : datetime.date
        Appraisal date: the rules and the tax rate in force.
    discount_rate : float, optional
        One discount rate for all options [/1 per yr]; default per option as in ``appraise``.
    with_support : bool
        False: no support (the with-support lines equal those without).
    params : Mapping, optional
        Programme parameters for the policy engine (``<rule id>.<path>``).

    Returns
    -------
    CashFlowTable
        ``lines`` sum, discounted, to ``appraise(...)["npv"]`` per option (and the
        ``_no_support`` lines to ``npv_no_support``), since both come from the same engine with
        the same inputs.
    """
    opts = options.reset_index(drop=True)
    if "enterprise_id" not in opts.columns:
        raise ValueError("options: missing column 'enterprise_id'")
    n = len(opts)
    opts = with_inflation(opts, enterprises)
    resolved = appraisal_inputs(opts, enterprises, on_date, discount_rate)  # as appraise resolves them
    tax, rate, capacity = resolved.tax_rate, resolved.discount_rate, resolved.tax_capacity
    codes, versions, loss = resolved.pack, resolved.pack_version, resolved.loss_carry_forward_years
    if with_support:
        table = engine.support_table(opts, enterprises, on_date, params).reset_index(drop=True)
    else:
        table = pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_COLUMNS})
    kw = dict(loss_carry_forward_years=loss, **resolved.years())
    plain = batch_lines(opts, tax, capacity, None, **kw)  # type: ignore[arg-type]
    lines = batch_lines(opts, tax, capacity, table, **kw) if len(table) else plain  # type: ignore[arg-type]
    option_ids = opts["option_id"].to_numpy(dtype=object) if "option_id" in opts.columns else np.arange(n).astype(str)
    keys = {"enterprise_id": opts["enterprise_id"].to_numpy(dtype=object), "option_id": option_ids}
    items = pd.DataFrame({c: pd.Series(dtype=object) for c in ITEM_CASH_COLUMNS})
    if len(table):
        cash = item_values(opts, tax, rate, capacity, table, by_year=True, **kw).by_year  # type: ignore[arg-type]
        row = table["row"].to_numpy(dtype=np.int64)
        span = lines.life[row] + 1
        pick = np.repeat(np.arange(len(table)), span)
        year = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
        take = row[pick]
        def text(values: np.ndarray, at: np.ndarray) -> pd.Series:
            return pd.Series(np.asarray(values, dtype=object)[at], dtype=object)

        items = pd.DataFrame({
            "enterprise_id": text(keys["enterprise_id"], take), "option_id": text(option_ids, take),
            "instrument_id": text(table["instrument_id"].to_numpy(dtype=object), pick),
            "kind": text(table["kind"].to_numpy(dtype=object), pick), "year": year, "cash": cash[pick, year],
        }, columns=list(ITEM_CASH_COLUMNS))
    arr = option_arrays(opts)
    eligible = (pd.to_numeric(opts["eligible_investment"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
                if "eligible_investment" in opts.columns else np.full(n, np.nan))
    packs = registry.load_packs()
    currency = _enterprise_column(opts, enterprises, "currency")
    pack_currency = np.array([packs[c].meta.currency if c in packs else None for c in codes], dtype=object)
    currency = np.where(pd.isna(currency), pack_currency, currency)
    inputs = pd.DataFrame({
        **keys, "currency": currency, "investment": arr["investment"],
        "eligible_investment": np.where(np.isnan(eligible), arr["investment"], eligible),
        "annual_savings": arr["annual_savings"], "annual_cost_change": arr["annual_cost_change"],
        "lifetime_years": arr["lifetime_years"], "depreciation_years": arr["depreciation_years"],
        "salvage_value": arr["salvage_value"], "tax_rate": tax,
        "tax_rate_source": _changing(_tax_rate_sources(opts, enterprises, codes, versions, on_date),
                                     resolved.tax_rate_by_year, lines.life),
        "discount_rate": rate, "discount_rate_source": _discount_rate_sources(opts, enterprises, discount_rate),
        "tax_capacity": capacity, "loss_carry_forward_years": loss, "pack": codes, "pack_version": versions,
    }, columns=list(INPUT_COLUMNS))
    return CashFlowTable(lines=_long(lines, keys, rate, plain), lines_no_support=_long(plain, keys, rate, plain),
                         items=items, inputs=inputs)

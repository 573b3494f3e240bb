"""Public outlay of support items, by period and instrument (revenue-forgone method).

Each row of a long support table (``policies.items.ITEM_COLUMNS``) becomes the public money it
costs, in the period it costs it:

``grant``
    Cash paid: ``amount`` in ``year`` (or ``amount / spread_years`` in each of ``spread_years``
    periods from ``year``), gross (tax on a taxable grant is not netted out).
``tax_deduction``, ``tax_credit``, ``depreciation``, ``tax_holiday``
    Tax expenditure = the tax the enterprise does not pay because of the item, period by period:
    the change of its after-tax cash flow that the cash-flow engine gives the item
    (:func:`finance.valuation.item_values`, marginal in the support table's order), the same
    figure the Appraisal page and ``cpscreen appraise`` show as the item's value.  With tax
    capacity this is deduction x tax rate for a deduction, the credit for a credit, tax rate x
    base x (accelerated share - straight-line share) for accelerated depreciation (positive
    early, negative later: a timing benefit whose nominal sum is 0), and tax rate x (1 - holiday
    factor) x taxable profit for a holiday (its ``amount`` is 0: it is valued, never dropped);
    an item that follows another is valued given it (a deduction in a year a holiday exempts
    forgoes no tax).
``soft_loan``
    Cash view: principal paid out in ``year`` (+), annuity repayments at ``loan_rate`` over
    ``loan_years`` (-), the balance still due repaid at t = N: the enterprise's loan lines, from
    the one amortisation :func:`finance.financing.amortise`, nominal payments deflated by the
    option's ``inflation`` (:mod:`finance.inflation`) as the appraisal does.

Tax expenditures are costed by the revenue-forgone method.  With ``tax_capacity`` (the default,
the standard static costing of tax expenditure reports) the benefit is used in the year it arises;
without it the engine carries losses and credits forward as the tax regime says, which delays,
and may reduce, the cost.

Periods: t = 0 is the investment date; the calendar year is ``start_year + t``.

Present value to the treasury
-----------------------------
Nominal outlay sums money of different years: a timing-only instrument (accelerated or free
depreciation: US bonus depreciation, NL Vamil) sums to 0 although the treasury lends the tax to
the enterprise interest-free.  :func:`present_value_factor` discounts each period's outlay to
t = 0 at the government's discount rate g, with the conventions of DESIGN.md section 3 (flows at
period ends, t = 0 not discounted): PV = sum_t outlay_t / (1 + g)^t.  For 100 % first-year
depreciation of I (in year 1, as ``finance.cashflow`` places it) instead of straight line over N
years, at tax rate tau: outlay tau I (1 - 1/N) at t = 1 and -tau I / N at t = 2..N, so
PV = tau I (1 / (1 + g) - a(g, N) / N), a(g, N) = (1 - (1 + g)^-N) / g the annuity factor.
The default g, :data:`GOVERNMENT_DISCOUNT_RATE` = 3 % real, is the European Commission's
social discount rate for impact assessments [3]_ (the enterprises' rates are real too,
DESIGN.md section 2); HM Treasury's Green Book uses 3.5 % [4]_ and US OMB Circular A-4 (2023)
2.0 % [5]_: pass the rate of the government whose programme it is.

References
----------
.. [1] OECD, "Tax Expenditures in OECD Countries", OECD Publishing, 2010, ch. 1 (revenue-forgone
   method of costing tax expenditures).
.. [2] numpy-financial ``pmt`` (annuity payment r P / (1 - (1 + r)^-n)).
.. [3] European Commission, Better Regulation Toolbox, 2023 edition, Tool #61 "The use of
   discount rates" (3 % real social discount rate as the default).
.. [4] HM Treasury, The Green Book: Central Government Guidance on Appraisal and Evaluation,
   2022, annex A6 (social time preference rate 3.5 %, years 0-30).
.. [5] US Office of Management and Budget, Circular A-4, Regulatory Analysis, 9 November 2023
   (2.0 % real discount rate).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

from finance.appraise import WORKERS
from finance.batch import run_spans
from finance.financing import amortise
from finance.inflation import deflator
from policies.items import ITEM_COLUMNS

__all__ = ["OUTLAY_COLUMNS", "GOVERNMENT_DISCOUNT_RATE", "outlay_table", "present_value_factor", "is_value"]

#: Columns of :func:`outlay_table`.
OUTLAY_COLUMNS: tuple[str, ...] = ("row", "instrument_id", "kind", "t", "outlay")

#: Default real discount rate of public money [/1]: the European Commission's social discount
#: rate (Better Regulation Toolbox 2023, tool #61); see the module docstring for others.
GOVERNMENT_DISCOUNT_RATE: float = 0.03


def present_value_factor(t: np.ndarray, rate: float) -> np.ndarray:
    """Discount factor (1 + g)^-t of money in period t, to t = 0. [/1]

    Parameters
    ----------
    t : numpy.ndarray
        Periods, t = 0 the investment date (not discounted). [yr]
    rate : float
        The government's real discount rate g, > -1. [/1]

    Returns
    -------
    numpy.ndarray
        Factors, same shape as ``t``. [/1]

    Raises
    ------
    ValueError
        If ``rate`` is not a finite number above -1.

    References
    ----------
    DESIGN.md section 3 (period-end flows, t = 0 undiscounted); European Commission 2023 [3]_.
    """
    g = float(rate)
    if not np.isfinite(g) or g <= -1:
        raise ValueError(f"government discount rate is {rate!r} (expected a finite number > -1, e.g. 0.03)")
    return np.exp(-np.asarray(t, dtype=float) * np.log1p(g))


@njit(cache=True, nogil=True, error_model="numpy")
def _loan_rows(principal: np.ndarray, rate: np.ndarray, years: np.ndarray, start: np.ndarray, life: np.ndarray,
               inflation: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Cash view of each soft loan into ``out`` (n, T): principal out at ``start`` (+), interest and
    principal repaid (-) from :func:`finance.financing.amortise` (the enterprise's schedule, balloon
    at t = life), nominal amounts deflated by (1 + inflation)**-t as :func:`finance.financing.loan_flows`."""
    width = out.shape[1]
    interest = np.empty(width)
    repaid = np.empty(width)
    d = np.empty(width)
    for k in range(principal.size):
        interest[:] = 0.0
        repaid[:] = 0.0
        amortise(principal[k], rate[k], years[k], start[k], life[k], False, interest, repaid)
        deflator(inflation[k], width, d)
        out[k, start[k]] += principal[k] * d[start[k]]
        for t in range(start[k] + 1, life[k] + 1):
            out[k, t] -= (interest[t] + repaid[t]) * d[t]


def _col(support: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in support.columns:
        return np.full(len(support), default, dtype=float)
    return pd.to_numeric(support[name], errors="coerce").to_numpy(dtype=float)


def is_value(column: pd.Series, value: str) -> np.ndarray:
    """``column.to_numpy() == value``; a categorical column compared on its codes (no million texts)."""
    if isinstance(column.dtype, pd.CategoricalDtype) and all(isinstance(c, str) for c in column.cat.categories):
        cats = list(column.cat.categories)
        return column.array.codes == cats.index(value) if value in cats else np.zeros(len(column), dtype=bool)
    return column.to_numpy() == value


def _text_categorical(values: pd.Series) -> pd.Categorical:
    """``pd.Categorical(values.astype(str))`` (categories: the distinct texts, sorted), from the categories
    of a categorical column (the engine's) instead of a million texts."""
    if not isinstance(values.dtype, pd.CategoricalDtype) or (values.array.codes < 0).any():
        return pd.Categorical(values.astype(str))
    codes = values.array.codes
    used = np.zeros(len(values.cat.categories), dtype=bool)
    used[codes] = True
    small = pd.Categorical(pd.Series(values.cat.categories[used]).astype(str))  # texts of the categories in use
    recode = np.full(used.size, -1, dtype=np.int64)
    recode[used] = small.codes
    return pd.Categorical.from_codes(recode[codes], dtype=small.dtype)


def _dense(rows: np.ndarray, ids: pd.Categorical, kinds: pd.Categorical, mat: np.ndarray) -> pd.DataFrame:
    i, t = np.nonzero(mat)
    return pd.DataFrame({"row": rows[i], "instrument_id": ids[i], "kind": kinds[i], "t": t, "outlay": mat[i, t]})


def _tax_forgone(support: pd.DataFrame, sub: np.ndarray, mine: np.ndarray, rows: np.ndarray, options: pd.DataFrame,
                 tax_rate: np.ndarray, tax_capacity: bool | np.ndarray, loss_carry_forward_years: int | None | np.ndarray,
                 tax_rate_by_year: np.ndarray | None, depreciation_schedule: np.ndarray | None,
                 net_without: np.ndarray | None, net_with: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tax forgone by the items ``sub[mine]`` (the tax items among ``sub``, all the items of their
    options, table order), as ``(item, t, value)`` of the non-zero periods, item by item, t ascending
    (``item`` counts the items of ``sub[mine]``).

    The values are the change of the after-tax net flow, ``finance.valuation.item_values(...).by_year``;
    an option's only item is read from ``net_with - net_without`` when both are given (the same
    kernel on the same rows gives ``item_values`` those flows). [currency]"""
    n_opt = len(options)
    width = int(pd.to_numeric(options["lifetime_years"]).to_numpy(dtype=np.int64).max()) + 1
    r = rows[sub]
    alone = np.zeros(len(sub), dtype=bool)
    if net_with is not None and net_without is not None:
        alone = np.bincount(r, minlength=n_opt)[r] == 1
    rest = ~alone
    other = np.zeros((0, width))
    if rest.any():
        from finance.valuation import item_values  # the compiled kernels: imported when an outlay is computed, not by every CLI start

        other = item_values(options.reset_index(drop=True), tax_rate, 0.0, tax_capacity, support.iloc[sub[rest]],
                            loss_carry_forward_years=loss_carry_forward_years, by_year=True,
                            tax_rate_by_year=tax_rate_by_year, depreciation_schedule=depreciation_schedule,
                            net_without=net_without).by_year
    # each item of `at`: its row of `other`, or -1 = read from net_with - net_without at its option
    src = np.full(len(sub), -1, dtype=np.int64)
    src[rest] = np.arange(int(rest.sum()))
    src = src[mine]
    opt_rows = r[mine]
    empty = np.zeros((0, width))
    w = np.require(net_with, dtype=float, requirements=["C"]) if net_with is not None else empty
    wo = np.require(net_without, dtype=float, requirements=["C"]) if net_without is not None else empty
    other = np.require(other, dtype=float, requirements=["C"])
    # the items in consecutive spans, one per thread (the kernels release the GIL; each item's entries
    # go to the same places whatever the spans)
    m = len(src)
    parts = max(1, min(WORKERS, m // _SPAN_ITEMS))
    cuts = [m * k // parts for k in range(parts + 1)]
    spans = list(zip(cuts[:-1], cuts[1:]))
    count = np.empty(m, dtype=np.int64)

    def counted(a: int, b: int) -> None:
        _count_nonzero(w, wo, other, opt_rows[a:b], src[a:b], width, count[a:b])

    run_spans(counted, spans, parts)
    offsets = np.concatenate(([0], np.cumsum(count)))
    item = np.empty(int(offsets[-1]), dtype=np.int64)
    t = np.empty(item.size, dtype=np.int64)
    value = np.empty(item.size)

    def fill(a: int, b: int) -> None:
        _fill_nonzero(w, wo, other, opt_rows[a:b], src[a:b], width, offsets[a:b + 1], item, t, value)
        item[offsets[a]:offsets[b]] += a  # the kernel numbers the span's items from 0

    run_spans(fill, spans, parts)
    return item, t, value


#: Fewest items per thread of the tax-forgone kernels (below, one thread).
_SPAN_ITEMS: int = 65536


@njit(cache=True, nogil=True, error_model="numpy")
def _delta(w: np.ndarray, wo: np.ndarray, other: np.ndarray, row: int, src: int, t: int) -> float:  # pragma: no cover - compiled
    return w[row, t] - wo[row, t] if src < 0 else other[src, t]


@njit(cache=True, nogil=True, error_model="numpy")
def _count_nonzero(w: np.ndarray, wo: np.ndarray, other: np.ndarray, rows: np.ndarray, src: np.ndarray, width: int,
                   count: np.ndarray) -> None:  # pragma: no cover - compiled
    for k in range(rows.size):
        c = 0
        for t in range(width):
            if _delta(w, wo, other, rows[k], src[k], t) != 0.0:
                c += 1
        count[k] = c


@njit(cache=True, nogil=True, error_model="numpy")
def _fill_nonzero(w: np.ndarray, wo: np.ndarray, other: np.ndarray, rows: np.ndarray, src: np.ndarray, width: int,
                  offsets: np.ndarray, item: np.ndarray, t_out: np.ndarray, value: np.ndarray) -> None:  # pragma: no cover - compiled
    for k in range(rows.size):
        j = offsets[k]
        for t in range(width):
            v = _delta(w, wo, other, rows[k], src[k], t)
            if v != 0.0:
                item[j] = k
                t_out[j] = t
                value[j] = v
                j += 1


def outlay_table(support: pd.DataFrame, options: pd.DataFrame, tax_rate: np.ndarray, *,
                 tax_capacity: bool | np.ndarray = True,
                 loss_carry_forward_years: int | None | np.ndarray = None,
                 tax_rate_by_year: np.ndarray | None = None,
                 depreciation_schedule: np.ndarray | None = None,
                 net_without: np.ndarray | None = None,
                 net_with: np.ndarray | None = None) -> pd.DataFrame:
    """Public outlay of every support item in every period it costs money.

    Parameters
    ----------
    support : pandas.DataFrame
        Long support table with at least ``row``, ``instrument_id``, ``kind``, ``amount``,
        ``year`` (the rest of ``ITEM_COLUMNS`` optional, with the ``SupportItem`` defaults).
        ``row`` is the option's position in ``options``.
    options : pandas.DataFrame
        Validated options (``investment``, ``annual_savings``, ``lifetime_years``, and optionally
        ``annual_cost_change``, ``salvage_value``, ``depreciation_years``, ``inflation`` [/1 per
        yr], the enterprise's, set by :func:`finance.inputs.with_inflation`).
    tax_rate : numpy.ndarray
        Tax rate per option (position-aligned with ``options``). [/1]
    tax_capacity : bool or numpy.ndarray
        Whether the enterprise absorbs losses and credits in the year (default: yes, the static
        costing of tax expenditure reports). Per option or one for all.
    loss_carry_forward_years : int, None or numpy.ndarray
        The tax regime's loss carry-forward limit without tax capacity (None/NaN = none). [yr]
    tax_rate_by_year, depreciation_schedule : numpy.ndarray, shape (n, >= max life + 1), optional
        The tax rate in force in each year [/1] and the cumulative depreciation share [/1] per
        option (:func:`finance.batch_flows.batch_cash_flows`): tax forgone in year t is costed at the
        rate of year t.
    net_without : numpy.ndarray, optional
        Net flows of every option without support for these inputs (``finance.batch``), reused by
        ``finance.valuation.item_values`` instead of computed again. [currency]
    net_with : numpy.ndarray, optional
        Net flows of every option with all its items of ``support``, for these inputs
        (``finance.batch_flows.batch_cash_flows`` of ``options`` with ``support``; rows without items
        are not read).  With ``net_without``, the tax forgone by an option's only item is
        ``net_with - net_without`` (what ``item_values`` computes, from the same kernel on the same
        rows), read instead of computed again; options with several items are valued by
        ``item_values``. [currency]

    Returns
    -------
    pandas.DataFrame
        Columns :data:`OUTLAY_COLUMNS`: ``t`` the period [yr], ``outlay`` the public money of that
        item in that period [currency]; zero entries are left out.  ``instrument_id`` and
        ``kind`` are categorical.

    Raises
    ------
    ValueError
        On an unknown kind, a row outside the options, or an item beyond the option's life.

    References
    ----------
    OECD 2010 [1]_.
    """
    missing = [c for c in ("row", "instrument_id", "kind", "amount", "year") if c not in support.columns]
    if missing:
        raise ValueError(f"support table lacks column(s) {missing} (expected {ITEM_COLUMNS})")
    if len(support) == 0:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in zip(OUTLAY_COLUMNS, ("int64", "str", "str", "int64", "float64"))})
    n_opt = len(options)
    rows = support["row"].to_numpy(dtype=np.int64)
    if (rows < 0).any() or (rows >= n_opt).any():
        bad = int(np.flatnonzero((rows < 0) | (rows >= n_opt))[0])
        raise ValueError(f"support row {bad}: field 'row' is {rows[bad]} (expected 0..{n_opt - 1})")
    # instrument ids and kinds as categorical codes: a million rows share a handful of values
    id_cat = _text_categorical(support["instrument_id"])
    kind_cat = _text_categorical(support["kind"])
    kinds = list(kind_cat.categories)
    known = {"grant", "tax_deduction", "tax_credit", "depreciation", "tax_holiday", "soft_loan"}
    bad = [k for k in kinds if k not in known]
    if bad:
        i = int(np.flatnonzero(kind_cat.codes == kinds.index(bad[0]))[0])
        raise ValueError(f"support row {i} ({support['instrument_id'].iloc[i]!r}): field 'kind' is {bad[0]!r} (expected one of {sorted(known)})")
    kcode = kind_cat.codes
    ids = id_cat.codes

    def is_kind(*names: str) -> np.ndarray:
        codes = [kinds.index(k) for k in names if k in kinds]
        return np.isin(kcode, codes) if codes else np.zeros(len(kcode), dtype=bool)

    def label(id_codes: np.ndarray, kind_codes: np.ndarray) -> tuple[pd.Categorical, pd.Categorical]:
        return (pd.Categorical.from_codes(id_codes, categories=id_cat.categories),
                pd.Categorical.from_codes(kind_codes, categories=kind_cat.categories))

    amount = _col(support, "amount", 0.0)
    year = support["year"].to_numpy(dtype=np.int64)
    spread = _col(support, "spread_years", 1).astype(np.int64)
    life = pd.to_numeric(options["lifetime_years"]).to_numpy(dtype=np.int64)[rows]
    parts: list[pd.DataFrame] = []

    # grants: cash paid, spread evenly over spread_years periods
    flat = is_kind("grant")
    if flat.any():
        idx = np.flatnonzero(flat)
        last = year[idx] + spread[idx] - 1
        beyond = last > life[idx]
        if beyond.any():
            i = idx[np.flatnonzero(beyond)[0]]
            raise ValueError(f"support row {i} ({support['instrument_id'].iloc[i]!r}, {support['kind'].iloc[i]}): falls in years {year[i]}..{year[i] + spread[i] - 1}, beyond the option's life of {life[i]} years")
        reps = spread[idx]
        j = np.repeat(idx, reps)
        offset = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps)
        per = amount[j] / spread[j]
        il, kl = label(ids[j], kcode[j])
        parts.append(pd.DataFrame({"row": rows[j], "instrument_id": il, "kind": kl, "t": year[j] + offset, "outlay": per}))

    # tax instruments: the tax forgone, period by period, from the cash-flow engine (finance.valuation):
    # each item's change of the enterprise's after-tax flow, given the items before it
    tax_kinds = is_kind("tax_deduction", "tax_credit", "depreciation", "tax_holiday")
    if tax_kinds.any():
        with_tax = np.zeros(n_opt, dtype=bool)
        with_tax[rows[tax_kinds]] = True
        sub = np.flatnonzero(with_tax[rows])  # every item of those options, in table order
        mine = tax_kinds[sub]
        at = sub[mine]
        i, t, value = _tax_forgone(support, sub, mine, rows, options, tax_rate, tax_capacity, loss_carry_forward_years,
                                   tax_rate_by_year, depreciation_schedule, net_without, net_with)
        j = at[i]
        il, kl = label(ids[j], kcode[j])
        parts.append(pd.DataFrame({"row": rows[j], "instrument_id": il, "kind": kl, "t": t, "outlay": value}))

    loan = np.flatnonzero(is_kind("soft_loan") & (amount != 0))
    if len(loan):
        ly = _col(support, "loan_years", 0)[loan]
        bad = ~(ly >= 1) | (ly != np.round(np.nan_to_num(ly)))
        if bad.any():
            i = int(loan[np.flatnonzero(bad)[0]])
            raise ValueError(f"support row {i} ({support['instrument_id'].iloc[i]!r}, soft_loan): field 'loan_years' is {ly[np.flatnonzero(bad)[0]]!r} (expected an integer >= 1)")
        late = year[loan] > life[loan]
        if late.any():
            i = int(loan[np.flatnonzero(late)[0]])
            raise ValueError(f"support row {i} ({support['instrument_id'].iloc[i]!r}, soft_loan): received in year {year[i]}, after the option's life of {life[i]} years")
        infl = _col(options.reset_index(drop=True), "inflation", 0.0)[rows[loan]]
        mat = np.zeros((len(loan), int(life[loan].max()) + 1))
        _loan_rows(amount[loan], _col(support, "loan_rate", 0.0)[loan], ly.astype(np.int64), year[loan],
                   life[loan], np.nan_to_num(infl), mat)
        parts.append(_dense(rows[loan], *label(ids[loan], kcode[loan]), mat))

    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for c, cat in (("instrument_id", id_cat.categories), ("kind", kind_cat.categories)):
        out[c] = pd.Categorical(out[c], categories=cat)
    out = out[out["outlay"] != 0.0]
    out["t"] = out["t"].astype(np.int64)
    return out.reset_index(drop=True)[list(OUTLAY_COLUMNS)]

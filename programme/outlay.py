"""Public outlay of support items, by period and instrument (revenue-forgone method).

Each row of a long support table (``policies.items.ITEM_COLUMNS``) becomes the public money it
costs, in the period it costs it:

``grant``
    Cash paid: ``amount`` in ``year`` (or ``amount / spread_years`` in each of ``spread_years``
    periods from ``year``), gross (tax on a taxable grant is not netted out).
``tax_deduction``
    Tax expenditure = deduction x the enterprise's tax rate, in the period(s) the deduction arises.
``tax_credit``
    Tax expenditure = the credit, in the period(s) it arises.
``depreciation``
    Tax expenditure = tax rate x base x (accelerated share - straight-line share) per period, the
    straight line over the option's ``depreciation_years`` (both written off at t = N, as in
    ``finance.cashflow``); ``amount`` is the base.  Positive early, negative later: a timing
    benefit whose nominal sum is 0.
``tax_holiday``
    Tax expenditure = tax rate x (1 - holiday factor) x the option's taxable profit without support
    (savings - cost change - straight-line depreciation of the investment, + salvage at t = N).
``soft_loan``
    Cash view: principal paid out in ``year`` (+), annuity repayments at ``loan_rate`` over
    ``loan_years`` (-), the balance still due repaid at t = N (as in ``finance.cashflow``).

Tax expenditures are costed by the revenue-forgone method with the enterprise in tax capacity
(the benefit is used in the year it arises), the standard static costing of tax expenditure
reports; carry-forwards of firms without tax capacity delay, and may reduce, the true cost.

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

from policies.items import ITEM_COLUMNS

__all__ = ["OUTLAY_COLUMNS", "GOVERNMENT_DISCOUNT_RATE", "outlay_table", "present_value_factor"]

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


def _col(support: pd.DataFrame, name: str, default: float) -> np.ndarray:
    if name not in support.columns:
        return np.full(len(support), default, dtype=float)
    return pd.to_numeric(support[name], errors="coerce").to_numpy(dtype=float)


def _dense(rows: np.ndarray, ids: pd.Categorical, kinds: pd.Categorical, mat: np.ndarray) -> pd.DataFrame:
    i, t = np.nonzero(mat)
    return pd.DataFrame({"row": rows[i], "instrument_id": ids[i], "kind": kinds[i], "t": t, "outlay": mat[i, t]})


def outlay_table(support: pd.DataFrame, options: pd.DataFrame, tax_rate: np.ndarray) -> pd.DataFrame:
    """Public outlay of every support item in every period it costs money.

    Parameters
    ----------
    support : pandas.DataFrame
        Long support table with at least ``row``, ``instrument_id``, ``kind``, ``amount``,
        ``year`` (the rest of ``ITEM_COLUMNS`` optional, with the ``SupportItem`` defaults).
        ``row`` is the option's position in ``options``.
    options : pandas.DataFrame
        Validated options (``investment``, ``annual_savings``, ``lifetime_years``, and optionally
        ``annual_cost_change``, ``salvage_value``, ``depreciation_years``).
    tax_rate : numpy.ndarray
        Tax rate per option (position-aligned with ``options``). [/1]

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
    id_cat = pd.Categorical(support["instrument_id"].astype(str))
    kind_cat = pd.Categorical(support["kind"].astype(str))
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
    rate = np.asarray(tax_rate, dtype=float)[rows]
    parts: list[pd.DataFrame] = []

    # cash-like items spread evenly over spread_years periods
    flat = is_kind("grant", "tax_deduction", "tax_credit")
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
        if "tax_deduction" in kinds:
            per = np.where(kcode[j] == kinds.index("tax_deduction"), per * rate[j], per)
        il, kl = label(ids[j], kcode[j])
        parts.append(pd.DataFrame({"row": rows[j], "instrument_id": il, "kind": kl, "t": year[j] + offset, "outlay": per}))

    opt = options.reset_index(drop=True)
    dep_years_all = (pd.to_numeric(opt["depreciation_years"], errors="coerce") if "depreciation_years" in opt.columns
                     else pd.Series(np.nan, index=opt.index)).fillna(pd.to_numeric(opt["lifetime_years"])).to_numpy(dtype=float)

    dep = np.flatnonzero(is_kind("depreciation"))
    if len(dep):
        T = int(life[dep].max()) + 1
        t = np.arange(T, dtype=float)[None, :]
        n = life[dep][:, None]
        dy = dep_years_all[rows[dep]][:, None]
        sl = np.minimum(t / dy, 1.0)
        first = _col(support, "first_year_share", np.nan)[dep][:, None]
        later = _col(support, "later_share", np.nan)[dep][:, None]
        later = np.where(np.isnan(later), (1.0 - first) / np.maximum(dy - 1, 1), later)
        acc = np.where(np.isnan(first), sl, np.where(t >= 1, np.minimum(first + (t - 1) * later, 1.0), 0.0))
        sl = np.where(t >= n, 1.0, sl)
        acc = np.where(t >= n, 1.0, acc)
        shares = np.diff(acc, axis=1, prepend=0.0) - np.diff(sl, axis=1, prepend=0.0)
        shares[t.repeat(len(dep), 0) > n] = 0.0
        mat = rate[dep][:, None] * amount[dep][:, None] * shares
        parts.append(_dense(rows[dep], *label(ids[dep], kcode[dep]), mat))

    hol = np.flatnonzero(is_kind("tax_holiday"))
    if len(hol):
        T = int(life[hol].max()) + 1
        t = np.arange(T, dtype=float)[None, :]
        r = rows[hol]
        n = life[hol][:, None]
        dy = dep_years_all[r][:, None]
        inv = pd.to_numeric(opt["investment"]).to_numpy(dtype=float)[r][:, None]
        sav = pd.to_numeric(opt["annual_savings"]).to_numpy(dtype=float)[r][:, None]
        cost = (pd.to_numeric(opt["annual_cost_change"]).fillna(0.0).to_numpy(dtype=float)[r][:, None]
                if "annual_cost_change" in opt.columns else 0.0)
        salv = (pd.to_numeric(opt["salvage_value"]).fillna(0.0).to_numpy(dtype=float)[r][:, None]
                if "salvage_value" in opt.columns else 0.0)
        cum = np.where(t >= n, 1.0, np.minimum(t / dy, 1.0))
        depn = inv * np.diff(cum, axis=1, prepend=0.0)
        profit = np.where((t >= 1) & (t <= n), sav - cost, 0.0) - depn + np.where(t == n, salv, 0.0)
        ex = _col(support, "exempt_years", 0)[hol][:, None]
        ry = _col(support, "reduced_years", 0)[hol][:, None]
        rf = _col(support, "reduced_factor", 1.0)[hol][:, None]
        factor = np.where((t >= 1) & (t <= ex), 0.0, np.where((t > ex) & (t <= ex + ry), rf, 1.0))
        mat = np.where(t <= n, rate[hol][:, None] * (1.0 - factor) * profit, 0.0)
        parts.append(_dense(rows[hol], *label(ids[hol], kcode[hol]), mat))

    loan = np.flatnonzero(is_kind("soft_loan"))
    if len(loan):
        T = int(life[loan].max()) + 1
        t = np.arange(T, dtype=float)[None, :]
        n = life[loan][:, None]
        p = amount[loan][:, None]
        lr = _col(support, "loan_rate", 0.0)[loan][:, None]
        ly = np.maximum(_col(support, "loan_years", 0)[loan][:, None], 1)
        y0 = year[loan][:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            pay = np.where(lr == 0, p / ly, p * lr / (1.0 - (1.0 + lr) ** -ly))
        k = t - y0  # payments made by period t
        paying = (k >= 1) & (k <= ly) & (t <= n)
        mat = np.where(t == y0, p, 0.0) - np.where(paying, pay, 0.0)
        # balloon: balance after the payments made by t = N, when the term runs past the life
        kn = np.minimum(n - y0, ly)
        g = (1.0 + lr) ** kn
        with np.errstate(divide="ignore", invalid="ignore"):
            bal = np.where(lr == 0, p - pay * kn, p * g - pay * (g - 1.0) / lr)
        mat = mat - np.where((t == n) & (y0 + ly > n), bal, 0.0)
        parts.append(_dense(rows[loan], *label(ids[loan], kcode[loan]), mat))

    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    for c, cat in (("instrument_id", id_cat.categories), ("kind", kind_cat.categories)):
        out[c] = pd.Categorical(out[c], categories=cat)
    out = out[out["outlay"] != 0.0]
    out["t"] = out["t"].astype(np.int64)
    return out.reset_index(drop=True)[list(OUTLAY_COLUMNS)]

"""Compiled per-row kernels behind :mod:`finance.batch`: discounted sums, paybacks and the IRR.

These are the metric loops of :mod:`finance.batch` compiled with numba (machine code, no Python
per option, the GIL released so blocks run on several threads).  Each kernel walks the rows of a
2-D cash-flow array (options x periods, zero beyond each option's life) and implements exactly
the definitions of :mod:`finance.metrics`; the tests check them against the scalar functions
there, against numpy-financial and against hand calculations.

Conventions (as :mod:`finance.metrics`): flows at period ends, t = 0 undiscounted as in
``numpy_financial.npv``; discount factor (1 + r)**-t, built by multiplication period after period
(relative rounding error below 50 ulp over 50 periods); amounts [currency], rates [/1 per period],
paybacks [periods].  Rows are read up to their life only (zero beyond it).

IRR, one sign change (by Descartes' rule exactly one root x = 1/(1+r) > 0): split the NPV
polynomial at m, the first period of the opposite sign, into an early part E(x) and a late part
L(x), each a sum of same-sign terms; h(u) = ln|L| - ln|E| with u = ln x increases, is nearly
linear and is zero exactly at the IRR.  Halley's iteration on h (cubic convergence; Newton's step
where Halley's denominator is not positive), safeguarded by bisection on [IRR_MIN, IRR_MAX] as in
Numerical Recipes' ``rtsafe``, converges in about four steps without the cancellation of
evaluating the NPV itself.  A row is done when a step moves u by at most ``tol``.

IRR, several sign changes: on an interval [a, b] of u write NPV = P(x) - Q(x), P and Q the sums of
the positive and of the negated negative terms; both increase with x, so P(a) - Q(b) <= NPV <=
P(b) - Q(a), and the same holds for the slopes x P'(x), x Q'(x).  An interval whose value bounds
exclude 0 holds no root; one whose slope bounds exclude 0 holds exactly one root if the NPV changes
sign over it and none otherwise; the others are halved (branch and bound, depth first).  Each
isolated root is polished by safeguarded Newton.  Rows still undecided after ``MAX_DEPTH`` halvings
(near-double roots) are flagged for the exact polynomial roots of :func:`finance.metrics.irr`.

References
----------
.. [1] numpy-financial ``npv``, ``irr``, ``mirr``.
.. [2] Press, W. H. et al. (2007), Numerical Recipes, 3rd ed., sections 9.4 (``rtsafe``) and
   9.4.2 (Halley's method).
.. [3] Descartes' rule of signs, e.g. Henrici, P. (1974), Applied and Computational Complex
   Analysis, vol. 1, section 6.2.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from finance.financing import amortise
from finance.inflation import deflator
from finance.metrics import IRR_MAX, IRR_MIN, SIGN_TOLERANCE
from policies.items import SUPPORT_KINDS

#: u = ln(1 / (1 + r)) at r = IRR_MAX and at r = IRR_MIN (u decreases as r increases).
U_MIN: float = -math.log1p(IRR_MAX)
U_MAX: float = -math.log1p(IRR_MIN)

#: IRR outcome codes written by :func:`irr_rows`.
DEFINED, NO_SIGN_CHANGE, NO_ROOT, SEVERAL, OUTSIDE, UNDECIDED, UNRESOLVED = range(7)

#: Intervals of the first split of [U_MIN, U_MAX] and the most halvings after it (several changes).
PIECES: int = 8
MAX_DEPTH: int = 40

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}


@njit(**_JIT)
def _horner(v: np.ndarray, top: int, x: float) -> tuple[float, float]:  # pragma: no cover - compiled
    """sum_{t=0}^{top} v_t x**t and x * d/dx of it (Horner's rule)."""
    p = v[top]
    dp = 0.0
    for j in range(top - 1, -1, -1):
        dp = dp * x + p
        p = p * x + v[j]
    return p, x * dp


@njit(**_JIT)
def _log_ratio(v: np.ndarray, m: int, top: int, u: float) -> tuple[float, float, float]:  # pragma: no cover
    """h(u) = ln|L| - ln|E| and its first two derivatives in u, x = e**u.

    L = sum_{t=m}^{top} v_t x**t and E = sum_{t<m} v_t x**t are sums of same-sign terms.  With
    S_k = sum t**k v_t x**t of a part, d ln|S_0| / du = S_1 / S_0 and d2 ln|S_0| / du2 =
    S_2 / S_0 - (S_1 / S_0)**2.  Powers of x are built by multiplication (independent sums, no
    cancellation).
    """
    x = np.exp(u)
    pw = 1.0
    e0 = e1 = e2 = 0.0
    for t in range(m):
        term = v[t] * pw
        e0 += term
        e1 += t * term
        e2 += t * t * term
        pw *= x
    l0 = l1 = l2 = 0.0
    for t in range(m, top + 1):
        term = v[t] * pw
        l0 += term
        l1 += t * term
        l2 += t * t * term
        pw *= x
    a_l, a_e = l1 / l0, e1 / e0
    return np.log(np.abs(l0 / e0)), a_l - a_e, (l2 / l0 - a_l * a_l) - (e2 / e0 - a_e * a_e)


@njit(**_JIT)
def _one_change(v: np.ndarray, m: int, top: int, max_iter: int, tol: float) -> tuple[float, int]:  # pragma: no cover
    """IRR of a flow with exactly one sign change, first opposite sign at period m."""
    u, lo, hi = 0.0, U_MIN, U_MAX
    for _ in range(max_iter):
        h, dh, d2h = _log_ratio(v, m, top, u)
        if h < 0:
            lo = u
        else:
            hi = u
        # Halley's step (cubic convergence); Newton's where its denominator is not positive
        den = 2.0 * dh * dh - h * d2h
        new = u - 2.0 * h * dh / den if den > 0 else u - h / dh
        bisect = not np.isfinite(new) or new <= lo or new >= hi
        if bisect:
            new = 0.5 * (lo + hi)
        done = h == 0 or (not bisect and abs(new - u) <= tol) or hi - lo <= tol
        if h != 0:
            u = new
        if done:
            break
    final = u
    r = np.expm1(-final)
    if np.isfinite(final) and final - U_MIN > 1e-6 and U_MAX - final > 1e-6:
        return r, DEFINED
    # near a bracket end: the root may lie outside [IRR_MIN, IRR_MAX]; decide from h at the ends
    h_lo = _log_ratio(v, m, top, U_MIN)[0]
    h_hi = _log_ratio(v, m, top, U_MAX)[0]
    if h_lo == 0:
        return IRR_MAX, DEFINED
    if h_hi == 0:
        return IRR_MIN, DEFINED
    if h_lo > 0 or h_hi < 0:
        return math.nan, OUTSIDE
    if h_lo < 0 and h_hi > 0:
        return r, DEFINED
    return math.nan, UNRESOLVED


@njit(**_JIT)
def _ends(pos: np.ndarray, neg: np.ndarray, top: int, u: float, out: np.ndarray) -> None:  # pragma: no cover
    x = np.exp(u)
    out[0], out[1] = _horner(pos, top, x)
    out[2], out[3] = _horner(neg, top, x)


@njit(**_JIT)
def _several(v: np.ndarray, top: int, roots: np.ndarray) -> int:  # pragma: no cover - compiled
    """Roots of a flow with several sign changes in [U_MIN, U_MAX] into ``roots``; their count or -1."""
    pos = np.where(v > 0, v, 0.0)
    neg = np.where(v < 0, -v, 0.0)
    size = PIECES + MAX_DEPTH + 2
    sa = np.empty(size)
    sb = np.empty(size)
    sd = np.empty(size, dtype=np.int64)
    ea = np.empty((size, 4))  # P, xP', Q, xQ' at a
    eb = np.empty((size, 4))  # the same at b
    mid = np.empty(4)
    found_a = np.empty(top + 1)
    found_b = np.empty(top + 1)
    count = 0
    step = (U_MAX - U_MIN) / PIECES
    sp = 0
    for k in range(PIECES - 1, -1, -1):  # pushed in reverse: popped from the lowest u up
        a = U_MIN + k * step
        b = U_MAX if k == PIECES - 1 else U_MIN + (k + 1) * step
        sa[sp], sb[sp], sd[sp] = a, b, 0
        _ends(pos, neg, top, a, ea[sp])
        _ends(pos, neg, top, b, eb[sp])
        sp += 1
    while sp > 0:
        sp -= 1
        a, b, depth = sa[sp], sb[sp], sd[sp]
        pa, dpa, qa, dqa = ea[sp, 0], ea[sp, 1], ea[sp, 2], ea[sp, 3]
        pb, dpb, qb, dqb = eb[sp, 0], eb[sp, 1], eb[sp, 2], eb[sp, 3]
        if pa - qb > 0 or pb - qa < 0:
            continue  # no root
        va, vb = pa - qa, pb - qb
        if dpa - dqb > 0 or dpb - dqa < 0:  # monotone: one root if the NPV changes sign
            if (va < 0 and vb >= 0) or (va > 0 and vb <= 0):
                if count > top:
                    return -1
                found_a[count], found_b[count] = a, b
                count += 1
            continue
        if depth == MAX_DEPTH:
            return -1
        c = 0.5 * (a + b)
        _ends(pos, neg, top, c, mid)
        # right half [c, b] keeps b's ends; left half [a, c] reuses slot sp with a's ends
        sa[sp + 1], sb[sp + 1], sd[sp + 1] = c, b, depth + 1
        ea[sp + 1, :] = mid
        eb[sp + 1, :] = eb[sp, :]
        sb[sp], sd[sp] = c, depth + 1
        eb[sp, :] = mid
        sp += 2
    for k in range(count):  # polish each isolated root: Newton in u, safeguarded by bisection
        lo, hi = found_a[k], found_b[k]
        x = np.exp(lo)
        s_lo = np.sign(_horner(pos, top, x)[0] - _horner(neg, top, x)[0])
        u = 0.5 * (lo + hi)
        for _ in range(100):
            x = np.exp(u)
            p, dp = _horner(pos, top, x)
            q, dq = _horner(neg, top, x)
            val = p - q
            if np.sign(val) == s_lo:
                lo = u
            else:
                hi = u
            new = u - val / (dp - dq)
            bisect = not np.isfinite(new) or new <= lo or new >= hi
            if bisect:
                new = 0.5 * (lo + hi)
            stepped = abs(new - u)
            if val != 0:
                u = new
            if val == 0 or (not bisect and stepped <= 1e-12) or hi - lo <= 1e-12:
                break
        roots[k] = np.expm1(-u)
    return count


@njit(**_JIT)
def irr_rows(values: np.ndarray, out: np.ndarray, code: np.ndarray, roots: np.ndarray,
             max_iter: int, tol: float) -> None:  # pragma: no cover - compiled
    """IRR of every row of ``values`` (n, T) into ``out`` (n,), outcome in ``code`` (n,) int8.

    Rows with several roots (code SEVERAL) list them in ``roots[i, :k]`` (NaN after the k-th);
    ``roots`` has shape (n, T).  Signs ignore terms below SIGN_TOLERANCE x the row's largest.
    """
    n, width = values.shape
    for i in range(n):
        v = values[i]
        out[i] = math.nan
        scale = 0.0
        top = -1
        for t in range(width):
            a = abs(v[t])
            if a > scale:
                scale = a
            if v[t] != 0:
                top = t
        small = SIGN_TOLERANCE * scale
        last = 0.0
        changes = 0
        first_flip = 0
        for t in range(width):
            s = 0.0
            if v[t] > small:
                s = 1.0
            elif v[t] < -small:
                s = -1.0
            if s != 0:
                if s * last < 0:
                    changes += 1
                    if first_flip == 0:
                        first_flip = t
                last = s
        if changes == 0:
            code[i] = NO_SIGN_CHANGE
        elif changes == 1:
            out[i], code[i] = _one_change(v, first_flip, top, max_iter, tol)
        else:
            roots[i, :] = math.nan
            k = _several(v, top, roots[i])
            if k < 0:
                code[i] = UNDECIDED
            elif k == 0:
                code[i] = NO_ROOT
            elif k == 1:
                out[i], code[i] = roots[i, 0], DEFINED
                roots[i, 0] = math.nan
            else:
                code[i] = SEVERAL


@njit(**_JIT)
def _payback_of(flows: np.ndarray, life: int) -> float:  # pragma: no cover - compiled
    """Interpolated first period with non-negative cumulative flow (t <= life); NaN = never."""
    cum = 0.0
    for t in range(life + 1):
        prev = cum
        cum = cum + flows[t] if t > 0 else flows[0]
        if cum >= 0:
            return 0.0 if t == 0 else t - 1 + (-prev) / flows[t]
    return math.nan


@njit(**_JIT)
def discounted_rows(net: np.ndarray, payback: np.ndarray, life: np.ndarray, rate: np.ndarray,
                    reinvest: np.ndarray, finance: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """Per row: NPV, PV of gains, PV of costs, MIRR's PV of gains and of costs, both paybacks.

    ``out`` has shape (n, 7): columns npv, gain, cost, pv_pos (at ``reinvest``), pv_neg (at
    ``finance``), simple payback and discounted payback, both measured on ``payback`` (n, T).
    Where ``reinvest`` and ``finance`` equal ``rate`` the MIRR sums equal gain and cost.
    """
    n, width = net.shape
    disc = np.empty(width)
    flows = np.empty(width)
    for i in range(n):
        end = life[i] + 1
        v = 1.0 / (1.0 + rate[i])
        value = gain = cost = 0.0
        d = 1.0
        for t in range(end):
            disc[t] = d
            c = net[i, t] * d
            value += c
            if c > 0:
                gain += c
            elif c < 0:
                cost -= c
            d *= v
        out[i, 0], out[i, 1], out[i, 2] = value, gain, cost
        if reinvest[i] == rate[i] and finance[i] == rate[i]:
            out[i, 3], out[i, 4] = gain, cost
        else:
            vr, vf = 1.0 / (1.0 + reinvest[i]), 1.0 / (1.0 + finance[i])
            pos = neg = 0.0
            dr = df = 1.0
            for t in range(end):
                c = net[i, t]
                if c > 0:
                    pos += c * dr
                elif c < 0:
                    neg -= c * df
                dr *= vr
                df *= vf
            out[i, 3], out[i, 4] = pos, neg
        out[i, 5] = _payback_of(payback[i], life[i])
        for t in range(end):
            flows[t] = payback[i, t] * disc[t]
        out[i, 6] = _payback_of(flows, life[i])


@njit(**_JIT)
def npv_rows(net: np.ndarray, rate: np.ndarray, life: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """NPV of every row of ``net`` (n, T) at ``rate`` (n,) over periods 0..life into ``out`` (n,)."""
    for i in range(net.shape[0]):
        v = 1.0 / (1.0 + rate[i])
        d = 1.0
        value = net[i, 0]
        for t in range(1, life[i] + 1):
            d *= v
            value += net[i, t] * d
        out[i] = value


#: Support kind codes: the position in :data:`policies.items.SUPPORT_KINDS` (``kind_code`` of
#: :func:`finance.batch_arrays._support_arrays`).
GRANT, DEDUCTION, CREDIT, DEPRECIATION, HOLIDAY, LOAN = (
    SUPPORT_KINDS.index(k) for k in ("grant", "tax_deduction", "tax_credit", "depreciation", "tax_holiday", "soft_loan"))


@njit(**_JIT)
def _carry_forward(taxable: np.ndarray, rates: np.ndarray, life: int, loss_limit: float, lo: int, hi: int,
                   kind: np.ndarray, amount: np.ndarray, year: np.ndarray, spread: np.ndarray, cf: np.ndarray,
                   losses: np.ndarray, credits: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """Tax cash flow (-payable + credit used) per year of one option whose enterprise has no tax capacity.

    Losses are set against later profit oldest first, within ``loss_limit`` years (inf = no limit);
    credits against tax payable, earliest-expiring first, until ``min(year + carry_forward_years,
    life)`` (NaN carry-forward = until the end of life), then lapse.
    """
    width = life + 1
    losses[:width] = 0.0
    credits[:width] = 0.0
    pool = 0.0
    unlimited = not np.isfinite(loss_limit)
    for y in range(width):
        profit = taxable[y]
        loss = max(-profit, 0.0)
        profit = max(profit, 0.0)
        if unlimited:
            use = min(pool, profit)
            pool += loss - use
            profit -= use
        else:
            for j in range(y):
                if j >= y - loss_limit and losses[j] > 0 and profit > 0:
                    take = min(losses[j], profit)
                    losses[j] -= take
                    profit -= take
            losses[y] = loss
        payable = rates[y] * profit
        out[y] = -payable
        for k in range(lo, hi):  # credits arising this year, pooled by expiry year
            if kind[k] == CREDIT and year[k] <= y < year[k] + spread[k]:
                expiry = life if np.isnan(cf[k]) else int(min(y + cf[k], life))
                credits[expiry] += amount[k] / spread[k]
        used = 0.0
        for j in range(y, width):
            if used >= payable:
                break
            if credits[j] > 0:
                take = min(credits[j], payable - used)
                credits[j] -= take
                used += take
        out[y] += used


@njit(**_JIT)
def cash_flow_rows(investment: np.ndarray, savings: np.ndarray, cost_change: np.ndarray, salvage: np.ndarray,
                   sav_growth: np.ndarray, cost_growth: np.ndarray, life: np.ndarray, dep_years: np.ndarray, rate: np.ndarray, capacity: np.ndarray,
                   loss_limit: np.ndarray, bounds: np.ndarray, kind: np.ndarray, amount: np.ndarray,
                   year: np.ndarray, spread: np.ndarray, taxed: np.ndarray, reduces: np.ndarray,
                   first_share: np.ndarray, later_share: np.ndarray, exempt: np.ndarray, reduced: np.ndarray,
                   reduced_factor: np.ndarray, carry_years: np.ndarray, loan_rate: np.ndarray,
                   loan_years: np.ndarray, net: np.ndarray, pre_tax: np.ndarray,
                   upfront: np.ndarray, rate_year: np.ndarray, dep_cum: np.ndarray, inflation: np.ndarray,
                   debt_draw: np.ndarray, debt_interest: np.ndarray,
                   debt_repaid: np.ndarray) -> None:  # pragma: no cover - compiled
    """After-tax and pre-tax cash flow of every option (the model of :func:`finance.cashflow.cash_flow`).

    ``savings`` and ``cost_change`` are year-1 amounts, escalated by ``sav_growth`` and
    ``cost_growth`` [/1 per yr]: year t's amount is amount x (1 + g)^(t - 1).
    Row i's support items are ``bounds[i]..bounds[i+1]-1`` of the item arrays (kinds coded as
    GRANT..LOAN).  Writes ``net`` and ``pre_tax`` (n, T), zero beyond each life, and the grants
    paid at t = 0 into ``upfront``.  Amounts [currency], rates [/1], years [yr]; items are
    validated by the caller (:func:`finance.batch_arrays._support_arrays`).

    ``rate_year`` (n, >= T) is the tax rate in force in each year of each option's life [/1]
    (a schedule that changes); an empty (0, 0) array means ``rate`` in every year.  ``dep_cum``
    (n, >= T) is each option's cumulative tax depreciation share at the end of year t [/1] (an
    asset class's schedule; 0 at t = 0); a row whose column 0 is NaN, or an empty (0, 0) array,
    means straight line over ``dep_years``.  A ``depreciation`` support item overrides both.

    ``inflation`` (n,) [/1 per yr] deflates the nominal lines by (1 + i)**-t: depreciation in
    taxable profit and the soft loans' payments (:mod:`finance.inflation`).  ``debt_draw`` (n,),
    ``debt_interest`` and ``debt_repaid`` (n, T), or empty for none, are the option's own debt in
    real terms (:func:`finance.financing.debt_rows`): drawn at t = 0, interest and principal paid
    out before and after tax, interest deducted from taxable profit (the equity flow of
    :func:`finance.equity.equity_appraise`).
    """
    n, width = net.shape
    taxable = np.empty(width)
    factor = np.empty(width)
    tax_flow = np.empty(width)
    losses = np.empty(width)
    credits = np.empty(width)
    by_year = rate_year.shape[0] > 0
    defl = np.empty(width)
    before = np.empty(width)
    loan_interest = np.empty(width)
    loan_repaid = np.empty(width)
    with_debt = debt_draw.shape[0] > 0
    for i in range(n):
        life_i = life[i]
        end = life_i + 1
        deflator(inflation[i], end, defl)  # all 1.0 at zero inflation (x * 1.0 is exact)
        lo, hi = bounds[i], bounds[i + 1]
        scheduled = dep_cum.shape[0] > 0 and not np.isnan(dep_cum[i, 0])
        row, pre = net[i], pre_tax[i]
        # year-1 amounts escalated: year t = amount x (1 + g)^(t - 1)
        s_t, c_t = savings[i], cost_change[i]
        gs, gc = 1.0 + sav_growth[i], 1.0 + cost_growth[i]
        taxable[0] = 0.0
        factor[0] = 1.0
        for t in range(1, end):
            taxable[t] = s_t - c_t
            factor[t] = 1.0
            s_t *= gs
            c_t *= gc
        taxable[life_i] += salvage[i]
        for t in range(end):
            row[t] = taxable[t]
        row[0] -= investment[i]
        for t in range(end):
            pre[t] = row[t]
        base = investment[i]
        first, later = math.nan, math.nan
        has_credit = False
        upfront[i] = 0.0
        for k in range(lo, hi):  # every item's own lines, and the flags the tax steps need
            c = kind[k]
            if c == GRANT or c == DEDUCTION:
                piece = amount[k] / spread[k]
                for t in range(year[k], year[k] + spread[k]):
                    if c == GRANT:  # cash to the enterprise before and after tax
                        row[t] += piece
                        pre[t] += piece
                        if taxed[k] != 0:
                            taxable[t] += piece
                        if t == 0:
                            upfront[i] += piece
                    else:
                        taxable[t] -= piece
                if c == GRANT and reduces[k] != 0:
                    base -= amount[k]
            elif c == LOAN and amount[k] != 0:  # cash in and out, not taxed here
                start = year[k]
                loan_interest[:end] = 0.0
                loan_repaid[:end] = 0.0
                amortise(amount[k], loan_rate[k], int(loan_years[k]), start, life_i, False, loan_interest, loan_repaid)
                row[start] += amount[k] * defl[start]
                pre[start] += amount[k] * defl[start]
                for t in range(start + 1, end):
                    paid = (loan_interest[t] + loan_repaid[t]) * defl[t]
                    row[t] -= paid
                    pre[t] -= paid
            elif c == DEPRECIATION and not np.isnan(first_share[k]):
                first, later = first_share[k], later_share[k]
            elif c == HOLIDAY:
                ex, red = exempt[k], reduced[k]
                for t in range(end):
                    if 1 <= t <= ex:
                        factor[t] *= 0.0
                    elif ex < t <= ex + red:
                        factor[t] *= reduced_factor[k]
            elif c == CREDIT:
                has_credit = True
        base = max(base, 0.0)
        if with_debt:  # the option's own debt (equity flow): cash, and interest deducted
            row[0] += debt_draw[i]
            pre[0] += debt_draw[i]
            for t in range(1, end):
                paid = debt_interest[i, t] + debt_repaid[i, t]
                row[t] -= paid
                pre[t] -= paid
                taxable[t] -= debt_interest[i, t]
        inflated = inflation[i] != 0.0
        if inflated:
            for t in range(end):
                before[t] = taxable[t]
        # depreciation: cumulative share C(t), capped at 1 and 1 from t = N on; the share of year t
        # is C(t) - C(t - 1) of the base
        d_years = float(dep_years[i])
        if not np.isnan(first) and np.isnan(later):
            later = (1.0 - first) / max(d_years - 1.0, 1.0)
        prev = 0.0
        has_loss = False
        for t in range(end):
            if t >= life_i:
                cum = 1.0
            elif not np.isnan(first):
                cum = 0.0 if t == 0 else min(first + (t - 1) * later, 1.0)
            elif scheduled:
                cum = min(dep_cum[i, t], 1.0)
            else:
                cum = min(t / d_years, 1.0)
            taxable[t] -= (cum - prev) * base if t > 0 else cum * base
            prev = cum
            if taxable[t] < 0:
                has_loss = True
        if inflated:  # depreciation is nominal: its real deduction is deflated by (1 + i)**-t
            has_loss = False
            for t in range(end):
                taxable[t] = before[t] - (before[t] - taxable[t]) * defl[t]
                if taxable[t] < 0:
                    has_loss = True
        if not capacity[i] and (has_loss or has_credit):
            for t in range(end):
                factor[t] = (rate_year[i, t] if by_year else rate[i]) * factor[t]
            _carry_forward(taxable, factor, life_i, loss_limit[i], lo, hi, kind, amount, year, spread,
                           carry_years, losses, credits, tax_flow)
            for t in range(end):
                row[t] += tax_flow[t]
        else:
            for t in range(end):
                row[t] += -((rate_year[i, t] if by_year else rate[i]) * factor[t]) * taxable[t]
            for k in range(lo, hi):  # credits used in the year they arise
                if kind[k] == CREDIT:
                    piece = amount[k] / spread[k]
                    for t in range(year[k], year[k] + spread[k]):
                        row[t] += piece
        for t in range(end, width):
            row[t] = 0.0
            pre[t] = 0.0

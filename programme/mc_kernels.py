"""Compiled kernel of the columnar Monte Carlo path (:mod:`programme.mc_columnar`).

One call runs a block of draws over every option of a partition, with no per-draw array beyond the
outputs: for each draw, each option in frame order, it draws the option's inputs from the
counter-based generator (the same numbers as :func:`finance.risk.uniforms`, keyed on
(seed, option, draw, input)), appraises it without and with the programme's grants, applies the
rules' caps to the support in the order of the options within (enterprise, draw), decides uptake
and adds the draw's outlay, uptake and additional effects.

The formulas are those of the general path, written once more per row:

* triangular inverse CDF as :func:`finance.risk._triangular_rows` (the uniform is used as it is:
  the general path's ``ndtr(ndtri(u))`` is the identity in exact arithmetic and differs by a few
  ulp; only a correlated cost change takes a transformed uniform from the caller);
* cash flows as :func:`finance.kernels.cash_flow_rows` for options with tax capacity, a fixed tax
  rate and straight-line depreciation (year-1 savings and cost change escalated, salvage at the
  end, depreciation deflated by the enterprise's inflation, tax = rate x taxable profit);
  with grants: cash when paid, taxable income where the rule says, the depreciation base reduced
  where it says (the grant lines of ``cash_flow_rows``);
* NPV = sum_t net_t (1 + r)^-t, simple payback from the cumulative flow as
  :func:`programme.appraisal.payback_from_cumulative`;
* the grant rules of :func:`policies.engine._run_pack` (base, eligibility on drawn amounts, rate
  terms, exclusions, per-project cap, the aid ceiling, minimum aid, cumulative caps per enterprise and per year and
  the investment cap per year, spent on the options taken up, in order, as
  :func:`programme.allocation._allocate` defines it).

Amounts [currency], rates [/1], years [yr].
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_JIT = {"cache": True, "nogil": True, "error_model": "numpy"}

#: Decision rule codes of :func:`draw_block`.
RULE_PAYBACK, RULE_NPV, RULE_LOGISTIC = 0, 1, 2

#: Base codes: investment, eligible investment, extra investment cost.
BASE_INVESTMENT, BASE_ELIGIBLE, BASE_EXTRA = 0, 1, 2

#: Stream of the enterprises' drawn payback thresholds (:data:`programme.montecarlo.THRESHOLD_STREAM`).
THRESHOLD_STREAM: int = 5

#: Longest life + 1 (lives are drawn in 1..50). [yr]
WIDTH = 51

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@njit(**_JIT)
def _mix(x: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """SplitMix64 finaliser, as :func:`finance.risk._mix` (wrapping uint64 arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@njit(**_JIT)
def option_hash(seed: np.uint64, key: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    """The (seed, option) part of the counter, hashed once per option."""
    return _mix(seed ^ _mix(key))


@njit(**_JIT)
def draw_hash(per_option: np.uint64, draw: np.uint64) -> np.uint64:  # pragma: no cover - compiled
    return _mix(per_option ^ (draw * _GOLDEN))


@njit(**_JIT)
def uniform(h: np.uint64, which: int) -> float:  # pragma: no cover - compiled
    """The uniform of stream ``which``: ((h' >> 11) + 0.5) / 2^53, as :func:`finance.risk.uniforms`."""
    z = _mix(h ^ (np.uint64(which + 1) * _M2))
    return (float(z >> np.uint64(11)) + 0.5) / 9007199254740992.0


@njit(**_JIT)
def uniforms_rows(seed: np.uint64, key: np.ndarray, draw: np.ndarray, which: int,
                  out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[j, i]`` = the uniform of (seed, key[i], draw[j], which) (tests, correlated inputs)."""
    for i in range(key.size):
        po = option_hash(seed, key[i])
        for j in range(draw.size):
            out[j, i] = uniform(draw_hash(po, np.uint64(draw[j])), which)


@njit(**_JIT)
def triangular(u: float, low: float, mode: float, high: float) -> float:  # pragma: no cover - compiled
    """Inverse CDF of the triangular distribution, as :func:`finance.risk._triangular_rows`."""
    width = high - low
    if width > 0:
        fc = (mode - low) / width
        if u < fc:
            return low + math.sqrt(u * width * (mode - low))
        return high - math.sqrt((1.0 - u) * width * (high - mode))
    return mode


@njit(**_JIT)
def _round_half_even(v: float) -> float:  # pragma: no cover - compiled
    r = math.floor(v + 0.5)
    if r - v == 0.5 and r % 2.0 != 0.0:
        r -= 1.0
    return r


@njit(**_JIT)
def _payback(cum: np.ndarray, life: int) -> float:  # pragma: no cover - compiled
    """:func:`programme.appraisal.payback_from_cumulative` of one row: NaN = never. [yr]"""
    for t in range(life + 1):
        if cum[t] >= 0:
            if t == 0:
                return 0.0
            prev = cum[t - 1]
            return t - 1 + (-prev) / (cum[t] - prev)
    return math.nan


@njit(**_JIT)
def _flows(inv: float, base: float, sav: float, cost: float, g_sav: float, g_cost: float, salvage: float, life: int,
           dep_years: float, rate: float, rate_year: np.ndarray, inflation: float, cash: np.ndarray, taxed: np.ndarray,
           disc: np.ndarray, cum: np.ndarray) -> float:  # pragma: no cover - compiled
    """One option's after-tax flows (the model of :func:`finance.kernels.cash_flow_rows` with tax
    capacity, a fixed rate and straight-line depreciation of ``base`` over ``dep_years``): writes the
    cumulative flow into ``cum`` and returns the NPV at the factors ``disc``.  ``cash`` and
    ``taxed`` (per period) are the grants paid and the part of them that is taxable income;
    ``rate_year`` the tax rate of each year where it changes (empty: ``rate`` in every year). [currency]"""
    s_t = sav
    c_t = cost
    by_year = rate_year.size > 0
    gs, gc = 1.0 + g_sav, 1.0 + g_cost
    g_inf = 1.0 + inflation
    defl = 1.0
    prev_c = 0.0
    npv = 0.0
    for t in range(life + 1):
        if t == 0:
            taxable = 0.0
        else:
            taxable = s_t - c_t
            s_t *= gs
            c_t *= gc
        if t == life:
            taxable += salvage
        v = taxable + cash[t]
        if t == 0:
            v -= inv
        taxable += taxed[t]
        if t >= life:
            cc = 1.0
        else:
            cc = min(t / dep_years, 1.0)
        dep = (cc - prev_c) * base if t > 0 else cc * base
        prev_c = cc
        after_dep = taxable - dep
        if inflation != 0.0:  # depreciation is nominal: its real deduction is deflated
            after_dep = taxable - (taxable - after_dep) * defl
        v += -(rate_year[t] if by_year else rate) * after_dep
        cum[t] = v if t == 0 else cum[t - 1] + v
        npv += v * disc[t]
        defl = defl / g_inf
    return npv


@njit(**_JIT)
def _probability(kind: int, payback: float, npv: float, limit: float, a: float, b: float, log: bool,
                 floor: float) -> float:  # pragma: no cover - compiled
    """:func:`programme.uptake.uptake_probability` of one option. [/1]"""
    if kind == RULE_PAYBACK:
        return 1.0 if (not math.isnan(payback)) and payback <= limit else 0.0
    if kind == RULE_NPV:
        return 1.0 if npv > 0 else 0.0
    if math.isnan(payback):
        if b < 0:
            return 0.0
        if b > 0:
            return 1.0
        return 1.0 / (1.0 + math.exp(-a))
    x = math.log(max(payback, floor)) if log else payback
    return 1.0 / (1.0 + math.exp(-(a + b * x)))


@njit(**_JIT)
def _score(kind: int, payback: float, npv: float, p: float) -> float:  # pragma: no cover - compiled
    """:func:`programme.exclusive.rank_score` of one option: higher ranks first; undefined = -inf."""
    if kind == RULE_PAYBACK:
        return -payback if payback == payback else -math.inf
    if kind == RULE_NPV:
        return npv if npv == npv else -math.inf
    return p


@njit(inline="always", **_JIT)
def _add(j: int, i: int, taken: bool, without: bool, given: np.ndarray, r_year: np.ndarray, r_spread: np.ndarray,
         outlay: np.ndarray, seen: np.ndarray, effects: np.ndarray, lv: float, additional: np.ndarray,
         up_with: np.ndarray, up_without: np.ndarray, asked: np.ndarray, ration: bool, running: float, closed: bool,
         over: float, rat: np.ndarray) -> tuple[float, bool]:  # pragma: no cover - compiled
    """Add option i's outcome in draw column j to the sums (and to the rationing); returns the
    money asked so far and whether the envelope has closed."""
    R = given.size
    for r in range(R):
        g = given[r]
        if g > 0:
            piece = g / r_spread[r]
            for t in range(r_year[r], r_year[r] + r_spread[r]):
                seen[t, r] = True
                if taken:
                    outlay[t, r, j] += piece
    if taken:  # an application: its nominal grants over the life, where there are any
        gross = 0.0
        for r in range(R):
            if given[r] > 0:
                piece = given[r] / r_spread[r]
                for _ in range(r_spread[r]):
                    gross += piece
        if gross > 0:
            asked[j] += gross
            if ration:
                running += gross
                if not closed and running <= over:
                    rat[0, j] += gross
                    rat[3, j] += 1.0
                    if not without:
                        rat[2, j] += effects[0, i] * lv
                else:
                    closed = True
                    rat[1, j] += gross
                    rat[4, j] += 1.0
    if taken:
        up_with[j] += 1.0
    if without:
        up_without[j] += 1.0
    induced = (1.0 if taken else 0.0) - (1.0 if without else 0.0)
    if induced != 0.0:
        for c in range(effects.shape[0]):
            additional[c, j] += induced * (effects[c, i] * lv)
    return running, closed


@njit(**_JIT)
def draw_block(
    seed: np.uint64, draws: np.ndarray, key: np.ndarray, ent: np.ndarray, n_ent: int,
    low: np.ndarray, mode: np.ndarray, high: np.ndarray, vary: np.ndarray, u_cost: np.ndarray,
    share: np.ndarray, elig0: np.ndarray, extra: np.ndarray, other: np.ndarray, tiers: np.ndarray, salvage: np.ndarray,
    g_sav: np.ndarray, g_cost: np.ndarray, inflation: np.ndarray, dep_years: np.ndarray, tax: np.ndarray, rate_year: np.ndarray,
    disc: np.ndarray, disc_of: np.ndarray, effects: np.ndarray,
    rule_kind: int, limit: float, lg_a: float, lg_b: float, lg_log: bool, lg_floor: float,
    t_draw: bool, t_low: float, t_high: float, ent_key: np.ndarray, apply_p: float,
    r_base: np.ndarray, r_ext: np.ndarray, r_netof: np.ndarray, r_excl: np.ndarray, r_ok: np.ndarray,
    r_lin: np.ndarray, r_const: np.ndarray, r_lq: np.ndarray, r_ld: np.ndarray, r_floor: np.ndarray,
    r_min_inv: np.ndarray, r_max_inv: np.ndarray, r_min_pb: np.ndarray, r_project: np.ndarray,
    r_min_aid: np.ndarray, r_cap_ent: np.ndarray, r_cap_year: np.ndarray, r_cap_inv: np.ndarray,
    r_year: np.ndarray, r_spread: np.ndarray, r_taxed: np.ndarray, r_reduce: np.ndarray, r_ceil: np.ndarray,
    c_base: np.ndarray, c_af: np.ndarray, c_cap: np.ndarray, grouped: bool, group: np.ndarray, n_groups: int,
    outlay: np.ndarray, seen: np.ndarray, additional: np.ndarray, up_with: np.ndarray, up_without: np.ndarray,
    asked: np.ndarray, ration: bool, offset: np.ndarray, envelope: float, rat: np.ndarray,
    err: np.ndarray,
) -> None:  # pragma: no cover - compiled
    """Accumulate the sums of draws ``draws`` (column j of the outputs is ``draws[j]``'s).

    Per option i (n): ``key`` uint64, ``ent`` enterprise code 0..n_ent-1; ``low``/``mode``/``high``
    (4, n) of investment, savings, cost change, life, ``vary`` (4,) whether each is drawn;
    ``u_cost`` (k, n) the cost change's (correlated) uniforms, or (0, 0) to draw them here;
    ``share`` eligible share of the drawn investment (NaN = the investment), ``elig0`` the
    eligible investment when the investment is not drawn (NaN = the investment), ``extra`` the extra
    investment cost (NaN = eligible investment), ``other`` other grants, ``tiers`` TCA savings,
    ``salvage``, escalations, ``inflation``, ``dep_years`` (-1 = the drawn life), ``tax`` rate and
    ``rate_year`` (n, WIDTH) the rate of each year where it changes ((0, 0): none),
    ``disc`` (rates, WIDTH) discount factors and ``disc_of`` each option's row; ``effects``
    (3, n) yearly effects.  With ``t_draw`` the payback rule's limit is drawn per (enterprise,
    draw), triangular on (``t_low``, ``limit``, ``t_high``), keyed on the enterprise's ``ent_key``.  Per rule r (R): base code, net of external grants, ``r_netof`` and
    ``r_excl`` (R, R) rules netted / excluding, ``r_ok`` (R, n) fixed eligibility, ``r_lin`` (R, n)
    smallest linear share (NaN = not eligible, inf = none), ``r_const`` (R, n) smallest fixed
    amount (inf = none), ``r_lq`` (R, n) per-unit amount over the lifetime (NaN = none) with
    ``r_ld`` its discount (NaN = none), ``r_floor`` payback floor (NaN = none), eligibility
    limits on drawn amounts (NaN = none), caps (inf = none; ``r_min_aid`` NaN = none), timing,
    ``r_taxed`` / ``r_reduce`` whether the grant is taxable income / reduces the depreciation base,
    ``r_ceil`` its aid ceiling (-1 = none): per ceiling m, the base code ``c_base``, the allowed
    intensity per option ``c_af`` (M, n) and the cap on it ``c_cap`` (inf = none).  With
    ``grouped`` the options of each exclusive group (``group`` 0..n_groups-1, -1 none; a programme
    without cumulative caps) are decided after the draw: only the one the rule ranks best
    (:func:`programme.exclusive.rank_score`, ties to the first) keeps its probability, with support
    and, separately, without.

    Outputs: ``outlay`` (WIDTH, R, k) grants paid to options taken up by period and rule,
    ``seen`` (WIDTH, R) periods and rules with any grant, ``additional`` (3, k), uptake with and
    without support (k,), ``asked`` (k,) the money the applications ask for (options taken up with
    a grant).  With ``ration`` the applications are funded first come, first served (frame order),
    after ``offset`` (k,) asked before this partition, while the money asked so far stays within
    ``envelope`` (:func:`programme.ration.ration`); ``rat`` (5, k) gets the money funded, the money
    the applications left out asked for, the additional CO2e of the funded ones over their lives,
    and the numbers funded and left out.  ``err`` (4,) is set to (1, option, draw, rule) where a grant falls beyond
    the drawn life (the caller raises).
    """
    n = key.size
    R = r_base.size
    k = draws.size
    b_p0, b_p1, b_u, b_lv = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    b_given = np.empty((R, n))
    best0 = np.full(max(n_groups, 1), -1, dtype=np.int64)
    best1 = np.full(max(n_groups, 1), -1, dtype=np.int64)
    score0 = np.empty(max(n_groups, 1))
    score1 = np.empty(max(n_groups, 1))
    by_year = rate_year.shape[0] > 0
    no_year = np.zeros(0)
    cash = np.empty(WIDTH)
    taxed = np.empty(WIDTH)
    used = np.zeros(max(c_base.size, 1))
    cum0 = np.empty(WIDTH)
    cum1 = np.empty(WIDTH)
    given = np.empty(R)
    base_in = np.empty(R)
    amt_proj = np.empty(R)
    amt_ent = np.empty(R)
    s_inv = np.zeros((n_ent, R))
    s_ent = np.zeros((n_ent, R))
    s_year = np.zeros((n_ent, R))
    per_opt = np.empty(n, dtype=np.uint64)
    per_ent = np.empty(n, dtype=np.uint64)
    for i in range(n):
        per_opt[i] = option_hash(seed, key[i])
        per_ent[i] = option_hash(seed, ent_key[i]) if t_draw else np.uint64(0)
    correlated = u_cost.shape[0] > 0
    over = envelope * (1 + 1e-12)
    for j in range(k):
        running = offset[j] if ration else 0.0
        closed = False
        s_inv[:, :] = 0.0
        s_ent[:, :] = 0.0
        s_year[:, :] = 0.0
        d = np.uint64(draws[j])
        for i in range(n):
            h = draw_hash(per_opt[i], d)
            inv = triangular(uniform(h, 0), low[0, i], mode[0, i], high[0, i]) if vary[0] else mode[0, i]
            sav = triangular(uniform(h, 1), low[1, i], mode[1, i], high[1, i]) if vary[1] else mode[1, i]
            if vary[2]:
                uc = u_cost[j, i] if correlated else uniform(h, 2)
                cost = triangular(uc, low[2, i], mode[2, i], high[2, i])
            else:
                cost = mode[2, i]
            if vary[3]:
                lv = triangular(uniform(h, 3), low[3, i], mode[3, i], high[3, i])
                lv = min(max(_round_half_even(lv), 1.0), 50.0)
            else:
                lv = mode[3, i]
            life = int(lv)
            dy = float(life) if dep_years[i] < 0 else float(dep_years[i])
            # --- cash flows without support (finance.kernels.cash_flow_rows, tax capacity, straight line)
            row = disc_of[i]
            for t in range(life + 1):
                cash[t] = 0.0
                taxed[t] = 0.0
            npv0 = _flows(inv, inv, sav + tiers[i], cost, g_sav[i], g_cost[i], salvage[i], life, dy, tax[i], rate_year[i] if by_year else no_year, inflation[i],
                          cash, taxed, disc[row], cum0)
            pb0 = _payback(cum0, life)
            if t_draw:  # the enterprise's payback threshold in this draw (one per enterprise and draw)
                lim = triangular(uniform(draw_hash(per_ent[i], d), THRESHOLD_STREAM), t_low, limit, t_high)
            else:
                lim = limit
            p0 = _probability(rule_kind, pb0, npv0, lim, lg_a, lg_b, lg_log, lg_floor)
            # --- the programme's grants, caps spent by the options taken up before this one
            e = ent[i]
            if vary[0]:
                elig = share[i] * inv if share[i] == share[i] else inv  # the drawn investment's eligible share
            else:
                elig = elig0[i] if elig0[i] == elig0[i] else inv
            s_net = sav - cost  # the engine's net savings read the column (no TCA tiers)
            for m in range(c_base.size):
                used[m] = 0.0
            for r in range(R):
                ok = r_ok[r, i]
                if ok and r_min_inv[r] == r_min_inv[r] and not (elig >= r_min_inv[r]):
                    ok = False
                if ok and r_max_inv[r] == r_max_inv[r] and not (elig <= r_max_inv[r]):
                    ok = False
                if ok and r_min_pb[r] == r_min_pb[r]:
                    pb = inv / s_net if s_net > 0 else math.inf
                    if not (pb >= r_min_pb[r]):
                        ok = False
                bc = r_base[r]
                if bc == BASE_INVESTMENT:
                    base = inv
                elif bc == BASE_ELIGIBLE or extra[i] != extra[i]:
                    base = elig
                else:
                    base = extra[i]
                for q in range(R):
                    if r_netof[r, q]:
                        base = base - given[q]
                if r_ext[r]:
                    base = base - other[i]
                base = max(base, 0.0)
                if r_cap_inv[r] != math.inf:
                    before = base if ok else 0.0
                    base = min(max(r_cap_inv[r] - s_inv[e, r], 0.0), before)
                    base_in[r] = before
                lin = r_lin[r, i]
                if lin != lin:
                    amount = math.nan
                else:
                    amount = lin * base if lin != math.inf else math.inf
                    amount = min(amount, r_const[r, i])
                    if r_lq[r, i] == r_lq[r, i]:
                        lf = max(float(life), 1.0)
                        dd = r_ld[r]
                        if dd != dd or dd == 0.0:
                            factor = lf
                        else:
                            factor = (1.0 - (1.0 + dd) ** -lf) / (1.0 - 1.0 / (1.0 + dd))
                        amount = min(amount, r_lq[r, i] * factor)
                    if r_floor[r] == r_floor[r]:
                        amount = min(amount, max(base - r_floor[r] * s_net, 0.0) if s_net > 0 else base)
                if amount != amount or amount == math.inf:
                    ok = False
                if ok:
                    for q in range(R):
                        if r_excl[r, q] and given[q] > 0:
                            ok = False
                if not ok:
                    amount = 0.0
                amount = min(amount, r_project[r])
                m = r_ceil[r]
                if m >= 0:  # the aid ceiling: what the rules before left of the allowed aid (grants count in full)
                    cb = c_base[m]
                    if cb == BASE_INVESTMENT:
                        cbase = inv
                    elif cb == BASE_ELIGIBLE or extra[i] != extra[i]:
                        cbase = elig
                    else:
                        cbase = extra[i]
                    allowed = c_af[m, i] * cbase
                    if c_cap[m] != math.inf:
                        allowed = min(allowed, c_cap[m] * cbase)
                    amount = min(amount, max(allowed - used[m], 0.0))
                if r_min_aid[r] == r_min_aid[r] and amount < r_min_aid[r]:
                    amount = 0.0
                amt_proj[r] = amount
                if r_cap_ent[r] != math.inf:
                    amount = min(max(r_cap_ent[r] - s_ent[e, r], 0.0), amount)
                amt_ent[r] = amount
                if r_cap_year[r] != math.inf:
                    amount = min(max(r_cap_year[r] - s_year[e, r], 0.0), amount)
                given[r] = amount if (ok and amount > 0) else 0.0
                if m >= 0:
                    used[m] += given[r]
            # --- appraisal with the grants (cash; taxable income where the rule says; a reduced depreciation base)
            any_grant = False
            base_dep = inv
            for r in range(R):
                g = given[r]
                if g > 0:
                    if not any_grant:
                        any_grant = True
                        for t in range(life + 1):
                            cash[t] = 0.0
                            taxed[t] = 0.0
                    last = r_year[r] + r_spread[r] - 1
                    if last > life:
                        err[0] = 1
                        err[1] = i
                        err[2] = draws[j]
                        err[3] = r
                        return
                    piece = g / r_spread[r]
                    for t in range(r_year[r], last + 1):
                        cash[t] += piece
                        if r_taxed[r]:
                            taxed[t] += piece
                    if r_reduce[r]:
                        base_dep -= g
            npv1, pb1 = npv0, pb0
            if any_grant:
                npv1 = _flows(inv, max(base_dep, 0.0), sav + tiers[i], cost, g_sav[i], g_cost[i], salvage[i], life, dy,
                              tax[i], rate_year[i] if by_year else no_year, inflation[i], cash, taxed, disc[row], cum1)
                pb1 = _payback(cum1, life)
                p1 = _probability(rule_kind, pb1, npv1, lim, lg_a, lg_b, lg_log, lg_floor)
            else:
                p1 = p0
            u = uniform(h, 4)
            taken = u < p1
            without = u < p0
            if p1 >= apply_p:  # the caps are spent by the options that count as taken up
                for r in range(R):
                    if r_cap_inv[r] != math.inf:
                        s_inv[e, r] += base_in[r]
                    s_ent[e, r] += amt_proj[r]
                    s_year[e, r] += amt_ent[r]
            if grouped:  # decided when the draw's groups are: kept
                b_p0[i], b_p1[i], b_u[i], b_lv[i] = p0, p1, u, lv
                for r in range(R):
                    b_given[r, i] = given[r]
                g_i = group[i]
                if g_i >= 0:
                    s0 = _score(rule_kind, pb0, npv0, p0)
                    s1 = _score(rule_kind, pb1, npv1, p1) if any_grant else s0
                    if best1[g_i] < 0 or s1 > score1[g_i]:
                        best1[g_i], score1[g_i] = i, s1
                    if best0[g_i] < 0 or s0 > score0[g_i]:
                        best0[g_i], score0[g_i] = i, s0
                continue
            running, closed = _add(j, i, taken, without, given, r_year, r_spread, outlay, seen, effects, lv, additional,
                                   up_with, up_without, asked, ration, running, closed, over, rat)
        if grouped:  # at most one option of a group: the one the rule ranks best, with and without support
            for i in range(n):
                g_i = group[i]
                p1 = b_p1[i] if (g_i < 0 or best1[g_i] == i) else 0.0
                p0 = b_p0[i] if (g_i < 0 or best0[g_i] == i) else 0.0
                for r in range(R):
                    given[r] = b_given[r, i]
                running, closed = _add(j, i, b_u[i] < p1, b_u[i] < p0, given, r_year, r_spread, outlay, seen, effects,
                                       b_lv[i], additional, up_with, up_without, asked, ration, running, closed, over, rat)
            for g_i in range(best0.size):
                best0[g_i] = -1
                best1[g_i] = -1

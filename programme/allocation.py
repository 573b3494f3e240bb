"""Allocation of the programme's support: the enterprises' cumulative caps spent on taken-up options.

:func:`_allocate` runs the engine in rounds over the options still in play (options of an
enterprise in frame order, :mod:`programme.budget` step 3); :func:`_allocate_exclusive` adds the
exclusive groups (at most one option per group taken up, :mod:`programme.exclusive`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from policies.engine import support_table
from programme.baseline import Baseline, first_rows
from programme.caps import amount_caps, uncapped_enterprises
from programme.exclusive import ExclusiveChoice, choose_one, member_rank, rank_score, take_rows
from programme.outlay import is_value
from programme.support_metrics import _metrics_with
from programme.uptake import DecisionRule, uptake_probability
from screening.excludes import exclusive_groups

__all__ = ["APPLY_PROBABILITY"]


def _probabilities(rule: DecisionRule, m: pd.DataFrame) -> np.ndarray:
    return uptake_probability(rule, payback=m["simple_payback_years"].to_numpy(), npv=m["npv"].to_numpy(),
                              irr=m["irr"].to_numpy() if "irr" in m.columns else None)


#: An option counts as taking its support up, for the cumulative caps, when its uptake probability
#: with support is at least this (exactly the taken-up options under the deterministic rules).
APPLY_PROBABILITY: float = 0.5


def _support_for(b: Baseline, ent: pd.DataFrame, on_date: date, params: Mapping[str, float] | None,
                 rows: np.ndarray | None = None, *, alone: bool = False) -> pd.DataFrame:
    """The engine's support table of the options at ``rows`` (all when None), in frame order.

    ``ent`` holds one row per enterprise in the order of ``b.enterprise_code``.  ``row`` of the
    result is the option's position in ``b.options``; items whose nominal amount is 0 give nothing
    and are dropped, except a tax holiday, whose amount is always 0 (its value is the tax it removes).  With ``alone``
    every option is its own enterprise (same enterprise attributes): the support it gets when no
    other option of its enterprise has used the enterprise's cumulative caps.
    """
    # the engine joins options and enterprises on integer ids (the enterprise codes: the same join as
    # on the id text, a cheaper hash); an error is raised again from a run on the ids, for its message
    if rows is None:
        opt, e = b.options.assign(enterprise_id=b.enterprise_code), ent.assign(enterprise_id=np.arange(len(ent)))
        named = (b.options, ent)
    else:
        opt = b.options.iloc[rows].reset_index(drop=True)
        codes = b.enterprise_code[rows]
        if alone:
            e = ent.iloc[codes].reset_index(drop=True)
            own = np.arange(len(opt), dtype=np.int64)
            e["enterprise_id"] = own
            opt = opt.assign(enterprise_id=own)
            named = (opt, e)
        else:
            used = np.unique(codes)
            e = ent.iloc[used].reset_index(drop=True)
            named = (opt, e)
            opt, e = opt.assign(enterprise_id=codes), e.assign(enterprise_id=used)
    try:
        support = support_table(opt, e, on_date, params)
    except Exception:
        support_table(*named, on_date, params)
        raise
    if len(support):
        keep = (support["amount"].to_numpy(dtype=float) != 0) | is_value(support["kind"], "tax_holiday")
        # all kept (the usual case): the table as it is, not a copy of every column
        support = support.reset_index(drop=True) if keep.all() else support[keep].reset_index(drop=True)
    if rows is not None and len(support):
        support["row"] = np.asarray(rows, dtype=np.int64)[support["row"].to_numpy(dtype=np.int64)]
    return support


def _amounts(support: pd.DataFrame, rows: np.ndarray, n_options: int, instruments: list[str]) -> np.ndarray:
    """Amount of each instrument per option at ``rows``: shape (len(rows), len(instruments)). [currency]"""
    out = np.zeros((len(rows), len(instruments)))
    if len(support) == 0:
        return out
    local = np.full(n_options, -1, dtype=np.int64)
    local[rows] = np.arange(len(rows))
    r = local[support["row"].to_numpy(dtype=np.int64)]
    ids = pd.Categorical(support["instrument_id"])  # categorical from the engine: no copy
    k = pd.Index(instruments).get_indexer(ids.categories.astype(str))[ids.codes]
    keep = r >= 0
    np.add.at(out, (r[keep], k[keep]), support["amount"].to_numpy(dtype=float)[keep])
    return out


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate support tables, keeping the categorical text columns categorical."""
    parts = [p.copy(deep=False) for p in parts]
    for c in parts[0].columns:
        if all(isinstance(p[c].dtype, pd.CategoricalDtype) for p in parts):
            union = pd.Index(list(dict.fromkeys(x for p in parts for x in p[c].cat.categories)), dtype=object)
            for p in parts:
                p[c] = p[c].cat.set_categories(union)
    return pd.concat(parts, ignore_index=True)


def _instruments(*tables: pd.DataFrame) -> list[str]:
    """Sorted instrument ids present in the support tables."""
    return sorted({str(v) for t in tables if len(t) for v in pd.unique(t["instrument_id"])})


def _first_by_group(mask: np.ndarray, code: np.ndarray, n_groups: int) -> np.ndarray:
    """Smallest position i with mask[i] in each group (len(mask) where none)."""
    first = np.full(n_groups, len(mask), dtype=np.int64)
    idx = np.flatnonzero(mask)
    np.minimum.at(first, code[idx], idx)
    return first


def _allocate(b: Baseline, ent: pd.DataFrame, on_date: date, params: Mapping[str, float] | None,
              rule: DecisionRule, *, pack: str = "", shortcut: bool = True,
              keep: dict[str, Any] | None = None, first: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Support of every option with the enterprises' cumulative caps spent on taken-up options only.

    The allocation is the sequential one of :func:`run_programme` (options of an enterprise in frame
    order; an option gets what the engine gives it after the taken-up options before it; it uses
    the caps only if it is taken up with that support).  It is computed in rounds over whole
    enterprises: each round runs the engine over the options still in play (taken-up and
    undecided ones, in frame order) and settles, in each enterprise, every option up to and
    including the first one that fails the rule (their predecessors in play are all taken up, so
    their support is final), and every later option whose support equals its stand-alone support
    (what it gets with no predecessor: a cap left at least as large cannot give it more).  A
    settled option that fails leaves play.  Where the shortcut settled an option in an enterprise
    in which another option was clipped by a cap, a last engine run over the taken-up options
    checks their support; where it differs (possible only with caps whose use does not shrink with
    the options in play) the whole allocation is made again without the stand-alone shortcut
    (``shortcut=False``: settled by order only, exact whatever the caps).

    An enterprise that no cumulative cap of the ``pack``'s rules can clip (:func:`programme.caps.uncapped_enterprises`: its
    amounts in the first engine run, over all its options, and its bases stay below the caps) is
    settled at once: fewer options in play can only leave more under the caps.

    ``first``: the engine's run over all options (:func:`_support_for` of ``b`` and ``ent``), when
    already made.  ``keep`` (a dict) receives ``net``, the net flows of every option with the returned support,
    where the first engine run's support is the answer and its flows were computed for all options
    (left empty otherwise).

    Returns
    -------
    support : pandas.DataFrame
        The support each option gets (if it is taken up), ``row`` = position, sorted by row.
    m1 : pandas.DataFrame
        Decision metrics with that support, one row per option.
    """
    n = len(b.options)
    code = b.enterprise_code
    n_ent = int(code.max()) + 1 if n else 0
    idx = np.arange(n)
    ent0 = ent
    ent = _per_code(b, ent)
    support = first if first is not None else _support_for(b, ent, on_date, params)
    if len(support) == 0:
        return support, b.metrics
    has = np.zeros(n, dtype=bool)
    has[support["row"].to_numpy(dtype=np.int64)] = True
    rows_s = np.flatnonzero(has)
    ms = _metrics_with(b, support, rows_s, keep)
    m1 = pd.DataFrame({c: _put(b.metrics[c].to_numpy(), rows_s, ms[c].to_numpy()) for c in b.metrics.columns})
    p = _probabilities(rule, m1)
    # options after the first supported option that fails the rule may have been short-changed by it
    fail = has & (p < APPLY_PROBABILITY)
    after = idx > _first_by_group(fail, code, n_ent)[code]
    if not after.any():
        return support, m1
    below = uncapped_enterprises(b.options, b.enterprise_code, ent, support, pack, on_date, params) if shortcut else None
    if below is not None:
        after &= ~below[code]
        if not after.any():
            return support, m1

    by_stand_alone = np.zeros(n_ent, dtype=bool)  # enterprises where the stand-alone shortcut settled an option
    clipped = np.zeros(n_ent, dtype=bool)  # ... and where some undecided option got less than stand-alone

    def settle(undecided: np.ndarray, shortcut: bool, support: pd.DataFrame, m1: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        cand = np.flatnonzero(undecided)
        alone = _support_for(b, ent, on_date, params, cand, alone=True) if shortcut else support.iloc[:0]
        instruments = _instruments(support, alone)
        solo = _amounts(alone, cand, n, instruments)
        solo_of = np.full(n, -1, dtype=np.int64)
        solo_of[cand] = np.arange(len(cand))
        in_play = np.ones(n, dtype=bool)
        # settled options before the first failure that are not taken up leave play
        involved = np.zeros(n_ent, dtype=bool)
        involved[code[cand]] = True
        in_play[~undecided & (_probabilities(rule, m1) < APPLY_PROBABILITY) & involved[code]] = False
        redone = np.zeros(n, dtype=bool)  # options whose support comes from a later round
        parts: list[pd.DataFrame] = []
        # round 0 (with the shortcut) reads the engine run over all options: an option whose support
        # there equals its stand-alone support is settled; the order rule does not apply (settled
        # failures are still in that frame)
        frame0 = shortcut
        while undecided.any():
            u = np.flatnonzero(undecided)
            if frame0:
                sup_u = support  # _amounts reads only the rows of u
                mu = m1.iloc[u].reset_index(drop=True)
                done = np.zeros(len(u), dtype=bool)
            else:
                active = np.zeros(n_ent, dtype=bool)
                active[code[u]] = True
                sup_f = _support_for(b, ent, on_date, params, np.flatnonzero(in_play & active[code]))
                sup_u = sup_f[undecided[sup_f["row"].to_numpy(dtype=np.int64)]] if len(sup_f) else sup_f
                mu = _metrics_with(b, sup_u, u)
            pu = _probabilities(rule, mu)
            if not frame0:
                failing = np.zeros(n, dtype=bool)
                failing[u[pu < APPLY_PROBABILITY]] = True
                done = u <= _first_by_group(failing, code, n_ent)[code[u]]
            if shortcut:
                if set(_instruments(sup_u)) - set(instruments):
                    # an instrument the stand-alone run never gave: not comparable, settle by order only
                    same = np.zeros(len(u), dtype=bool)
                else:
                    same = (_amounts(sup_u, u, n, instruments) == solo[solo_of[u]]).all(axis=1)
                by_stand_alone[code[u[same & ~done]]] = True
                clipped[code[u[~same]]] = True
                done |= same
            newly = u[done]
            if not frame0:  # round 0 settles options at their first-run support and metrics, already in place
                for c in m1.columns:
                    m1.loc[newly, c] = mu[c].to_numpy()[done]
                redone[newly] = True
                if len(sup_u):
                    now = np.zeros(n, dtype=bool)
                    now[newly] = True
                    parts.append(sup_u[now[sup_u["row"].to_numpy(dtype=np.int64)]])
            frame0 = False
            in_play[newly[pu[done] < APPLY_PROBABILITY]] = False
            undecided[newly] = False
        if not redone.any():
            return support, m1
        # one table: the first run's rows of the options not redone and the later rounds' rows, by row
        parts = [t for t in parts if len(t)]
        out = _concat([support] + parts)
        row = out["row"].to_numpy(dtype=np.int64)
        kept = np.flatnonzero(np.r_[~redone[row[:len(support)]], np.ones(len(out) - len(support), dtype=bool)])
        order = kept[np.argsort(row[kept], kind="stable")]
        return out.take(order).reset_index(drop=True), m1

    first = support
    support, m1 = settle(after.copy(), shortcut, support, m1)
    if keep is not None and support is not first:
        keep.clear()  # some options' support came from later rounds: the first run's flows are not theirs
    # Check.  In an enterprise where no undecided option ever got less than its stand-alone support,
    # every option in play kept the support it has alone, so with fewer options in play (the taken-up
    # ones) every cumulative cap, clip(cap - sum of the amounts before, 0, amount), has at least as
    # much left: the settled support is exact.  Elsewhere the shortcut relies on the caps' use
    # shrinking with the options in play; an engine run over the taken-up options checks it.
    suspect = by_stand_alone & clipped
    if not suspect.any():
        return support, m1
    taken = (_probabilities(rule, m1) >= APPLY_PROBABILITY) & suspect[code]
    rows_t = np.flatnonzero(taken)
    check = _support_for(b, ent, on_date, params, rows_t)
    instruments = _instruments(support, check)
    # (cumulative caps subtract running sums: a different frame may round differently, ~1e-12 relative)
    differs = ~np.isclose(_amounts(check, rows_t, n, instruments), _amounts(support, rows_t, n, instruments),
                          rtol=1e-9, atol=1e-6).all(axis=1)
    if differs.any():
        if keep is not None:
            keep.clear()
        return _allocate(b, ent0, on_date, params, rule, pack=pack, shortcut=False, first=first)
    return support, m1


def _per_code(b: Baseline, ent: pd.DataFrame) -> pd.DataFrame:
    """The enterprises as the engine reads them (the first row of an id), one row per enterprise code."""
    first_of = first_rows(b.enterprise_code)
    ent = ent.drop_duplicates("enterprise_id")
    pos = pd.Index(ent["enterprise_id"]).get_indexer(b.options["enterprise_id"].iloc[first_of].to_numpy())
    return ent.iloc[pos].reset_index(drop=True)


def _put(values: np.ndarray, rows: np.ndarray, new: np.ndarray) -> np.ndarray:
    """A copy of ``values`` with ``new`` at ``rows``."""
    out = np.array(values, copy=True)
    out[rows] = new
    return out


def _allocate_exclusive(b: Baseline, ent: pd.DataFrame, on_date: date, params: Mapping[str, float] | None,
                        rule: DecisionRule, *, pack: str, keep: dict[str, Any] | None = None,
                        first: pd.DataFrame | None = None,
                        group: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame, ExclusiveChoice]:
    """:func:`_allocate` with at most one option per exclusive group taken up (``programme.exclusive``).

    Without groups this is :func:`_allocate`.  Without cumulative caps in the pack (each option's
    support independent of the others) one allocation is read for the choice.  With caps, the
    enterprises with groups are allocated in layers (layer r: their options of no group and the
    r-th option of each group) for the choice, then once over the options of no group and the
    chosen ones (an enterprise whose chosen options all have the same place r in their groups is
    settled by layer r, which holds exactly those options); not-chosen options keep their layer's
    support and metrics.
    """
    opt = b.options
    n = len(opt)
    group = exclusive_groups(opt) if group is None else group
    if not (group >= 0).any():
        return (*_allocate(b, ent, on_date, params, rule, pack=pack, keep=keep, first=first),
                ExclusiveChoice(group, np.ones(n, bool), np.ones(n, bool)))
    without = choose_one(group, rank_score(rule, b.metrics))
    if amount_caps(pack, on_date, params) == {}:
        support, m1 = _allocate(b, ent, on_date, params, rule, pack=pack, keep=keep, first=first)
        return support, m1, ExclusiveChoice(group, choose_one(group, rank_score(rule, m1)), without)
    code = b.enterprise_code
    has_group = np.zeros(int(code.max()) + 1, dtype=bool)
    has_group[code[group >= 0]] = True
    in_grouped = has_group[code]
    rank = member_rank(group)
    m1 = b.metrics.copy()

    def run(rows: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
        sup, m = _allocate(take_rows(b, rows), ent, on_date, params, rule, pack=pack)
        if len(sup):
            sup = sup.assign(row=rows[sup["row"].to_numpy(dtype=np.int64)])
        return sup, m

    layers: list[tuple[np.ndarray, pd.DataFrame, pd.DataFrame]] = []
    for r in range(int(rank.max()) + 1):
        rows = np.flatnonzero(in_grouped & ((group < 0) | (rank == r)))
        sup, m = run(rows)
        layers.append((rows, m, sup))
        mine = rank[rows] == r
        for c in m1.columns:
            m1.loc[rows[mine], c] = m[c].to_numpy()[mine]
    chosen = choose_one(group, rank_score(rule, m1))
    # The layer each option's figures come from: a not-chosen option its own; in an enterprise whose
    # chosen options all sit at the same place r of their groups, every option layer r (its options
    # in play are exactly those of the final allocation); elsewhere (-1) a final allocation.
    n_ent = int(code.max()) + 1
    win = np.flatnonzero(chosen & (group >= 0))
    lo = np.full(n_ent, np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full(n_ent, -1, dtype=np.int64)
    np.minimum.at(lo, code[win], rank[win])
    np.maximum.at(hi, code[win], rank[win])
    same = has_group & (lo == hi)
    source = np.where(chosen, np.where(same[code], lo[code], -1), rank)
    parts: list[pd.DataFrame] = []
    final = np.flatnonzero(source < 0)
    if len(final):
        sup, m = run(final)
        for c in m1.columns:
            m1.loc[final, c] = m[c].to_numpy()
        parts.append(sup)
    for r, (rows, m, sup) in enumerate(layers):
        here = source[rows] == r
        for c in m1.columns:
            m1.loc[rows[here], c] = m[c].to_numpy()[here]
        if len(sup):
            parts.append(sup[source[sup["row"].to_numpy(dtype=np.int64)] == r])
    parts = [t for t in parts if len(t)]
    if not parts:
        return layers[0][2].iloc[:0], m1, ExclusiveChoice(group, chosen, without)
    support = _concat(parts)
    support = support.take(np.argsort(support["row"].to_numpy(dtype=np.int64), kind="stable")).reset_index(drop=True)
    return support, m1, ExclusiveChoice(group, chosen, without)

"""Mutually exclusive options in a programme: an enterprise takes up at most one option of a group.

Options that exclude each other (``excludes``; the groups are the connected components of the
exclusion graph within an enterprise, ``screening.excludes``) are alternatives: an enterprise
carries out at most one of them.  Of each group it takes up the option that its decision rule
ranks best, and only that one, if it passes the rule:

============  ============================================  ==========================
rule          ranks best                                    missing metric ranks
============  ============================================  ==========================
``payback``   shortest simple payback                       last (never pays back)
``npv``       highest NPV                                   last
``irr``       highest IRR                                   last (no IRR)
``logistic``  highest uptake probability                    (always defined)
============  ============================================  ==========================

Ties go to the option that comes first in the frame's order.  For the three deterministic rules
the ranking orders the options by the very metric the rule tests, so "the best-ranked option, if
it passes" is the same as "the best-ranked of the options that pass": the group is taken up when
any of its options passes, and then through its best one.

Probability rules (``logistic``)
--------------------------------
Only the best-ranked option of a group (highest probability) keeps its probability; the others get
0.  The enterprise compares its alternatives, applies for the most attractive one and then goes
ahead with that one's probability.  Chosen so because (a) the group's expected uptake stays at most
one option (summing the members' probabilities would count an enterprise that carries out one
boiler as carrying out up to two), (b) the expected outlay is then p x the support of the option
that is applied for, the option the programme office actually pays, and (c) it is the deterministic
rules' choice read with probabilities, so switching the rule does not switch the meaning.  The
alternative of spreading the group's probability over its members (a choice model such as
multinomial logit) needs a fitted choice model that the uptake data (IAC: one decision per
recommendation) do not give; this module does not invent one.  As p is monotone in payback
(decreasing for a negative slope), "highest probability" is "shortest payback" there too.

With and without support
------------------------
The choice is made twice: on the metrics with the programme's support (who takes what up, pays,
uses the caps) and on the metrics without support (the counterfactual).  The two choices may
differ: support can make the enterprise switch from the alternative it would have chosen anyway
(say a gas boiler) to another (a heat pump).  Deadweight stays "support paid to an option that
would have been taken up without support", option by option, min(p0, p1) x support: support paid
for the switched-to option is **not** deadweight (without support that option would not have been
carried out: the aid changed the project, its incentive effect, SWD(2014) 179 [1]_).  The
programme's *additional* effects are then the switched-to option's effects minus those of the
option it replaces, (p1 - p0) x effect summed over all options of the group, which may be small or
negative; the cost per additional tonne follows from them.

Caps
----
Cumulative caps (per enterprise, per year, investment per year) are spent only by taken-up options,
as in ``programme.budget`` (options in frame order).  An option not chosen in its group is not
taken up and uses no cap.  Without cumulative caps in the programme's pack an option's support does
not depend on the other options, so one allocation over all options gives every member its support
and the choice is read from it.  With cumulative caps the members must not use the caps for one
another while they are compared: in the enterprises with groups the allocation is run in *layers*,
layer r holding the options of no group and the r-th option (frame order) of every group, so that
each member is valued with the caps left by the enterprise's other options and not by its own
alternatives; the choice is read from the layers, and a last allocation over the options of no
group and the chosen ones gives the support and metrics of everything taken up.  (Where all of an
enterprise's chosen options have the same place r in their groups, as always with one group per
enterprise, layer r holds exactly those options and is that last allocation: it is not run again.)  An option not
chosen keeps the support and metrics of its layer: what it would have got had it been the one
chosen (like any option not taken up, its ``support`` is what it would have got had it gone
ahead).  Where an enterprise has two or more groups and a binding cap, the layer puts the r-th
options of those groups together, so a member's valuation can depend on which member of another
group shares its layer: the layering is exact with one group per capped enterprise and an
approximation (documented, deterministic) beyond.

References
----------
.. [1] European Commission, Common methodology for State aid evaluation, SWD(2014) 179 final
   (deadweight, incentive effect).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from programme.uptake import DecisionRule, uptake_probability

__all__ = ["ExclusiveChoice", "rank_score", "choose_one", "member_rank", "take_rows", "PER_OPTION_FRAMES", "PER_OPTION_ARRAYS", "PER_OPTION_RECORDS"]

#: Fields of ``programme.budget.Baseline`` holding one row per option (sliced by :func:`take_rows`).
PER_OPTION_FRAMES: tuple[str, ...] = ("options", "metrics")

#: Fields of ``programme.baseline.Baseline`` holding a dict of per-option arrays (each sliced by :func:`take_rows`).
PER_OPTION_ARRAYS: tuple[str, ...] = ("arrays",)

#: Fields of ``programme.baseline.Baseline`` holding a record of per-option arrays (``inputs``, the
#: resolved appraisal inputs with the tax rates by year and depreciation schedules; its arrays sliced).
PER_OPTION_RECORDS: tuple[str, ...] = ("inputs",)


@dataclass(frozen=True)
class ExclusiveChoice:
    """The options an enterprise takes up from its exclusive groups.

    Attributes
    ----------
    group : numpy.ndarray
        Group number of each option, -1 outside any group (``screening.excludes.exclusive_groups``).
    chosen_with : numpy.ndarray
        Bool per option: not in a group, or the group's best-ranked option with support.
    chosen_without : numpy.ndarray
        Bool per option: the same on the metrics without support (the counterfactual).
    """

    group: np.ndarray
    chosen_with: np.ndarray
    chosen_without: np.ndarray

    @property
    def any(self) -> bool:
        """True when some option is in a group."""
        return bool((self.group >= 0).any())

    def label(self, option_id: np.ndarray) -> np.ndarray:
        """Per option the ``option_id`` of its group's first option (frame order); None outside groups."""
        return _per_group(self.group, np.asarray(option_id, dtype=object), np.arange(len(self.group)))

    def alternative_to(self, option_id: np.ndarray) -> np.ndarray:
        """Per option not chosen with support, the ``option_id`` of its group's chosen option; else None."""
        g = self.group
        out = np.full(len(g), None, dtype=object)
        lost = (g >= 0) & ~self.chosen_with
        if lost.any():
            winner = np.full(int(g.max()) + 1, -1, dtype=np.int64)
            w = np.flatnonzero((g >= 0) & self.chosen_with)
            winner[g[w]] = w
            out[lost] = np.asarray(option_id, dtype=object)[winner[g[lost]]]
        return out


def _per_group(group: np.ndarray, values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    out = np.full(len(group), None, dtype=object)
    inside = np.flatnonzero(group >= 0)
    if len(inside):
        first = np.full(int(group.max()) + 1, len(group), dtype=np.int64)
        np.minimum.at(first, group[inside], pos[inside])
        out[inside] = values[first[group[inside]]]
    return out


def rank_score(rule: DecisionRule, metrics: pd.DataFrame) -> np.ndarray:
    """How the decision rule ranks each option within its group: higher is better.

    Parameters
    ----------
    rule : DecisionRule
    metrics : pandas.DataFrame
        ``npv`` [currency], ``simple_payback_years`` [yr] (NaN: never), ``irr`` [/1] (NaN: none;
        needed by the ``irr`` rule), one row per option.

    Returns
    -------
    numpy.ndarray
        ``payback``: minus the payback; ``npv``: the NPV; ``irr``: the IRR; ``logistic``: the uptake
        probability; a missing metric is -inf (ranks last).
    """
    if rule.kind == "payback":
        s = -metrics["simple_payback_years"].to_numpy(dtype=float)
    elif rule.kind == "npv":
        s = metrics["npv"].to_numpy(dtype=float)
    elif rule.kind == "irr":
        if "irr" not in metrics.columns:
            raise ValueError("the 'irr' decision rule needs IRRs to rank exclusive options")
        s = metrics["irr"].to_numpy(dtype=float)
    else:
        s = uptake_probability(rule, payback=metrics["simple_payback_years"].to_numpy(dtype=float))
    return np.where(np.isnan(s), -np.inf, s)


def choose_one(group: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Per option: True outside groups and for the best-scored option of each group.

    Parameters
    ----------
    group : numpy.ndarray
        Group number per option, -1 outside groups.
    score : numpy.ndarray
        Higher is better (:func:`rank_score`); ties go to the earlier position.

    Returns
    -------
    numpy.ndarray
        Bool per option.
    """
    chosen = group < 0
    inside = np.flatnonzero(~chosen)
    if len(inside):
        order = inside[np.lexsort((inside, -score[inside], group[inside]))]
        _, first = np.unique(group[order], return_index=True)
        chosen = chosen.copy()
        chosen[order[first]] = True
    return chosen


def member_rank(group: np.ndarray) -> np.ndarray:
    """Per option its place in its group in frame order (0 = the group's first option); -1 outside."""
    rank = np.full(len(group), -1, dtype=np.int64)
    inside = np.flatnonzero(group >= 0)
    if len(inside):
        order = inside[np.lexsort((inside, group[inside]))]
        g = group[order]
        start = np.r_[0, np.flatnonzero(np.diff(g)) + 1]
        seg = np.repeat(start, np.diff(np.r_[start, len(order)]))
        rank[order] = np.arange(len(order)) - seg
    return rank


def take_rows(base: Any, rows: np.ndarray) -> Any:
    """The ``programme.budget.Baseline`` of the options at ``rows`` (positions, increasing).

    Per-option arrays, the frames :data:`PER_OPTION_FRAMES`, the arrays of :data:`PER_OPTION_ARRAYS` and of
    :data:`PER_OPTION_RECORDS` are sliced; the enterprise codes
    are renumbered 0, 1, ... in order of first appearance; enterprise-level fields are kept.
    """
    rows = np.asarray(rows, dtype=np.int64)
    n = len(base.options)
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(base):
        v = getattr(base, f.name)
        if f.name == "enterprise_code":
            changes[f.name] = pd.factorize(np.asarray(v)[rows])[0].astype(np.int64)
        elif f.name in PER_OPTION_FRAMES:
            changes[f.name] = v.iloc[rows].reset_index(drop=True)
        elif f.name in PER_OPTION_ARRAYS and v is not None:
            changes[f.name] = {k: a[rows] for k, a in v.items()}
        elif isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == n:
            changes[f.name] = v[rows]
        elif f.name in PER_OPTION_RECORDS and v is not None:
            changes[f.name] = dataclasses.replace(v, **{
                g.name: getattr(v, g.name)[rows] for g in dataclasses.fields(v)
                if isinstance(getattr(v, g.name), np.ndarray) and getattr(v, g.name).ndim >= 1 and getattr(v, g.name).shape[0] == n})
    return dataclasses.replace(base, **changes)

"""Screening criteria: derived columns, named weight profiles and their resolution.

A criterion is a numeric column of the options frame with a direction (``max``: more is better,
``min``: less is better) and a weight.  Any numeric column can be a criterion, including extra
columns of an imported file and the appraisal metrics of ``finance`` (``npv``, ``npv_ratio``,
``irr``, ``simple_payback_years`` ...).  This module adds three columns derived from the import
format so that the default profile works on raw imported data:

* ``simple_payback_pretax_years``: the fallback payback where no appraisal is present;
* ``elf_reduction``: the option's cut in the site's environmental load factor (ICI);
* ``hierarchy_score``: the option's place in BASF's four-step order (4 = prevent ... 1 = treat).

Weight profiles are data (:data:`PROFILES`): groups of criteria with a group weight; a group's
weight is split equally over its criteria that are present in the data, groups with no criterion
present are left out, and the weights are normalised to sum to one.

References
----------
.. [1] The cleaner-production audit handbooks' option screening by weighted-sum scoring
   (weights on environmental effect, economic, technical feasibility, implementability), e.g. the
   Chinese enterprise audit practice's weighted-sum scoring (权重总和计分排序法), as cited in the
   project's issue 4 and DESIGN.md section 4.
.. [2] ICI's environmental load factor ELF = (raw material input - product sold) / product sold,
   as given in the project's seed material (DESIGN.md section 2, enterprises table).
.. [3] BASF's four-step order of environmental measures: avoid at source, reuse in the process,
   recover heat, treat at the end of the pipe (DESIGN.md section 2, options table).
.. [4] UNEP / UNIDO (1995), Guidance Materials for the UNIDO/UNEP National Cleaner Production
   Centres, section 5.4 "Evaluation and feasibility study": the options "should all be evaluated
   according to their technical, economic and environmental merit" (preliminary, technical,
   economic and environmental evaluation, then selection of viable options); as reproduced at
   https://1library.net/article/evaluation-feasibility-study-cleaner-production-assessment.qvgonllq
.. [5] Lao National Cleaner Production Centre, CP assessment step 4 "Selecting cleaner production
   options": "The results of the technical, financial and environmental evaluation have to be
   combined in order to select the best options. This can be done using the weighed sum method."
   http://laocpc.org/index.php/cp-assessment-3/step4-selecting-cleaner-production-options
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Allowed directions of a criterion.
DIRECTIONS: tuple[str, ...] = ("max", "min")

#: Points for BASF's four steps, best first: prevention outranks treatment at equal merit.
HIERARCHY_SCORES: dict[str, float] = {"prevent": 4.0, "reuse_in_process": 3.0, "recover_heat": 2.0, "treat": 1.0}

#: Name of the fallback payback column (pre-tax simple payback from the import columns).
FALLBACK_PAYBACK = "simple_payback_pretax_years"


@dataclass(frozen=True)
class Criterion:
    """One criterion of a ranking.

    Parameters
    ----------
    column : str
        Column of the options frame holding the criterion's values.
    direction : {'max', 'min'}
        ``max`` when more is better, ``min`` when less is better.
    weight : float
        Relative importance, >= 0 (normalised over the criteria of a ranking). [/1]
    """

    column: str
    direction: str
    weight: float

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"criterion {self.column!r}: direction must be 'max' or 'min', got {self.direction!r}")
        if not isinstance(self.weight, (int, float)) or not math.isfinite(self.weight) or self.weight < 0:
            raise ValueError(f"criterion {self.column!r}: weight must be a finite number >= 0, got {self.weight!r}")


#: Direction of the criteria the project knows (others must be given a direction explicitly).
KNOWN_DIRECTIONS: dict[str, str] = {
    "npv": "max",
    "npv_ratio": "max",
    "irr": "max",
    "mirr": "max",
    "benefit_cost_ratio": "max",
    "simple_payback_years": "min",
    "discounted_payback_years": "min",
    FALLBACK_PAYBACK: "min",
    "investment": "min",
    "annual_savings": "max",
    "net_annual_savings": "max",
    "energy_saved_mwh": "max",
    "co2e_avoided_t": "max",
    "waste_avoided_t": "max",
    "water_saved_m3": "max",
    "elf_reduction": "max",
    "hierarchy_score": "max",
    "technical_feasibility": "max",
    "implementability": "max",
    "observed_uptake": "max",
}


@dataclass(frozen=True)
class Group:
    """A group of a weight profile: a weight shared equally by the group's present criteria.

    Parameters
    ----------
    name : str
        Group label shown to the user.
    weight : float
        Weight of the group. [/1]
    columns : tuple of str
        Candidate criteria, in order of preference; see ``first_present_only``.
    first_present_only : bool
        If true, only the first candidate present in the data is used (e.g. the finance engine's
        payback, else the pre-tax fallback).
    """

    name: str
    weight: float
    columns: tuple[str, ...]
    first_present_only: bool = False


_ENVIRONMENT = ("energy_saved_mwh", "co2e_avoided_t", "waste_avoided_t", "water_saved_m3", "elf_reduction", "hierarchy_score")
_PAYBACK = ("simple_payback_years", FALLBACK_PAYBACK)
_NET_VALUE = ("npv", "net_annual_savings")

#: Named weight profiles (editable: pass your own groups to :func:`resolve_profile`).
#:
#: ``default``: the cleaner-production assessment method's own emphasis.  In the UNEP/UNIDO method
#: every option is evaluated on its technical, economic and environmental merit (phase IV,
#: evaluation and feasibility study) [4]_, and the three evaluations are combined into one choice
#: by the weighted-sum method [5]_.  With no reason in the method to put one dimension above
#: another, the default gives each a third: environmental effect 1/3 (shared by the
#: environmental criteria present), economics 1/3 (payback, net value and investment 1/9 each:
#: net value is the NPV where the appraisal is present, else the net yearly savings, so that an
#: option that loses money every year counts as worse than a slow one; the method's economic
#: evaluation names payback, NPV and IRR), technical 1/3 (technical feasibility and
#: implementability 1/6 each).  The equal split is this project's reading of the method, not a
#: figure printed in it.
#:
#: ``handbook``: the audit handbooks' weighted-sum emphasis [1]_: environmental effect 0.35,
#: economics 0.35 (payback and investment 0.175 each), technical feasibility 0.15,
#: implementability 0.15 (this project's reading of that emphasis).
#:
#: ``observed``: what plants like yours implemented.  One criterion, ``observed_uptake``: the
#: probability of implementation by a logistic model of US DOE IAC decisions fitted on FY < 2010
#: and reported on FY >= 2010 (``screening/observed.py``, ``scripts/fit_observed_profile.py``),
#: from import-format fields only.  A description of what plants do, never the default.
#:
#: ``economic`` and ``environmental``: one side only.
PROFILES: dict[str, tuple[Group, ...]] = {
    "default": (
        Group("environmental effect", 1 / 3, _ENVIRONMENT),
        Group("economics: payback", 1 / 9, _PAYBACK, first_present_only=True),
        Group("economics: net value", 1 / 9, _NET_VALUE, first_present_only=True),
        Group("economics: investment", 1 / 9, ("investment",)),
        Group("technical feasibility", 1 / 6, ("technical_feasibility",)),
        Group("implementability", 1 / 6, ("implementability",)),
    ),
    "handbook": (
        Group("environmental effect", 0.35, _ENVIRONMENT),
        Group("economics: payback", 0.175, _PAYBACK, first_present_only=True),
        Group("economics: investment", 0.175, ("investment",)),
        Group("technical feasibility", 0.15, ("technical_feasibility",)),
        Group("implementability", 0.15, ("implementability",)),
    ),
    "observed": (Group("uptake at similar US plants (IAC decisions)", 1.0, ("observed_uptake",)),),
    "economic": (
        Group("payback", 0.5, _PAYBACK, first_present_only=True),
        Group("investment", 0.5, ("investment",)),
    ),
    "environmental": (Group("environmental effect", 1.0, _ENVIRONMENT),),
}

#: One line per profile, for the CLI's and the Screening page's help.
PROFILE_HELP: dict[str, str] = {
    "default": "the cleaner-production assessment's emphasis: technical, economic and environmental merit a third each "
               "(UNEP/UNIDO evaluation and feasibility phase, combined by weighted sum)",
    "handbook": "audit handbooks' weighted sum: environment 0.35, economics 0.35, technical feasibility 0.15, implementability 0.15",
    "observed": "what plants like yours implemented: fitted on US DOE IAC decisions before FY2010 (not advice)",
    "economic": "payback and investment only",
    "environmental": "environmental effects only",
}


def _present(frame: pd.DataFrame, column: str) -> bool:
    if column not in frame.columns:
        return False
    values = pd.to_numeric(frame[column], errors="coerce")
    return bool(values.notna().any())


def resolve_profile(
    frame: pd.DataFrame, profile: str | Iterable[Group] = "default", profiles: Mapping[str, Iterable[Group]] | None = None
) -> tuple[list[Criterion], list[str]]:
    """Turn a weight profile into criteria present in ``frame``.

    Parameters
    ----------
    frame : DataFrame
        Options (with :func:`add_derived_columns` applied).
    profile : str or iterable of Group
        Name of a profile in ``profiles`` (default :data:`PROFILES`) or the groups themselves.
    profiles : mapping, optional
        Profiles to look the name up in.

    Returns
    -------
    criteria : list of Criterion
        Criteria with weights normalised to sum to one. [/1]
    notes : list of str
        Groups left out because none of their criteria is present.
    """
    table = PROFILES if profiles is None else profiles
    if isinstance(profile, str):
        if profile not in table:
            raise ValueError(f"unknown weight profile {profile!r}; known: {', '.join(sorted(table))}")
        groups = list(table[profile])
    else:
        groups = list(profile)
    weights: dict[str, float] = {}
    notes: list[str] = []
    for group in groups:
        present = [c for c in group.columns if _present(frame, c)]
        if group.first_present_only:
            present = present[:1]
        if not present:
            notes.append(f"profile group {group.name!r} left out: none of {', '.join(group.columns)} has a value")
            continue
        for column in present:
            weights[column] = weights.get(column, 0.0) + group.weight / len(present)
    total = sum(weights.values())
    if total <= 0:
        raise ValueError("weight profile gives no criterion with a value and a positive weight")
    criteria = [Criterion(c, KNOWN_DIRECTIONS[c], w / total) for c, w in weights.items()]
    return criteria, notes


def normalise_weights(criteria: Iterable[Criterion]) -> list[Criterion]:
    """Criteria with weights scaled to sum to one (how weights are shown).

    Raises
    ------
    ValueError
        If there is no criterion or all weights are zero.
    """
    items = list(criteria)
    total = sum(c.weight for c in items)
    if not items or total <= 0:
        raise ValueError("need at least one criterion with a positive weight")
    return [Criterion(c.column, c.direction, c.weight / total) for c in items]


def simple_payback_pretax(options: pd.DataFrame) -> pd.Series:
    """Fallback pre-tax simple payback where no appraisal is present.

    ``investment / (annual_savings - annual_cost_change)``; NaN where the net yearly saving is
    not positive (the payback never happens).  The finance engine's ``simple_payback_years``
    (after tax and support, DESIGN.md section 3) supersedes it where present.

    Parameters
    ----------
    options : DataFrame
        Columns ``investment`` [currency], ``annual_savings`` [currency/yr] and optionally
        ``annual_cost_change`` [currency/yr] (default 0).

    Returns
    -------
    Series
        Pre-tax simple payback. [yr]

    References
    ----------
    .. [1] Handbook form N = I / F with F the yearly net cash flow before tax (DESIGN.md
       section 3, for constant yearly flows).
    """
    investment = pd.to_numeric(options["investment"], errors="coerce").astype("float64")
    savings = pd.to_numeric(options["annual_savings"], errors="coerce").astype("float64")
    if "annual_cost_change" in options.columns:
        cost = pd.to_numeric(options["annual_cost_change"], errors="coerce").astype("float64").fillna(0.0)
    else:
        cost = pd.Series(0.0, index=options.index)
    net = (savings - cost).to_numpy()
    inv = investment.to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        payback = np.where(net > 0, inv / net, np.nan)
    return pd.Series(payback, index=options.index, name=FALLBACK_PAYBACK, dtype="float64")


def elf_reduction(options: pd.DataFrame, enterprises: pd.DataFrame | None) -> pd.Series:
    """The option's cut in its site's environmental load factor.

    ELF = (raw material input - product sold) / product sold [2]_.  An option that avoids ``w``
    tonnes of waste a year saves that much raw material for the same product, so the ELF falls by
    ``w / product_output_t``.  NaN where the waste avoided or the enterprise's product tonnage is
    missing or the product tonnage is zero.

    Parameters
    ----------
    options : DataFrame
        Columns ``enterprise_id`` and ``waste_avoided_t`` [t/yr].
    enterprises : DataFrame or None
        Columns ``enterprise_id`` and ``product_output_t`` [t/yr].

    Returns
    -------
    Series
        Reduction of the ELF. [/1]
    """
    if enterprises is None or "product_output_t" not in enterprises.columns or "waste_avoided_t" not in options.columns:
        return pd.Series(np.nan, index=options.index, name="elf_reduction", dtype="float64")
    from policies.join import enterprise_rows  # one hash join per options (in a join.one_join block)

    ents, pos = enterprise_rows(options, enterprises)
    p = np.append(pd.to_numeric(ents["product_output_t"], errors="coerce").to_numpy(dtype=float, na_value=np.nan), np.nan)[pos]
    w = pd.to_numeric(options["waste_avoided_t"], errors="coerce").astype("float64").to_numpy()
    return pd.Series(elf_cut(w, p), index=options.index, name="elf_reduction", dtype="float64")


def elf_cut(waste_avoided_t: np.ndarray, product_output_t: np.ndarray) -> np.ndarray:
    """:func:`elf_reduction` of arrays: ``w / p`` where the site's product tonnage ``p`` > 0, else NaN. [/1]"""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(product_output_t > 0, waste_avoided_t / product_output_t, np.nan)


def hierarchy_score(options: pd.DataFrame) -> pd.Series:
    """Place in BASF's four-step order: prevent 4, reuse in process 3, recover heat 2, treat 1.

    Uses ``hierarchy``, else the category's default (end_of_pipe -> treat, onsite_recovery and
    byproduct -> reuse_in_process, the other UNEP types -> prevent); NaN where neither is known.

    Returns
    -------
    Series
        Hierarchy points, higher is better. [/1]
    """
    from screening.schema import DEFAULT_HIERARCHY  # the lead's table of category defaults

    if "hierarchy" in options.columns:
        step = options["hierarchy"].astype("object").where(options["hierarchy"].notna(), None)
    else:
        step = pd.Series([None] * len(options), index=options.index, dtype="object")
    if "category" in options.columns:
        step = step.where(step.notna() & (step != ""), options["category"].map(DEFAULT_HIERARCHY))
    return step.map(HIERARCHY_SCORES).astype("float64").rename("hierarchy_score")


def add_derived_columns(options: pd.DataFrame, enterprises: pd.DataFrame | None = None) -> pd.DataFrame:
    """Options with ``simple_payback_pretax_years``, ``net_annual_savings``, ``elf_reduction``,
    ``hierarchy_score`` and ``observed_uptake`` added (existing columns of those names are kept as given)."""
    out = options.copy(deep=False)  # copy-on-write: the added columns never reach ``options``
    if {"investment", "annual_savings"} <= set(out.columns):
        if FALLBACK_PAYBACK not in out.columns:
            out[FALLBACK_PAYBACK] = simple_payback_pretax(out)
        if "net_annual_savings" not in out.columns:
            if "annual_cost_change" in out.columns:
                cost = pd.to_numeric(out["annual_cost_change"], errors="coerce").astype("float64").fillna(0.0)
            else:
                cost = 0.0
            out["net_annual_savings"] = pd.to_numeric(out["annual_savings"], errors="coerce").astype("float64") - cost
    if "elf_reduction" not in out.columns:
        out["elf_reduction"] = elf_reduction(out, enterprises)
    if "hierarchy_score" not in out.columns:
        out["hierarchy_score"] = hierarchy_score(out)
    if "observed_uptake" not in out.columns and {"investment", "annual_savings"} <= set(out.columns):
        from screening.observed import observed_uptake  # the fitted IAC model (profile 'observed')

        out["observed_uptake"] = observed_uptake(out, enterprises)
    return out

"""What a pack's cumulative caps allow: the caps in force and enterprises no cap can clip.

The programme budget (:mod:`programme.budget`) spends the engine's cumulative caps
(``caps.per_enterprise``, ``caps.per_year`` on the amounts, ``caps.investment_per_year`` on the
base; ``policies.engine`` steps 2 and 6) on taken-up options only, in option order.  An enterprise
that no cap can clip, whichever of its options are in play, is settled by the engine's first run
over all options; :func:`uncapped_enterprises` finds them from that run and an upper bound of the
bases.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from policies.engine import rules_in_force
from policies.kinds import Batch, Params
from policies.registry import load_packs

__all__ = ["amount_caps", "amount_caps_of_amounts", "base_caps", "is_instrument", "uncapped_enterprises"]


def amount_caps(pack: str, on_date: date, params: Mapping[str, float] | None) -> dict[str, float] | None:
    """Smallest cumulative cap on the amount of each rule of ``pack`` in force [currency]:
    min(``caps.per_enterprise``, ``caps.per_year`` x spread years), with the programme's
    parameters; None when a rule caps its base (``caps.investment_per_year``: no bound on the
    amounts can be read from it)."""
    if base_caps(pack, on_date, params):
        return None
    return amount_caps_of_amounts(pack, on_date, params)


def is_instrument(support: pd.DataFrame, names: set[str] | list[str]) -> np.ndarray:
    """Rows of ``support`` whose ``instrument_id`` is one of ``names`` (categorical codes read, no text per row)."""
    col = support["instrument_id"]
    names = {str(x) for x in names}
    if isinstance(col.dtype, pd.CategoricalDtype):
        want = np.array([str(c) in names for c in col.cat.categories] + [False], dtype=bool)
        return want[col.cat.codes.to_numpy()]  # code -1 (missing) picks the last entry
    return col.astype(str).isin(names).to_numpy(dtype=bool)


def base_caps(pack: str, on_date: date, params: Mapping[str, float] | None) -> list[tuple[Any, float]]:
    """The rules of ``pack`` in force with a ``caps.investment_per_year`` (a cumulative cap on the
    base), each with that cap under the programme's parameters [currency]."""
    found = load_packs().get(pack)
    if found is None:
        return []
    out = []
    for rule in rules_in_force(found, on_date):
        if rule.caps.investment_per_year is not None:
            prefix = f"{rule.id}."
            p = Params(rule, {k[len(prefix):]: v for k, v in (params or {}).items() if k.startswith(prefix)})
            out.append((rule, float(p("caps.investment_per_year"))))
    return out


def uncapped_enterprises(options: pd.DataFrame, code: np.ndarray, ent: pd.DataFrame, support: pd.DataFrame, pack: str,
                         on_date: date, params: Mapping[str, float] | None) -> np.ndarray | None:
    """Per enterprise code: True where no cumulative cap of the ``pack`` can clip anything, whichever
    of the enterprise's options are in play; None when the caps cannot be bounded.

    A cap on the amounts (:func:`amount_caps`) is untouched when the sum of the rule's amounts
    in ``support`` (the engine run over all options) is below it: a cap that clips brings the
    running sum to the cap exactly, and fewer options in play can only leave more under it.  A
    cap on the base (``caps.investment_per_year``) is untouched when the sum over the
    enterprise's options of an upper bound of each base is below it: the engine caps
    max(``base.of`` - the amounts of the rules in ``base.net_of`` - ``other_grants`` where
    ``net_of_external``, 0) of the eligible options (``policies.engine``, step 2), which is at
    most max(``base.of``, 0) + max(-``other_grants``, 0) while the amounts netted out are not
    negative (else None).  With no cap clipping, every option's support is what the first run
    gave it (each rule's amounts follow from the option's own columns, rule by rule).

    Parameters
    ----------
    options : pandas.DataFrame
        The options (``programme.budget.Baseline.options``).
    code : numpy.ndarray of int
        Each option's enterprise code 0, 1, ... (``Baseline.enterprise_code``).
    ent : pandas.DataFrame
        One row per enterprise code (its columns read where the options lack a base column).
    support : pandas.DataFrame
        The engine's support table over all options (``row`` = option position).
    pack, on_date, params
        The programme: pack code, date of the rules in force, parameters ``<rule id>.<path>``.

    Returns
    -------
    numpy.ndarray of bool, shape (number of codes,), or None
    """
    limits = amount_caps_of_amounts(pack, on_date, params)
    if limits is None:
        return None
    n_ent = int(code.max()) + 1 if len(code) else 0
    below = np.ones(n_ent, dtype=bool)
    sup_rows = support["row"].to_numpy(dtype=np.int64)
    amounts = support["amount"].to_numpy(dtype=float)
    for rid, limit in limits.items():
        hit = is_instrument(support, [rid])
        total = np.bincount(code[sup_rows[hit]], weights=amounts[hit], minlength=n_ent)
        below &= total < limit * (1 - 1e-9)
    caps = base_caps(pack, on_date, params)
    if caps:
        batch = Batch(options, None, {}, ent, code)
        for rule, cap in caps:
            netted = is_instrument(support, list(rule.base.net_of))
            if (amounts[netted] < 0).any():
                return None
            bound = np.maximum(batch.base(rule.base.of), 0.0)
            if rule.base.net_of_external:
                bound = bound + np.maximum(-batch.numeric("other_grants", 0.0), 0.0)
            if not np.isfinite(bound).all():
                return None
            below &= np.bincount(code, weights=bound, minlength=n_ent) < cap * (1 - 1e-9)
    return below


def amount_caps_of_amounts(pack: str, on_date: date, params: Mapping[str, float] | None) -> dict[str, float] | None:
    """:func:`amount_caps` of the rules that cap amounts, whether or not others cap their base
    (None only for an unknown pack)."""
    found = load_packs().get(pack)
    if found is None:
        return None
    limits: dict[str, float] = {}
    for rule in rules_in_force(found, on_date):
        caps = rule.caps
        prefix = f"{rule.id}."
        p = Params(rule, {k[len(prefix):]: v for k, v in (params or {}).items() if k.startswith(prefix)})
        values = []
        if caps.per_enterprise is not None:
            values.append(p("caps.per_enterprise"))
        if caps.per_year is not None:
            values.append(p("caps.per_year") * rule.timing.spread_years)
        if values:
            limits[rule.id] = float(min(values))
    return limits

"""The Programme page's cached computations at national scale.

The no-support baseline of the chosen enterprises' options, each scenario's run on it, a scenario's
draws under uncertainty, the items of one enterprise explained, what the implemented options
realised, and the budget by year.  Each is keyed on the data fingerprint (:mod:`ui.data`) and on the
enterprises as :func:`members_key` of their ids (the ids themselves are not hashed).

The baseline, the runs, the draws and the explanations are cached as resources (shared, not copied
on each read: a 142,000-option baseline and its results unpickled on every rerun would cost about a
second).  Callers must treat what they get as read-only, which the page does (it only draws and
filters into new frames).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from store.service import Store
from ui.data import enterprises, options


#: More of a pack's own enterprises than this: the Programme page's multiselect starts empty and
#: means "all of them" (Streamlit checks each default against the options: quadratic, 28 s at 22,000).
PICK_ALL_ABOVE: int = 200


def members_key(enterprise_ids: Sequence[str]) -> str:
    """A short digest of a list of enterprise ids (order kept), for cache keys. [hex]"""
    return hashlib.sha1("\x1f".join(enterprise_ids).encode()).hexdigest()


@st.cache_resource(show_spinner="Appraising the options without support ...", max_entries=2)
def programme_baseline(_cur: Store, version: str, _enterprise_ids: Sequence[str], members: str,
                       on_date: date, irr_rule: bool) -> Any:
    """The no-support baseline (``programme.budget.baseline``) of the chosen enterprises' options.

    Keyed on the data fingerprint, the enterprises (``members`` = :func:`members_key` of
    ``_enterprise_ids``), the date and whether the decision rule needs IRRs: the programme, its
    parameters and the rule's limits do not enter, so moving those widgets reuses it.  None when
    the enterprises have no options.
    """
    from programme.budget import baseline

    wanted = set(_enterprise_ids)
    ents = enterprises(_cur, version)
    opts = options(_cur, version, None)
    opts = opts[opts["enterprise_id"].isin(wanted)].reset_index(drop=True)
    if opts.empty:
        return None
    sel = ents[ents["enterprise_id"].isin(wanted)].reset_index(drop=True)
    return baseline(opts, sel, on_date=on_date, with_irr=True if irr_rule else None)


def _implemented(_cur: Store, version: str, enterprise_ids: Sequence[str]) -> pd.DataFrame:
    opts = options(_cur, version, None)
    return opts[(opts["status"].astype(str) == "implemented") & opts["enterprise_id"].isin(set(enterprise_ids))]


@st.cache_data(show_spinner=False, max_entries=16)
def _any_implemented(_cur: Store, version: str, _enterprise_ids: Sequence[str], members: str) -> bool:
    return not _implemented(_cur, version, _enterprise_ids).empty


@st.cache_data(show_spinner=False, max_entries=16)
def _realised(_cur: Store, version: str, _enterprise_ids: Sequence[str], members: str) -> pd.DataFrame:
    from programme.realised import realised_by_jurisdiction

    return realised_by_jurisdiction(_implemented(_cur, version, _enterprise_ids), enterprises(_cur, version))


def any_implemented(cur: Store, version: str, enterprise_ids: Sequence[str]) -> bool:
    """Whether any of the enterprises' options has status implemented (cached on the data and the enterprises)."""
    ids = list(enterprise_ids)
    return _any_implemented(cur, version, ids, members_key(ids))


def realised(cur: Store, version: str, enterprise_ids: Sequence[str]) -> pd.DataFrame:
    """``programme.realised.realised_by_jurisdiction`` of the enterprises' implemented options (cached on the
    data and the enterprises: at national scale it took 0.5 s of every Programme rerun)."""
    ids = list(enterprise_ids)
    return _realised(cur, version, ids, members_key(ids))


@st.cache_resource(show_spinner="Running the programme ...", max_entries=8)
def programme_run(_cur: Store, version: str, _enterprise_ids: Sequence[str], members: str,
                  on_date: date, pack: str, rule: Any, params: tuple[tuple[str, float], ...]) -> Any:
    """One scenario of a programme (``programme.budget.run_programme``) on the cached baseline, cached on its
    parameters, not on the page's name for it (two names of the same parameters are one run; the summary's
    ``scenario`` is left empty: the page names its columns)."""
    from programme.budget import run_programme

    base = programme_baseline(_cur, version, _enterprise_ids, members, on_date, rule.kind == "irr")
    return run_programme(base.options, base.enterprises, pack, params=dict(params), on_date=on_date, rule=rule, base=base)


def programme_results(cur: Store, version: str, enterprise_ids: Sequence[str], on_date: date,
                      pack: str, rule: Any, scenarios: Mapping[str, Mapping[str, float]]) -> dict[str, Any] | None:
    """Each scenario's ``ProgrammeResult`` (read-only, cached per scenario), or None without options.

    A widget that changes one scenario's parameter recomputes only that scenario; the baseline is
    recomputed only when the data, the enterprises or the date change (or the rule starts needing IRRs).

    Raises
    ------
    ValueError
        From the programme (unknown parameter, bad value), naming the problem.
    """
    ids = list(enterprise_ids)
    members = members_key(ids)
    if programme_baseline(cur, version, ids, members, on_date, rule.kind == "irr") is None:
        return None
    return {name: programme_run(cur, version, ids, members, on_date, pack, rule, tuple(sorted(p.items())))
            for name, p in scenarios.items()}


@st.cache_resource(show_spinner="Drawing the programme's budget under uncertainty ...", max_entries=8)
def _programme_draws(_cur: Store, version: str, _enterprise_ids: Sequence[str], members: str,
                     on_date: date, pack: str, rule: Any, params: tuple[tuple[str, float], ...], draws: int, seed: int,
                     envelope: float | None, order: str | None) -> Any:
    from programme.distributed import run_draws
    from programme.montecarlo import McSpec, option_draws
    from programme.ration import ration

    base = programme_baseline(_cur, version, _enterprise_ids, members, on_date, rule.kind == "irr")
    spec = McSpec(pack, on_date, rule, draws=draws, seed=seed, params=dict(params))
    if order is None:  # as cpscreen budget --draws (in-process)
        return run_draws(base.options, base.enterprises, spec), None
    od = option_draws(base.options, base.enterprises, spec)
    return od.sums, ration(od, float(envelope or 0.0), order)


def programme_draws(cur: Store, version: str, enterprise_ids: Sequence[str], on_date: date, pack: str,
                    rule: Any, params: Mapping[str, float], draws: int, seed: int, envelope: float | None,
                    order: str | None) -> tuple[Any, Any]:
    """The draws of one scenario (``programme.montecarlo``, in-process, cached, read-only): its
    ``DrawSums`` and, with a rationing order, the envelope's ``Rationed``."""
    ids = list(enterprise_ids)
    return _programme_draws(cur, version, ids, members_key(ids), on_date, pack, rule, tuple(sorted(params.items())),
                            int(draws), int(seed), envelope, order)


def programme_options(cur: Store, version: str, enterprise_ids: Sequence[str], on_date: date,
                      rule: Any) -> pd.DataFrame:
    """The options the cached Programme baseline was built on (read-only), in its row order."""
    ids = list(enterprise_ids)
    return programme_baseline(cur, version, ids, members_key(ids), on_date, rule.kind == "irr").options


@st.cache_resource(show_spinner=False, max_entries=4)
def _programme_explain(_cur: Store, version: str, _enterprise_ids: Sequence[str], members: str,
                       on_date: date, irr_rule: bool, pack: str, params: tuple[tuple[str, float], ...]) -> pd.DataFrame:
    from policies.explain import explain

    base = programme_baseline(_cur, version, _enterprise_ids, members, on_date, irr_rule)
    return explain(base.options, base.enterprises.assign(jurisdiction=pack), on_date, dict(params))


def programme_explain(cur: Store, version: str, enterprise_ids: Sequence[str], on_date: date,
                      rule: Any, pack: str, params: Mapping[str, float]) -> pd.DataFrame:
    """``policies.explain.explain`` of the Programme page's options as if in ``pack`` (cached, read-only)."""
    ids = list(enterprise_ids)
    return _programme_explain(cur, version, ids, members_key(ids), on_date, rule.kind == "irr", pack,
                              tuple(sorted(params.items())))


@st.cache_data(show_spinner=False, max_entries=64)
def budget_by_year(by_year_instrument: pd.DataFrame, currency: str) -> tuple[pd.DataFrame, bytes]:
    """``ui.programme_tables.budget_by_year`` and its CSV [bytes] (keyed on the table's content)."""
    from ui.programme_tables import budget_by_year as table

    out = table(by_year_instrument, currency)
    return out, out.to_csv(index=False).encode("utf-8")

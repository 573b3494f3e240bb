"""Cached loaders for the pages.

Every cached call is keyed on :func:`data_version`, :meth:`store.service.Store.read_version`: a
fingerprint of the stored tables (row count and an order-free sum of row hashes, computed by DuckDB
in one query) and of the *enterprises the acting user may read* (not of who the user is).  Two users
who may read the same enterprises share every cached read and every computation on it (twenty
sessions of one role compute a page once); users who see different enterprises never share one.
The loaders read with :meth:`store.service.Store.load_table_at`, which checks that version in the
snapshot it reads and raises :class:`store.service.VersionMoved` (nothing cached; ``app.py`` runs
the page again) when the data or the user's access changed since the run took it, so a cached value
always holds exactly the rows its key names.  What a user may *change* is never cached here: it is
asked of the store per user (``Store.may_write``).

The ``_cur`` the loaders take is the run's :class:`store.service.Store` handle (``ui.state.db_cursor``):
it opens the database only for a read that misses the cache, so the app holds no DuckDB file lock
between reruns and the CLI can work beside it; a change the CLI makes moves the fingerprint and shows
on the next rerun.  A save in any browser session changes the fingerprint, so every session's next
rerun misses the cache and reloads: no session ever shows another's stale data, and nothing needs to
be invalidated by hand.  The fingerprint query is cheap (one scan of small tables) compared with the
loads and appraisals it guards.

Library calls that do not exist yet are reported with :func:`missing`, never faked.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from store.service import Store



def data_version(cur: Store) -> str:
    """Fingerprint of the stored data and of what the acting user may read (:meth:`Store.read_version`).

    Changes with any saved edit, by anyone, and with a grant or revoke that changes what the user sees.
    """
    return cur.read_version()


@st.cache_data(show_spinner=False, max_entries=64)
def enterprises(_cur: Store, version: str) -> pd.DataFrame:
    """The stored enterprises the acting user may read (import format, typed)."""
    return _cur.load_table_at(version, "enterprises")


@st.cache_data(show_spinner=False, max_entries=64)
def options(_cur: Store, version: str, enterprise_id: str | None) -> pd.DataFrame:
    """Stored options of one enterprise (all the acting user may read when ``enterprise_id`` is None)."""
    return _cur.load_table_at(version, "options", enterprise_id)


@st.cache_data(show_spinner=False, max_entries=64)
def scores(_cur: Store, version: str, enterprise_id: str | None) -> pd.DataFrame:
    """Stored assessors' scores (long format) the acting user may read."""
    return _cur.load_scores_at(version, enterprise_id)


def optional(module: str, name: str) -> Any | None:
    """``module.name`` if another engineer's library function has landed, else None."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return None
    return getattr(mod, name, None)


def missing(what: str, where: str) -> None:
    """Say plainly that a view waits for a library function (never show made-up numbers)."""
    st.info(f"{what} is coming: it needs `{where}`, which is not in this build yet.", icon=":material/construction:")


@st.cache_data(show_spinner=False, max_entries=32)
def appraisal(_cur: Store, version: str, enterprise_id: str | None, on_date: date,
              discount_rate: float | None = None, params_key: tuple[tuple[str, float], ...] = ()) -> pd.DataFrame | None:
    """Batch appraisal of the stored options (``finance.appraise.appraise``), or None if absent."""
    fn = optional("finance.appraise", "appraise")
    if fn is None:
        return None
    opts = options(_cur, version, enterprise_id)
    ents = enterprises(_cur, version)
    kwargs: dict[str, Any] = {}
    if discount_rate is not None:
        kwargs["discount_rate"] = discount_rate
    if params_key:
        kwargs["params"] = dict(params_key)
    return fn(opts, ents, on_date, **kwargs)


#: what the pages import beyond Streamlit, heaviest first: imported once per server process by
#: :func:`warm_process`, not inside the first session's script run that needs them (py-spy of a new
#: server on the demo data: scipy.stats through screening.assessors held the first Screening render
#: 1.3 s, finance.risk's scipy.special 0.6 s, the Report's workbook and portfolio solver modules ~0.5 s)
WARM_MODULES = ("screening.assessors", "finance.appraise", "finance.option_detail", "policies.engine",
                "screening.rank", "finance.risk", "finance.sensitivity", "finance.portfolio", "screening.elf", "screening.robustness",
                "screening.implementation", "programme.budget", "programme.mc_records", "programme.montecarlo",
                "programme.mc_columnar", "programme.ration", "programme.uptake", "screening.observed",
                "screening.input_robustness", "finance.explain", "policies.explain", "ui.charts", "ui.report",
                "ui.programme_tables", "openpyxl.packaging.extended")  # the last: imported by openpyxl on a workbook save


def warm_process() -> float:
    """Once per process: import :data:`WARM_MODULES`, load the policy packs and load the numerical kernels
    from numba's disk cache (``programme.warm``; ``scripts/run.sh`` compiles them before the server starts).
    [s] it took.  The server runs it on a thread at its first page view (:func:`warm_up`);
    ``bench/bench_pages.py`` runs it before timing, so its cold renders are a session's, not a process's."""
    import importlib
    import time

    start = time.perf_counter()
    for name in WARM_MODULES:
        importlib.import_module(name)
    from policies.registry import load_packs
    from programme.warm import warm_up as load_kernels

    load_packs()
    load_kernels()
    return time.perf_counter() - start


@st.cache_resource(show_spinner=False)
def warm_up() -> bool:
    """Once per server process, at its first page view: :func:`warm_process` on a background thread.

    It takes 2-4 s of one core (``bench/bench_pages.py`` prints it); on the thread, the first
    Screening, Appraisal, Programme or Report render of the server's first users does not pay it in
    its own script run.  Python's import lock makes a page that needs a module before the thread has
    imported it simply wait for it.
    """
    import threading

    threading.Thread(target=warm_process, name="cpscreen-warm-up", daemon=True).start()
    return True


@st.cache_data(show_spinner=False, max_entries=64)
def option_appraisal(_cur: Store, version: str, enterprise_id: str, option_id: str, on_date: date,
                     discount_rate: float | None = None) -> Any:
    """One option's detail (``finance.option_detail.appraise_in_context``) with the items its enterprise's
    batch gives it: the same support as ``cpscreen appraise`` and the batch appraisal of the pages."""
    from finance.option_detail import appraise_in_context

    return appraise_in_context(options(_cur, version, enterprise_id), enterprises(_cur, version), on_date, option_id,
                               enterprise_id=enterprise_id, discount_rate=discount_rate)


@st.cache_data(show_spinner="Drawing the uncertain inputs", max_entries=16)
def option_risk(_cur: Store, version: str, enterprise_id: str, option_id: str, on_date: date,
                discount_rate: float | None, spreads: tuple[tuple[str, float], ...], draws: int = 1000) -> tuple[pd.DataFrame, Any]:
    """``finance.risk`` over the enterprise's options (caps as in its batch): the option's summary row and
    its drawn NPVs [currency]."""
    from finance.risk import simulate, summarise

    opts = options(_cur, version, enterprise_id).reset_index(drop=True)
    ents = enterprises(_cur, version)
    ents = ents[ents["enterprise_id"] == enterprise_id].reset_index(drop=True)  # its own row: the draws copy it per draw
    sim = simulate(opts, ents, on_date, draws=draws, seed=0, spreads=dict(spreads), discount_rate=discount_rate)
    i = int(np.flatnonzero(opts["option_id"].astype(str).to_numpy() == str(option_id))[0])
    return summarise(sim, opts).iloc[[i]].reset_index(drop=True), sim.npv[i]


@st.cache_data(show_spinner="Drawing the options' uncertain inputs", max_entries=8)
def criterion_draws(_cur: Store, version: str, enterprise_id: str, on_date: date,
                    draws: int) -> dict[str, np.ndarray]:
    """Every option of the enterprise drawn by ``finance.risk`` (default spreads or the option's own
    bounds), as criterion columns -> (options, draws) (``screening.input_robustness.criterion_draws``),
    rows in the order of :func:`options`."""
    from finance.risk import simulate
    from screening.input_robustness import criterion_draws as to_criteria

    opts = options(_cur, version, enterprise_id).reset_index(drop=True)
    ents = enterprises(_cur, version)
    ents = ents[ents["enterprise_id"] == enterprise_id].reset_index(drop=True)
    sim = simulate(opts, ents, on_date, draws=draws, seed=0)
    base = {c: pd.to_numeric(opts[c], errors="coerce").to_numpy(dtype=float)
            for c in ("investment", "annual_savings", "annual_cost_change") if c in opts.columns}
    return to_criteria({"npv": sim.npv, "irr": sim.irr, "simple_payback_years": sim.simple_payback_years}, sim.inputs, base)


#: Appraisal metrics offered to the screening as criteria (DESIGN.md section 4: NPV, payback ...).
METRIC_CRITERIA: tuple[str, ...] = ("npv", "irr", "npv_ratio", "simple_payback_years", "discounted_payback_years")


def options_with_metrics(_cur: Store, version: str, enterprise_id: str | None,
                         on_date: date) -> pd.DataFrame:
    """Stored options with the appraisal metrics (with support) as extra columns, when finance has landed."""
    opts = options(_cur, version, enterprise_id)
    appraised = appraisal(_cur, version, enterprise_id, on_date)
    if appraised is None or opts.empty:
        return opts
    return opts.merge(appraised[["enterprise_id", "option_id", *METRIC_CRITERIA]], on=["enterprise_id", "option_id"], how="left")


# --- the Programme page at national scale --------------------------------------------------------
#
# Cached as resources (shared, not copied on each read: a 142,000-option baseline and its results
# unpickled on every rerun would cost about a second).  Callers must treat what they get as
# read-only, which the page does (it only draws and filters into new frames).

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


# --- per-option views of the Appraisal page and the Report page's outputs ------------------------
#
# Cached across sessions (a new browser session, or a page switch, otherwise recomputed them: about
# 0.5 CPU-s per Appraisal or Report render on the demo data, bench/bench_pages.py).  The frames
# passed with a leading underscore are not hashed: they are fixed by the data fingerprint, the
# enterprise, the option and the date that key the call, as the callers take them from the cached
# loaders above.  Each value is the library function's own result.

@st.cache_data(show_spinner=False, max_entries=64)
def option_sensitivity(_option: Mapping[str, Any], _enterprise: Mapping[str, Any], _result: Any, version: str,
                       enterprise_id: str, option_id: str, on_date: date, discount_rate: float | None) -> pd.DataFrame:
    """``finance.sensitivity.npv_sensitivity`` of one option (its appraisal ``_result`` from :func:`option_appraisal`)."""
    from finance.sensitivity import npv_sensitivity

    return npv_sensitivity(dict(_option), dict(_enterprise), on_date, _result)


@st.cache_data(show_spinner=False, max_entries=64)
def enterprise_cash_flow_table(_opts: pd.DataFrame, _ents: pd.DataFrame, version: str, enterprise_id: str | None,
                               on_date: date, discount_rate: float | None = None) -> Any:
    """``finance.cashflow_table.cash_flow_table`` over an enterprise's options (:func:`options`)."""
    from finance.cashflow_table import cash_flow_table

    kwargs = {} if discount_rate is None else {"discount_rate": discount_rate}
    return cash_flow_table(_opts, _ents, on_date, **kwargs)


@st.cache_data(show_spinner=False, max_entries=64)
def enterprise_explain(_opts: pd.DataFrame, _ents: pd.DataFrame, version: str, enterprise_id: str, on_date: date,
                       discount_rate: float | None) -> pd.DataFrame:
    """``finance.explain.explain_appraisal`` over an enterprise's options (:func:`options`)."""
    from finance.explain import explain_appraisal

    return explain_appraisal(_opts, _ents, on_date, discount_rate=discount_rate)


@st.cache_resource(show_spinner="Building the report", max_entries=16)
def report_outputs(_cur: Store, version: str, enterprise_id: str, on_date: date, choice: Any,
                   method: str, criteria: Sequence[Any] | None, ranking_label: str,
                   title: str) -> tuple[dict[str, pd.DataFrame], bytes, str]:
    """The Report page's sheets (``ui.report.report_frames``), its workbook and its printable page.

    ``choice`` is the Screening page's ``RankingChoice`` (or None) that ``method``, ``criteria`` and
    ``ranking_label`` come from: it keys the cache.  Shared between sessions without a copy (a
    workbook, a page and a dozen frames unpickled on every render cost about 40 ms): read-only.

    Raises
    ------
    ValueError
        From the ranking (e.g. a weighted criterion without any value after an edit); not cached.
    """
    from ui.report import html_report, report_frames, workbook_bytes

    opts = options_with_metrics(_cur, version, enterprise_id, on_date)
    ents = enterprises(_cur, version)
    show_pack = optional("policies.catalog", "show_pack")
    jur = ents.set_index("enterprise_id").loc[enterprise_id, "jurisdiction"]
    rules = None
    if show_pack is not None and jur and jur != "none":
        try:
            rules = show_pack(jur)
        except ValueError:
            rules = None
    appraised = appraisal(_cur, version, enterprise_id, on_date)
    stored = opts[[c for c in opts.columns if c not in METRIC_CRITERIA]]
    cash_flow_table = optional("finance.cashflow_table", "cash_flow_table")
    # the cash flow sheet: the same inputs as the appraisal sheet (its discounted lines sum to its npv)
    cash_flow = cash_flow_table(stored, ents, on_date) if cash_flow_table is not None and appraised is not None else None
    frames = report_frames(stored, ents, enterprise_id, on_date, scores=scores(_cur, version, enterprise_id),
                           appraisal=appraised, policy_rules=rules, ranking_options=opts, cash_flow=cash_flow,
                           method=method, criteria=None if criteria is None else list(criteria), ranking_label=ranking_label)
    return frames, workbook_bytes(frames), html_report(frames, title)


# --- the Screening page's ranking and its robustness ---------------------------------------------

@st.cache_data(show_spinner=False, max_entries=64)
def ranking(_cur: Store, version: str, enterprise_id: str, on_date: date, method: str,
            criteria: tuple[Any, ...] | None = None, profile: str = "default") -> Any:
    """``screening.rank.rank_options`` of the enterprise's options with their metrics (:func:`options_with_metrics`).

    Raises
    ------
    ValueError
        From the ranking (not cached).
    """
    from screening.rank import rank_options

    opts = options_with_metrics(_cur, version, enterprise_id, on_date)
    return rank_options(opts, enterprises(_cur, version), method=method,
                        criteria=None if criteria is None else list(criteria), profile=profile)


@st.cache_data(show_spinner="Drawing the weight sets", max_entries=32)
def weight_acceptability(_prepared: Any, version: str, enterprise_id: str, on_date: date, method: str,
                         criteria: tuple[Any, ...], n_draws: int, k: int, spread: float,
                         chunks: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Shares of weight draws in which each ranked option is first and in the top ``k`` [/1]
    (``screening.robustness.acceptability`` in ``chunks`` seeded batches, seeds 0, 1, ...), for the
    ranking of :func:`ranking` with these arguments (its ``prepared``)."""
    from screening.robustness import acceptability

    per = int(np.ceil(n_draws / chunks))
    first = topk = 0.0
    done = 0
    for i in range(chunks):
        m = min(per, n_draws - done)
        if m <= 0:
            break
        acc = acceptability(_prepared, method, n_draws=m, spread=spread, k=k, seed=i)
        first += acc.first * m
        topk += acc.top_k * m
        done += m
    return first / done, topk / done


@st.cache_data(show_spinner="Ranking the options in the input draws", max_entries=32)
def input_acceptability(_cur: Store, _prepared: Any, _method: str, _scaling: str | None, version: str, enterprise_id: str,
                        on_date: date, method: str, criteria: tuple[Any, ...], n_input: int, k: int,
                        ranked_positions: tuple[int, ...]) -> Any:
    """``screening.input_robustness.input_acceptability`` of the ranking of :func:`ranking` (its
    ``prepared`` and result's method and scaling) over :func:`criterion_draws` of the options at
    ``ranked_positions`` (the ranked, non-mandatory options in the order of :func:`options`)."""
    from screening.input_robustness import input_acceptability as acceptability_in

    drawn = criterion_draws(_cur, version, enterprise_id, on_date, n_input)
    pos = np.asarray(ranked_positions, dtype=int)
    return acceptability_in(_prepared, _method, _scaling, {c: v[pos] for c, v in drawn.items()}, k=k)


@st.cache_data(show_spinner=False, max_entries=32)
def flip_points(_prepared: Any, version: str, enterprise_id: str, on_date: date, method: str,
                criteria: tuple[Any, ...]) -> pd.DataFrame:
    """``screening.robustness.flip_points`` of the ranking of :func:`ranking` with these arguments (its ``prepared``)."""
    from screening.robustness import flip_points as flips

    return flips(_prepared)


# --- per-render work of the pages, cached across sessions (bench/bench_sessions.py, py-spy) --------

@st.cache_data(show_spinner=False, max_entries=64)
def derived_options(_cur: Store, version: str, enterprise_id: str, on_date: date) -> pd.DataFrame:
    """``screening.criteria.add_derived_columns`` of :func:`options_with_metrics` (row order reset)."""
    from screening.criteria import add_derived_columns

    return add_derived_columns(options_with_metrics(_cur, version, enterprise_id, on_date).reset_index(drop=True),
                               enterprises(_cur, version))


@st.cache_data(show_spinner=False, max_entries=64)
def option_cash_flow_view(_opts: pd.DataFrame, _ents: pd.DataFrame, version: str, enterprise_id: str, option_id: str,
                          on_date: date, discount_rate: float | None, currency: str) -> dict[str, Any]:
    """The Appraisal page's cash flow section of one option: its inputs, its lines with and without
    support as shown (``ui.cashflow_view``), their discounted sums [currency] and the CSV download
    [bytes], from :func:`enterprise_cash_flow_table` (``_opts``, ``_ents`` as there).

    Raises
    ------
    ValueError
        From the cash flow table (not cached).
    """
    from ui.cashflow_view import cash_flow_frame, inputs_frame
    from ui.widgets import frame_bytes

    cft = enterprise_cash_flow_table(_opts, _ents, version, enterprise_id, on_date, discount_rate).select(enterprise_id, option_id)
    used = cft.inputs.iloc[0].copy()
    used["discount_rate_source"] = "the discount rate field above (default: the enterprise's discount_rate, else 0.08)"
    return {"inputs": inputs_frame(used, currency), "with": cash_flow_frame(cft.lines, currency, cft.items),
            "without": cash_flow_frame(cft.lines_no_support, currency, without_support=True),
            "npv": float(cft.lines["discounted_net_cash_flow"].sum()),
            "npv_no_support": float(cft.lines_no_support["discounted_net_cash_flow"].sum()),
            "csv": frame_bytes(cash_flow_frame(cft.lines, currency, cft.items, with_option=True), "csv")}


@st.cache_data(show_spinner=False, max_entries=32)
def options_download(_frame: pd.DataFrame, enterprise_id: str, revision: str, fmt: str) -> bytes:
    """The Options page's download of an enterprise's options (``_frame``, the store's snapshot at
    ``revision``: ``store.edits.load_options``) in the import format, CSV/XLSX formula-safe [bytes].

    Keyed on the enterprise and the snapshot's revision (a digest of its stored options: the same
    revision is the same rows), not on who asks.
    """
    from store.io import to_export_frame
    from ui.widgets import frame_bytes

    return frame_bytes(to_export_frame(_frame, "options", formula_safe=False), fmt)  # frame_bytes escapes CSV and XLSX


@st.cache_data(show_spinner=False, max_entries=64)
def budget_by_year(by_year_instrument: pd.DataFrame, currency: str) -> tuple[pd.DataFrame, bytes]:
    """``ui.programme_tables.budget_by_year`` and its CSV [bytes] (keyed on the table's content)."""
    from ui.programme_tables import budget_by_year as table

    out = table(by_year_instrument, currency)
    return out, out.to_csv(index=False).encode("utf-8")


@st.cache_resource(show_spinner=False, max_entries=16)
def report_preview(_cur: Store, version: str, enterprise_id: str, on_date: date, choice: Any, method: str,
                   criteria: Sequence[Any] | None, ranking_label: str, title: str,
                   currency: str | None) -> list[tuple[str, Any, dict[str, Any]]]:
    """The Report page's preview of :func:`report_outputs` (same arguments): per sheet its name, its
    table as the workbook heads it (``ui.report_columns.present``; an Arrow table where it converts,
    so a render sends it without converting again) and its number formats (shared, read-only)."""
    import pyarrow as pa

    from ui.report_columns import PREVIEW_FORMATS as formats
    from ui.report_columns import present

    frames, _, _ = report_outputs(_cur, version, enterprise_id, on_date, choice, method, criteria, ranking_label, title)
    out = []
    for name, frame in frames.items():
        shown, specs = present(frame, currency)
        config = {h: st.column_config.NumberColumn(h, format=formats[spec.kind])
                  for h, spec in zip(shown.columns, specs) if spec.kind in formats}
        try:
            table: Any = pa.Table.from_pandas(shown, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError):  # mixed-type text columns: Streamlit converts them itself
            table = shown
        out.append((name, table, config))
    return out


@st.cache_data(show_spinner=False, max_entries=16)
def implementation_table(_cur: Store, version: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The Overview's ``screening.implementation.predicted_vs_actual`` of every option the user may read, and
    its ``totals`` (None when no option is implemented)."""
    from screening.implementation import predicted_vs_actual, totals

    table = predicted_vs_actual(options(_cur, version, None), enterprises(_cur, version))
    return table, None if table.empty else totals(table)


@st.cache_data(show_spinner=False, max_entries=64)
def mac_curve(_cur: Store, version: str, enterprise_id: str, on_date: date, effect: str,
              discount_rate: float) -> pd.DataFrame:
    """The Portfolio page's ``finance.portfolio.marginal_abatement_cost`` of the enterprise's options for
    ``effect``, the annualised cost being minus the appraisal's equivalent annual value [currency/yr]."""
    from finance.portfolio import marginal_abatement_cost

    opts = options(_cur, version, enterprise_id).reset_index(drop=True)
    appraised = appraisal(_cur, version, enterprise_id, on_date)
    eav = opts[["option_id"]].merge(appraised[["option_id", "equivalent_annual_value"]], on="option_id", how="left")
    return marginal_abatement_cost(opts, effect, discount_rate=float(discount_rate),
                                   annualised_cost=-eav["equivalent_annual_value"].to_numpy(dtype=float))

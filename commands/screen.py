"""The commands that screen options: appraise (with --cash-flow and --explain), rank, risk, suggest."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np
import pandas as pd

from commands.data import from_db, load_data, store_for
from commands.output import UsageError
from records.plain import plain


def cmd_appraise(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One record per option: metrics with support and with suffix ``_no_support``, and the items."""
    options, enterprises = load_data(args, meanwhile=_appraisal_imports)
    if options.empty:
        return []
    if args.explain:  # one record per option and rule in force: applies, amount, npv_effect, reason
        from finance.explain import explain_appraisal

        return explain_appraisal(options, enterprises, args.date, discount_rate=args.discount_rate)
    if args.cash_flow:
        return _cash_flow_records(options, enterprises, args)
    from finance.appraise import SUPPORT_FIELDS, appraise_columns
    from finance.batch_arrays import filled
    from policies import join
    from records.write import Nested, Records
    from screening.elf import option_elf_values  # the site's ICI load factor before and after each option

    with join.one_join(enterprises):  # the options' enterprise rows looked up once, for both
        # the result as columns straight to the writer (no frame built): the same records as appraise_table's
        res, items = appraise_columns(options, enterprises, args.date, discount_rate=args.discount_rate, with_support=True)
        _, rows = join.enterprise_rows(options, enterprises)
    res["elf_before"], res["elf_after"] = option_elf_values(options.reset_index(drop=True), enterprises, rows)
    if args.no_support:
        # the figures without support are the headline; support is listed but not counted
        for col in [c for c in res if c.endswith("_no_support")]:
            res[col[: -len("_no_support")]] = res[col]
        res["support_total"] = np.zeros(len(res["support_total"]))
        items = items.iloc[:0]
    nested = {"support": Nested(items, SUPPORT_FIELDS)}
    if from_db(args) and not args.no_support:
        from store.access import AccessDenied

        try:
            store_for(args).save_appraisals(Records(res, nested), args.date)
        except AccessDenied as exc:  # a viewer or programme officer reads the figures; storing them is a member's
            print(f"note: the appraisals were not stored: {exc}", file=sys.stderr)
    names = list(res)
    # one text object in every cell (np.full of a text copies it per cell: 0.11 s for a million options)
    dated = {**{c: res[c] for c in names[:2]}, "appraisal_date": filled(len(res["support_total"]), args.date.isoformat()),
             **{c: res[c] for c in names[2:]}}
    return Records(dated, nested)  # type: ignore[return-value]


def _appraisal_imports() -> None:
    """The modules an appraisal runs on, imported while the files are read (commands.data.read_while)."""
    import finance.appraise  # noqa: F401 - numba, the kernels, the policy engine and its models
    import records.write  # noqa: F401
    import screening.elf  # noqa: F401


def _cash_flow_records(options: pd.DataFrame, enterprises: pd.DataFrame, args: argparse.Namespace) -> Any:
    """``appraise --cash-flow``: one record per option and year (finance.cashflow_table), with
    ``support_items`` (a list of {instrument_id, cash}: each item's cash in the year), columnar."""
    from finance.cashflow_table import cash_flow_table
    from records.write import Nested, Records

    table = cash_flow_table(options, enterprises, args.date, discount_rate=args.discount_rate,
                            with_support=not args.no_support)
    lines = (table.lines_no_support if args.no_support else table.lines).reset_index(drop=True)
    key = ["enterprise_id", "option_id", "year"]
    pos = lines[key].assign(row=np.arange(len(lines)))
    items = table.items[key + ["instrument_id", "cash"]].merge(pos, on=key, how="inner") if len(table.items) else \
        pd.DataFrame({"row": pd.Series(dtype=np.int64), "instrument_id": pd.Series(dtype=object), "cash": pd.Series(dtype=float)})
    return Records(lines, {"support_items": Nested(items[["row", "instrument_id", "cash"]], ("instrument_id", "cash"))})


def cmd_rank(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Rank options; criteria may name appraisal metrics (npv, irr, simple_payback_years, ...)."""
    from screening.rank import rank_frame

    options, enterprises = load_data(args)
    if options.empty:
        return []
    if args.criteria is None or any(m in args.criteria for m in _METRIC_NAMES):
        from finance.appraise import appraise_columns

        # one row per option in input order (appraise_columns' contract): the metrics join by position
        metrics, _ = appraise_columns(options, enterprises, args.date, with_support=True, item_values=False)
        keep = [c for c in metrics if c in _METRIC_NAMES]
        options = options.drop(columns=[c for c in keep if c in options.columns]).reset_index(drop=True)
        options = options.assign(**{c: metrics[c] for c in keep})
    input_draws = None
    if args.input_draws is not None:
        if args.input_draws < 2:
            raise UsageError(f"--input-draws must be a whole number >= 2, got {args.input_draws}")
        from finance.risk import simulate
        from screening.input_robustness import criterion_draws

        sim = simulate(options, enterprises, args.date, draws=args.input_draws, seed=args.seed)
        base = {c: pd.to_numeric(options[c], errors="coerce").to_numpy(dtype=float)
                for c in ("investment", "annual_savings", "annual_cost_change") if c in options.columns}
        input_draws = criterion_draws({"npv": sim.npv, "irr": sim.irr, "simple_payback_years": sim.simple_payback_years},
                                      sim.inputs, base)
    return rank_frame(options, enterprises, method=args.method, criteria=args.criteria, scaling=args.scaling,
                      top=args.top, profile=args.profile, draws=args.draws, seed=args.seed, input_draws=input_draws)


_METRIC_NAMES = (
    "npv", "irr", "mirr", "simple_payback_years", "discounted_payback_years", "npv_ratio", "benefit_cost_ratio",
    "equivalent_annual_value", "support_total", "npv_no_support", "irr_no_support", "simple_payback_years_no_support",
    "discounted_payback_years_no_support", "npv_ratio_no_support",
    "npv_tier1", "npv_full",  # Total Cost Assessment: conventional and full view (finance.tca)
)


def cmd_risk(args: argparse.Namespace) -> Any:
    """Monte Carlo risk per option (finance.risk): NPV distribution, P(NPV < 0), medians, drivers."""
    from finance.risk import risk

    options, enterprises = load_data(args)
    if options.empty:
        return []
    return risk(options, enterprises, args.date, draws=args.draws, seed=args.seed, spreads=dict(args.spread or []),
                correlation=args.correlation, discount_rate=args.discount_rate)


def cmd_suggest(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Measures recommended at similar US plants (US DOE IAC aggregates), for one enterprise."""
    from screening.suggest import EXTRA, FIELDS, suggest

    if getattr(args, "enterprises", None) and not getattr(args, "options", None):
        from screening.schema import validate
        from store.io import read_files

        batch = read_files([args.enterprises])
        ent, esrc, erow = batch.combined("enterprises")
        if ent is None:
            raise UsageError(f"{args.enterprises}: holds no enterprises (expected columns enterprise_id, name, jurisdiction, size_class)")
        enterprises = validate(ent, None, sources={"enterprises": esrc}, row_offsets={"enterprises": erow}).enterprises
    else:
        _, enterprises = load_data(argparse.Namespace(**{**vars(args), "enterprise": None}))
    row = enterprises[enterprises["enterprise_id"].astype(str) == args.enterprise]
    if row.empty:
        raise UsageError(f"unknown enterprise {args.enterprise!r}")
    try:
        frame = suggest(row.iloc[0].to_dict(), top=args.top)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return [plain({k: r[k] for k in (*FIELDS, *EXTRA)}) for r in frame.to_dict(orient="records")]

"""The commands for programme staff: budget (a support programme's outlay, with its Monte Carlo draws)
and track (implemented options' actual figures against the predicted ones)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from commands.argtypes import parse_rule
from commands.data import load_data, store_for
from commands.output import UsageError
from records.plain import plain


def cmd_budget(args: argparse.Namespace) -> list[dict[str, Any]] | pd.DataFrame:
    """A programme's outlay by year and instrument (or per option, or a summary); with ``--sweep``, once per value
    of one parameter, on one reading of the data and one appraisal of the options without support."""
    from programme.budget import baseline, budget_frame, run_programme
    from programme.scenarios import Scenario

    _check_draw_flags(args)
    pack, _, scen_name = args.programme.partition(":")
    params: dict[str, float] = {}
    rule = args.rule
    if scen_name:
        stored = store_for(args).load_scenarios()
        found = [s for s in stored if s["name"] == scen_name]
        if not found:
            raise UsageError(f"unknown scenario {scen_name!r}; stored: {', '.join(s['name'] for s in stored) or 'none'}")
        scen = Scenario.from_dict(found[0])
        if scen.pack != pack:
            raise UsageError(f"scenario {scen_name!r} belongs to programme {scen.pack!r}, not {pack!r}")
        params.update(scen.params)
        rule = rule or scen.rule
    params.update(dict(args.param or []))
    from policies.engine import check_parameters

    runs = _sweep_runs(args, params)
    for run_params in runs.values():
        check_parameters(run_params, args.date, programme=pack)  # a parameter that changes nothing is refused
    rule = rule or parse_rule("payback:3")
    if args.save_scenario:
        store_for(args).save_scenario(args.save_scenario, pack, params, rule.to_dict())
    options, enterprises = load_data(args)
    if not args.all_jurisdictions:
        # a programme reaches the enterprises of its own jurisdiction; others would add amounts in
        # another currency to its totals
        local = enterprises["jurisdiction"] == pack
        if len(enterprises) and not local.any():
            raise UsageError(f"no enterprise in jurisdiction {pack}; --all-jurisdictions runs the programme on them "
                             f"as if they were in {pack} (their amounts taken in its currency)")
        enterprises = enterprises[local]
        options = options[options["enterprise_id"].isin(enterprises["enterprise_id"])]
    if options.empty:
        return []
    # one appraisal without support for every run (run_programme makes its own when there is one)
    base = baseline(options, enterprises, on_date=args.date, with_irr=True if rule.kind == "irr" else None) if args.sweep else None
    frames = []
    for value, run_params in runs.items():
        result = run_programme(options, enterprises, pack, params=run_params or None, on_date=args.date, rule=rule,
                               scenario=scen_name, base=base, government_discount_rate=args.government_discount_rate)
        _note_unused_rules(run_params, result.support)
        frame = (budget_frame(result, by=args.by) if args.draws is None
                 else _budget_draws(args, options, enterprises, pack, run_params, rule, result))
        if value is not None:
            frame.insert(0, "sweep_value", value)
            frame.insert(0, "sweep_param", args.sweep[0])
        frames.append(frame)
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _sweep_runs(args: argparse.Namespace, params: dict[str, float]) -> dict[float | None, dict[str, float]]:
    """The parameters of each run: ``{None: params}`` without ``--sweep``, else one run per swept value (in the
    order given) with the other parameters as given."""
    if not args.sweep:
        return {None: params}
    name, values = args.sweep
    if name in params:
        raise UsageError(f"--sweep {name} and {'--param' if name in dict(args.param or []) else 'the stored scenario'} both "
                         f"set {name}: sweep it or set it, not both")
    if args.save_scenario:
        raise UsageError("--save-scenario stores one scenario; --sweep runs several (save each value with its own --param)")
    return {v: {**params, name: v} for v in values}


def _note_unused_rules(params: dict[str, float], support: pd.DataFrame) -> None:
    """Nothing silent: a rule set by --param (or the scenario) that supports none of the options says so on
    stderr; its parameters leave these records as they would be without it (the records are still given)."""
    from policies.parameters import idle_rules
    from policies.registry import load_packs

    for rule_id in idle_rules(params, support, load_packs()):
        print(f"note: rule {rule_id} supports none of these options with the parameters given; "
              f"its --param values change nothing here (cpscreen appraise --explain says why, option by option)",
              file=sys.stderr)


_DRAW_FLAGS = {"seed": "--seed", "spread": "--spread", "threshold_spread": "--threshold-spread", "envelope": "--envelope", "ration": "--ration", "workers": "--workers",
               "scheduler": "--scheduler", "partitions": "--partitions", "data_dir": "--data-dir"}


def _check_draw_flags(args: argparse.Namespace) -> None:
    """Refuse what would change nothing: a draw flag without --draws, --ration without --envelope."""
    if args.draws is None:
        given = [flag for name, flag in _DRAW_FLAGS.items() if getattr(args, name) is not None]
        if given or args.by == "draw":
            raise UsageError(f"{(given or ['--by draw'])[0]} needs --draws N (the budget has no draws without it)")
        return
    if args.ration is not None and args.envelope is None:
        raise UsageError("--ration needs --envelope AMOUNT (what runs out)")
    if args.envelope is not None and not (args.envelope >= 0):
        raise UsageError(f"--envelope is {args.envelope!r} (expected an amount >= 0)")
    if args.workers is not None and args.scheduler is not None:
        raise UsageError("give --workers N (a local cluster) or --scheduler ADDRESS (a running one), not both")
    if (args.workers is not None or args.scheduler is not None) and (args.by == "option" or args.ration not in (None, "first-come")):
        raise UsageError(f"{'--by option' if args.by == 'option' else '--ration ' + args.ration} needs every draw of every "
                         "option in one process (a global ranking per draw): run it in-process (without "
                         "--workers/--scheduler); --ration first-come runs on the workers")
    if args.data_dir is not None and args.workers is None and args.scheduler is None:
        raise UsageError("--data-dir is where the workers read their partitions: it needs --workers or --scheduler")


def _budget_draws(args: argparse.Namespace, options: pd.DataFrame, enterprises: pd.DataFrame, pack: str,
                  params: dict[str, float], rule: Any, result: Any) -> pd.DataFrame:
    """``cpscreen budget --draws``: the draws' fields added to today's records (programme.mc_records)."""
    from programme.distributed import run_draws
    from programme.mc_records import mc_budget_frame
    from programme.montecarlo import McSpec, option_draws
    from programme.ration import ration

    if args.threshold_spread is not None and ((args.ration is not None and args.workers is None and args.scheduler is None)
                                              or args.by == "option"):
        raise UsageError("--threshold-spread runs on the columnar engine, which gives per-draw sums: not with --by option "
                         "or an in-process --ration (--ration first-come with --workers runs it)")
    spec = McSpec(pack, args.date, rule, draws=args.draws, seed=args.seed or 0, params=params,
                  spreads=dict(args.spread or []), government_discount_rate=args.government_discount_rate,
                  threshold_spread=args.threshold_spread or 0.0)
    od = rationed = None
    distributed = args.workers is not None or args.scheduler is not None
    if (args.ration is not None and not distributed) or args.by == "option":
        od = option_draws(options, enterprises, spec)
        sums = od.sums
        if args.ration is not None:
            rationed = ration(od, args.envelope, args.ration)
    elif args.ration is not None:  # first-come on the workers: two passes of per-draw sums
        from programme.distributed import run_rationed

        sums, rationed = run_rationed(options, enterprises, spec, args.envelope, parts=args.partitions, workers=args.workers,
                                      scheduler=args.scheduler, directory=Path(args.data_dir) if args.data_dir else None)
    else:
        sums = run_draws(options, enterprises, spec, parts=args.partitions, workers=args.workers, scheduler=args.scheduler,
                         directory=Path(args.data_dir) if args.data_dir else None)
    return mc_budget_frame(result, sums, args.by, on_date=args.date, envelope=args.envelope, rationed=rationed, od=od)


def cmd_track(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Implemented options' actual figures against the predicted ones (programme.realised)."""
    from programme.realised import realised_by_jurisdiction, realised_by_option

    options, enterprises = load_data(args)
    if args.jurisdiction:
        known = set(enterprises["jurisdiction"].dropna().astype(str))
        if args.jurisdiction not in known:
            raise UsageError(f"no stored enterprise has jurisdiction {args.jurisdiction!r} (stored: {', '.join(sorted(known)) or 'none'})")
        ids = set(enterprises.loc[enterprises["jurisdiction"] == args.jurisdiction, "enterprise_id"])
        options = options[options["enterprise_id"].isin(ids)]
    frame = (realised_by_jurisdiction if args.by == "jurisdiction" else realised_by_option)(options, enterprises)
    if frame.empty:
        print("note: no option is implemented (status implemented) in these data", file=sys.stderr)
    return [plain(r) for r in frame.to_dict(orient="records")]

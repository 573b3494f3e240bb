"""``cpscreen``: the command line over the same library the app uses (DESIGN.md section 5).

Every command takes ``--format json|csv|table`` (default a readable table) and works on the stored
database (``CPSCREEN_DB``, default ``data/cpscreen.duckdb``) or, where it reads options, on files
given with ``--options FILE --enterprises FILE`` (validated as on import, not stored).  Bad input
exits with status 2 and one line on stderr naming the problem; never a traceback.  JSON output is a
list of records; a missing value is ``null``.

The command names and record fields are a public interface: add, never rename.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

# numpy asks the kernel for transparent huge pages on its large arrays (madvise); where the kernel
# defragments on such faults ('defrag' = madvise, as here) each one may compact memory first, which
# measured 0.5-0.8 s of system time on 300,000 appraisals.  Off for the command line, before numpy
# is imported; NUMPY_MADVISE_HUGEPAGE=1 turns it back on.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from records.plain import plain  # noqa: E402

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


# ----------------------------------------------------------------------------- output



def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready records (missing values as None)."""
    return [plain(r) for r in frame.to_dict(orient="records")]


def emit(records: Any, fmt: str, out: Any = None, output: str | None = None) -> None:
    """Write records (a list of dicts, a frame or ``records.write.Records``) as JSON, CSV, Parquet or a
    readable table, to ``output`` or to ``out`` (default stdout); columnar, no per-record Python."""
    from records.write import write

    write(records, fmt, output, stream=out or sys.stdout)


# ----------------------------------------------------------------------------- data access


def _store(args: argparse.Namespace) -> Any:
    """The database as the acting user: ``--user EMAIL`` (a stored user), else local single-user mode."""
    from store.access import Actor, actor_for
    from store.service import Store

    email = getattr(args, "user", None)
    if not email:
        return Store.open(Actor.local())
    actor = actor_for(None, email)
    if actor is None:
        raise UsageError(f"--user {email}: not a user of this database (an admin adds it: cpscreen users add {email})")
    return Store.open(actor)


def _load_data(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Options and enterprises from ``--options/--enterprises`` files, else from the database."""
    from screening.schema import validate
    from store.readers import read_files  # not store.io's re-export: store.io imports duckdb, files need none

    if getattr(args, "options", None) or getattr(args, "enterprises", None):
        if not (args.options and args.enterprises):
            raise UsageError("--options and --enterprises go together: give both files")
        batch = read_files([args.enterprises, args.options])
        if batch.errors:  # bad cells met while reading (an IAC workbook's costs)
            from screening.schema import ValidationError

            raise ValidationError(batch.errors)
        ent, esrc, erow = batch.combined("enterprises")
        opt, osrc, orow = batch.combined("options")
        if ent is None:
            raise UsageError(f"{args.enterprises}: holds no enterprises (expected columns enterprise_id, name, jurisdiction, size_class)")
        if opt is None:
            raise UsageError(f"{args.options}: holds no options (expected columns option_id, enterprise_id, ...)")
        v = validate(ent, opt, sources={"enterprises": esrc, "options": osrc}, row_offsets={"enterprises": erow, "options": orow})
        options, enterprises = v.options, v.enterprises
    else:
        options, enterprises = _store(args).load_data(getattr(args, "enterprise", None))
    if getattr(args, "enterprise", None):
        options = options[options["enterprise_id"] == args.enterprise].reset_index(drop=True)
        if options.empty and args.enterprise not in set(enterprises["enterprise_id"]):
            raise UsageError(f"unknown enterprise {args.enterprise!r}")
    return options, enterprises


# ----------------------------------------------------------------------------- commands


def cmd_import(args: argparse.Namespace) -> list[dict[str, Any]]:
    report = _store(args).import_files(args.files)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    return [report.as_record()]


def cmd_export(args: argparse.Namespace) -> list[dict[str, Any]]:
    fmt = args.file_format
    paths = _store(args).export_dir(args.dir, fmt, force=args.force)
    return [{"file": str(p)} for p in paths]


def cmd_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    from screening.schema import columns
    from store.io import to_export_frame

    options, _ = _load_data(args)
    cols = columns("options") + [c for c in options.columns if c not in columns("options")]
    frame = to_export_frame(options[cols], "options", formula_safe=False)  # emit escapes CSV output
    return records_of(frame)


def _appraisal(options: pd.DataFrame, enterprises: pd.DataFrame, on_date: date, discount_rate: float | None) -> pd.DataFrame:
    from finance.appraise import appraise_table

    return appraise_table(options, enterprises, on_date, discount_rate=discount_rate, with_support=True)[0]


def _from_db(args: argparse.Namespace) -> bool:
    return not (getattr(args, "options", None) or getattr(args, "enterprises", None))


def cmd_appraise(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One record per option: metrics with support and with suffix ``_no_support``, and the items."""
    options, enterprises = _load_data(args)
    if options.empty:
        return []
    if args.explain:  # one record per option and rule in force: applies, amount, npv_effect, reason
        from finance.explain import explain_appraisal

        return explain_appraisal(options, enterprises, args.date, discount_rate=args.discount_rate)
    if args.cash_flow:
        return _cash_flow_records(options, enterprises, args)
    from finance.appraise import SUPPORT_FIELDS, appraise_columns
    from records.write import Nested, Records

    # the result as columns straight to the writer (no frame built): the same records as appraise_table's
    res, items = appraise_columns(options, enterprises, args.date, discount_rate=args.discount_rate, with_support=True)
    from screening.elf import option_elf_values  # the site's ICI load factor before and after each option

    res["elf_before"], res["elf_after"] = option_elf_values(options.reset_index(drop=True), enterprises)
    if args.no_support:
        # the figures without support are the headline; support is listed but not counted
        for col in [c for c in res if c.endswith("_no_support")]:
            res[col[: -len("_no_support")]] = res[col]
        res["support_total"] = np.zeros(len(res["support_total"]))
        items = items.iloc[:0]
    nested = {"support": Nested(items, SUPPORT_FIELDS)}
    if _from_db(args) and not args.no_support:
        from store.access import AccessDenied

        try:
            _store(args).save_appraisals(Records(res, nested), args.date)
        except AccessDenied as exc:  # a viewer or programme officer reads the figures; storing them is a member's
            print(f"note: the appraisals were not stored: {exc}", file=sys.stderr)
    names = list(res)
    dated = {**{c: res[c] for c in names[:2]}, "appraisal_date": np.full(len(res["support_total"]), args.date.isoformat(), dtype=object),
             **{c: res[c] for c in names[2:]}}
    return Records(dated, nested)  # type: ignore[return-value]


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

    options, enterprises = _load_data(args)
    if options.empty:
        return []
    if args.criteria is None or any(m in args.criteria for m in _METRIC_NAMES):
        metrics = _appraisal(options, enterprises, args.date, None)
        keep = [c for c in metrics.columns if c in _METRIC_NAMES]
        options = options.drop(columns=[c for c in keep if c in options.columns]).merge(
            metrics[["enterprise_id", "option_id", *keep]], on=["enterprise_id", "option_id"], how="left"
        )
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
        _, enterprises = _load_data(argparse.Namespace(**{**vars(args), "enterprise": None}))
    row = enterprises[enterprises["enterprise_id"].astype(str) == args.enterprise]
    if row.empty:
        raise UsageError(f"unknown enterprise {args.enterprise!r}")
    try:
        frame = suggest(row.iloc[0].to_dict(), top=args.top)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return [plain({k: r[k] for k in (*FIELDS, *EXTRA)}) for r in frame.to_dict(orient="records")]


def cmd_track(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Implemented options' actual figures against the predicted ones (programme.realised)."""
    from programme.realised import realised_by_jurisdiction, realised_by_option

    options, enterprises = _load_data(args)
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


_METRIC_NAMES = (
    "npv", "irr", "mirr", "simple_payback_years", "discounted_payback_years", "npv_ratio", "benefit_cost_ratio",
    "equivalent_annual_value", "support_total", "npv_no_support", "irr_no_support", "simple_payback_years_no_support",
    "discounted_payback_years_no_support", "npv_ratio_no_support",
    "npv_tier1", "npv_full",  # Total Cost Assessment: conventional and full view (finance.tca)
)


def _rule(text: str) -> Any:
    from programme.uptake import DecisionRule

    kind, _, value = text.partition(":")
    try:
        if kind == "payback":
            return DecisionRule("payback", payback_limit=float(value or 3))
        if kind == "npv":
            return DecisionRule("npv")
        if kind == "irr":
            return DecisionRule("irr", hurdle=float(value or 0.1))
        if kind == "logistic":
            from programme.uptake import IAC_UPTAKE_RULE

            if not value:
                return IAC_UPTAKE_RULE  # the curve fitted on the IAC decisions (bench/iac_uptake_fit.py)
            parts = value.split(":")
            if len(parts) in (2, 3) and (len(parts) == 2 or parts[2] in ("log", "none")):
                return DecisionRule("logistic", intercept=float(parts[0]), slope=float(parts[1]),
                                    transform=parts[2] if len(parts) == 3 else "none")  # type: ignore[arg-type]
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"expected payback[:YEARS], npv, irr[:HURDLE] or logistic[:INTERCEPT:SLOPE[:log]], got {text!r}")


def _param(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER such as NL-CP-GRANT.rate=0.25, got {text!r}") from None


def cmd_budget(args: argparse.Namespace) -> list[dict[str, Any]]:
    """A programme's outlay by year and instrument (or per option, or a summary)."""
    from programme.budget import budget_frame, run_programme
    from programme.scenarios import Scenario

    _check_draw_flags(args)
    pack, _, scen_name = args.programme.partition(":")
    params: dict[str, float] = {}
    rule = args.rule
    if scen_name:
        stored = _store(args).load_scenarios()
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

    check_parameters(params, args.date, programme=pack)  # a parameter that changes nothing is refused
    rule = rule or _rule("payback:3")
    if args.save_scenario:
        _store(args).save_scenario(args.save_scenario, pack, params, rule.to_dict())
    options, enterprises = _load_data(args)
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
    result = run_programme(options, enterprises, pack, params=params or None, on_date=args.date, rule=rule, scenario=scen_name,
                           government_discount_rate=args.government_discount_rate)
    if args.draws is None:
        return budget_frame(result, by=args.by)
    return _budget_draws(args, options, enterprises, pack, params, rule, result)


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


def _spread(text: str) -> tuple[str, float]:
    name, sep, value = text.partition("=")
    value = value.strip()
    try:
        if not sep:
            raise ValueError
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected COLUMN=P% such as annual_savings=20%, got {text!r}") from None
    return name.strip(), share


def _share(text: str) -> float:
    value = text.strip()
    try:
        share = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a share such as 30% or 0.3, got {text!r}") from None
    if not (share >= 0 and share < float("inf")):
        raise argparse.ArgumentTypeError(f"expected a share >= 0 such as 30%, got {text!r}")
    return share


def cmd_risk(args: argparse.Namespace) -> Any:
    """Monte Carlo risk per option (finance.risk): NPV distribution, P(NPV < 0), medians, drivers."""
    from finance.risk import risk

    options, enterprises = _load_data(args)
    if options.empty:
        return []
    return risk(options, enterprises, args.date, draws=args.draws, seed=args.seed, spreads=dict(args.spread or []),
                correlation=args.correlation, discount_rate=args.discount_rate)


def cmd_policies(args: argparse.Namespace) -> list[dict[str, Any]]:
    from policies.catalog import list_packs, show_pack

    if args.action == "list":
        return [plain(r) for r in list_packs(args.date)]
    if not args.code:
        raise UsageError("policies show: name a pack code, e.g. cpscreen policies show NL")
    return [plain(r) for r in show_pack(args.code)]



def cmd_users(args: argparse.Namespace) -> Any:
    """The service's users and memberships: add, list, grant, revoke (admins, or local mode)."""
    store = _store(args)
    if args.action == "list":
        return store.list_users()
    if not args.email:
        raise UsageError(f"users {args.action}: name the user's e-mail address")
    if args.action == "add":
        if args.role:
            raise UsageError("users add takes no ROLE: add the user, then cpscreen users grant EMAIL ROLE [SCOPE]")
        return [store.add_user(args.email, args.name or "")]
    if args.name:
        raise UsageError(f"--name goes with users add, not users {args.action}")
    if not args.role:
        raise UsageError(f"users {args.action}: name the role ({', '.join(_ROLES)}) and its scope")
    fn = store.grant if args.action == "grant" else store.revoke
    return [fn(args.email, args.role, args.scope)]


_ROLES = ("member", "viewer", "programme_officer", "admin")


def cmd_audit(args: argparse.Namespace) -> Any:
    """The audit trail, newest first (admins, or local mode)."""
    return _store(args).audit(limit=args.limit)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def _rate(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a rate such as 0.08, got {text!r}") from None
    if not -0.99 < v < 10:
        raise argparse.ArgumentTypeError(f"rate {v} out of range (-0.99, 10)")
    return v


# ----------------------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad usage in one line with exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


class _GovernmentRate(argparse.Action):
    """``budget --government-discount-rate``: its default, :data:`programme.outlay.GOVERNMENT_DISCOUNT_RATE`, and the
    help naming it are read when the budget command runs or shows its help, not when the parser is built
    (``programme.outlay`` loads numba: ~0.2 s of start-up that ``import`` and every other command would pay)."""

    @property
    def default(self) -> float:  # type: ignore[override]
        from programme.outlay import GOVERNMENT_DISCOUNT_RATE

        return GOVERNMENT_DISCOUNT_RATE

    @default.setter
    def default(self, _value: object) -> None:
        pass

    @property
    def help(self) -> str:  # type: ignore[override]
        return (f"real rate for the pv_* (present value to the treasury) fields, default {self.default} "
                "(EC Better Regulation Toolbox, tool #61)")

    @help.setter
    def help(self, _value: object) -> None:
        pass

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: object,
                 option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)


def _common(p: argparse.ArgumentParser, *, files: bool = True) -> None:
    p.add_argument("--format", choices=("table", "json", "csv", "parquet"), default="table",
                   help="output format (default: a readable table; parquet needs --output)")
    p.add_argument("--output", metavar="FILE", help="write the records to FILE instead of standard output")
    p.add_argument("--db", help="database file (default: $CPSCREEN_DB or data/cpscreen.duckdb); must exist unless the command imports")
    _db_flags(p)
    _user_flag(p)
    if files:
        p.add_argument("--options", metavar="FILE", help="options file in the import format (validated, not stored)")
        p.add_argument("--enterprises", metavar="FILE", help="enterprises file in the import format (with --options)")




def _db_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--create", action="store_true", help="create the database named by --db or CPSCREEN_DB if it does not exist")
    p.add_argument("--errors", metavar="FILE", help="on bad input, write every bad cell to FILE (CSV; .json or .parquet by its name)")


def _user_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", metavar="EMAIL", help="act as this stored user, with its roles (default: local single-user "
                   "mode, full access)")


def _write_errors(exc: Any, path: str) -> str:
    """Every bad cell of a refused input to ``path``; returns the words the error line adds."""
    frame = exc.frame()
    low = path.lower()
    if low.endswith(".json"):
        frame.astype(object).where(frame.notna(), None).to_json(path, orient="records", force_ascii=False, indent=1)
    elif low.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    else:
        frame.to_csv(path, index=False)
    return f"; all {len(frame):,} written to {path}"


def _must_exist(args: argparse.Namespace) -> bool:
    """A database named with --db or CPSCREEN_DB must exist unless the command imports or --create."""
    named = bool(getattr(args, "db", None) or os.environ.get("CPSCREEN_DB"))
    return named and args.command != "import" and not getattr(args, "create", False)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cpscreen",
        description="Screen, rank and appraise cleaner-production options, with and without subsidies and tax incentives.",
        epilog="Data: the stored database ($CPSCREEN_DB, default data/cpscreen.duckdb) or files in the import format.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("import", help="import files (CSV, XLSX, Parquet, IAC workbook) in one all-or-nothing transaction",
                       description="Import enterprises, options and assessors' scores. Each file's kind is recognised from its "
                       "columns (a workbook's from its sheets; an IAC workbook from ASSESS and RECC). All files of one call go "
                       "in one transaction: one bad cell anywhere and nothing is stored.")
    p.add_argument("files", nargs="+", metavar="FILE")
    _common(p, files=False)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="export enterprises and options in the import format, formula-safe",
                       description="Write enterprises, options and assessors' scores to DIR in the import format. Text cells "
                       "and headers a spreadsheet would run as formulas (= + - @, their full-width forms, after leading "
                       "blanks) are prefixed with an apostrophe in CSV and XLSX; import removes it again. Existing files "
                       "are not overwritten, nor symbolic links followed, without --force.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--force", action="store_true",
                   help="overwrite existing export files (a symbolic link is replaced by the file, never followed)")
    p.add_argument("--format", dest="file_format", choices=("csv", "xlsx", "parquet"), default="csv",
                   help="file format of the export (default csv); the list of files written is printed as a table")
    p.add_argument("--db", help="database file (default: $CPSCREEN_DB or data/cpscreen.duckdb); must exist")
    _db_flags(p)
    _user_flag(p)
    p.set_defaults(func=cmd_export, format="table")

    p = sub.add_parser("suggest", help="measures recommended at similar US plants (US DOE IAC), for one enterprise",
                       description="Suggestions from real plants: per ARC code, the number of IAC recommendations at plants "
                       "of the enterprise's sector (NACE -> SIC major group, data/sector_map.csv) and size, the share "
                       "implemented, and median cost, savings and payback, USD converted into the enterprise's currency "
                       "at the ECB rates of 2025-02-28. Records: arc_code, title, category, recommended, implemented_share, "
                       "median_investment, median_annual_savings, median_payback_years, currency, level, basis, usd_rate.")
    p.add_argument("--enterprise", metavar="ID", required=True, help="the enterprise")
    p.add_argument("--top", type=int, metavar="K", default=10, help="number of suggestions (default 10)")
    _common(p)
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("track", help="implemented options: actual investment, savings, energy and CO2e against predicted",
                       description="Implementation tracking for programme staff: the options with status implemented, their "
                       "actual figures (actual_investment, actual_annual_savings, actual_energy_saved_mwh, "
                       "actual_co2e_avoided_t) against the predicted ones. --by option (default): enterprise_id, option_id, "
                       "jurisdiction, currency, implemented_on, predicted_F, actual_F, ratio_F for F in investment, "
                       "annual_savings, energy_saved_mwh, co2e_avoided_t, and note. --by jurisdiction: per jurisdiction "
                       "and currency, implemented, with_actuals, compared_F, predicted_F, actual_F (sums over the options "
                       "recording both) and ratio_F (ratio of the sums). Ratios are actual / predicted, null where undefined.")
    p.add_argument("--by", choices=("option", "jurisdiction"), default="option", help="records per option (default) or per jurisdiction")
    p.add_argument("--jurisdiction", metavar="CODE", help="only enterprises of this jurisdiction (policy pack code)")
    _common(p)
    p.set_defaults(func=cmd_track)

    p = sub.add_parser("list", help="one record per stored option (import-format columns)",
                       description="List options in the import format, from the database or from files.")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("appraise", help="after-tax cash-flow appraisal of every option, with and without support",
                       description="NPV, IRR, MIRR, simple and discounted payback, NPV ratio, with the support of the "
                       "enterprise's jurisdiction (policy pack) on the date and without it (suffix _no_support). Payback "
                       "is after tax, support included (field payback_basis). Stored data: results are written back with "
                       "the pack version used.")
    p.add_argument("--date", type=_date, default=date.today(), help="appraisal date YYYY-MM-DD: the rules in force then (default today)")
    p.add_argument("--discount-rate", type=_rate, help="discount rate for every option [/1] (default: the enterprise's, else 0.08)")
    p.add_argument("--no-support", action="store_true", help="headline figures without any subsidy or tax incentive")
    p.add_argument("--cash-flow", action="store_true",
                   help="the cash flow line by line: one record per option and year t = 0..N (savings, cost_change, "
                        "depreciation, tax_deductions, taxable_profit, tax, support, net_cash_flow, ..., "
                        "discounted_net_cash_flow summing to the option's npv); nothing is stored")
    p.add_argument("--explain", action="store_true",
                   help="one record per option and rule in force: enterprise_id, option_id, rule_id, applies, amount, "
                        "npv_effect, reason (why it applies or not)")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=cmd_appraise)

    p = sub.add_parser("rank", help="multi-criteria ranking (weighted sum, TOPSIS, VIKOR, weighted product)",
                       description="Rank options. Criteria: COL:max|min:WEIGHT[,...] over any numeric column, including "
                       "appraisal metrics (npv, irr, simple_payback_years, ...). Default: the default weight profile. "
                       "Records: option_id, rank (1 = best, no ties), score, score_direction, sort_class, sort_reason, "
                       "and contributions for wsm.")
    p.add_argument("--method", choices=("wsm", "topsis", "vikor", "wpm"), default="wsm", help="MCDA method (default wsm)")
    p.add_argument("--criteria", metavar="SPEC", help="COL:max|min:WEIGHT[,...] (default: the weight profile)")
    p.add_argument("--scaling", choices=("minmax", "vector", "sum", "none"), help="scaling (default minmax for wsm, vector for topsis)")
    from screening.criteria import PROFILE_HELP

    p.add_argument("--profile", default="default", help="named weight profile when --criteria is not given (default 'default'): "
                   + "; ".join(f"{k}: {v}" for k, v in PROFILE_HELP.items()))
    p.add_argument("--top", type=int, metavar="K", help="only the K best options")
    p.add_argument("--draws", type=int, metavar="N", help="robustness: N weight draws (spread 0.5); records gain share_first "
                   "and share_top_3, the share of draws in which the option ranks first and in the top 3 [/1]")
    p.add_argument("--seed", type=int, default=0, help="seed of the --draws (default 0)")
    p.add_argument("--input-draws", type=int, metavar="N", dest="input_draws",
                   help="robustness to the inputs: N draws of each option's investment, savings, cost change and "
                        "lifetime (as cpscreen risk, default spreads, --seed), each appraised and ranked; records gain "
                        "share_first_inputs and share_top_3_inputs [/1]")
    p.add_argument("--date", type=_date, default=date.today(), help="appraisal date for metric criteria (default today)")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser("budget", help="a support programme's outlay by year and instrument, deadweight, cost per tonne",
                       description="Apply a programme (a policy pack, optionally a stored scenario of its parameters) to "
                       "the options: outlay by year and instrument (grants at payment, tax incentives as tax expenditure "
                       "when they arise), per-enterprise caps, uptake under a decision rule, deadweight (support to options "
                       "that pass without it), cost per tonne and leverage.")
    p.add_argument("--programme", required=True, metavar="PACK[:SCENARIO]", help="policy pack code, optionally :SCENARIO stored earlier")
    p.add_argument("--by", choices=("year", "instrument", "option", "summary", "draw"), default="year",
                   help="record per year (default), instrument, option, or one summary; with --draws also one per draw")
    p.add_argument("--rule", type=_rule, help="uptake rule: payback[:YEARS] (default payback:3), npv, irr[:HURDLE], "
                   "logistic[:INTERCEPT:SLOPE[:log]] (default: the curve fitted on the IAC decisions, ln payback)")
    p.add_argument("--draws", type=int, metavar="N", help="Monte Carlo draws over the options' inputs and uptake: adds "
                   "outlay_mean/_p10/_p50/_p90 by year, total_outlay_p10/_p50/_p90, prob_over_envelope, cost_per_t_co2e_p50")
    p.add_argument("--seed", type=int, metavar="S", help="seed of the counter-based generator of --draws (default 0)")
    p.add_argument("--spread", type=_spread, action="append", metavar="COL=P%",
                   help="relative spread of an uncertain input for --draws (repeatable; default as cpscreen risk)")
    p.add_argument("--threshold-spread", type=_share, metavar="P%", dest="threshold_spread",
                   help="with --draws and the payback rule: each enterprise's payback limit L is drawn per draw, "
                   "triangular on L(1-P)..L..L(1+P) (e.g. 30%%)")
    p.add_argument("--envelope", type=float, metavar="AMOUNT", help="money available (nominal, over the programme): "
                   "prob_over_envelope; with --ration, what it buys")
    p.add_argument("--ration", choices=("first-come", "cost-per-tonne", "npv-ratio"),
                   help="fund applications in this order until the --envelope runs out")
    p.add_argument("--workers", type=int, metavar="N", help="run the draws on a local Dask cluster of N workers (127.0.0.1)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run the draws on a running Dask cluster, e.g. tcp://HOST:8786")
    p.add_argument("--partitions", type=int, metavar="N", help="partitions of the options (whole enterprises; default one "
                   "per 25,000 options); figures do not depend on where they run")
    p.add_argument("--data-dir", metavar="DIR", help="where the Parquet partitions are written for the workers (must be "
                   "readable by every worker at the same path; default a temporary directory)")
    p.add_argument("--param", type=_param, action="append", metavar="NAME=VALUE", help="programme parameter, e.g. NL-CP-GRANT.rate=0.25 (repeatable)")
    p.add_argument("--save-scenario", metavar="NAME", help="store these parameters and rule as scenario NAME of the programme")
    p.add_argument("--all-jurisdictions", action="store_true",
                   help="offer the programme to every enterprise, not only those of the pack's jurisdiction")
    p.add_argument("--government-discount-rate", type=float, action=_GovernmentRate, metavar="RATE")
    p.add_argument("--date", type=_date, default=date.today(), help="date whose rules apply (default today)")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=cmd_budget)

    p = sub.add_parser("risk", help="Monte Carlo risk of each option: NPV distribution, probability of a loss, drivers",
                       description="Draw each option's uncertain inputs (investment, annual_savings, annual_cost_change, "
                       "lifetime_years: triangular around the given value, from the option's <input>_low/<input>_high "
                       "columns or a relative spread) and appraise every draw with the support in force. Records: "
                       "draws, npv_mean, npv_p10, npv_p50, npv_p90, prob_npv_negative, irr_p50, "
                       "simple_payback_years_p50, drivers (input -> share of the NPV variance).")
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="draws per option (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the counter-based generator (default 0)")
    p.add_argument("--spread", type=_spread, action="append", metavar="COL=P%",
                   help="relative spread of an input for options without their own bounds, e.g. annual_savings=20%% "
                        "(repeatable; defaults: investment 25%%, annual_savings 30%%, annual_cost_change 30%%, "
                        "lifetime_years 20%%)")
    p.add_argument("--correlation", type=float, default=0.0, metavar="R",
                   help="correlation of annual savings and cost change, -1..1 (default 0)")
    p.add_argument("--discount-rate", type=_rate, help="discount rate for every option [/1] (default: the enterprise's, else 0.08)")
    p.add_argument("--date", type=_date, default=date.today(), help="appraisal date YYYY-MM-DD (default today)")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=cmd_risk)

    p = sub.add_parser("policies", help="browse the policy packs: list | show CODE",
                       description="List the jurisdictions' policy packs, or show one pack's rules with rates, conditions, "
                       "dates, sources and unverified flags.")
    p.add_argument("action", choices=("list", "show"))
    p.add_argument("code", nargs="?", help="pack code for show, e.g. NL")
    p.add_argument("--date", type=_date, help="with list: the tax rate in force on this date (default today)")
    _common(p, files=False)
    p.set_defaults(func=cmd_policies)

    p = sub.add_parser("users", help="the service's users and their roles: add | list | grant | revoke",
                       description="Users of a shared deployment and their memberships: member or viewer of an "
                       "enterprise, programme_officer of a jurisdiction, admin. Only an admin (or local mode) changes "
                       "them; every change is in the audit trail. Records: email, name, role, scope (list), or what "
                       "was changed.")
    p.add_argument("action", choices=("add", "list", "grant", "revoke"))
    p.add_argument("email", nargs="?", metavar="EMAIL")
    p.add_argument("role", nargs="?", choices=_ROLES, metavar="ROLE", help=f"with grant/revoke: {', '.join(_ROLES)}")
    p.add_argument("scope", nargs="?", metavar="SCOPE", help="enterprise id (member, viewer) or jurisdiction code "
                   "(programme_officer); none for admin")
    p.add_argument("--name", help="with add: the user's name")
    _common(p, files=False)
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("audit", help="the audit trail: who changed what, when (admins)",
                       description="Every change (import, edit, delete, appraisal save, scenario save, user and "
                       "membership change), newest first: seq, changed_at (UTC), user_email, action, what, enterprises, "
                       "before_digest, after_digest (rows:md5 of the touched enterprises' rows before and after).")
    p.add_argument("--limit", type=int, metavar="N", help="only the N newest changes")
    _common(p, files=False)
    p.set_defaults(func=cmd_audit)

    return parser


class _NoBlasProbe:
    """An import finder that answers "not installed" for ``scipy.linalg`` when (and only when)
    numba's ``numba.np.arraymath`` module asks for it while it is being initialised.

    Numba sets up its CPU target on the first call of a compiled kernel, cached or not; that
    imports ``numba.np.arraymath``, which probes for a BLAS by importing ``scipy.linalg`` (all of
    it: 0.3 s of CPU, more than a third of the kernels' start).  The probe's answer
    (``numba.np.arraymath._HAVE_BLAS``) decides one thing: whether ``np.correlate`` and
    ``np.convolve`` compiled later in the process call BLAS or a loop.  No kernel of this project
    calls either (``tests/cli/test_cli_start.py`` checks), and every other BLAS user (``np.dot``
    and ``np.linalg`` in a kernel) imports ``scipy.linalg`` when it is compiled, which this finder
    then allows, as it allows every import outside that one module's initialisation.  Where
    numba no longer probes this way the finder is never consulted at such a moment: nothing changes.
    """

    @staticmethod
    def find_spec(name: str, path: object = None, target: object = None) -> None:
        if name == "scipy.linalg" or name.startswith("scipy.linalg."):
            probing = sys.modules.get("numba.np.arraymath")
            if probing is not None and getattr(getattr(probing, "__spec__", None), "_initializing", False):
                # only the import asked for by that module's own code on this thread: another
                # thread importing scipy.linalg meanwhile gets it
                frame = sys._getframe(1)
                while frame is not None:
                    if frame.f_globals.get("__name__") == "numba.np.arraymath":
                        raise ModuleNotFoundError(f"{name} is not probed at numba's start (cli._NoBlasProbe)", name=name)
                    frame = frame.f_back
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cpscreen`` console script; returns the exit status."""
    import warnings

    if not any(isinstance(f, _NoBlasProbe) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoBlasProbe())
    # The command's imports (programme, policies, pydantic models, numba) build ~1M long-lived objects
    # and next to no garbage, yet set off full collections that walk all of them (0.2-0.3 s of CPU a
    # run).  Off while they load; _main freezes what they built (never collected: module state) and
    # turns collection back on, so later full collections walk only what the command itself makes.
    gc_on = gc.isenabled()
    gc.disable()
    with warnings.catch_warnings():
        # numpy's RuntimeWarnings (overflow, invalid value in a reduction) would add stderr lines
        # to the one-line contract; undefined results are reported in the records themselves
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            return _main(argv, gc_on)
        finally:
            from store.db import require_existing

            require_existing(False)
            if gc_on:
                gc.enable()


def _main(argv: Sequence[str] | None, gc_on: bool = True) -> int:
    from screening.schema import ValidationError
    from store.db import StoreError, require_existing, store_fault

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = None
    try:
        args = parser.parse_args(argv)
        if gc_on:
            gc.freeze()
            gc.enable()
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_BAD_INPUT
        if getattr(args, "db", None):
            os.environ["CPSCREEN_DB"] = args.db
        require_existing(_must_exist(args))
        records = args.func(args)
        fmt = getattr(args, "format", "table")
        output = getattr(args, "output", None)
        if fmt == "parquet" and not output:
            raise UsageError("--format parquet writes a file: give --output FILE")
        emit(records, fmt, output=output)
        sys.stdout.flush()
        return 0
    except BrokenPipeError:  # output piped into head and closed early: not an error
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    except UsageError as exc:
        print(f"cpscreen: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValidationError as exc:
        where = getattr(args, "errors", None)
        try:
            tail = _write_errors(exc, where) if where else (f"; --errors FILE lists all {exc.count:,}" if exc.count > 5 else "")
        except OSError as werr:
            tail = f"; the list could not be written to {where}: {werr.strerror or werr}"
        print(f"cpscreen: error: {exc.summary()}{tail}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreError as exc:
        print(f"cpscreen: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, KeyError, FileNotFoundError, OSError) as exc:
        if type(exc).__module__.startswith(("duckdb", "_duckdb")):
            print(f"cpscreen: error: {store_fault(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = msg if len(msg) <= 300 else msg[:300] + "..."
        print(f"cpscreen: error: {msg}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - the contract: one line, never a traceback
        if type(exc).__module__.startswith(("duckdb", "_duckdb")):  # a damaged database, a dropped table
            print(f"cpscreen: error: {store_fault(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"cpscreen: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The ``cpscreen`` argument parser: the commands, their flags and help (the public interface of DESIGN.md
section 5: add, never rename).  Each command's function is looked up on its module when the parser is
built; none of them, nor any heavy library, is imported here beyond what the help texts need."""

from __future__ import annotations

import argparse
from datetime import date

from commands import budget, screen, stored
from commands.argtypes import (GovernmentRate, Parser, parse_date, parse_param, parse_rate, parse_rule, parse_share, parse_sweep,
                               parse_spread)


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


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="cpscreen",
        description="Screen, rank and appraise cleaner-production options, with and without subsidies and tax incentives.",
        epilog="Data: the stored database ($CPSCREEN_DB, default data/cpscreen.duckdb) or files in the import format.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("import", help="import files (CSV, XLSX, Parquet, IAC workbook) in one all-or-nothing transaction",
                       description="Import enterprises, options and assessors' scores. Each file's kind is recognised from its "
                       "columns (a workbook's from its sheets; an IAC workbook from ASSESS and RECC). All files of one call go "
                       "in one transaction: one bad cell anywhere and nothing is stored.")
    p.add_argument("files", nargs="+", metavar="FILE")
    _common(p, files=False)
    p.set_defaults(func=stored.cmd_import)

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
    p.set_defaults(func=stored.cmd_export, format="table")

    p = sub.add_parser("suggest", help="measures recommended at similar US plants (US DOE IAC), for one enterprise",
                       description="Suggestions from real plants: per ARC code, the number of IAC recommendations at plants "
                       "of the enterprise's sector (NACE -> SIC major group, data/sector_map.csv) and size, the share "
                       "implemented, and median cost, savings and payback, USD converted into the enterprise's currency "
                       "at the ECB rates of 2025-02-28. Records: arc_code, title, category, recommended, implemented_share, "
                       "median_investment, median_annual_savings, median_payback_years, currency, level, basis, usd_rate.")
    p.add_argument("--enterprise", metavar="ID", required=True, help="the enterprise")
    p.add_argument("--top", type=int, metavar="K", default=10, help="number of suggestions (default 10)")
    _common(p)
    p.set_defaults(func=screen.cmd_suggest)

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
    p.set_defaults(func=budget.cmd_track)

    p = sub.add_parser("list", help="one record per stored option (import-format columns)",
                       description="List options in the import format, from the database or from files.")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=stored.cmd_list)

    p = sub.add_parser("appraise", help="after-tax cash-flow appraisal of every option, with and without support",
                       description="NPV, IRR, MIRR, simple and discounted payback, NPV ratio, with the support of the "
                       "enterprise's jurisdiction (policy pack) on the date and without it (suffix _no_support). Payback "
                       "is after tax, support included (field payback_basis). Stored data: results are written back with "
                       "the pack version used.")
    p.add_argument("--date", type=parse_date, default=date.today(), help="appraisal date YYYY-MM-DD: the rules in force then (default today)")
    p.add_argument("--discount-rate", type=parse_rate, help="discount rate for every option [/1] (default: the enterprise's, else 0.08)")
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
    p.set_defaults(func=screen.cmd_appraise)

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
    p.add_argument("--date", type=parse_date, default=date.today(), help="appraisal date for metric criteria (default today)")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=screen.cmd_rank)

    p = sub.add_parser("budget", help="a support programme's outlay by year and instrument, deadweight, cost per tonne",
                       description="Apply a programme (a policy pack, optionally a stored scenario of its parameters) to "
                       "the options: outlay by year and instrument (grants at payment, tax incentives as tax expenditure "
                       "when they arise), per-enterprise caps, uptake under a decision rule, deadweight (support to options "
                       "that pass without it), cost per tonne and leverage.")
    p.add_argument("--programme", required=True, metavar="PACK[:SCENARIO]", help="policy pack code, optionally :SCENARIO stored earlier")
    p.add_argument("--by", choices=("year", "instrument", "option", "summary", "draw"), default="year",
                   help="record per year (default), instrument, option, or one summary; with --draws also one per draw")
    p.add_argument("--rule", type=parse_rule, help="uptake rule: payback[:YEARS] (default payback:3), npv, irr[:HURDLE], "
                   "logistic[:INTERCEPT:SLOPE[:log]] (default: the curve fitted on the IAC decisions, ln payback)")
    p.add_argument("--draws", type=int, metavar="N", help="Monte Carlo draws over the options' inputs and uptake: adds "
                   "outlay_mean/_p10/_p50/_p90 by year, total_outlay_p10/_p50/_p90, prob_over_envelope, cost_per_t_co2e_p50")
    p.add_argument("--seed", type=int, metavar="S", help="seed of the counter-based generator of --draws (default 0)")
    p.add_argument("--spread", type=parse_spread, action="append", metavar="COL=P%",
                   help="relative spread of an uncertain input for --draws (repeatable; default as cpscreen risk)")
    p.add_argument("--threshold-spread", type=parse_share, metavar="P%", dest="threshold_spread",
                   help="with --draws and the payback rule: each enterprise's payback limit L is drawn per draw, "
                   "triangular on L(1-P)..L..L(1+P) (e.g. 30%%; at most 100%%)")
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
    p.add_argument("--param", type=parse_param, action="append", metavar="NAME=VALUE", help="programme parameter, e.g. NL-CP-GRANT.rate=0.25 (repeatable)")
    p.add_argument("--sweep", type=parse_sweep, metavar="NAME=V1,V2[,...]",
                   help="run the programme once per value of parameter NAME (the other parameters as given), reading the data "
                   "and appraising the options without support once; every record gains sweep_param and sweep_value, first")
    p.add_argument("--save-scenario", metavar="NAME", help="store these parameters and rule as scenario NAME of the programme")
    p.add_argument("--all-jurisdictions", action="store_true",
                   help="offer the programme to every enterprise, not only those of the pack's jurisdiction")
    p.add_argument("--government-discount-rate", type=float, action=GovernmentRate, metavar="RATE")
    p.add_argument("--date", type=parse_date, default=date.today(), help="date whose rules apply (default today)")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=budget.cmd_budget)

    p = sub.add_parser("risk", help="Monte Carlo risk of each option: NPV distribution, probability of a loss, drivers",
                       description="Draw each option's uncertain inputs (investment, annual_savings, annual_cost_change, "
                       "lifetime_years: triangular around the given value, from the option's <input>_low/<input>_high "
                       "columns or a relative spread) and appraise every draw with the support in force. Records: "
                       "draws, npv_mean, npv_p10, npv_p50, npv_p90, prob_npv_negative, irr_p50, "
                       "simple_payback_years_p50, drivers (input -> share of the NPV variance).")
    p.add_argument("--draws", type=int, default=1000, metavar="N", help="draws per option (default 1000)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the counter-based generator (default 0)")
    p.add_argument("--spread", type=parse_spread, action="append", metavar="COL=P%",
                   help="relative spread of an input for options without their own bounds, e.g. annual_savings=20%% "
                        "(repeatable; defaults: investment 25%%, annual_savings 30%%, annual_cost_change 30%%, "
                        "lifetime_years 20%%; investment and lifetime_years at most 100%%, lives kept within 1-50 years)")
    p.add_argument("--correlation", type=float, default=0.0, metavar="R",
                   help="correlation of annual savings and cost change, -1..1 (default 0)")
    p.add_argument("--discount-rate", type=parse_rate, help="discount rate for every option [/1] (default: the enterprise's, else 0.08)")
    p.add_argument("--date", type=parse_date, default=date.today(), help="appraisal date YYYY-MM-DD (default today)")
    p.add_argument("--enterprise", metavar="ID", help="only this enterprise's options")
    _common(p)
    p.set_defaults(func=screen.cmd_risk)

    p = sub.add_parser("policies", help="browse the policy packs: list | show CODE",
                       description="List the jurisdictions' policy packs, or show one pack's rules with rates, conditions, "
                       "dates, sources and unverified flags.")
    p.add_argument("action", choices=("list", "show"))
    p.add_argument("code", nargs="?", help="pack code for show, e.g. NL")
    p.add_argument("--date", type=parse_date, help="with list: the tax rate in force on this date (default today)")
    _common(p, files=False)
    p.set_defaults(func=stored.cmd_policies)

    p = sub.add_parser("users", help="the service's users and their roles: add | list | grant | revoke",
                       description="Users of a shared deployment and their memberships: member or viewer of an "
                       "enterprise, programme_officer of a jurisdiction, admin. Only an admin (or local mode) changes "
                       "them; every change is in the audit trail. Records: email, name, role, scope (list), or what "
                       "was changed.")
    p.add_argument("action", choices=("add", "list", "grant", "revoke"))
    p.add_argument("email", nargs="?", metavar="EMAIL")
    p.add_argument("role", nargs="?", choices=stored.ROLES, metavar="ROLE", help=f"with grant/revoke: {', '.join(stored.ROLES)}")
    p.add_argument("scope", nargs="?", metavar="SCOPE", help="enterprise id (member, viewer) or jurisdiction code "
                   "(programme_officer); none for admin")
    p.add_argument("--name", help="with add: the user's name")
    _common(p, files=False)
    p.set_defaults(func=stored.cmd_users)

    p = sub.add_parser("audit", help="the audit trail: who changed what, when (admins)",
                       description="Every change (import, edit, delete, appraisal save, scenario save, user and "
                       "membership change), newest first: seq, changed_at (UTC), user_email, action, what, enterprises, "
                       "before_digest, after_digest (rows:md5 of the touched enterprises' rows before and after).")
    p.add_argument("--limit", type=int, metavar="N", help="only the N newest changes")
    _common(p, files=False)
    p.set_defaults(func=stored.cmd_audit)

    return parser

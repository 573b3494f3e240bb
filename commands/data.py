"""Where a command's data come from: the database as the acting user (``--user``), or the
``--options/--enterprises`` files validated as on import and not stored."""

from __future__ import annotations

import argparse
import os
from typing import Any

import pandas as pd

from commands.output import UsageError


def store_for(args: argparse.Namespace) -> Any:
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


def load_data(args: argparse.Namespace) -> tuple[pd.DataFrame, pd.DataFrame]:
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
        options, enterprises = store_for(args).load_data(getattr(args, "enterprise", None))
    if getattr(args, "enterprise", None):
        options = options[options["enterprise_id"] == args.enterprise].reset_index(drop=True)
        if options.empty and args.enterprise not in set(enterprises["enterprise_id"]):
            raise UsageError(f"unknown enterprise {args.enterprise!r}")
    return options, enterprises


def from_db(args: argparse.Namespace) -> bool:
    return not (getattr(args, "options", None) or getattr(args, "enterprises", None))


def must_exist(args: argparse.Namespace) -> bool:
    """A database named with --db or CPSCREEN_DB must exist unless the command imports or --create."""
    named = bool(getattr(args, "db", None) or os.environ.get("CPSCREEN_DB"))
    return named and args.command != "import" and not getattr(args, "create", False)

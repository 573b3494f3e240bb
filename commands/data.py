"""Where a command's data come from: the database as the acting user (``--user``), or the
``--options/--enterprises`` files validated as on import and not stored."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
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


def load_data(args: argparse.Namespace, meanwhile: Callable[[], object] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Options and enterprises from ``--options/--enterprises`` files, else from the database.

    ``meanwhile``: work of the command's own (its imports) done on this thread while another
    reads the files (:func:`read_while`); not called when the data come from the database.
    """
    from screening.schema import validate

    if getattr(args, "options", None) or getattr(args, "enterprises", None):
        if not (args.options and args.enterprises):
            raise UsageError("--options and --enterprises go together: give both files")
        batch = read_while([args.enterprises, args.options], meanwhile)
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


def read_while(paths: Sequence[str], meanwhile: Callable[[], object] | None) -> Any:
    """``store.readers.read_files(paths)``, read on a second thread while ``meanwhile()`` runs here.

    Reading a Parquet file is Arrow's C++ code, which releases the interpreter lock; the imports a
    command needs next (``finance.appraise``, numba, the policy models: ~0.55 s of CPU) hold it.
    Done side by side they take the longer of the two instead of the sum.  The same batch, or the
    same exception, as reading first: the reader's error is raised once ``meanwhile`` is done (an
    error of ``meanwhile`` is raised once the reading is).
    """
    from store.readers import read_files  # not store.io's re-export: store.io imports duckdb, files need none

    if meanwhile is None:
        return read_files(paths)
    from concurrent.futures import ThreadPoolExecutor

    # what the reader imports, imported here first: two threads never import the same module at once
    import pyarrow.parquet  # noqa: F401
    import store.iac  # noqa: F401

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="cpscreen-read") as pool:
        pending = pool.submit(read_files, paths)
        meanwhile()
        return pending.result()


def from_db(args: argparse.Namespace) -> bool:
    return not (getattr(args, "options", None) or getattr(args, "enterprises", None))


def must_exist(args: argparse.Namespace) -> bool:
    """A database named with --db or CPSCREEN_DB must exist unless the command imports or --create."""
    named = bool(getattr(args, "db", None) or os.environ.get("CPSCREEN_DB"))
    return named and args.command != "import" and not getattr(args, "create", False)

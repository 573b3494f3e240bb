"""``cpscreen``: the command line over the same library the app uses (DESIGN.md section 5).

Every command takes ``--format json|csv|table`` (default a readable table) and works on the stored
database (``CPSCREEN_DB``, default ``data/cpscreen.duckdb``) or, where it reads options, on files
given with ``--options FILE --enterprises FILE`` (validated as on import, not stored).  Bad input
exits with status 2 and one line on stderr naming the problem; never a traceback.  JSON output is a
list of records; a missing value is ``null``.

The command names and record fields are a public interface: add, never rename.  This module is the
entry point (``cpscreen``, ``python -m cli``, ``python cli.py``): it installs the start-up, parses, runs
the command and turns every failure into one line and an exit status; the parts are in ``commands``.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
from collections.abc import Sequence

from commands.argtypes import parse_rule as _rule  # noqa: F401 - tests import it from here
from commands.budget import cmd_budget, cmd_track
from commands.data import must_exist
from commands.output import EXIT_BAD_INPUT, UsageError, emit, records_of, write_errors
from commands.parser import build_parser
from commands.screen import cmd_appraise, cmd_rank, cmd_risk, cmd_suggest
from commands.startup import NoBlasProbe, install
from commands.stored import cmd_audit, cmd_export, cmd_import, cmd_list, cmd_policies, cmd_users

_NoBlasProbe = NoBlasProbe  # the name tests and notes know it by

__all__ = ["EXIT_BAD_INPUT", "UsageError", "build_parser", "cmd_appraise", "cmd_audit", "cmd_budget", "cmd_export",
           "cmd_import", "cmd_list", "cmd_policies", "cmd_rank", "cmd_risk", "cmd_suggest", "cmd_track", "cmd_users",
           "emit", "main", "records_of"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cpscreen`` console script; returns the exit status.

    Without ``argv`` (the process's own command line: the console script, ``python -m cli``) a
    command that succeeded ends the process itself once its output is written and flushed, where
    nothing is left to close (:func:`_finished`).
    """
    import warnings

    install()
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


def may_skip_teardown() -> bool:
    """Whether the process may end without the interpreter's teardown: the store never opened a
    database (so no connection to checkpoint or close; DuckDB as the output writers' in-memory engine,
    closed where it was used, leaves none) and no thread but this one is alive (every pool has joined
    its workers).  Output files are closed by then (each writer's ``with``)."""
    from store.db import opened_a_database

    return not opened_a_database() and threading.active_count() == 1


def _finished() -> None:
    """End the process with status 0, output flushed, skipping the interpreter's teardown.

    After a command the teardown frees what the command built and every module one by one: the
    records (a million options' strings and arrays), numba's compiler state, pandas, pyarrow, ~0.3-0.45
    s of a 1M-option ``appraise`` that nobody waits for.  Only called where
    :func:`may_skip_teardown`; atexit handlers do not run (none of this program's needs one then).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _main(argv: Sequence[str] | None, gc_on: bool = True) -> int:
    from screening.schema import ValidationError
    from store.db import require_existing
    from store.errors import StoreError, store_fault

    own_process = argv is None
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
        require_existing(must_exist(args))
        records = args.func(args)
        fmt = getattr(args, "format", "table")
        output = getattr(args, "output", None)
        if fmt == "parquet" and not output:
            raise UsageError("--format parquet writes a file: give --output FILE")
        emit(records, fmt, output=output)
        sys.stdout.flush()
        if own_process and may_skip_teardown():
            _finished()
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
            tail = write_errors(exc, where) if where else (f"; --errors FILE lists all {exc.count:,}" if exc.count > 5 else "")
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


"""The commands over the stored data and their keepers: import, export, list, policies, users, audit."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from commands.data import load_data, store_for
from commands.output import UsageError, records_of
from records.plain import plain


def cmd_import(args: argparse.Namespace) -> list[dict[str, Any]]:
    report = store_for(args).import_files(args.files)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    return [report.as_record()]


def cmd_export(args: argparse.Namespace) -> list[dict[str, Any]]:
    fmt = args.file_format
    paths = store_for(args).export_dir(args.dir, fmt, force=args.force)
    return [{"file": str(p)} for p in paths]


def cmd_list(args: argparse.Namespace) -> list[dict[str, Any]]:
    from screening.schema import columns
    from store.io import to_export_frame

    options, _ = load_data(args)
    cols = columns("options") + [c for c in options.columns if c not in columns("options")]
    frame = to_export_frame(options[cols], "options", formula_safe=False)  # emit escapes CSV output
    return records_of(frame)


def cmd_policies(args: argparse.Namespace) -> list[dict[str, Any]]:
    from policies.catalog import list_packs, show_pack

    if args.action == "list":
        return [plain(r) for r in list_packs(args.date)]
    if not args.code:
        raise UsageError("policies show: name a pack code, e.g. cpscreen policies show NL")
    return [plain(r) for r in show_pack(args.code)]


def cmd_users(args: argparse.Namespace) -> Any:
    """The service's users and memberships: add, list, grant, revoke (admins, or local mode)."""
    store = store_for(args)
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
        raise UsageError(f"users {args.action}: name the role ({', '.join(ROLES)}) and its scope")
    fn = store.grant if args.action == "grant" else store.revoke
    return [fn(args.email, args.role, args.scope)]


ROLES = ("member", "viewer", "programme_officer", "admin")


def cmd_audit(args: argparse.Namespace) -> Any:
    """The audit trail, newest first (admins, or local mode)."""
    return store_for(args).audit(limit=args.limit)

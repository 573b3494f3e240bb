"""What the CLI tests share: one command run in this process, its exit code and what it printed."""

from __future__ import annotations

from cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``cpscreen ARGV`` through :func:`cli.main`: (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err

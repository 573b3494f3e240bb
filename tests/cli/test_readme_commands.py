"""Every ``cpscreen`` command the README shows runs and says something.

The commands are read from README.md's fenced code blocks (each line starting with
``.venv/bin/cpscreen``), so a command added to the README that fails, or prints nothing, fails
this test.  They run in README order through the console script's entry point (``cli:main``, as
``pyproject.toml`` declares it) on a temporary database seeded with the demo data, from a
temporary working folder holding the repository's ``data/`` (so ``export out/`` writes there).
"""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path

import pytest

from cli import main

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ".venv/bin/cpscreen"


def readme_commands(text: str) -> list[list[str]]:
    """The argument lists of the README's ``.venv/bin/cpscreen`` lines (comments stripped)."""
    out = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        for line in block.splitlines():
            if line.strip().startswith(SCRIPT):
                argv = shlex.split(line, comments=True)
                out.append(argv[1:])
    return out


COMMANDS = readme_commands((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_shows_commands_and_the_script_is_cli_main() -> None:
    # guards the extraction itself: a README reshuffle must not leave this test checking nothing
    assert len(COMMANDS) >= 7 and {a[0] for a in COMMANDS} >= {"import", "appraise", "budget", "rank", "policies"}
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["cpscreen"] == "cli:main"


def test_extraction_reads_fenced_lines_only() -> None:
    text = "run `.venv/bin/cpscreen nope` inline\n```bash\n.venv/bin/cpscreen list --format json   # a comment\n" \
           "bash scripts/run.sh\n```\n"
    assert readme_commands(text) == [["list", "--format", "json"]]


@pytest.fixture
def workdir(db, tmp_path, monkeypatch):
    from store.seed import ensure_seeded

    ensure_seeded()
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(ROOT / "data", target_is_directory=True)
    monkeypatch.chdir(work)
    return work


def test_every_readme_command_runs(workdir, capsys) -> None:
    for argv in COMMANDS:
        code = main(argv)
        out, err = capsys.readouterr()
        shown = " ".join(argv)
        assert code == 0, f"README command `cpscreen {shown}` exited {code}: {err.strip()}"
        if "--output" in argv:  # the records go to the file, which must hold them
            target = workdir / argv[argv.index("--output") + 1]
            assert target.is_file() and target.stat().st_size > 0, f"README command `cpscreen {shown}` wrote nothing"
        else:
            assert out.strip(), f"README command `cpscreen {shown}` printed nothing"

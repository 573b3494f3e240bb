"""scripts/run.sh: local single-user mode (no sign-in) listens on this machine only (issue 16)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _streamlit_args(tmp_path: Path, env: dict[str, str]) -> list[str]:
    """Run a copy of run.sh whose install, seed and streamlit are stand-ins; return streamlit's arguments."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run.sh", tmp_path / "scripts" / "run.sh")
    (tmp_path / "scripts" / "install.sh").write_text("exit 0\n")
    bin_ = tmp_path / ".venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "python").write_text("#!/bin/sh\nexit 0\n")
    (bin_ / "streamlit").write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    for f in ("python", "streamlit"):
        (bin_ / f).chmod(0o755)
    run_env = {k: v for k, v in os.environ.items() if k not in ("ADDRESS", "PORT")} | env
    out = subprocess.run(["bash", str(tmp_path / "scripts" / "run.sh")], env=run_env, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_run_sh_binds_the_loopback_address_by_default(tmp_path):
    args = _streamlit_args(tmp_path, {})
    assert _option(args, "--server.address") == "127.0.0.1"
    assert _option(args, "--server.port") == "8501"


def test_run_sh_address_can_be_overridden(tmp_path):
    args = _streamlit_args(tmp_path, {"ADDRESS": "0.0.0.0", "PORT": "9000"})
    assert _option(args, "--server.address") == "0.0.0.0" and _option(args, "--server.port") == "9000"


def test_run_sh_serves_without_a_file_watcher(tmp_path):
    """A served app has no reason to poll its source tree (issue 14: CPU under 20 sessions)."""
    assert _option(_streamlit_args(tmp_path, {}), "--server.fileWatcherType") == "none"

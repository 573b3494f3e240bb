#!/usr/bin/env bash
# Create .venv (if missing) and install cpscreen with the given extras; fast when nothing changed.
# Usage: scripts/install.sh [EXTRAS]   e.g. scripts/install.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "cpscreen needs Python 3.11 or newer (found: $("$PY" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
      "$PY" -m venv .venv
    else
      echo "cannot create a virtual environment: install python3-venv (Debian: sudo apt-get install python3-venv)" >&2
      exit 1
    fi
  fi
fi
spec="."
[ -n "$extras" ] && spec=".[${extras}]"
stamp=".venv/.installed-${extras:-base}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e "$spec"
  touch "$stamp"
fi
# Byte-compile cpscreen's own modules (pip does this for installed packages, not for an editable
# install): every CLI process otherwise compiles ~50 modules again where the environment sets
# PYTHONDONTWRITEBYTECODE (as some containers do), ~0.4 s of CPU per run. Skips what is up to date.
.venv/bin/python -m compileall -q -j 0 app.py cli.py commands finance policies programme records screening store ui >/dev/null

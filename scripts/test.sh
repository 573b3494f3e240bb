#!/usr/bin/env bash
# Install cpscreen with its test extras (and Debian's chromium for the browser tests when it is
# missing and we are root), check the import contracts, and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium for the browser tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: chromium is missing and we are not root: browser tests will fail (sudo apt-get install chromium)" >&2
  fi
fi
.venv/bin/lint-imports
# one pytest worker per core, at most 4 (CPSCREEN_TEST_WORKERS sets it; 1 runs the suite in this process)
workers="${CPSCREEN_TEST_WORKERS:-$(.venv/bin/python -c 'import os; print(max(1, min(4, len(os.sched_getaffinity(0)))))')}"
if [ "$workers" -gt 1 ]; then
  exec .venv/bin/python -m pytest -n "$workers" --dist loadgroup "$@"
fi
exec .venv/bin/python -m pytest "$@"

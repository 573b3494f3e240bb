#!/usr/bin/env bash
# Install cpscreen, seed the default database with the demo data if it is absent, start the app.
# The database is $CPSCREEN_DB (default data/cpscreen.duckdb); the port is $PORT (default 8501).
# Local single-user mode has no sign-in, so the app listens on this machine only: $ADDRESS
# (default 127.0.0.1). Set ADDRESS=0.0.0.0 to serve other machines, and only behind sign-in.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
.venv/bin/python -m store.seed
.venv/bin/python -m programme.warm  # compile the numerical kernels (appraisal, budget, risk and Monte Carlo) once (cached on disk), not on the first click
# no file watcher: a served app has no reason to poll its source tree (pass --server.fileWatcherType auto to develop)
exec .venv/bin/streamlit run app.py --server.headless true --server.address "${ADDRESS:-127.0.0.1}" \
    --server.port "${PORT:-8501}" --browser.gatherUsageStats false --server.fileWatcherType none "$@"

#!/usr/bin/env bash
# Run every check CI runs: lint, format, and the test suite (unit, corpus, fuzz, doctests).
set -euo pipefail
. "$(dirname "$0")/env.sh"
# The server suite runs on a real PostgreSQL too; as root (CI) install it when missing.
if [ "$(id -u)" = 0 ]; then bash tools/ensure_postgres.sh; fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"

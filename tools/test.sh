#!/usr/bin/env bash
# Run every check CI runs: lint, format, and the test suite (unit, corpus, fuzz, doctests).
set -euo pipefail
. "$(dirname "$0")/env.sh"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest -q "$@"

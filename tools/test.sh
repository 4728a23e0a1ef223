#!/usr/bin/env bash
# Run every check CI runs: lint, format, types, and the test suite (unit, corpus, fuzz, doctests).
set -euo pipefail
. "$(dirname "$0")/env.sh"
# The server suite runs on a real PostgreSQL too, and the worker suite renders with Debian's
# blender; as root (CI) install them when missing.
if [ "$(id -u)" = 0 ]; then
    bash tools/ensure_postgres.sh
    bash tools/ensure_blender.sh
    # The dashboard's browser tests drive Debian's Chromium (not a browser Playwright downloads).
    if [ ! -x /usr/bin/chromium ]; then
        apt-get update -qq && apt-get install -y -qq chromium >/dev/null
    fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy  # the packages and settings in pyproject.toml; cached in .mypy_cache/
.venv/bin/python -m pytest -q "$@"

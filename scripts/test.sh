#!/usr/bin/env bash
# The whole suite, as CI runs it: lint, then every test (slow and infra included; GPU tests skip without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p artifacts
echo "[test] ruff + mypy"
.venv/bin/ruff check --no-cache app tests scripts
.venv/bin/ruff format --no-cache --check app tests scripts
.venv/bin/mypy
echo "[test] pytest"
exec .venv/bin/python -m pytest --durations=25 "$@"  # the 25 slowest tests, to keep the suite short

#!/usr/bin/env bash
# The whole test suite from a fresh Debian machine: installs what is missing (SIPp, Chromium,
# ChromeDriver, CJK fonts, .venv), then lints (ruff, mypy), checks migrations, runs the
# benchmarks' smoke sizes and pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m scripts.check_migrations
for bench in scripts/bench/bench_*.py; do
  if [ -e "$bench" ]; then .venv/bin/python "$bench" --smoke; fi
done
exec .venv/bin/pytest "$@"

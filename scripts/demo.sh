#!/usr/bin/env bash
# One command from a fresh Debian machine to a running demo: installs what is missing, migrates
# the SQLite database in instance/, loads the demo dealership, starts the SIP customer
# simulator, the web server (http://127.0.0.1:5000), the scheduler and the dialer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/huifang run "$@"

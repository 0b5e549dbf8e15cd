#!/usr/bin/env bash
# Starts the tool on its embedded defaults: SQLite in instance/, generated keys in keys/,
# the bundled activities, and the sandbox LMS on http://localhost:5001 to try a launch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/lti-tool serve "$@"

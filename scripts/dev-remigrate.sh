#!/usr/bin/env bash
# Development helper for this first release only: regenerate the single initial Alembic
# revision from the models (nothing has shipped, so no database holds an older schema).
# Once a release has shipped, add new revisions with `alembic revision --autogenerate` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f migrations/versions/0001_*.py
LTI_TOOL_INSTANCE_DIR="$tmp" LTI_TOOL_KEYS_DIR="$tmp/keys" .venv/bin/python - <<'PY'
from alembic import command
from lti_tool.config import Settings
from lti_tool.migrate import alembic_config
import lti_tool.models  # noqa: F401
command.revision(alembic_config(Settings.from_env().database_url),
                 message="initial schema", autogenerate=True, rev_id="0001")
PY
rm -rf "$tmp"
.venv/bin/ruff format -q migrations/versions/ 2>/dev/null || true
ls migrations/versions/

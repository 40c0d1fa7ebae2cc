#!/usr/bin/env bash
# Rebuild the initial migration from cam/core/models.py (before the first release only).
set -euo pipefail
cd "$(dirname "$0")/../.."
rm -f cam/migrations/versions/0001_initial.py /tmp/cam-autogen.db
.venv/bin/python - <<'PY'
from alembic import command
from cam.core.db import alembic_config
command.revision(alembic_config("sqlite:////tmp/cam-autogen.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
mv cam/migrations/versions/0001_*.py cam/migrations/versions/0001_initial.py
.venv/bin/ruff format -q cam/migrations/versions/0001_initial.py
.venv/bin/ruff check -q --fix cam/migrations/versions/0001_initial.py || true

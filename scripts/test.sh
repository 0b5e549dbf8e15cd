#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs (Debian packages, the virtualenv,
# PostgreSQL, Chromium, axe-core), starts a private PostgreSQL server, then runs pytest
# on SQLite (everything, browser tests included) and on PostgreSQL (everything but the
# browser tests, which do not touch the database differently).
# Extra arguments go to both pytest runs, e.g. `bash scripts/test.sh -k launch`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test

# A private PostgreSQL cluster on a unix socket, owned by the postgres user.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PGDATA=${LTI_TOOL_TEST_PGDATA:-/tmp/lti-tool-test-pg}
PGSOCK=/tmp/lti-tool-test-pg-sock
PGPORT=55432
as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}
mkdir -p "$PGSOCK"
[[ $(id -u) -eq 0 ]] && chown postgres "$PGSOCK"
if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
  mkdir -p "$PGDATA"; [[ $(id -u) -eq 0 ]] && chown postgres "$PGDATA"
  as_postgres "$PGBIN/initdb -D $PGDATA -U postgres --auth=trust -E UTF8 >/dev/null"
fi
if ! as_postgres "$PGBIN/pg_ctl -D $PGDATA status" >/dev/null 2>&1; then
  as_postgres "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -w \
    -o \"-p $PGPORT -k $PGSOCK -c listen_addresses='' -c fsync=off -c max_connections=200\" start" >/dev/null
fi
stop_pg() { as_postgres "$PGBIN/pg_ctl -D $PGDATA -m fast stop" >/dev/null 2>&1 || true; }
trap stop_pg EXIT
PG_URL="postgresql+psycopg://postgres@/postgres?host=$PGSOCK&port=$PGPORT"

status=0
echo "== tests on SQLite =="
.venv/bin/pytest "$@" || status=$?
echo "== tests on PostgreSQL =="
LTI_TOOL_TEST_DATABASE_URL="$PG_URL" .venv/bin/pytest -m "not browser" "$@" || status=$?
exit $status

#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on loopback for the tests; prints its database URL.
# Installs Debian's postgresql when missing (as root). Idempotent: a running server is reused.
set -euo pipefail
port=${DSMB_TEST_PG_PORT:-54329}
dir=${DSMB_TEST_PG_DIR:-/tmp/dsmb-test-pg}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi; }
if [ ! -f "$dir/PG_VERSION" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_postgres "'$bin/initdb' -D '$dir' -A trust -U postgres" >/dev/null
fi
if ! as_postgres "'$bin/pg_ctl' -D '$dir' status" >/dev/null 2>&1; then
  as_postgres "'$bin/pg_ctl' -D '$dir' -o '-p $port -k /tmp -c listen_addresses=127.0.0.1' -l '$dir/server.log' -w start" >/dev/null
fi
PGOPTIONS="-c client_min_messages=warning" psql -q -h 127.0.0.1 -p "$port" -U postgres -c "DROP DATABASE IF EXISTS dsmb_test" -c "CREATE DATABASE dsmb_test" >/dev/null
echo "postgresql://postgres@127.0.0.1:$port/dsmb_test"

#!/usr/bin/env bash
# run-with-env.sh [--pg 15|18] ENV_FILE COMMAND...: runs COMMAND with the variables scripts/testenv
# wrote. A missing env file is a failure, never a skip: the real servers are part of every test run.
#
# --pg 18 points the standard keys at the environment's PostgreSQL 18 (PGHOST, PGPORT,
# POSTGRES_TEST_DSN, TENANTDB_PG_LOG from TENANTDB_PG18_*), puts its bin/ (psql, pg_dump of 18)
# first on PATH and exports TENANTDB_PG_VERSION=18, so any test runs against 18 unchanged and
# `scripts/testenv stop|start postgres` acts on 18. It fails when the environment has no 18.
# --pg 15 (or no --pg) keeps the keys as written (PostgreSQL 15 when it was started).
set -euo pipefail
pg=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --pg) [[ $# -ge 2 ]] || { echo "run-with-env: --pg needs a version (15 or 18)" >&2; exit 2; }; pg=$2; shift 2 ;;
    --pg=*) pg=${1#*=}; shift ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { echo "usage: run-with-env.sh [--pg 15|18] ENV_FILE COMMAND..." >&2; exit 2; }
env_file=$1
shift
if [[ ! -f $env_file ]]; then
  echo "run-with-env: $env_file is missing: scripts/testenv up did not run or failed" >&2
  exit 1
fi
# Absolute: `. name` would search PATH for a bare name, and tests that cd need it as well.
env_file=$(realpath "$env_file")
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
versions=${TENANTDB_PG_VERSIONS-15}  # env files written before TENANTDB_PG_VERSIONS had only 15
case $pg in
  "") ;;
  15)
    if [[ " $versions " != *" 15 "* ]]; then
      echo "run-with-env: --pg 15: $env_file has no PostgreSQL 15 (TENANTDB_PG_VERSIONS=\"$versions\"; scripts/testenv up --postgres 15,18)" >&2
      exit 1
    fi
    export TENANTDB_PG_VERSION=15
    ;;
  18)
    if [[ " $versions " != *" 18 "* || -z ${TENANTDB_PG18_PORT:-} || -z ${TENANTDB_PG18_DSN:-} ]]; then
      echo "run-with-env: --pg 18: $env_file has no PostgreSQL 18 (TENANTDB_PG_VERSIONS=\"$versions\"; scripts/testenv up --postgres 15,18)" >&2
      exit 1
    fi
    export PGHOST=$TENANTDB_PG18_HOST PGPORT=$TENANTDB_PG18_PORT POSTGRES_TEST_DSN=$TENANTDB_PG18_DSN
    export TENANTDB_PG_LOG=$TENANTDB_PG18_LOG TENANTDB_PG_VERSION=18
    export PATH="$TENANTDB_PG18_BINDIR:$PATH"
    ;;
  *)
    echo "run-with-env: --pg $pg: the versions are 15 and 18" >&2
    exit 2
    ;;
esac
export PATH="$TENANTDB_TESTENV_BIN:${TENANTDB_TOOLS_CACHE:-$HOME/.cache/tenantdb-tools}/bin:$PATH"
export TENANTDB_ENV_FILE="$env_file"
exec "$@"

#!/usr/bin/env bash
# run-with-env.sh ENV_FILE COMMAND...: runs COMMAND with the variables scripts/testenv wrote.
# A missing env file is a failure, never a skip: the real servers are part of every test run.
set -euo pipefail
env_file=$1
shift
if [[ ! -f $env_file ]]; then
  echo "run-with-env: $env_file is missing: scripts/testenv up did not run or failed" >&2
  exit 1
fi
set -a
# shellcheck disable=SC1090
. "$env_file"
set +a
export PATH="$TENANTDB_TESTENV_BIN:${TENANTDB_TOOLS_CACHE:-$HOME/.cache/tenantdb-tools}/bin:$PATH"
export TENANTDB_ENV_FILE="$env_file"
exec "$@"

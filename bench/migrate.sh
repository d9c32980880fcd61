#!/usr/bin/env bash
# bench/migrate.sh — time to apply N small versioned migrations (default 500; each creates a table
# and inserts a row) with `tenantdb migrate` and with real Flyway (tests/tools' flyway-run:
# flyway-core 13.12.0 in a JVM) on the same files, the same PostgreSQL, one run after the other,
# each into a fresh database; prints both wall-clock times and the ratio Flyway / tenantdb.
#
#   bench/migrate.sh [N]     TENANTDB_BIN=<a build without sanitizers> (default build-bench/src/tenantdb)
#
# Build the binary without ASan/UBSan first, e.g.
#   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENANTDB_SANITIZE=OFF
#   cmake --build build-bench --target tenantdb
# Starts its own scripts/testenv environment (or uses TENANTDB_ENV_FILE when set) and stops it.
# Flyway's time includes the JVM's start (about a second), as a Job running Flyway would pay it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-500}
bin=${TENANTDB_BIN:-$repo/build-bench/src/tenantdb}
[[ -x $bin ]] || { echo "bench/migrate.sh: no tenantdb binary at $bin (see the header)" >&2; exit 1; }
"$repo/tests/tools/build.sh" flyway
work=$(mktemp -d)
own_env=false
if [[ -z ${TENANTDB_ENV_FILE:-} ]]; then
  TENANTDB_ENV_FILE=$work/env
  own_env=true
  "$repo/scripts/testenv" up --env-file "$TENANTDB_ENV_FILE" >"$work/testenv.log" 2>&1
fi
set -a
# shellcheck disable=SC1090
source "$TENANTDB_ENV_FILE"
set +a
export PATH="${TENANTDB_TOOLS_CACHE:-$HOME/.cache/tenantdb-tools}/bin:$PATH"
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d postgres "$@"; }
cleanup() {
  psql_su -c "DROP DATABASE IF EXISTS bench_migrate_tenantdb WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS bench_migrate_flyway WITH (FORCE)" >/dev/null 2>&1 || true
  $own_env && "$repo/scripts/testenv" down --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/sql"
for ((i = 1; i <= n; i++)); do
  printf 'CREATE TABLE t_%d (id bigint PRIMARY KEY, note text);\nINSERT INTO t_%d VALUES (%d, '"'"'v%d'"'"');\n' \
    "$i" "$i" "$i" "$i" >"$work/sql/V${i}__table_$i.sql"
done
for db in bench_migrate_tenantdb bench_migrate_flyway; do
  psql_su -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db" >/dev/null
done

seconds() { date +%s.%N; }
start=$(seconds)
"$bin" migrate --dir "$work/sql" --host "$PGHOST" --port "$PGPORT" --dbname bench_migrate_tenantdb \
  --sslmode disable --output json >"$work/tenantdb.json" 2>"$work/tenantdb.log"
t_tenantdb=$(awk -v a="$start" -v b="$(seconds)" 'BEGIN {print b - a}')
start=$(seconds)
flyway-run migrate "jdbc:postgresql://$PGHOST:$PGPORT/bench_migrate_flyway" "$PGUSER" "$PGPASSWORD" \
  "$work/sql" >"$work/flyway.log" 2>&1
t_flyway=$(awk -v a="$start" -v b="$(seconds)" 'BEGIN {print b - a}')

for db in bench_migrate_tenantdb bench_migrate_flyway; do
  rows=$(psql -X -At -d "$db" -c "SELECT count(*) FROM flyway_schema_history WHERE success")
  [[ $rows -eq $n ]] || { echo "bench/migrate.sh: $db has $rows applied rows, want $n" >&2; exit 1; }
done
same=$(psql -X -At -d bench_migrate_tenantdb -c "SELECT md5(string_agg(version || description || checksum, ',' ORDER BY installed_rank)) FROM flyway_schema_history")
other=$(psql -X -At -d bench_migrate_flyway -c "SELECT md5(string_agg(version || description || checksum, ',' ORDER BY installed_rank)) FROM flyway_schema_history")
[[ $same == "$other" ]] || { echo "bench/migrate.sh: the two history tables differ" >&2; exit 1; }
printf 'PostgreSQL %s, %d versioned migrations\n' "$(psql -X -At -c 'SHOW server_version')" "$n"
printf 'tenantdb migrate  %7.2f s\n' "$t_tenantdb"
printf 'Flyway 13.12.0    %7.2f s\n' "$t_flyway"
printf 'ratio Flyway / tenantdb: %.1f\n' "$(awk -v a="$t_flyway" -v b="$t_tenantdb" 'BEGIN {print a / b}')"

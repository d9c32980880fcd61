#!/usr/bin/env bash
# bench/backup.sh — `tenantdb backup --format custom` against plain `pg_dump --format=custom
# --file` of the same database, with the same pg_dump binary and the same compression level, run
# alternately (tenantdb, pg_dump, tenantdb, pg_dump, ...). What the engine adds on top of pg_dump:
# a pipe from pg_dump's stdout, the SHA-256 over every byte, the fsync of the dump (pg_dump
# syncs its --file too), the manifest and the directory lock.
#
#   bench/backup.sh [--size-mb N] [--compression Z] [--runs R] [--keep-db] [--no-append]
#
#   --size-mb N      database size to build (pg_database_size), default 1024
#   --compression Z  0-9, default 6 (tenantdb's default)
#   --runs R         runs of each, default 2
#   --keep-db        leave the database bench_backup_<N>mb for the next run (it is reused when
#                    present and at least N MB; built otherwise)
#   --no-append      only print the table (default: also append it to bench/RESULTS.md)
#
# PostgreSQL: the PG* environment when PGHOST is set (e.g. `tests/run-with-env.sh ENV_FILE
# bench/backup.sh`, `--pg 18` for PostgreSQL 18), else TENANTDB_ENV_FILE (scripts/testenv),
# else a scripts/testenv of its own (--postgres 15), stopped at the end.
# TENANTDB_BIN: the binary (default build-bench/src/tenantdb, else build/src/tenantdb); build it
# without sanitizers for figures that mean something:
#   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENANTDB_SANITIZE=OFF
#   cmake --build build-bench --target tenantdb
# The table says whether the binary is an ASan build. The database is built from generate_series:
# one table (bigint key, int, timestamptz, 64 hex characters, a short text), batches of 1M rows
# until pg_database_size reaches N MB. MB/s is the database size over the time (MB = 10^6 bytes).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size_mb=1024
compression=6
runs=2
keep_db=false
append=true
usage() { echo "usage: bench/backup.sh [--size-mb N] [--compression Z] [--runs R] [--keep-db] [--no-append]" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --size-mb) [[ $# -ge 2 ]] || usage; size_mb=$2; shift 2 ;;
    --compression) [[ $# -ge 2 ]] || usage; compression=$2; shift 2 ;;
    --runs) [[ $# -ge 2 ]] || usage; runs=$2; shift 2 ;;
    --keep-db) keep_db=true; shift ;;
    --no-append) append=false; shift ;;
    *) usage ;;
  esac
done
[[ $size_mb =~ ^[0-9]+$ && $compression =~ ^[0-9]$ && $runs =~ ^[1-9][0-9]*$ ]] || usage

bin=${TENANTDB_BIN:-}
if [[ -z $bin ]]; then
  bin=$repo/build-bench/src/tenantdb
  [[ -x $bin ]] || bin=$repo/build/src/tenantdb
fi
[[ -x $bin ]] || { echo "bench/backup.sh: no tenantdb binary at $bin (see the header)" >&2; exit 1; }
if ldd "$bin" 2>/dev/null | grep -q libasan; then
  build_kind="ASan+UBSan build"
else
  build_kind="no sanitizers"
fi

work=$(mktemp -d)
own_env=false
if [[ -z ${PGHOST:-} ]]; then
  if [[ -z ${TENANTDB_ENV_FILE:-} ]]; then
    TENANTDB_ENV_FILE=$work/env
    own_env=true
    "$repo/scripts/testenv" up --postgres 15 --env-file "$TENANTDB_ENV_FILE" >"$work/testenv.log" 2>&1 \
      || { cat "$work/testenv.log" >&2; exit 1; }
  fi
  set -a
  # shellcheck disable=SC1090
  source "$TENANTDB_ENV_FILE"
  set +a
fi
export PGSSLMODE=${PGSSLMODE:-disable}
db=bench_backup_${size_mb}mb
psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
  if ! $keep_db; then
    psql_q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if $own_env; then
    "$repo/scripts/testenv" down --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The pg_dump tenantdb would pick (the newest on PATH or under /usr/lib/postgresql/*/bin), given
# to both explicitly so that both run the same binary.
pg_dump=""
best=0
for c in $(type -ap pg_dump) /usr/lib/postgresql/*/bin/pg_dump; do
  [[ -x $c ]] || continue
  v=$("$c" --version | sed -E 's/.*\) ([0-9]+)(\.([0-9]+))?.*/\1 \3/')
  n=$(awk -v m="${v% *}" -v r="${v#* }" 'BEGIN {print m * 1000 + (r == "" ? 0 : r)}')
  if ((n > best)); then best=$n pg_dump=$c; fi
done
[[ -n $pg_dump ]] || { echo "bench/backup.sh: no pg_dump found" >&2; exit 1; }

target_bytes=$((size_mb * 1000000))
exists=$(psql_q -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$db'")
have=0
if [[ $exists == 1 ]]; then
  have=$(psql_q -d "$db" -c "SELECT pg_database_size(current_database())")
fi
build_s=""
if ((have < target_bytes)); then
  start=$(date +%s.%N)
  psql_q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
  psql_q -d "$db" -c "CREATE TABLE big (id bigint PRIMARY KEY, grp int NOT NULL, at timestamptz NOT NULL, hex text NOT NULL, label text)"
  next=1
  while :; do
    psql_q -d "$db" -c "INSERT INTO big SELECT i, i % 1000, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second', md5(i::text) || md5((i * 7)::text), 'customer ' || (i % 10000) FROM generate_series($next, $((next + 999999))) i"
    next=$((next + 1000000))
    have=$(psql_q -d "$db" -c "SELECT pg_database_size(current_database())")
    ((have >= target_bytes)) && break
  done
  psql_q -d "$db" -c "VACUUM ANALYZE big"
  build_s=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.0f", b - a}')
fi
have=$(psql_q -d "$db" -c "SELECT pg_database_size(current_database())")
rows=$(psql_q -d "$db" -c "SELECT count(*) FROM big")
server=$(psql_q -d "$db" -c "SHOW server_version")
db_mb=$(awk -v b="$have" 'BEGIN {printf "%.0f", b / 1e6}')

seconds() { date +%s.%N; }
results=()  # "tool seconds bytes"
run_tenantdb() {
  rm -rf "$work/t" && mkdir -p "$work/t"
  local start
  start=$(seconds)
  PGDATABASE=$db "$bin" backup --dir "$work/t" --format custom --compression "$compression" \
    --pg-dump "$pg_dump" --output json >"$work/t.json" 2>"$work/t.err" \
    || { cat "$work/t.err" "$work/t.json" >&2; exit 1; }
  local s
  s=$(awk -v a="$start" -v b="$(seconds)" 'BEGIN {print b - a}')
  local bytes
  bytes=$(stat -c %s "$work"/t/*.dump)
  results+=("tenantdb $s $bytes")
  rm -rf "$work/t"
}
run_pg_dump() {
  rm -rf "$work/p" && mkdir -p "$work/p"
  local start
  start=$(seconds)
  "$pg_dump" --no-password --format=custom --compress="$compression" --dbname="$db" \
    --file="$work/p/$db.dump" 2>"$work/p.err" || { cat "$work/p.err" >&2; exit 1; }
  local s
  s=$(awk -v a="$start" -v b="$(seconds)" 'BEGIN {print b - a}')
  results+=("pg_dump $s $(stat -c %s "$work/p/$db.dump")")
  rm -rf "$work/p"
}
load_start=$(cut -d' ' -f1 /proc/loadavg)
for ((r = 1; r <= runs; r++)); do
  run_tenantdb
  run_pg_dump
done
load_end=$(cut -d' ' -f1 /proc/loadavg)

table="| run | tool | seconds | MB/s (database) | dump MB |
|---|---|---|---|---|"
i=0
for line in "${results[@]}"; do
  read -r tool s bytes <<<"$line"
  run=$((i / 2 + 1))
  table+=$'\n'"$(awk -v r="$run" -v t="$tool" -v s="$s" -v b="$bytes" -v d="$have" \
    'BEGIN {printf "| %d | %s | %.2f | %.1f | %.1f |", r, t, s, d / 1e6 / s, b / 1e6}')"
  i=$((i + 1))
done
summary=$(printf '%s\n' "${results[@]}" | awk '
  $1 == "tenantdb" {t += $2; nt++} $1 == "pg_dump" {p += $2; np++}
  END {printf "mean tenantdb %.2f s, pg_dump %.2f s: ratio tenantdb / pg_dump %.3f", t / nt, p / np, (t / nt) / (p / np)}')

header="## bench/backup.sh: ${db_mb} MB database, custom format, compression $compression ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- src || echo '+local changes'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo))"
details="Command: \`bench/backup.sh --size-mb $size_mb --compression $compression --runs $runs\` (binary: $build_kind; PostgreSQL $server, $rows rows in one table$([[ -n $build_s ]] && echo ", built in $build_s s"); $("$pg_dump" --version) at $pg_dump for both; dumps to $(df --output=source "$work" | tail -1) under $work; load 1m $load_start→$load_end)."
out="$header

$details

$table

$summary."
printf '%s\n' "$out"
if $append; then
  printf '\n%s\n' "$out" >>"$repo/bench/RESULTS.md"
fi

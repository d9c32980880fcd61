#!/usr/bin/env bash
# pg-versions: 15 18
# `tenantdb migrate` and real Flyway (flyway-core + flyway-database-postgresql 13.12.0, run by
# tests/tools/flyway-run) on one history table: Flyway migrates V1-V2 and tenantdb continues with
# V3-V4, then Flyway's validate and info pass; the reverse; the rows both write for the same files
# (CRLF endings, a byte order mark, non-ASCII text, a repeatable) are equal, checksums included;
# a failed row tenantdb writes is one Flyway refuses and its repair clears. Needs only the
# environment's PostgreSQL.
source "$(dirname "$0")/lib.sh"
: "${TENANTDB_BIN:?}"
command -v flyway-run >/dev/null || { fail "flyway-run is not installed (tests/tools/build.sh flyway)"; finish; }
tmp=$(mktemp -d)
dbs=(fw_interop_a fw_interop_b fw_interop_c fw_interop_d fw_interop_e)
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d "${DB:-postgres}" "$@"; }
cleanup() {
  for d in "${dbs[@]}"; do psql_su -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
for d in "${dbs[@]}"; do
  psql_su -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" -c "CREATE DATABASE $d" >/dev/null
done

# The files: V1 plain, V2 with CRLF endings and a BOM, V3 with non-ASCII text, V4 with CRLF and
# non-ASCII, a repeatable view with a BOM.
mkdir -p "$tmp/half" "$tmp/all"
printf 'CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n' >"$tmp/all/V1__create_users.sql"
printf '\xef\xbb\xbfALTER TABLE users ADD COLUMN status text;\r\nUPDATE users SET status = '"'"'active'"'"';\r\n' >"$tmp/all/V2__add_user_status.sql"
printf -- '-- Größe, 名前, emoji \xf0\x9f\x90\x98\nCREATE TABLE segments (id bigint, label text DEFAULT '"'"'ünïcødé'"'"');\n' >"$tmp/all/V3__add_segments.sql"
printf 'CREATE TABLE api_keys (id bigint, note text DEFAULT '"'"'clé'"'"');\r\n\r\nINSERT INTO api_keys VALUES (1, '"'"'naïve;'"'"');\r\n' >"$tmp/all/V4__add_api_keys.sql"
printf '\xef\xbb\xbfCREATE OR REPLACE VIEW active_users AS SELECT id, name FROM users WHERE status = '"'"'active'"'"';\n' >"$tmp/all/R__active_users.sql"
cp "$tmp/all/V1__create_users.sql" "$tmp/all/V2__add_user_status.sql" "$tmp/half/"

jdbc() { printf 'jdbc:postgresql://%s:%s/%s' "$PGHOST" "$PGPORT" "$1"; }
flyway() {  # flyway DB COMMAND DIR [key=value...]
  local db=$1 cmd=$2 dir=$3
  shift 3
  flyway-run "$cmd" "$(jdbc "$db")" "$PGUSER" "$PGPASSWORD" "$dir" "$@"
}
tenantdb_migrate() {  # tenantdb_migrate DB DIR [ARGS...] (PGUSER/PGPASSWORD from the environment)
  local db=$1 dir=$2
  shift 2
  "$TENANTDB_BIN" migrate --dir "$dir" --host "$PGHOST" --port "$PGPORT" --dbname "$db" --sslmode disable "$@"
}
history() { DB=$1 psql_su -c "SELECT installed_rank, coalesce(version, ''), description, type, script, coalesce(checksum::text, ''), success FROM flyway_schema_history ORDER BY installed_rank"; }
info_states() { flyway "$1" info "$2" | cut -d'|' -f1,4 | tr '\n' ' '; }

# Flyway first, tenantdb continues.
check "Flyway migrates V1-V2" flyway fw_interop_a migrate "$tmp/half"
check "tenantdb continues with V3-V4 and the repeatable" tenantdb_migrate fw_interop_a "$tmp/all"
check "tenantdb applied exactly V3, V4 and R (5 rows)" test "$(history fw_interop_a | wc -l)" -eq 5
check "Flyway validate passes on tenantdb's rows" flyway fw_interop_a validate "$tmp/all"
states=$(info_states fw_interop_a "$tmp/all")
check "Flyway info: every migration Success ($states)" test "$states" == "1|Success 2|Success 3|Success 4|Success |Success "
check "Flyway migrate finds nothing left to do" test "$(flyway fw_interop_a migrate "$tmp/all")" == "applied 0"

# tenantdb first, Flyway continues.
check "tenantdb migrates V1-V2" tenantdb_migrate fw_interop_b "$tmp/half"
check "Flyway continues with V3-V4 and the repeatable" flyway fw_interop_b migrate "$tmp/all"
check "Flyway validate passes" flyway fw_interop_b validate "$tmp/all"
check "tenantdb validate passes on Flyway's rows" tenantdb_migrate fw_interop_b "$tmp/all" validate
states=$(info_states fw_interop_b "$tmp/all")
check "Flyway info: every migration Success ($states)" test "$states" == "1|Success 2|Success 3|Success 4|Success |Success "

# The same files by each alone: equal rows (checksums of CRLF, BOM and non-ASCII files included).
check "Flyway migrates everything" flyway fw_interop_c migrate "$tmp/all"
check "tenantdb migrates everything" tenantdb_migrate fw_interop_d "$tmp/all"
rows_c=$(history fw_interop_c)
rows_d=$(history fw_interop_d)
check "the history rows are equal (version, description, type, script, checksum, success)" test "$rows_c" == "$rows_d"
printf '%s\n' "$rows_d" | sed 's/^/    /'
table_c=$(DB=fw_interop_c psql_su -c "SELECT column_name, data_type, coalesce(character_maximum_length, 0), is_nullable, coalesce(column_default, '') FROM information_schema.columns WHERE table_name = 'flyway_schema_history' ORDER BY ordinal_position; SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'flyway_schema_history' ORDER BY 1")
table_d=$(DB=fw_interop_d psql_su -c "SELECT column_name, data_type, coalesce(character_maximum_length, 0), is_nullable, coalesce(column_default, '') FROM information_schema.columns WHERE table_name = 'flyway_schema_history' ORDER BY ordinal_position; SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'flyway_schema_history' ORDER BY 1")
check "the history tables have the same columns, defaults and indexes" test "$table_c" == "$table_d"

# A failure recorded by tenantdb: Flyway refuses it too, and Flyway's repair clears it.
cp -r "$tmp/half" "$tmp/broken"
printf 'CREATE TABLE segments (id bigint);\nSELECT * FROM no_such_table;\n' >"$tmp/broken/V3__add_segments.sql"
check "tenantdb reports the failing file, line and SQLSTATE" fails_with 'V3__add_segments.sql line 2: ERROR 42P01' tenantdb_migrate fw_interop_e "$tmp/broken"
check "the failed migration left nothing behind" test "$(DB=fw_interop_e psql_su -c "SELECT to_regclass('segments') IS NULL")" == t
check "Flyway validate refuses the failed row" fails_with 'failed migration to version 3' flyway fw_interop_e validate "$tmp/broken"
check "Flyway repair removes it" flyway fw_interop_e repair "$tmp/all"
check "tenantdb then applies V3-V4" tenantdb_migrate fw_interop_e "$tmp/all"
check "Flyway validate passes after all" flyway fw_interop_e validate "$tmp/all"
finish

# Real clients reading a credentials Secret (sourced by e2e tests, after lib.sh).
#
# Every client gets the Secret's values exactly as a user's workload would (an env var or a
# mounted key, passed verbatim) and must log in as the Secret's role to the Secret's database.
# The tools come from tests/tools/build.sh (scripts/setup) into ~/.cache/tenantdb-tools/bin,
# which tests/run-with-env.sh puts on PATH; a missing tool is a failure, never a skip.
#
#   secret_load FILE          read FILE into the associative array SECRET (key -> value). FILE is
#                             `kubectl get secret NAME -o json` output (data is base64-decoded,
#                             stringData taken as is) or a flat JSON object of strings, as
#                             tests/tools/python/secret-values prints.
#   secret_json NS NAME FILE  write Secret NS/NAME as JSON into FILE (for secret_load).
#   client_<name>             one client, from SECRET; prints "current_user<TAB>current_database"
#                             on success, the client's error on stderr and non-zero on failure.
#                             Names in CLIENTS: psql_uri psql_env psql_pgpass jdbc_uri jdbc_spring
#                             psycopg django pgx_dsn pgx_uri.
#   connect_all_clients FILE [USER [DB]]
#                             each client must connect as USER to DB (default: the Secret's
#                             username and dbname); one pass/fail (lib.sh) per client, counted by
#                             `finish`. Returns 0 either way, so a failure never stops the test
#                             under set -e (use a client_<name> function as a predicate).
#   refuse_all_clients FILE [PATTERN]
#                             each client must FAIL to log in (a wrong, rotated-away or
#                             dropped credential) with an error matching the extended regex
#                             PATTERN (default: an authentication refusal, 'password
#                             authentication failed|is not permitted to log in'), so a missing
#                             tool or a bad Secret file does not count; one pass/fail per client;
#                             returns 0.
#   kstatus_of KUBECTL-GET-ARGS...     e.g. `kstatus_of -n ns database/app`: kstatus's status
#                             (Current, InProgress, Failed, ...) on line 1, its message on line 2;
#                             for a list (`kstatus_of -n ns databases`) "<Kind>/<name> <status>"
#                             per item.
#   wait_kstatus WANT SECONDS KUBECTL-GET-ARGS...  polls until kstatus's status is WANT.
#   require_client_tools      fails (via `fail`) for each tool missing from PATH.
declare -F check >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tools_dir=${TENANTDB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/tools
CLIENTS=(psql_uri psql_env psql_pgpass jdbc_uri jdbc_spring psycopg django pgx_dsn pgx_uri)
declare -gA SECRET=()
CLIENT_QUERY='SELECT current_user, current_database()'

require_client_tools() {
  local t ok=0
  for t in psql pgx-connect kstatus jdbc-connect py-connect secret-values; do
    command -v "$t" >/dev/null || { fail "client tool $t is not on PATH (run scripts/setup: tests/tools/build.sh)"; ok=1; }
  done
  return $ok
}

secret_load() {  # secret_load FILE
  local k v
  SECRET=()
  while IFS= read -r -d '' k && IFS= read -r -d '' v; do
    SECRET[$k]=$v
  done < <(python3 - "$1" <<'PY'
import base64, json, sys
obj = json.load(open(sys.argv[1], encoding="utf-8"))
if obj.get("kind") == "Secret":
    values = {k: base64.b64decode(v).decode("utf-8") for k, v in (obj.get("data") or {}).items()}
    values.update(obj.get("stringData") or {})
else:
    values = obj
for k, v in values.items():
    if not isinstance(v, str):
        sys.exit(f"secret_load: key {k} is not a string")
    sys.stdout.write(f"{k}\0{v}\0")
PY
  )
  [[ ${#SECRET[@]} -gt 0 ]] || { echo "secret_load: no keys read from $1" >&2; return 1; }
}

secret_json() {  # secret_json NS NAME FILE
  kubectl -n "$1" get secret "$2" -o json >"$3"
}

_sk() {  # _sk KEY: the value of KEY in SECRET, or an error naming the missing key
  [[ -v SECRET[$1] ]] || { echo "the Secret has no key $1" >&2; return 1; }
  printf '%s' "${SECRET[$1]}"
}

# Runs a client with none of the harness's libpq settings (PGHOST, PGPASSWORD of the
# superuser, ~/.pgpass...): libpq, pgx and pgjdbc all read them as defaults, and a value the
# Secret lacks must not be filled in from the harness.
_clean() {
  env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGUSER -u PGPASSWORD -u PGDATABASE -u PGSSLMODE \
    -u PGSERVICE -u PGSERVICEFILE -u PGOPTIONS -u PGAPPNAME -u PGSSLROOTCERT -u PGSSLCERT \
    -u PGSSLKEY -u PGTARGETSESSIONATTRS -u PGREQUIRESSL -u DATABASE_URL \
    PGPASSFILE=/nonexistent/tenantdb-no-pgpass PGCONNECT_TIMEOUT=15 "$@"
}

client_psql_uri() { local u; u=$(_sk uri) && _clean psql -X -w -q -At -F $'\t' -v ON_ERROR_STOP=1 -c "$CLIENT_QUERY" -d "$u"; }
client_psql_env() {
  local h p u pw d s
  h=$(_sk PGHOST) && p=$(_sk PGPORT) && u=$(_sk PGUSER) && pw=$(_sk PGPASSWORD) && d=$(_sk PGDATABASE) && s=$(_sk PGSSLMODE) || return 1
  _clean PGHOST="$h" PGPORT="$p" PGUSER="$u" PGPASSWORD="$pw" PGDATABASE="$d" PGSSLMODE="$s" \
    psql -X -w -q -At -F $'\t' -v ON_ERROR_STOP=1 -c "$CLIENT_QUERY"
}
client_psql_pgpass() {  # the pgpass line as the password file; host/port/user/db from the PG* keys
  local h p u d s line f rc
  h=$(_sk PGHOST) && p=$(_sk PGPORT) && u=$(_sk PGUSER) && d=$(_sk PGDATABASE) && s=$(_sk PGSSLMODE) && line=$(_sk pgpass) || return 1
  f=$(mktemp)
  chmod 600 "$f"
  printf '%s' "$line" >"$f"
  rc=0
  _clean PGHOST="$h" PGPORT="$p" PGUSER="$u" PGDATABASE="$d" PGSSLMODE="$s" PGPASSFILE="$f" \
    psql -X -w -q -At -F $'\t' -v ON_ERROR_STOP=1 -c "$CLIENT_QUERY" || rc=$?
  rm -f "$f"
  return $rc
}
client_jdbc_uri() { local u; u=$(_sk jdbc-uri) && _clean jdbc-connect "$u"; }
client_jdbc_spring() {
  local u n p
  u=$(_sk SPRING_DATASOURCE_URL) && n=$(_sk SPRING_DATASOURCE_USERNAME) && p=$(_sk SPRING_DATASOURCE_PASSWORD) || return 1
  _clean jdbc-connect "$u" "$n" "$p"
}
client_psycopg() { local u; u=$(_sk DATABASE_URL) && _clean python3 "$tools_dir/python/py-connect" psycopg "$u"; }
client_django() { local u; u=$(_sk DATABASE_URL) && _clean python3 "$tools_dir/python/py-connect" django "$u"; }
client_pgx_dsn() { local u; u=$(_sk DSN) && _clean pgx-connect "$u"; }          # Ory: DSN with max_conns
client_pgx_uri() { local u; u=$(_sk uri) && _clean pgx-connect --raw "$u"; }    # plain pgx.Connect(uri)

connect_all_clients() {  # connect_all_clients FILE [USER [DB]]
  secret_load "$1" || { fail "could not read the Secret values in $1"; return 1; }
  local want_user=${2:-${SECRET[username]:-}} want_db=${3:-${SECRET[dbname]:-}}
  local c out err rc
  err=$(mktemp)
  for c in "${CLIENTS[@]}"; do
    rc=0
    out=$("client_$c" 2>"$err") || rc=$?
    if [[ $rc -eq 0 && $out == "$want_user"$'\t'"$want_db" ]]; then
      pass "$c connects as $want_user to $want_db"
    else
      fail "$c connects as $want_user to $want_db (exit $rc, got '${out//$'\t'/ }'): $(tr '\n' ' ' <"$err" | cut -c1-400)"
    fi
  done
  rm -f "$err"
}

refuse_all_clients() {  # refuse_all_clients FILE [PATTERN]
  secret_load "$1" || { fail "could not read the Secret values in $1"; return 1; }
  local pattern=${2:-'password authentication failed|is not permitted to log in'} c out
  for c in "${CLIENTS[@]}"; do
    if out=$("client_$c" 2>&1); then
      fail "$c must be refused but connected (got '${out//$'\t'/ }')"
    elif grep -Eq -- "$pattern" <<<"$out"; then
      pass "$c is refused (/$pattern/)"
    else
      fail "$c is refused, but not for /$pattern/: $(tr '\n' ' ' <<<"$out" | cut -c1-400)"
    fi
  done
}

kstatus_of() {  # kstatus_of KUBECTL-GET-ARGS...
  kubectl get "$@" -o json | kstatus
}

wait_kstatus() {  # wait_kstatus WANT SECONDS KUBECTL-GET-ARGS...
  local want=$1 deadline=$((SECONDS + $2)) got=
  shift 2
  while :; do
    got=$(kstatus_of "$@" 2>/dev/null | head -n 1) || true
    [[ $got == "$want" ]] && return 0
    if ((SECONDS >= deadline)); then
      echo "wait_kstatus: $* is '$got', not '$want', after the timeout" >&2
      return 1
    fi
    sleep 0.5
  done
}

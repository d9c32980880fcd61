# What the tours promise, checked after each of their blocks (sourced by the script that
# tests/e2e/tour_test.sh writes for one document; see that file's header).
#
# tour_begin NAME WHERE / tour_end NAME frame each block; tour_end runs after_<doc>_<name> when
# such a function exists. TOUR_DOC (readme | examples) and TOUR_LOG (this run's output, which
# holds what the tour's commands printed) come from tour_test.sh. Checks read only the end state:
# the catalog through the harness superuser (the PG* variables), objects through the harness
# kubeconfig, and logins with nothing but a credentials Secret's values. A block added to a
# document (say, the Migration's or the BackupSchedule's) runs as soon as it is marked; give it
# an after_<doc>_<name> here for what its comments promise, and add its name to tour_test.sh's
# list of blocks that must be there.
source "$TENANTDB_SOURCE_DIR/tests/e2e/lib.sh"

tour_block=
tour_file=
tour_start=0   # the block's first line in tour_file
tour_offset=0  # its first line in the extracted script
tour_seen=()
tour_begin() {  # tour_begin NAME FILE FIRST_LINE FIRST_LINE_IN_SCRIPT, the block's text on stdin
  tour_block=$1 tour_file=$2 tour_start=$3 tour_offset=$4
  tour_seen+=("$1")
  printf '\n=== %s:%s, block %s\n' "$2" "$3" "$1"
  sed 's/^/$ /'  # the commands as the document has them (not expanded: no password is shown)
  echo '---'
}
tour_end() {
  local fn="after_${TOUR_DOC}_${1//-/_}"
  if declare -F "$fn" >/dev/null; then
    printf -- '--- checks after block %s\n' "$1"
    "$fn"
  fi
}
# tour_finish NAME...: every named block ran (so its checks ran), then the pass/fail summary.
tour_finish() {
  local want
  for want in "$@"; do
    if [[ " ${tour_seen[*]} " == *" $want "* ]]; then
      pass "block $want is in the document and ran"
    else
      fail "block <!-- tour:$want --> is missing from the document (its checks did not run)"
    fi
  done
  finish
  exit $?
}
tour_failed() {  # ERR trap: tour_failed STATUS LINE_IN_SCRIPT COMMAND
  printf 'tour_test: FAIL %s:%s (block %s) exited with status %s: %s\n' "$tour_file" \
    "$((tour_start + $2 - tour_offset))" "$tour_block" "$1" "$3" >&2
}

# --- helpers ----------------------------------------------------------------------------------
su_sql() {  # su_sql DB SQL: one value per line, as the harness superuser
  PGCONNECT_TIMEOUT=10 psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
secret_key() {  # secret_key NAMESPACE SECRET KEY
  kubectl -n "$1" get secret "$2" -o "jsonpath={.data.$3}" | base64 -d
}
# login_as NAMESPACE SECRET SQL: psql with the Secret's host/port/username/password/dbname/sslmode
# only (env -i: none of the harness's PG* variables; a missing key is an error).
login_as() {
  local ns=$1 s=$2 sql=$3 k
  for k in host port username password dbname sslmode; do
    [[ -n $(secret_key "$ns" "$s" "$k") ]] || { echo "Secret $ns/$s has no key $k" >&2; return 1; }
  done
  env -i PATH="$PATH" PGCONNECT_TIMEOUT=10 PGHOST="$(secret_key "$ns" "$s" host)" \
    PGPORT="$(secret_key "$ns" "$s" port)" PGUSER="$(secret_key "$ns" "$s" username)" \
    PGPASSWORD="$(secret_key "$ns" "$s" password)" PGDATABASE="$(secret_key "$ns" "$s" dbname)" \
    PGSSLMODE="$(secret_key "$ns" "$s" sslmode)" psql -X -q -At -v ON_ERROR_STOP=1 -c "$sql"
}
# printed REGEX: a line the tour's commands printed (the echo of the tour's own source lines
# never matches the regexes used here: they start with the command, these with its output).
printed() { grep -Eq -- "$1" "$TOUR_LOG"; }
public_entries() {  # public_entries DATABASE: number of PUBLIC entries in its ACL (default ACL if NULL)
  su_sql postgres "SELECT count(*) FROM pg_database d,
    aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
    WHERE d.datname = '$1' AND a.grantee = 0"
}
db_owner() { su_sql postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$1'"; }
role_absent() { test "$(su_sql postgres "SELECT count(*) FROM pg_roles WHERE rolname = '$1'")" = 0; }
ready() {  # ready [-n NS] KIND/NAME: condition Ready is True
  test "$(kubectl get "$@" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True
}
allowed_namespaces() { kubectl get databaseserver "$1" -o jsonpath='{.spec.allowedNamespaces}'; }
crds_established() {
  local c
  for c in databaseservers databases databaseroles migrations backupschedules; do
    [[ $(kubectl get crd "$c.tenantdb.io" \
      -o jsonpath='{.status.conditions[?(@.type=="Established")].status}') == True ]] || return 1
  done
}
admin_secret_is_real() {
  [[ $(kubectl -n tenantdb-system get secret tenantdb-admin -o jsonpath='{.type}') == kubernetes.io/basic-auth ]] &&
    [[ $(secret_key tenantdb-system tenantdb-admin username) == "$TENANTDB_PG_ADMIN_USER" ]] &&
    [[ $(secret_key tenantdb-system tenantdb-admin password) == "$TENANTDB_PG_ADMIN_PASSWORD" ]]
}
metrics_answer() {  # (read whole first: grep -q leaving early would fail curl under pipefail)
  local body
  body=$(curl -fsS "http://$METRICS_ADDR/metrics") && grep -q '^tenantdb_' <<<"$body"
}

# --- README.md, "A 5-minute tour" -------------------------------------------------------------
after_readme_crds() {
  check "the five CRDs are Established" crds_established
  check "kubectl explain database.spec.reclaimPolicy printed the field" printed '^FIELD: *reclaimPolicy'
}
after_readme_admin_secret() {
  check "Secret tenantdb-system/tenantdb-admin is basic-auth with the admin role's real password" \
    admin_secret_is_real
}
after_readme_quickstart() {
  check "DatabaseServer default lists namespace quickstart in allowedNamespaces ($(allowed_namespaces default))" \
    bash -c 'grep -q "\"quickstart\"" <<<"$1"' _ "$(allowed_namespaces default)"
  check "DatabaseServer default points at the test PostgreSQL" \
    test "$(kubectl get databaseserver default -o jsonpath='{.spec.host}:{.spec.port}')" = "$PGHOST:$PGPORT"
  check "the Database with spec.name postgres was refused, naming spec.name" printed 'is invalid: .*spec\.name'
  check "... and does not exist" bash -c '! kubectl -n quickstart get database reserved >/dev/null 2>&1'
}
after_readme_operator() {
  check "tenantdb version printed a version" printed '^tenantdb [0-9]'
  check "DatabaseServer default Ready" ready databaseserver/default
  local o
  for o in database/shop dbrole/shop-app dbrole/shop-migrator; do
    check "quickstart $o Ready" ready -n quickstart "$o"
  done
}
after_readme_result() {
  check "database quickstart_shop exists, owned by quickstart_shop_owner" \
    test "$(db_owner quickstart_shop)" = quickstart_shop_owner
  check "the tour printed quickstart_shop and its owner" printed '^ *quickstart_shop *\| *quickstart_shop_owner *\|'
  check "no PUBLIC entry in the ACL of quickstart_shop" test "$(public_entries quickstart_shop)" = 0
  check "the tour's psql with the Secret's uri ran as quickstart_shop_app in quickstart_shop" \
    printed '^ *quickstart_shop_app *\| *quickstart_shop *$'
  check "a login with only shop-app-credentials' values is quickstart_shop_app in quickstart_shop" \
    test "$(login_as quickstart shop-app-credentials 'SELECT current_user || $$/$$ || current_database()')" \
    = quickstart_shop_app/quickstart_shop
  check "the tour's curl printed tenantdb_reconcile_total" printed '^tenantdb_reconcile_total'
  check "the tour's curl printed tenantdb_database_size_bytes" printed '^tenantdb_database_size_bytes'
  check "/metrics answers with tenantdb_ lines" metrics_answer
}
after_readme_cleanup() {
  local r
  for r in quickstart_shop_app quickstart_shop_migrator; do
    check "role $r was dropped (DatabaseRole reclaimPolicy Delete)" role_absent "$r"
  done
  check "database quickstart_shop was kept (reclaimPolicy Retain)" \
    test "$(db_owner quickstart_shop)" = quickstart_shop_owner
}

# --- examples/README.md, "Step by step, on your machine" --------------------------------------
after_examples_env() {
  check "the five CRDs are Established" crds_established
}
after_examples_platform() {
  check "Secret tenantdb-system/tenantdb-admin is basic-auth with the admin role's real password" \
    admin_secret_is_real
  check "DatabaseServer default (examples/platform) lists mozhno ($(allowed_namespaces default))" \
    bash -c 'grep -q "\"mozhno\"" <<<"$1"' _ "$(allowed_namespaces default)"
  check "DatabaseServer default Ready" ready databaseserver/default
}
after_examples_scenario() {
  check "database feature_flags exists, owned by feature_flags_owner" \
    test "$(db_owner feature_flags)" = feature_flags_owner
  check "no PUBLIC entry in the ACL of feature_flags" test "$(public_entries feature_flags)" = 0
  check "the tour's psql with the Secret's uri logged in as flags_user, acting as feature_flags_owner" \
    printed '^ *flags_user *\| *feature_flags_owner *\| *feature_flags *$'
  check "a login with only flags-user-credentials' values is flags_user (as feature_flags_owner) in feature_flags" \
    test "$(login_as mozhno flags-user-credentials \
      'SELECT session_user || $$/$$ || current_user || $$/$$ || current_database()')" \
    = flags_user/feature_flags_owner/feature_flags
  check "the tour printed SPRING_DATASOURCE_URL for the test server" \
    printed "^jdbc:postgresql://$PGHOST:$PGPORT/feature_flags\\?"
}
after_examples_cleanup() {
  check "role flags_user was dropped (DatabaseRole reclaimPolicy Delete)" role_absent flags_user
  check "database feature_flags was kept (reclaimPolicy Retain)" test "$(db_owner feature_flags)" = feature_flags_owner
}

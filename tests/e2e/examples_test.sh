#!/usr/bin/env bash
# The seeds' scenarios of examples/ end to end, under the operator's own RBAC: the platform part
# (examples/platform: namespaces, admin Secret, the DatabaseServers `default` and `rack-gateway`)
# is created pointing at the test PostgreSQL, then every application directory
# (opengate-iam, keycloak-django, mozhno, rack-gateway, ory-kratos) is applied AS IS with
# `kubectl apply -k`. Checked: every Database and DatabaseRole Ready and kstatus Current; the
# catalog (names, owners, memberships, datacl without PUBLIC, connection limit); privileges
# (ReadWrite writes a table the Owner login creates after the roles exist, ReadOnly cannot, no DDL
# without Owner); tenant isolation (no login connects to another tenant's database); every
# Secret's keys with real clients (psql, JDBC, psycopg, Django + dj-database-url, pgx as Ory
# reads its DSN); Rack Gateway's sessions really encrypted (pg_stat_ssl) after TLS is switched
# on in the test PostgreSQL with a throw-away certificate; no clear password in any log.
source "$(dirname "$0")/lib.sh"
: "${TENANTDB_BIN:?}"
: "${TENANTDB_OPERATOR_KUBECONFIG:?}"
examples=$repo/examples
scenarios=(opengate-iam keycloak-django mozhno rack-gateway ory-kratos)
namespaces=(opengate-iam keycloak-django mozhno rack-gateway ory)
wait_timeout=${TENANTDB_E2E_WAIT_TIMEOUT:-120s}  # per kubectl wait
admin_secret=examples-e2e-admin  # not tenantdb-admin: crds_test.sh applies the quickstart's
tmp=$(mktemp -d)
chmod 755 "$tmp"  # the PostgreSQL OS user reads the TLS files under it
mkdir -p "$tmp/secrets" "$tmp/tls"
op_pid=

# --- What the examples must produce ---------------------------------------------------------
# namespace  Database  PostgreSQL database (owner: <database>_owner)
databases=(
  "opengate-iam realms opengate_realms"
  "opengate-iam users opengate_users"
  "opengate-iam rbac opengate_rbac"
  "opengate-iam clients opengate_clients"
  "opengate-iam notifications opengate_notifications"
  "keycloak-django keycloak keycloak"
  "keycloak-django backend backend"
  "mozhno feature-flags feature_flags"
  "rack-gateway rack-gateway rack_gateway"
  "ory kratos ory_kratos"
)
# namespace  DatabaseRole  login role  database  privileges   (Secret: <DatabaseRole>-credentials)
roles=(
  "opengate-iam realms-app opengate_iam_realms_app opengate_realms ReadWrite"
  "opengate-iam realms-migrator opengate_iam_realms_migrator opengate_realms Owner"
  "opengate-iam users-app opengate_iam_users_app opengate_users ReadWrite"
  "opengate-iam users-migrator opengate_iam_users_migrator opengate_users Owner"
  "opengate-iam users-readonly opengate_iam_users_readonly opengate_users ReadOnly"
  "opengate-iam rbac-app opengate_iam_rbac_app opengate_rbac ReadWrite"
  "opengate-iam rbac-migrator opengate_iam_rbac_migrator opengate_rbac Owner"
  "opengate-iam clients-app opengate_iam_clients_app opengate_clients ReadWrite"
  "opengate-iam clients-migrator opengate_iam_clients_migrator opengate_clients Owner"
  "opengate-iam notifications-app opengate_iam_notifications_app opengate_notifications ReadWrite"
  "opengate-iam notifications-migrator opengate_iam_notifications_migrator opengate_notifications Owner"
  "keycloak-django keycloak keycloak_django_keycloak keycloak Owner"
  "keycloak-django backend keycloak_django_backend backend ReadWrite"
  "keycloak-django backend-migrate keycloak_django_backend_migrate backend Owner"
  "mozhno flags-user flags_user feature_flags Owner"
  "rack-gateway rack-gateway-app rack_gateway_app rack_gateway ReadWrite"
  "rack-gateway rack-gateway-admin rack_gateway_admin rack_gateway Owner"
  "ory kratos ory_kratos ory_kratos ReadWrite"
  "ory kratos-migrate ory_kratos_migrate ory_kratos Owner"
)
all_dbs() { for d in "${databases[@]}"; do set -- $d; echo "$3"; done; }
all_logins() { for r in "${roles[@]}"; do set -- $r; echo "$3"; done; }

# --- Helpers ----------------------------------------------------------------------------------
# The harness superuser (PG* of the env), for catalog reads and the TLS switch only.
su_sql() {  # su_sql DB SQL...   (each SQL its own statement: ALTER SYSTEM refuses a transaction)
  local db=$1
  shift
  local -a args=()
  local s
  for s in "$@"; do args+=(-c "$s"); done
  PGCONNECT_TIMEOUT=10 psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "${args[@]}"
}
# A login as a client sees it: only the Secret's values, none of the harness's PG* variables.
secret_file() { echo "$tmp/secrets/$1_$2.json"; }  # namespace DatabaseRole
val() { jq -r --arg k "$2" '.[$k] // empty' "$1"; }  # val FILE KEY
as_login() {  # as_login SECRET_FILE DB SQL: psql with the Secret's host/port/user/password/sslmode
  local f=$1 db=$2 sql=$3
  env -u PGSERVICE PGCONNECT_TIMEOUT=10 PGHOST="$(val "$f" host)" PGPORT="$(val "$f" port)" \
    PGUSER="$(val "$f" username)" PGPASSWORD="$(val "$f" password)" PGSSLMODE="$(val "$f" sslmode)" \
    PGDATABASE="$db" psql -X -q -At -v ON_ERROR_STOP=1 -c "$sql" 2>&1
}
# expect_ok/expect_denied DESCRIPTION SECRET_FILE DB SQL
expect_ok() {
  local out
  if out=$(as_login "$2" "$3" "$4"); then pass "$1"; else fail "$1: $out"; fi
}
expect_denied() {
  local out
  if out=$(as_login "$2" "$3" "$4"); then
    fail "$1: succeeded, should be refused"
  elif grep -Eq 'permission denied|must be owner' <<<"$out"; then
    pass "$1"
  else
    fail "$1: refused for another reason: $out"
  fi
}
# Every key of a Secret, base64-decoded, as one JSON object (the input of tests/e2e/clients.sh).
save_secret() {  # namespace name
  kubectl get secret -n "$1" "$2" -o json |
    jq '{type: .type, owner: (.metadata.ownerReferences // [] | map(.kind + "/" + .name) | join(",")),
         data: (.data // {} | map_values(@base64d))}' >"$tmp/secrets/$1_$2.raw.json" &&
    jq '.data' "$tmp/secrets/$1_$2.raw.json" >"$tmp/secrets/$1_$2.json"
}
# A client printed "<current_user>\t<current_database()>": the login, or (Owner logins, whose
# sessions SET ROLE to the owner) the database's owner role.
client_ok() {  # client_ok DESCRIPTION LOGIN DB COMMAND...
  local what=$1 login=$2 db=$3 out
  shift 3
  # A tool runs with none of the harness's libpq settings (clients.sh's functions do the same).
  declare -F "$1" >/dev/null || set -- env -u PGHOST -u PGHOSTADDR -u PGPORT -u PGUSER -u PGPASSWORD \
    -u PGDATABASE -u PGSSLMODE -u PGSERVICE -u DATABASE_URL PGPASSFILE=/nonexistent PGCONNECT_TIMEOUT=15 "$@"
  if ! out=$("$@" 2>&1); then
    fail "$what: $out"
  elif [[ $out == "$login"$'\t'"$db" || $out == "${db}_owner"$'\t'"$db" ]]; then
    pass "$what"
  else
    fail "$what: connected as '$out', want '$login<TAB>$db'"
  fi
}
kstatus_current() {  # kstatus_current KIND NAME [NAMESPACE]   (kstatus_of: clients.sh)
  local out
  out=$(kstatus_of ${3:+-n "$3"} "$1/$2" 2>&1 | sed -n 1p) || true
  [[ $out == Current ]] || { echo "kstatus $1/$2: $out" >&2; return 1; }
}

# --- Clean up (also what a previous, interrupted run left) ------------------------------------
drop_leftovers() {
  local d r
  for d in $(all_dbs); do su_sql postgres "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true; done
  for r in $(all_logins) $(all_dbs | sed 's/$/_owner/'); do
    su_sql postgres "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 || true
  done
}
delete_examples() {
  kubectl patch -n rack-gateway database rack-gateway --type=merge \
    -p '{"spec":{"deletionProtection":false}}' >/dev/null 2>&1 || true
  kubectl delete namespace "${namespaces[@]}" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  # Still there (finalizers with no operator to run them): take them off, the catalog is
  # cleaned below anyway, so that the next run starts from nothing.
  local ns o
  for ns in "${namespaces[@]}"; do
    kubectl get namespace "$ns" >/dev/null 2>&1 || continue
    echo "namespace $ns still terminating: removing tenantdb finalizers" >&2
    for o in $(kubectl get -n "$ns" databases,databaseroles -o name 2>/dev/null); do
      kubectl patch -n "$ns" "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
  done
  kubectl wait --for=delete namespace "${namespaces[@]}" --timeout=60s >/dev/null 2>&1 || true
  kubectl delete databaseserver default rack-gateway --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret "$admin_secret" --ignore-not-found >/dev/null 2>&1 || true
}
tls_off() {
  su_sql postgres "ALTER SYSTEM RESET ssl" "ALTER SYSTEM RESET ssl_cert_file" \
    "ALTER SYSTEM RESET ssl_key_file" "SELECT pg_reload_conf()" >/dev/null 2>&1 || true
}
cleanup() {
  local rc=$?
  delete_examples  # while the operator runs, so that finalizers finish
  if [[ -n $op_pid ]]; then
    kill -TERM "$op_pid" 2>/dev/null || true
    wait "$op_pid" 2>/dev/null || true
  fi
  if [[ $failures -gt 0 && -f $tmp/operator.log ]]; then
    echo "--- last 60 lines of the operator's log ---" >&2
    tail -n 60 "$tmp/operator.log" >&2
  fi
  drop_leftovers
  tls_off  # before the certificate goes: a later restart of PostgreSQL must not look for it
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

# --- 0. Tools, CRDs, a clean slate ------------------------------------------------------------
install_crds
# The real clients and kstatus (client_<name>, CLIENTS, secret_load, kstatus_of).
source "$repo/tests/e2e/clients.sh"
"$repo/tests/tools/build.sh" >/dev/null || { fail "tests/tools/build.sh could not build the client tools"; exit 1; }
PATH="${TENANTDB_TOOLS_CACHE:-$HOME/.cache/tenantdb-tools}/bin:$PATH"
require_client_tools || exit 1
for t in jq openssl; do command -v "$t" >/dev/null || { fail "$t is not on PATH"; exit 1; }; done
delete_examples
drop_leftovers

# --- 1. TLS on the test PostgreSQL (Rack Gateway's server says sslMode: require) ---------------
# A self-signed certificate is enough for sslmode=require (encryption, no verification).
# ssl, ssl_cert_file and ssl_key_file take effect on a reload.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$PGHOST" \
  -addext "subjectAltName=IP:$PGHOST" -keyout "$tmp/tls/server.key" -out "$tmp/tls/server.crt" 2>/dev/null
chmod 755 "$tmp/tls"
chmod 600 "$tmp/tls/server.key"
pg_os_user=$(stat -c %U "$TENANTDB_TESTENV_DIR/pg/data")
if [[ $(id -u) == 0 ]]; then chown "$pg_os_user" "$tmp/tls/server.key" "$tmp/tls/server.crt"; fi
su_sql postgres "ALTER SYSTEM SET ssl_cert_file = '$tmp/tls/server.crt'" \
  "ALTER SYSTEM SET ssl_key_file = '$tmp/tls/server.key'" "ALTER SYSTEM SET ssl = on" \
  "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 50); do [[ $(su_sql postgres "SHOW ssl") == on ]] && break; sleep 0.2; done
check "TLS switched on in the test PostgreSQL (SHOW ssl)" test "$(su_sql postgres "SHOW ssl")" = on
check "a superuser session with sslmode=require is encrypted" test "$(PGSSLMODE=require \
  su_sql postgres 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')" = t

# --- 2. The operator ---------------------------------------------------------------------------
# Free ports rather than 127.0.0.1:0 for both: two listeners on "http://127.0.0.1:0/" collide in
# cpprestsdk ("http_listener is already registered for this path").
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
hport=$(free_port)
"$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --resync-period 10s --max-backoff 10s --metrics-bind-address "127.0.0.1:$(free_port)" \
  --health-probe-bind-address "127.0.0.1:$hport" --log-level debug --log-format json >"$tmp/operator.log" 2>&1 &
op_pid=$!
for _ in $(seq 60); do curl -fsS "http://127.0.0.1:$hport/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
check "the operator runs and answers /readyz" curl -fsS -o /dev/null "http://127.0.0.1:$hport/readyz"

# --- 3. The platform part: examples/platform, pointed at the test PostgreSQL -------------------
# Namespaces as they are; the admin Secret created from the env; each DatabaseServer manifest
# with host/port of the test server and that Secret's name (everything else as written).
kubectl apply --validate=strict -f "$examples/platform/00-namespaces.yaml" >/dev/null
kubectl -n tenantdb-system create secret generic "$admin_secret" --type=kubernetes.io/basic-auth \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
patch=$(jq -nc --arg h "$PGHOST" --argjson p "$PGPORT" --arg s "$admin_secret" \
  '{spec: {host: $h, port: $p, adminCredentialsSecretRef: {name: $s}}}')
for f in 02-databaseserver-default.yaml 03-databaseserver-rack-gateway.yaml; do
  kubectl patch --local -f "$examples/platform/$f" --type=merge -p "$patch" -o yaml |
    kubectl apply --validate=strict -f - >/dev/null
done
check "DatabaseServer rack-gateway keeps the example's sslMode: require" \
  test "$(kubectl get databaseserver rack-gateway -o jsonpath='{.spec.sslMode}')" = require
for s in default rack-gateway; do
  check "DatabaseServer $s Ready" kubectl wait --for=condition=Ready --timeout="$wait_timeout" "databaseserver/$s"
done

# --- 4. The application part: each directory applied unchanged ---------------------------------
for s in "${scenarios[@]}"; do
  out=$(kubectl apply --validate=strict -k "$examples/$s" 2>&1) && rc=0 || rc=$?
  check "kubectl apply -k examples/$s" test "$rc" -eq 0 || echo "$out" >&2
done
# status.conditions of whatever is not Ready, so a failure explains itself.
explain_not_ready() {  # namespace kind
  kubectl get -n "$1" "$2" -o json | jq -r '.items[] | select(([.status.conditions[]? |
    select(.type=="Ready" and .status=="True")] | length) == 0) | "  \(.kind)/\(.metadata.name): " +
    ([.status.conditions[]? | select(.type=="Ready") | "\(.reason): \(.message)"] | join("; "))' >&2
}
for ns in "${namespaces[@]}"; do
  for kind in databases databaseroles; do
    if kubectl wait -n "$ns" --for=condition=Ready --timeout="$wait_timeout" "$kind" --all >/dev/null 2>&1; then
      pass "$ns: every $kind Ready"
    else
      fail "$ns: $kind not Ready within $wait_timeout"
      explain_not_ready "$ns" "$kind"
    fi
  done
done

# --- 5. Status, kstatus, the catalog: databases ------------------------------------------------
for s in default rack-gateway; do check "kstatus DatabaseServer $s: Current" kstatus_current databaseserver "$s"; done
for d in "${databases[@]}"; do
  set -- $d
  ns=$1 obj=$2 db=$3 owner=${3}_owner
  check "kstatus Database $ns/$obj: Current" kstatus_current database "$obj" "$ns"
  check "Database $ns/$obj: status.databaseName $db, status.owner $owner" test \
    "$(kubectl get -n "$ns" database "$obj" -o jsonpath='{.status.databaseName}/{.status.owner}')" = "$db/$owner"
  check "database $db exists, owned by $owner" test \
    "$(su_sql postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$db'")" = "$owner"
  check "owner role $owner is NOLOGIN" test "$(su_sql postgres "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$owner'")" = f
  check "$db: datacl is set and grants PUBLIC nothing" test "$(su_sql postgres \
    "SELECT d.datacl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = 0)
       FROM pg_database d WHERE d.datname = '$db'")" = t
  check "$db: PUBLIC cannot CREATE in schema public" test "$(su_sql "$db" \
    "SELECT count(*) FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
      WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'")" = 0
done
check "rack_gateway is placed on DatabaseServer rack-gateway" test \
  "$(kubectl get -n rack-gateway database rack-gateway -o jsonpath='{.spec.serverRef.name}')" = rack-gateway

# --- 6. Roles, memberships, Secrets --------------------------------------------------------------
for r in "${roles[@]}"; do
  set -- $r
  ns=$1 obj=$2 login=$3 db=$4 priv=$5 owner=${4}_owner
  check "kstatus DatabaseRole $ns/$obj: Current" kstatus_current databaserole "$obj" "$ns"
  check "DatabaseRole $ns/$obj: status.roleName $login, status.secretName $obj-credentials" test \
    "$(kubectl get -n "$ns" databaserole "$obj" -o jsonpath='{.status.roleName}/{.status.secretName}')" = "$login/$obj-credentials"
  check "role $login can log in" test "$(su_sql postgres "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$login'")" = t
  member=$(su_sql postgres "SELECT pg_has_role('$login', '$owner', 'MEMBER')" 2>&1) || true
  if [[ $priv == Owner ]]; then
    check "$login ($priv) is a member of $owner" test "$member" = t
  else
    check "$login ($priv) is not a member of $owner" test "$member" = f
  fi
  save_secret "$ns" "$obj-credentials" || { fail "Secret $ns/$obj-credentials is missing"; continue; }
  f=$(secret_file "$ns" "$obj-credentials")
  check "Secret $ns/$obj-credentials: type kubernetes.io/basic-auth, owned by DatabaseRole/$obj" test \
    "$(jq -r '.type + " " + .owner' "$tmp/secrets/${ns}_$obj-credentials.raw.json")" = "kubernetes.io/basic-auth DatabaseRole/$obj"
  check "Secret $ns/$obj-credentials: username $login, dbname $db" test "$(jq -r '.username + " " + .dbname' "$f")" = "$login $db"
  missing=$(jq -r '[("username password host port dbname sslmode uri jdbc-uri pgpass DATABASE_URL PGHOST PGPORT PGUSER
      PGPASSWORD PGDATABASE PGSSLMODE SPRING_DATASOURCE_URL SPRING_DATASOURCE_USERNAME SPRING_DATASOURCE_PASSWORD" |
      splits("\\s+")) as $k | select(has($k) | not) | $k] | join(" ")' "$f")
  check "Secret $ns/$obj-credentials: every built-in key${missing:+ (missing: $missing)}" test -z "$missing"
done
check "flags_user: connection limit 80 (rolconnlimit)" \
  test "$(su_sql postgres "SELECT rolconnlimit FROM pg_roles WHERE rolname = 'flags_user'")" = 80

# secretTemplate keys: exactly the values the examples' templates build.
check_template() {  # check_template NAMESPACE ROLE KEY EXPECTED
  local f got
  f=$(secret_file "$1" "$2-credentials")
  got=$(jq -r --arg k "$3" '.[$k] // "<missing>"' "$f" 2>/dev/null) || true
  if [[ $got == "$4" ]]; then pass "Secret $1/$2-credentials: $3"; else fail "Secret $1/$2-credentials: $3 is '$got', want '$4'"; fi
}
for svc in realms users rbac clients notifications; do
  f=$(secret_file opengate-iam "$svc-app-credentials")
  [[ -f $f ]] || continue
  check_template opengate-iam "$svc-app" POSTGRES_HOST "$(val "$f" host)"
  check_template opengate-iam "$svc-app" POSTGRES_PORT "$(val "$f" port)"
  check_template opengate-iam "$svc-app" POSTGRES_DB "opengate_$svc"
  check_template opengate-iam "$svc-app" POSTGRES_USER "opengate_iam_${svc}_app"
  check_template opengate-iam "$svc-app" POSTGRES_PASSWORD "$(val "$f" password)"
  m=$(secret_file opengate-iam "$svc-migrator-credentials")
  [[ -f $m ]] || continue
  check_template opengate-iam "$svc-migrator" SPRING_FLYWAY_URL \
    "jdbc:postgresql://$(val "$m" host):$(val "$m" port)/opengate_$svc?sslmode=$(val "$m" sslmode)"
  check_template opengate-iam "$svc-migrator" SPRING_FLYWAY_USER "opengate_iam_${svc}_migrator"
  check_template opengate-iam "$svc-migrator" SPRING_FLYWAY_PASSWORD "$(val "$m" password)"
done
if f=$(secret_file opengate-iam users-readonly-credentials) && [[ -f $f ]]; then
  check_template opengate-iam users-readonly SPRING_DATASOURCEREADONLY_URL \
    "jdbc:postgresql://$(val "$f" host):$(val "$f" port)/opengate_users?sslmode=$(val "$f" sslmode)"
  check_template opengate-iam users-readonly SPRING_DATASOURCEREADONLY_USERNAME opengate_iam_users_readonly
fi
if f=$(secret_file keycloak-django keycloak-credentials) && [[ -f $f ]]; then
  check_template keycloak-django keycloak KC_DB_URL "jdbc:postgresql://$(val "$f" host):$(val "$f" port)/keycloak"
  check_template keycloak-django keycloak KC_DB_USERNAME keycloak_django_keycloak
  check_template keycloak-django keycloak KC_DB_PASSWORD "$(val "$f" password)"
fi
for r in kratos:"&max_conns=20&max_idle_conns=4" kratos-migrate:"&max_conns=2&max_idle_conns=1"; do
  f=$(secret_file ory "${r%%:*}-credentials")
  [[ -f $f ]] && check_template ory "${r%%:*}" DSN "$(val "$f" uri)${r#*:}"
done
f=$(secret_file ory kratos-credentials)
[[ -f $f ]] && check "Ory's DSN: the uri already has a query string, so '&max_conns' extends it" \
  grep -q '^postgresql://[^?]*?sslmode=' <<<"$(val "$f" uri)"

# --- 7. Privileges: a table the Owner login creates AFTER the roles exist ------------------------
for d in "${databases[@]}"; do
  set -- $d
  db=$3 owner=${3}_owner
  owner_file= rw=() ro=()
  for r in "${roles[@]}"; do
    set -- $r
    [[ $4 == "$db" ]] || continue
    f=$(secret_file "$1" "$2-credentials")
    [[ -f $f ]] || continue
    case $5 in
      Owner) [[ -n $owner_file ]] || owner_file=$f ;;
      ReadWrite) rw+=("$f") ;;
      ReadOnly) ro+=("$f") ;;
    esac
  done
  [[ -n $owner_file ]] || { fail "$db: no Owner login with a Secret to create the probe table"; continue; }
  ownerlogin=$(val "$owner_file" username) || true
  expect_ok "$db: Owner login $ownerlogin creates a table (a migration)" "$owner_file" "$db" \
    "CREATE TABLE e2e_probe (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)"
  check "$db: the table belongs to $owner (Owner sessions create objects as the owner role)" test \
    "$(su_sql "$db" "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'e2e_probe'")" = "$owner"
  expect_ok "$db: Owner login $ownerlogin writes it" "$owner_file" "$db" "INSERT INTO e2e_probe (v) VALUES ('owner')"
  for f in "${rw[@]}"; do
    l=$(val "$f" username) || true
    expect_ok "$db: ReadWrite $l INSERTs (default privileges, sequence included)" "$f" "$db" \
      "INSERT INTO e2e_probe (v) VALUES ('rw')"
    expect_ok "$db: ReadWrite $l SELECTs, UPDATEs, DELETEs" "$f" "$db" \
      "SELECT count(*) FROM e2e_probe; UPDATE e2e_probe SET v = 'x' WHERE v = 'rw'; DELETE FROM e2e_probe WHERE v = 'x'"
    expect_denied "$db: ReadWrite $l cannot CREATE TABLE (no DDL)" "$f" "$db" "CREATE TABLE e2e_rw_ddl (i int)"
    expect_denied "$db: ReadWrite $l cannot DROP the owner's table" "$f" "$db" "DROP TABLE e2e_probe"
  done
  for f in "${ro[@]}"; do
    l=$(val "$f" username) || true
    expect_ok "$db: ReadOnly $l SELECTs the new table" "$f" "$db" "SELECT count(*) FROM e2e_probe"
    expect_denied "$db: ReadOnly $l cannot INSERT" "$f" "$db" "INSERT INTO e2e_probe (v) VALUES ('ro')"
    expect_denied "$db: ReadOnly $l cannot UPDATE" "$f" "$db" "UPDATE e2e_probe SET v = 'ro'"
  done
done
# Rack Gateway's audit trail lives in the schema audit (audit.audit_event), which the example's
# Database declares: it exists, belongs to the owner, and the app login may append to the table
# the gateway's migrations create there later.
check "rack_gateway: schema audit exists, owned by rack_gateway_owner" test "$(su_sql rack_gateway \
  "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'audit'")" = rack_gateway_owner
fa=$(secret_file rack-gateway rack-gateway-admin-credentials)
fw=$(secret_file rack-gateway rack-gateway-app-credentials)
if [[ -f $fa && -f $fw ]]; then
  expect_ok "rack_gateway: rack_gateway_admin creates audit.audit_event (a migration)" "$fa" rack_gateway \
    "CREATE SCHEMA IF NOT EXISTS audit; CREATE TABLE audit.audit_event (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, action text NOT NULL)"
  expect_ok "rack_gateway: rack_gateway_app appends to audit.audit_event" "$fw" rack_gateway \
    "INSERT INTO audit.audit_event (action) VALUES ('deploy')"
  expect_denied "rack_gateway: rack_gateway_app cannot create tables in audit" "$fw" rack_gateway \
    "CREATE TABLE audit.e2e_rw_ddl (i int)"
fi

# --- 8. Tenant isolation: no login connects to another tenant's database ------------------------
# Every login against two other tenants' databases: the next one in the list (same namespace
# where there is one) and one in another namespace.
mapfile -t dblist < <(all_dbs)
n=${#dblist[@]}
for r in "${roles[@]}"; do
  set -- $r
  f=$(secret_file "$1" "$2-credentials")
  [[ -f $f ]] || continue
  for i in "${!dblist[@]}"; do [[ ${dblist[$i]} == "$4" ]] && break; done
  others=("${dblist[$(((i + 1) % n))]}")
  if [[ $1 == keycloak-django ]]; then others+=(opengate_users); else others+=(keycloak); fi
  for other in "${others[@]}"; do
    expect_denied "isolation: $3 ($1) cannot connect to $other" "$f" "$other" "SELECT 1"
  done
done

# --- 9. Real clients with each Secret's values ---------------------------------------------------
# Every client of tests/e2e/clients.sh on every Secret: psql (uri, PG* env, pgpass), JDBC
# (jdbc-uri, SPRING_DATASOURCE_*), psycopg and Django (DATABASE_URL), pgx (uri; DSN where the
# example defines one: DSN is a secretTemplate key, not a built-in one).
for r in "${roles[@]}"; do
  set -- $r
  ns=$1 obj=$2 login=$3 db=$4
  f=$(secret_file "$ns" "$obj-credentials")
  [[ -f $f ]] || continue
  secret_load "$f" || { fail "secret_load $f"; continue; }
  for c in "${CLIENTS[@]}"; do
    [[ $c == pgx_dsn && ! -v SECRET[DSN] ]] && continue
    client_ok "$c with Secret $ns/$obj-credentials" "$login" "$db" "client_$c"
  done
done
# The keys each seed's service actually reads.
for svc in realms users rbac clients notifications; do
  f=$(secret_file opengate-iam "$svc-app-credentials")
  [[ -f $f ]] || continue
  # application.yml: url jdbc:postgresql://${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DB}
  client_ok "OpenGate $svc: JDBC with the POSTGRES_* variables of application.yml" "opengate_iam_${svc}_app" "opengate_$svc" \
    jdbc-connect "jdbc:postgresql://$(val "$f" POSTGRES_HOST):$(val "$f" POSTGRES_PORT)/$(val "$f" POSTGRES_DB)" \
    "$(val "$f" POSTGRES_USER)" "$(val "$f" POSTGRES_PASSWORD)"
  m=$(secret_file opengate-iam "$svc-migrator-credentials")
  [[ -f $m ]] || continue
  client_ok "OpenGate $svc: JDBC with SPRING_FLYWAY_URL/USER/PASSWORD (Flyway at start-up)" "opengate_iam_${svc}_migrator" "opengate_$svc" \
    jdbc-connect "$(val "$m" SPRING_FLYWAY_URL)" "$(val "$m" SPRING_FLYWAY_USER)" "$(val "$m" SPRING_FLYWAY_PASSWORD)"
done
f=$(secret_file opengate-iam users-readonly-credentials)
[[ -f $f ]] && client_ok "OpenGate users: JDBC with SPRING_DATASOURCEREADONLY_* (the read DataSource)" \
  opengate_iam_users_readonly opengate_users jdbc-connect "$(val "$f" SPRING_DATASOURCEREADONLY_URL)" \
  "$(val "$f" SPRING_DATASOURCEREADONLY_USERNAME)" "$(val "$f" SPRING_DATASOURCEREADONLY_PASSWORD)"
f=$(secret_file keycloak-django keycloak-credentials)
[[ -f $f ]] && client_ok "Keycloak: JDBC with KC_DB_URL, KC_DB_USERNAME, KC_DB_PASSWORD" keycloak_django_keycloak keycloak \
  jdbc-connect "$(val "$f" KC_DB_URL)" "$(val "$f" KC_DB_USERNAME)" "$(val "$f" KC_DB_PASSWORD)"
for r in backend:keycloak_django_backend backend-migrate:keycloak_django_backend_migrate; do
  f=$(secret_file keycloak-django "${r%%:*}-credentials")
  [[ -f $f ]] && client_ok "Django (dj-database-url) with DATABASE_URL of ${r%%:*}" "${r#*:}" backend \
    py-connect django "$(val "$f" DATABASE_URL)"
done
f=$(secret_file mozhno flags-user-credentials)
[[ -f $f ]] && client_ok "можно.: JDBC with SPRING_DATASOURCE_URL (jdbc:postgresql://.../feature_flags)" flags_user feature_flags \
  jdbc-connect "$(val "$f" SPRING_DATASOURCE_URL)" "$(val "$f" SPRING_DATASOURCE_USERNAME)" "$(val "$f" SPRING_DATASOURCE_PASSWORD)"
for r in kratos:ory_kratos kratos-migrate:ory_kratos_migrate; do
  f=$(secret_file ory "${r%%:*}-credentials")
  [[ -f $f ]] && client_ok "Ory Kratos: pgx with DSN of ${r%%:*} (Ory's pool parameters taken off)" "${r#*:}" ory_kratos \
    pgx-connect "$(val "$f" DSN)"
done
for r in rack-gateway-app:rack_gateway_app rack-gateway-admin:rack_gateway_admin; do
  f=$(secret_file rack-gateway "${r%%:*}-credentials")
  [[ -f $f ]] && client_ok "Rack Gateway (Go): pgx with DATABASE_URL of ${r%%:*}" "${r#*:}" rack_gateway \
    pgx-connect --raw "$(val "$f" DATABASE_URL)"
done
# (Every client of clients.sh on every Secret is section 9 above, through client_<name>; a
# renamed client function is a call of an undefined function, which tests/repo/e2e_lint_check.sh
# refuses.)

# --- 10. Rack Gateway: sslmode=require everywhere, and the sessions really encrypted ------------
for obj in rack-gateway-app rack-gateway-admin; do
  f=$(secret_file rack-gateway "$obj-credentials")
  [[ -f $f ]] || continue
  check "Secret rack-gateway/$obj-credentials: sslmode and PGSSLMODE are require" \
    test "$(jq -r '.sslmode + " " + .PGSSLMODE' "$f")" = "require require"
  check "Secret rack-gateway/$obj-credentials: DATABASE_URL carries sslmode=require" grep -q 'sslmode=require' <<<"$(val "$f" DATABASE_URL)"
  # SET ROLE NONE first: an Owner login's session runs as the owner role (ALTER ROLE ... SET
  # role, which RESET ROLE returns to), and pg_stat_ssl shows a session's ssl column only to
  # members of its session user.
  check "$obj: a psql session with the Secret's uri is encrypted (pg_stat_ssl)" test "$(env -u PGSSLMODE -u PGHOST \
    -u PGPORT -u PGUSER -u PGPASSWORD -u PGDATABASE psql -X -q -At "$(val "$f" uri)" -c 'SET ROLE NONE' \
    -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1)" = t
done
f=$(secret_file rack-gateway rack-gateway-app-credentials)
[[ -f $f ]] && check "rack_gateway_app: a pgx session with DATABASE_URL is encrypted (pg_stat_ssl)" \
  test "$(pgx-connect --raw "$(val "$f" DATABASE_URL)" 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()' 2>&1)" = true
# Every session the server log shows (log_connections=on) for the two logins - psql, JDBC,
# psycopg, Django, pgx above - and for the operator itself (which reaches rack_gateway only
# through DatabaseServer rack-gateway) says "SSL enabled".
for login in rack_gateway_app rack_gateway_admin "$TENANTDB_PG_ADMIN_USER"; do
  conns=$(grep -E "connection authorized: user=$login database=rack_gateway( |$)" "$TENANTDB_PG_LOG" || true)
  n=$(grep -c . <<<"$conns" || true)
  check "every session of $login to rack_gateway is encrypted ($n in the server log, each 'SSL enabled')" \
    bash -c '[[ -n $1 && $(grep -vc "SSL enabled" <<<"$1") == 0 ]]' _ "$conns"
done

# --- 11. No password in clear in any log ------------------------------------------------------
leaks=0
for f in "$tmp"/secrets/*_*-credentials.json; do
  [[ -f $f ]] || continue
  pw=$(val "$f" password) || continue
  if grep -qF -- "$pw" "$tmp/operator.log" "$TENANTDB_PG_LOG"; then
    leaks=$((leaks + 1))
    echo "password of $(basename "$f" .json) found in a log" >&2
  fi
done
check "no generated password appears in the operator's log or the PostgreSQL log" test "$leaks" -eq 0
check "the operator is still running" kill -0 "$op_pid" 2>/dev/null
finish

#!/usr/bin/env bash
# The Database controller end to end, under the operator's own RBAC (TENANTDB_OPERATOR_KUBECONFIG):
# a Database becomes Ready and the catalog matches (owner, marker, PUBLIC revoked, extension,
# schema), a no-op resync writes nothing, drift is put back (Correct) or listed (Detect), a
# foreign database is refused untouched, a namespace outside allowedNamespaces is refused while a
# selector lets another in, Retain keeps the data, Delete drops it under an open session,
# deletionProtection blocks deletion, and PostgreSQL going away and back heals by itself.
source "$(dirname "$0")/lib.sh"
: "${TENANTDB_BIN:?}"
install_crds
tmp=$(mktemp -d)
pids=()
nsa=e2e-db-a
nsb=e2e-db-b
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d "${DB:-postgres}" "$@"; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  "$repo/scripts/testenv" start postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  for ns in $nsa $nsb; do
    for d in $(kubectl -n "$ns" get databases -o name 2>/dev/null); do
      kubectl -n "$ns" patch "$d" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
  done
  kubectl delete namespace $nsa $nsb --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kubectl delete databaseserver e2e-db e2e-db-restricted e2e-db-sel --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret e2e-db-admin --ignore-not-found >/dev/null 2>&1 || true
  for d in e2e_db_a_orders e2e_db_a_detect e2e_db_a_legacy e2e_db_a_temp e2e_db_a_precious e2e_db_a_sel; do
    psql_su -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
  done
  for r in e2e_db_a_orders_owner e2e_db_a_detect_owner e2e_db_a_temp_owner e2e_db_a_precious_owner \
    e2e_db_a_sel_owner e2e_someone_else e2e_db_app; do
    psql_su -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
ready() {  # ns name -> "Status/Reason"
  kubectl -n "$1" get database "$2" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}'
}
ready_is() { [[ $(ready "$1" "$2") == "$3" ]]; }
ready_false_with_reason() { [[ $(ready "$1" "$2") == False/?* ]]; }
owner_of() { psql_su -c "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$1'"; }
database() {  # ns name server [extra spec lines...]
  local ns=$1 name=$2 server=$3
  shift 3
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: Database\nmetadata: {name: %s, namespace: %s}\nspec:\n  serverRef: {name: %s}\n' \
    "$name" "$ns" "$server"
  for line in "$@"; do printf '  %s\n' "$line"; done
}

kubectl create namespace $nsa >/dev/null
kubectl create namespace $nsb >/dev/null
kubectl label namespace $nsa team=payments >/dev/null
kubectl -n tenantdb-system create secret generic e2e-db-admin --type=kubernetes.io/basic-auth \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: e2e-db}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: e2e-db-admin}
  allowedNamespaces: [$nsa, $nsb]  # explicit: a server without a list admits no namespace
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: e2e-db-restricted}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: e2e-db-admin}
  allowedNamespaces: [$nsa]  # refuses $nsb
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: e2e-db-sel}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: e2e-db-admin}
  allowedNamespaceSelector:
    matchExpressions: [{key: team, operator: In, values: [payments]}]
YAML

mport=$(free_port)
"$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --resync-period 5s --max-backoff 5s --metrics-bind-address "127.0.0.1:$mport" \
  --health-probe-bind-address 0 --log-level debug >"$tmp/op.log" 2>&1 &
pids+=($!)

# 1. Create: Ready, and the catalog is what the spec and DESIGN.md say.
database $nsa orders e2e-db 'extensions: [{name: citext}]' 'schemas: [{name: app}]' | kubectl apply -f - >/dev/null
check "Database orders becomes Ready (kubectl wait)" \
  kubectl -n $nsa wait --for=condition=Ready --timeout=90s database/orders
check "status.databaseName is e2e_db_a_orders" \
  test "$(kubectl -n $nsa get database orders -o jsonpath='{.status.databaseName}')" = e2e_db_a_orders
check "status.owner and observedGeneration are set" \
  test "$(kubectl -n $nsa get database orders -o jsonpath='{.status.owner}/{.status.observedGeneration}')" = e2e_db_a_orders_owner/1
check "the database is owned by the NOLOGIN owner role" \
  test "$(owner_of e2e_db_a_orders)/$(psql_su -c "SELECT rolcanlogin FROM pg_roles WHERE rolname = 'e2e_db_a_orders_owner'")" = e2e_db_a_orders_owner/f
check "the database carries the marker comment" grep -Eqx "tenantdb:$nsa/(Database/)?orders" \
  <<<"$(psql_su -c "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'e2e_db_a_orders'")"
check "datacl is set and has no PUBLIC entry" \
  test "$(psql_su -c "SELECT d.datacl IS NOT NULL AND NOT EXISTS (SELECT 1 FROM aclexplode(d.datacl) a WHERE a.grantee = 0) FROM pg_database d WHERE datname = 'e2e_db_a_orders'")" = t
check "PUBLIC has no CREATE on schema public" \
  test "$(DB=e2e_db_a_orders psql_su -c "SELECT count(*) FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'")" = 0
check "extension citext and schema app (owned by the owner) exist" \
  test "$(DB=e2e_db_a_orders psql_su -c "SELECT (SELECT count(*) FROM pg_extension WHERE extname = 'citext') || '/' || (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'app')")" = 1/e2e_db_a_orders_owner
check "a Normal Event lists the changes applied" \
  wait_until 20 bash -c "kubectl -n $nsa get events -o jsonpath='{.items[*].message}' | grep -q 'e2e_db_a_orders'"

# A no-op reconcile: no DDL and no Kubernetes write across several resyncs.
rv1=$(kubectl -n $nsa get database orders -o jsonpath='{.metadata.resourceVersion}')
ddl1=$(grep -c 'Applying SQL action.*e2e_db_a_orders' "$tmp/op.log" || true)
sleep 12
rv2=$(kubectl -n $nsa get database orders -o jsonpath='{.metadata.resourceVersion}')
ddl2=$(grep -c 'Applying SQL action.*e2e_db_a_orders' "$tmp/op.log" || true)
check "resyncs of an unchanged Database write nothing (resourceVersion $rv1 -> $rv2)" test "$rv1" = "$rv2"
# The count only means something if the phrase is the one the operator logs: its creation did.
check "the operator logged the DDL that created e2e_db_a_orders ($ddl1 'Applying SQL action' lines)" test "$ddl1" -gt 0
check "resyncs of an unchanged Database run no DDL ($ddl1 -> $ddl2 statements)" test "$ddl1" = "$ddl2"

# 2. Drift under Correct: the owner is put back after a resync.
psql_su -c "CREATE ROLE e2e_someone_else NOLOGIN" -c "GRANT e2e_someone_else TO $TENANTDB_PG_ADMIN_USER" \
  -c "ALTER DATABASE e2e_db_a_orders OWNER TO e2e_someone_else"
check "drifted owner is put back (Correct)" \
  wait_until 60 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'e2e_db_a_orders'\") == e2e_db_a_orders_owner ]]"
psql_su -c "GRANT CONNECT ON DATABASE e2e_db_a_orders TO PUBLIC"
check "a PUBLIC CONNECT grant is revoked again (Correct)" \
  wait_until 60 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a WHERE datname = 'e2e_db_a_orders' AND a.grantee = 0\") == 0 ]]"

# Metrics: per-database size and connections, SQL statements by kind.
curl -fsS "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt"
check "tenantdb_database_size_bytes for orders" \
  grep -Eq "^tenantdb_database_size_bytes\{namespace=\"$nsa\",name=\"orders\",database=\"e2e_db_a_orders\"\} [1-9]" "$tmp/metrics.txt"
check "tenantdb_database_connections for orders" \
  grep -Eq "^tenantdb_database_connections\{namespace=\"$nsa\",name=\"orders\",database=\"e2e_db_a_orders\"\} " "$tmp/metrics.txt"
check "tenantdb_sql_statements_total counts CreateDatabase and AlterDatabaseOwner" \
  bash -c "grep -q 'tenantdb_sql_statements_total{kind=\"CreateDatabase\"}' '$tmp/metrics.txt' && grep -q 'tenantdb_sql_statements_total{kind=\"AlterDatabaseOwner\"}' '$tmp/metrics.txt'"

# 3. Drift under Detect: listed in status.drift, left alone.
database $nsa detect e2e-db 'driftPolicy: Detect' | kubectl apply -f - >/dev/null
check "Database detect becomes Ready" kubectl -n $nsa wait --for=condition=Ready --timeout=60s database/detect
psql_su -c "ALTER DATABASE e2e_db_a_detect CONNECTION LIMIT 3"
check "Detect lists the drift in status.drift" \
  wait_until 60 bash -c "[[ \$(kubectl -n $nsa get database detect -o jsonpath='{.status.drift[?(@.field==\"connectionLimit\")].actual}') == 3 ]]"
sleep 6
check "Detect changes nothing (connection limit still 3)" \
  test "$(psql_su -c "SELECT datconnlimit FROM pg_database WHERE datname = 'e2e_db_a_detect'")" = 3

# 4. A database that exists without tenantdb's marker: refused, untouched.
psql_su -c "CREATE DATABASE e2e_db_a_legacy"
DB=e2e_db_a_legacy psql_su -c "CREATE TABLE keep (v text); INSERT INTO keep VALUES ('precious')"
database $nsa legacy e2e-db | kubectl apply -f - >/dev/null
check "pre-existing database: Ready=False reason ConflictingResource" \
  wait_until 60 ready_is $nsa legacy False/ConflictingResource
msg=$(kubectl -n $nsa get database legacy -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
check "the conflict message says to set spec.adopt ($msg)" grep -q 'spec.adopt' <<<"$msg"
check "the pre-existing database is untouched (owner, no comment, its row)" \
  test "$(owner_of e2e_db_a_legacy)/$(psql_su -c "SELECT coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = 'e2e_db_a_legacy'")/$(DB=e2e_db_a_legacy psql_su -c 'SELECT v FROM keep')" = "$PGUSER/-/precious"

# 5. Namespace policy: a list refuses e2e-db-b; a selector admits e2e-db-a (labels read with a GET).
database $nsb intruder e2e-db-restricted | kubectl apply -f - >/dev/null
check "namespace outside allowedNamespaces: Ready=False reason NamespaceNotAllowed" \
  wait_until 60 ready_is $nsb intruder False/NamespaceNotAllowed
msg=$(kubectl -n $nsb get database intruder -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
check "the message names the server and the platform team ($msg)" \
  bash -c "grep -q 'e2e-db-restricted' <<<\"\$1\" && grep -q 'platform team' <<<\"\$1\"" _ "$msg"
check "no database was created for the refused namespace" \
  test "$(psql_su -c "SELECT count(*) FROM pg_database WHERE datname = 'e2e_db_b_intruder'")" = 0
database $nsa sel e2e-db-sel 'reclaimPolicy: Delete' | kubectl apply -f - >/dev/null
check "allowedNamespaceSelector admits a labelled namespace (Ready)" \
  kubectl -n $nsa wait --for=condition=Ready --timeout=60s database/sel

# 6. Retain (the default): deleting the resource keeps the database and its rows.
DB=e2e_db_a_orders psql_su -c "CREATE TABLE app.t (v text); INSERT INTO app.t VALUES ('kept')"
check "Retain: the Database resource is deleted" \
  kubectl -n $nsa delete database orders --timeout=60s
check "Retain: the PostgreSQL database and its rows are kept" \
  test "$(DB=e2e_db_a_orders psql_su -c 'SELECT v FROM app.t')" = kept

# 7. Delete: DROP DATABASE ... WITH (FORCE) even with a session open, then the owner role.
database $nsa temp e2e-db 'reclaimPolicy: Delete' | kubectl apply -f - >/dev/null
check "Database temp becomes Ready" kubectl -n $nsa wait --for=condition=Ready --timeout=60s database/temp
# An application's session (not a superuser's: only a superuser may end those). Ending it needs
# pg_signal_backend, which the platform team grants to the operator's admin role.
psql_su -c "GRANT pg_signal_backend TO $TENANTDB_PG_ADMIN_USER" \
  -c "CREATE ROLE e2e_db_app LOGIN PASSWORD 'e2e-app-pw'" -c "GRANT CONNECT ON DATABASE e2e_db_a_temp TO e2e_db_app"
PGUSER=e2e_db_app PGPASSWORD=e2e-app-pw psql -X -d e2e_db_a_temp -c 'SELECT pg_sleep(600)' >/dev/null 2>&1 &
sleeper=$!
pids+=($sleeper)
check "a psql session is open on e2e_db_a_temp" \
  wait_until 20 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_stat_activity WHERE datname = 'e2e_db_a_temp'\") -ge 1 ]]"
check "Delete: the Database resource is deleted" \
  kubectl -n $nsa delete database temp --timeout=60s
# count(*) = 0, not "no row printed": a psql that fails prints nothing either.
check "Delete: the PostgreSQL database is dropped despite the open session" \
  test "$(psql_su -c "SELECT count(*) FROM pg_database WHERE datname = 'e2e_db_a_temp'")" = 0
check "Delete: the owner role tenantdb created is dropped" \
  test "$(psql_su -c "SELECT count(*) FROM pg_roles WHERE rolname = 'e2e_db_a_temp_owner'")" = 0

# 8. deletionProtection blocks deletion until it is unset.
database $nsa precious e2e-db 'reclaimPolicy: Delete' 'deletionProtection: true' | kubectl apply -f - >/dev/null
check "Database precious becomes Ready" kubectl -n $nsa wait --for=condition=Ready --timeout=60s database/precious
kubectl -n $nsa delete database precious --wait=false >/dev/null
check "deletionProtection: Ready=False reason DeletionProtected" \
  wait_until 60 ready_is $nsa precious False/DeletionProtected
msg=$(kubectl -n $nsa get database precious -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
check "the message says how to delete ($msg)" grep -q 'spec.deletionProtection to false' <<<"$msg"
check "deletionProtection: the resource and the database remain" \
  bash -c "kubectl -n $nsa get database precious >/dev/null && [[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_database WHERE datname = 'e2e_db_a_precious'\") == 1 ]]"
kubectl -n $nsa patch database precious --type=merge -p '{"spec":{"deletionProtection":false}}' >/dev/null
check "protection lifted: the resource goes away" \
  kubectl -n $nsa wait --for=delete --timeout=60s database/precious
check "protection lifted: reclaimPolicy Delete dropped the database" \
  test "$(psql_su -c "SELECT count(*) FROM pg_database WHERE datname = 'e2e_db_a_precious'")" = 0

# 9. PostgreSQL goes away: Ready=False with a reason, then True again without intervention.
"$repo/scripts/testenv" stop postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null
check "PostgreSQL stopped: Database sel Ready=False with a reason" \
  wait_until 90 ready_false_with_reason $nsa sel
echo "     (reason while PostgreSQL was down: $(ready $nsa sel))"
"$repo/scripts/testenv" start postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null
check "PostgreSQL back: Database sel Ready=True again without intervention" \
  kubectl -n $nsa wait --for=condition=Ready --timeout=90s database/sel

check "no password in the operator's debug log" \
  bash -c '! grep -qF -- "$1" "$2"' _ "$TENANTDB_PG_ADMIN_PASSWORD" "$tmp/op.log"
if [[ $failures -gt 0 ]]; then
  echo "--- operator log (last 60 lines) ---" >&2
  tail -n 60 "$tmp/op.log" >&2
  cp "$tmp/op.log" "${TMPDIR:-/tmp}/tenantdb-database-e2e-operator.log"
fi
finish

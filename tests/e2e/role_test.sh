#!/usr/bin/env bash
# The DatabaseRole controller end to end, under the operator's own RBAC
# (TENANTDB_OPERATOR_KUBECONFIG), on a Database made Ready by the Database controller:
# roles become Ready with a credentials Secret (basic-auth, owned, labelled) that every client
# logs in with; ReadOnly can SELECT but not INSERT; a table created later by the Owner role (as
# the database owner, thanks to its `SET role`) is readable by ReadOnly and writable by
# ReadWrite (default privileges FOR ROLE owner); an explicit grant removed from the spec is
# revoked; a None role cannot connect; a missing grant target is reported; a foreign Secret of the
# same name is refused untouched; a BYO password `p@ss:/?#%&+ "'wörd` logs in with every client
# and its change is applied; a deleted credentials Secret is rewritten on resync; a no-op resync
# writes nothing and runs no DDL; no password appears in the operator's debug log or in
# PostgreSQL's log_statement=all log; deleting a role drops it and the garbage collector removes
# its Secret.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.sh"
: "${TENANTDB_BIN:?}"
install_crds
tmp=$(mktemp -d)
pids=()
ns=e2e-role
db=e2e_role_shop
owner=e2e_role_shop_owner
hostile="p@ss:/?#%&+ \"'wörd"
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d "${DB:-postgres}" "$@"; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [[ $failures -gt 0 && -f $tmp/op.log ]]; then tail -n 60 "$tmp/op.log" >&2; fi
  if [[ -n ${TENANTDB_E2E_KEEP_LOG:-} && -f $tmp/op.log ]]; then cp "$tmp/op.log" "$TENANTDB_E2E_KEEP_LOG"; fi
  for kind in databaseroles databases; do
    for o in $(kubectl -n $ns get $kind -o name 2>/dev/null); do
      kubectl -n $ns patch "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
  done
  kubectl delete namespace $ns --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kubectl delete databaseserver e2e-role --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret e2e-role-admin --ignore-not-found >/dev/null 2>&1 || true
  psql_su -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  for r in migrator reader writer nobody byo missing conflict rotating; do
    psql_su -c "DROP ROLE IF EXISTS e2e_role_$r" >/dev/null 2>&1 || true
  done
  psql_su -c "DROP ROLE IF EXISTS $owner" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
ready() {  # name -> "Status/Reason"
  kubectl -n $ns get databaserole "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}'
}
secret_key() { kubectl -n $ns get secret "$1" -o jsonpath="{.data.$2}" | base64 -d; }
# Runs SQL as the role of Secret $1 through its `uri`, with none of the harness's PG* defaults.
as_role() {  # secret sql...
  local uri
  uri=$(secret_key "$1" uri)
  shift
  _clean psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$uri" "$@"
}
role() {  # name [spec lines...]
  local name=$1
  shift
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: DatabaseRole\nmetadata: {name: %s, namespace: %s}\nspec:\n  databaseRef: {name: shop}\n' "$name" "$ns"
  for line in "$@"; do printf '  %s\n' "$line"; done
}
reader_logs_in() { [[ $(as_role reader-credentials -c 'SELECT current_user' 2>/dev/null) == e2e_role_reader ]]; }
has_priv() {  # role table privilege -> t/f
  DB=$db psql_su -c "SELECT has_table_privilege('$1', '$2', '$3')"
}

kubectl create namespace $ns >/dev/null
kubectl -n tenantdb-system create secret generic e2e-role-admin --type=kubernetes.io/basic-auth \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: e2e-role}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: e2e-role-admin}
  allowedNamespaces: [$ns]  # explicit: a server without a list admits no namespace
---
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {name: shop, namespace: $ns}
spec:
  serverRef: {name: e2e-role}
  name: $db
  reclaimPolicy: Delete
YAML
kubectl -n $ns create secret generic byo-pw --from-literal=password="$hostile" >/dev/null
# A Secret of the name a role wants, which tenantdb does not own.
kubectl -n $ns create secret generic taken --from-literal=password=not-yours >/dev/null

"$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --resync-period 5s --max-backoff 5s --metrics-bind-address 0 \
  --health-probe-bind-address 0 --log-level debug >"$tmp/op.log" 2>&1 &
pids+=($!)

{ role migrator 'privileges: Owner'; echo ---
  role reader 'privileges: ReadOnly' 'secretTemplate: {DSN: "{{ .uri }}&max_conns=20"}'; echo ---
  role nobody 'privileges: None'; echo ---
  role byo 'privileges: ReadOnly' 'passwordSecretRef: {name: byo-pw}' \
    'secretTemplate: {DSN: "{{ .uri }}&max_conns=20"}'; echo ---
  role missing 'privileges: ReadOnly' 'grants: [{schema: public, table: nope, privileges: [SELECT]}]'; echo ---
  role conflict 'secretName: taken'; } | kubectl apply -f - >/dev/null

# 1. Ready, with a Secret every client reads unchanged.
check "Database shop becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=90s database/shop
for r in migrator reader nobody byo; do
  check "DatabaseRole $r becomes Ready (kubectl wait)" \
    kubectl -n $ns wait --for=condition=Ready --timeout=90s databaserole/$r
done
check "status: roleName, secretName, activeLogin, passwordChangedAt, observedGeneration" \
  test "$(kubectl -n $ns get databaserole reader -o jsonpath='{.status.roleName}/{.status.secretName}/{.status.activeLogin}/{.status.observedGeneration}')" \
  = "e2e_role_reader/reader-credentials/e2e_role_reader/1"
check "status.passwordChangedAt is set" \
  test -n "$(kubectl -n $ns get databaserole reader -o jsonpath='{.status.passwordChangedAt}')"
check "the Secret is kubernetes.io/basic-auth, labelled managed-by=tenantdb" \
  test "$(kubectl -n $ns get secret reader-credentials -o jsonpath='{.type}/{.metadata.labels.app\.kubernetes\.io/managed-by}')" \
  = "kubernetes.io/basic-auth/tenantdb"
check "the Secret is controlled by the DatabaseRole" \
  test "$(kubectl -n $ns get secret reader-credentials -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}/{.metadata.ownerReferences[0].blockOwnerDeletion}')" \
  = "DatabaseRole/reader/true/true"
check "a generated password is 43 base64url characters" \
  grep -Eq '^[A-Za-z0-9_-]{43}$' <<<"$(secret_key reader-credentials password)"
check "psql with the uri key logs in as the role" \
  test "$(as_role reader-credentials -c 'SELECT current_user')" = e2e_role_reader
secret_json $ns reader-credentials "$tmp/reader.json"
connect_all_clients "$tmp/reader.json" e2e_role_reader $db
check "the server holds a SCRAM verifier, never a clear password" \
  test "$(psql_su -c "SELECT count(*) FROM pg_authid WHERE rolname LIKE 'e2e_role_%' AND rolpassword IS NOT NULL AND rolpassword NOT LIKE 'SCRAM-SHA-256\$%'")" = 0

# 2. The Owner role creates objects as the owner; default privileges cover them.
check "the Owner role creates a table (as $owner, through SET role)" \
  as_role migrator-credentials -c "CREATE TABLE orders (id serial PRIMARY KEY, v text)" -c "INSERT INTO orders (v) VALUES ('first')"
check "the new table belongs to the database owner" \
  test "$(DB=$db psql_su -c "SELECT tableowner FROM pg_tables WHERE tablename = 'orders'")" = $owner
check "ReadOnly can SELECT the table created later (default privileges FOR ROLE owner)" \
  test "$(as_role reader-credentials -c 'SELECT count(*) FROM orders')" = 1
check "ReadOnly cannot INSERT (42501 permission denied for table orders)" \
  fails_with '42501: permission denied for table orders' as_role reader-credentials -v VERBOSITY=verbose -c "INSERT INTO orders (v) VALUES ('no')"
role writer 'privileges: ReadWrite' 'grants: [{schema: public, table: orders, privileges: [TRUNCATE]}]' |
  kubectl apply -f - >/dev/null
check "DatabaseRole writer becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/writer
check "ReadWrite can INSERT (table and sequence)" \
  as_role writer-credentials -c "INSERT INTO orders (v) VALUES ('second')"
check "the explicit TRUNCATE grant is in place" test "$(has_priv e2e_role_writer orders TRUNCATE)" = t
check "the Owner role acts as the owner afterwards too" \
  as_role migrator-credentials -c "CREATE TABLE later (id int)"
check "ReadWrite can write a table created after it was Ready" \
  as_role writer-credentials -c "INSERT INTO later VALUES (1)"

# 3. A grant removed from the spec is revoked; the preset's privileges stay.
kubectl -n $ns patch databaserole writer --type=json -p '[{"op":"remove","path":"/spec/grants"}]' >/dev/null
check "removing the grant from the spec revokes TRUNCATE" \
  wait_until 60 bash -c "[[ \$(psql -X -At -d $db -c \"SELECT has_table_privilege('e2e_role_writer', 'orders', 'TRUNCATE')\") == f ]]"
check "INSERT (from the preset) is still granted" test "$(has_priv e2e_role_writer orders INSERT)" = t

# 4. None cannot connect; a missing target and a foreign Secret are reported.
check "a None role cannot connect (no CONNECT privilege on $db)" \
  fails_with "permission denied for database \"?$db\"?" as_role nobody-credentials -c 'SELECT 1'
check "a grant on a missing table: Ready=False GrantTargetMissing" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get databaserole missing -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}') == GrantTargetMissing ]]"
msg=$(kubectl -n $ns get databaserole missing -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
check "the GrantTargetMissing message names the table ($msg)" grep -q '"public"."nope"' <<<"$msg"
check "a Secret of that name not owned by tenantdb: Ready=False ConflictingResource" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get databaserole conflict -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}') == ConflictingResource ]]"
check "the foreign Secret is untouched" \
  test "$(secret_key taken password)/$(kubectl -n $ns get secret taken -o jsonpath='{.metadata.ownerReferences}')" = "not-yours/"

# 5. Bring your own password (hostile characters) with every client; a change is applied.
check "the BYO password is in the Secret verbatim" test "$(secret_key byo-credentials password)" = "$hostile"
secret_json $ns byo-credentials "$tmp/byo.json"
connect_all_clients "$tmp/byo.json" e2e_role_byo $db
kubectl -n $ns create secret generic byo-pw --from-literal=password="new-$hostile" --dry-run=client -o yaml |
  kubectl apply -f - >/dev/null
check "a changed BYO password reaches the credentials Secret (resync)" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get secret byo-credentials -o jsonpath='{.data.password}' | base64 -d) == \"new-\$1\" ]]" _ "$hostile"
check "the new BYO password logs in" test "$(as_role byo-credentials -c 'SELECT current_user')" = e2e_role_byo
check "the old BYO password is refused" fails_with 'password authentication failed for user "e2e_role_byo"' \
  env PGPASSWORD="$hostile" psql -X -w -At -h 127.0.0.1 -p "$PGPORT" -U e2e_role_byo -d $db -c "SELECT 1"

# 5b. Rotation (InPlace): once passwordChangedAt + every has passed, a new password is set on the
#     server, then written to the Secret. Backdating the Secret's password-changed-at annotation
#     (the record tenantdb keeps next to the password) makes it due now.
role rotating 'privileges: ReadOnly' 'passwordRotation: {every: 1h}' | kubectl apply -f - >/dev/null
check "DatabaseRole rotating becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/rotating
pw1=$(secret_key rotating-credentials password)
kubectl -n $ns annotate secret rotating-credentials --overwrite tenantdb.io/password-changed-at=2020-01-01T00:00:00Z >/dev/null
check "a due rotation puts a new password in the Secret" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get secret rotating-credentials -o jsonpath='{.data.password}' | base64 -d) != \"\$1\" ]]" _ "$pw1"
check "the rotated password logs in" test "$(as_role rotating-credentials -c 'SELECT current_user')" = e2e_role_rotating
check "the old password is refused" fails_with 'password authentication failed for user "e2e_role_rotating"' \
  env PGPASSWORD="$pw1" psql -X -w -At -h 127.0.0.1 -p "$PGPORT" -U e2e_role_rotating -d $db -c "SELECT 1"
changed=$(kubectl -n $ns get databaserole rotating -o jsonpath='{.status.passwordChangedAt}')
check "status.passwordChangedAt moved to the rotation ($changed)" bash -c '[[ $1 != 2020-* && -n $1 ]]' _ "$changed"

# 6. A no-op resync makes no Kubernetes write and runs no DDL.
sleep 6
rv_role=$(kubectl -n $ns get databaserole reader -o jsonpath='{.metadata.resourceVersion}')
rv_secret=$(kubectl -n $ns get secret reader-credentials -o jsonpath='{.metadata.resourceVersion}')
ddl1=$(grep -c 'Applying SQL action' "$tmp/op.log" || true)
sleep 12
check "resyncs write neither the DatabaseRole nor its Secret" \
  test "$rv_role/$rv_secret" = "$(kubectl -n $ns get databaserole reader -o jsonpath='{.metadata.resourceVersion}')/$(kubectl -n $ns get secret reader-credentials -o jsonpath='{.metadata.resourceVersion}')"
ddl2=$(grep -c 'Applying SQL action' "$tmp/op.log" || true)
# The count only means something if the phrase is the one the operator logs: creating the roles did.
check "the operator logged the DDL that created the roles ($ddl1 'Applying SQL action' lines)" test "$ddl1" -gt 0
check "resyncs run no DDL ($ddl1 -> $ddl2 statements)" test "$ddl1" = "$ddl2"

# 7. Drift of the Secret (not watched) is repaired on the periodic resync.
kubectl -n $ns delete secret reader-credentials >/dev/null
check "a deleted credentials Secret is written again" \
  wait_until 60 kubectl -n $ns get secret reader-credentials
check "and its (new) password logs in" \
  wait_until 20 reader_logs_in

# 8. No password in either log.
for s in reader-credentials writer-credentials migrator-credentials nobody-credentials byo-credentials rotating-credentials; do
  pw=$(secret_key $s password)
  check "no password of $s in the operator's debug log" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$tmp/op.log"
  check "no password of $s in the PostgreSQL log (log_statement=all)" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$TENANTDB_PG_LOG"
done
check "no BYO password (old or new) in either log" \
  bash -c '! grep -qF -- "$1" "$2" "$3"' _ "wörd" "$tmp/op.log" "$TENANTDB_PG_LOG"
check "no SCRAM verifier in the operator's log" bash -c '! grep -q "SCRAM-SHA-256\\$" "$1"' _ "$tmp/op.log"

# 9. Deletion drops the role; the garbage collector removes the Secret.
kubectl -n $ns delete databaserole reader --wait=false >/dev/null
check "deleting the DatabaseRole drops the role" \
  wait_until 60 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_roles WHERE rolname = 'e2e_role_reader'\") == 0 ]]"
check "the DatabaseRole is gone (finalizer removed)" \
  wait_until 60 fails_with NotFound kubectl -n $ns get databaserole reader
check "the garbage collector removes its Secret" \
  wait_until 120 fails_with NotFound kubectl -n $ns get secret reader-credentials
kubectl -n $ns delete databaserole migrator --wait=false >/dev/null
check "deleting the Owner role drops it although it created objects (REASSIGN/DROP OWNED)" \
  wait_until 60 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_roles WHERE rolname = 'e2e_role_migrator'\") == 0 ]]"
check "the tables it created stay with the owner" \
  test "$(DB=$db psql_su -c "SELECT count(*) FROM pg_tables WHERE tablename IN ('orders', 'later') AND tableowner = '$owner'")" = 2
finish

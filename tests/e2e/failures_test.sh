#!/usr/bin/env bash
# Failures users of operators hit, on the real control plane and PostgreSQL, under the operator's
# own RBAC. Nothing here removes a finalizer by hand (only the cleanup trap does, after a failure):
#   1. the DatabaseServer is deleted, then its Databases and DatabaseRoles: they are gone within
#      2 minutes, a Warning Event (reason Deleting) says what was left on the server, and nothing
#      was dropped;
#   2. the same with only the server's admin Secret deleted;
#   3. a whole namespace holding Databases and DatabaseRoles is deleted: the namespace is gone
#      within 2 minutes; reclaimPolicy Delete dropped its database/role, Retain kept them;
#   4. the operator dies right after CREATE DATABASE (TENANTDB_TEST_CRASH_AFTER=database-created,
#      before the marker, PUBLIC's revoke and the Secret): restarted, it ends with exactly one
#      database, one owner role, one login role and one credentials Secret, PUBLIC revoked;
#      likewise right after a DatabaseRole's CREATE ROLE (role-created, before its Secret).
#      Skipped with a failure (never silently) when the binary lacks the fault-injection points.
source "$(dirname "$0")/lib.sh"
: "${TENANTDB_BIN:?}"
install_crds
tmp=$(mktemp -d)
pids=()
op_pid=
p=e2e-fail                   # prefix of every name here
nss=(e2e-fail-s e2e-fail-k e2e-fail-n e2e-fail-c)
servers=(e2e-fail-s e2e-fail-k e2e-fail-n e2e-fail-c)
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d "${DB:-postgres}" "$@"; }
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [[ $failures -gt 0 && -f $tmp/op.log ]]; then tail -n 80 "$tmp/op.log" >&2; fi
  if [[ -n ${TENANTDB_E2E_KEEP_LOG:-} && -f $tmp/op.log ]]; then cp "$tmp/op.log" "$TENANTDB_E2E_KEEP_LOG"; fi
  for n in "${nss[@]}"; do
    for kind in databaseroles databases; do
      for o in $(kubectl -n "$n" get $kind -o name 2>/dev/null); do
        kubectl -n "$n" patch "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
      done
    done
  done
  kubectl delete namespace "${nss[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kubectl delete databaseserver "${servers[@]}" --ignore-not-found >/dev/null 2>&1 || true
  for s in "${servers[@]}"; do
    kubectl -n tenantdb-system delete secret "$s-admin" --ignore-not-found >/dev/null 2>&1 || true
  done
  for d in $(psql_su -c "SELECT datname FROM pg_database WHERE datname LIKE 'e2e\\_fail\\_%'" 2>/dev/null); do
    psql_su -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  for r in $(psql_su -c "SELECT rolname FROM pg_roles WHERE rolname LIKE 'e2e\\_fail\\_%'" 2>/dev/null); do
    psql_su -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
within() {  # SECONDS COMMAND...: polls COMMAND until it succeeds, for at most SECONDS of wall time
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}
start_op() {  # [VAR=value...]: the operator, its log appended to $tmp/op.log
  env "$@" "$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
    --resync-period 5s --max-backoff 5s --metrics-bind-address "127.0.0.1:$(free_port)" \
    --health-probe-bind-address 0 --log-level debug >>"$tmp/op.log" 2>&1 &
  op_pid=$!
  pids+=("$op_pid")
}
stop_op() { kill -9 "$op_pid" 2>/dev/null || true; wait "$op_pid" 2>/dev/null || true; }
op_rc=
wait_op_exit() {  # waits up to 60 s for the operator to exit by itself; its exit code in op_rc
  op_rc=0        # (not in a subshell: only this shell can wait for its child)
  for _ in $(seq 120); do kill -0 "$op_pid" 2>/dev/null || break; sleep 0.5; done
  if kill -0 "$op_pid" 2>/dev/null; then op_rc=running; return; fi
  wait "$op_pid" 2>/dev/null || op_rc=$?
}
server() {  # name: a DatabaseServer (and its admin Secret) admitting the namespace of that name
  kubectl -n tenantdb-system create secret generic "$1-admin" --type=kubernetes.io/basic-auth \
    --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" \
    --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: $1}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: $1-admin}
  allowedNamespaces: [$1]
YAML
}
database() {  # ns name server [spec lines...]
  local n=$1 name=$2 srv=$3
  shift 3
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: Database\nmetadata: {name: %s, namespace: %s}\nspec:\n  serverRef: {name: %s}\n' "$name" "$n" "$srv"
  for line in "$@"; do printf '  %s\n' "$line"; done
}
role() {  # ns name database [spec lines...]
  local n=$1 name=$2 dbref=$3
  shift 3
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: DatabaseRole\nmetadata: {name: %s, namespace: %s}\nspec:\n  databaseRef: {name: %s}\n' "$name" "$n" "$dbref"
  for line in "$@"; do printf '  %s\n' "$line"; done
}
db_count() { psql_su -c "SELECT count(*) FROM pg_database WHERE datname = '$1'"; }
role_count() { psql_su -c "SELECT count(*) FROM pg_roles WHERE rolname = '$1'"; }
sql_is() {  # EXPECTED SQL: prints what it got when that is not EXPECTED
  local got
  got=$(psql_su -c "$2" 2>&1) || true
  [[ $got == "$1" ]] || { echo "  got '$got', want '$1'" >&2; return 1; }
}
kube_gone() { fails_with NotFound kubectl "$@"; }            # kubectl get ARGS... answers NotFound
none_left() {  # ns: no Database or DatabaseRole left in it (the list itself must succeed)
  local out
  out=$(kubectl -n "$1" get databases,databaseroles -o name) && [[ -z $out ]]
}
warnings() {  # ns: messages of the Warning Events with reason Deleting, one a line
  kubectl -n "$1" get events --field-selector type=Warning,reason=Deleting \
    -o jsonpath='{range .items[*]}{.involvedObject.kind}/{.involvedObject.name}: {.message}{"\n"}{end}'
}
warned() { warnings "$1" | grep -E "^$2: " | grep -qE -- "$3"; }  # ns Kind/name REGEX
ready_all() {  # ns kind/name...
  local n=$1
  shift
  kubectl -n "$n" wait --for=condition=Ready --timeout=90s "$@" >/dev/null
}

for n in "${nss[@]}"; do kubectl create namespace "$n" >/dev/null; done
for s in "${servers[@]}"; do server "$s"; done
start_op

# --- 1. The DatabaseServer is deleted before its Databases and DatabaseRoles. -------------------
n=e2e-fail-s
{ database $n del $n 'reclaimPolicy: Delete'; echo ---; database $n ret $n 'reclaimPolicy: Retain'; echo ---
  role $n app del 'privileges: ReadWrite'; } | kubectl apply -f - >/dev/null
check "[server gone] Databases del, ret and DatabaseRole app become Ready" \
  ready_all $n database/del database/ret databaserole/app
kubectl delete databaseserver $n >/dev/null
check "[server gone] the DatabaseServer is deleted" within 30 kube_gone get databaseserver $n
t0=$SECONDS
kubectl -n $n delete databaseroles,databases --all --wait=false >/dev/null
check "[server gone] every Database and DatabaseRole is gone within 2 minutes (no finalizer removed by hand)" \
  within 120 none_left $n
echo "     (took $((SECONDS - t0)) s)"
check "[server gone] a Warning Event on Database del says database e2e_fail_s_del was left" \
  within 30 warned $n Database/del 'e2e_fail_s_del.*left behind'
check "[server gone] a Warning Event on DatabaseRole app says role e2e_fail_s_app was left" \
  within 30 warned $n DatabaseRole/app 'role "e2e_fail_s_app".*left (on the server|behind)'
check "[server gone] nothing was dropped: databases del and ret, owners and role app still exist" \
  test "$(db_count e2e_fail_s_del)$(db_count e2e_fail_s_ret)$(role_count e2e_fail_s_del_owner)$(role_count e2e_fail_s_ret_owner)$(role_count e2e_fail_s_app)" = 11111

# --- 2. Only the admin Secret is deleted. ---------------------------------------------------------
n=e2e-fail-k
{ database $n del $n 'reclaimPolicy: Delete'; echo ---; role $n app del 'privileges: ReadOnly'; } |
  kubectl apply -f - >/dev/null
check "[Secret gone] Database del and DatabaseRole app become Ready" ready_all $n database/del databaserole/app
kubectl -n tenantdb-system delete secret $n-admin >/dev/null
t0=$SECONDS
kubectl -n $n delete databaseroles,databases --all --wait=false >/dev/null
check "[Secret gone] the Database and the DatabaseRole are gone within 2 minutes (no finalizer removed by hand)" \
  within 120 none_left $n
echo "     (took $((SECONDS - t0)) s)"
check "[Secret gone] a Warning Event on Database del says it cannot log in and what was left" \
  within 30 warned $n Database/del "Cannot log in.*$n-admin.*e2e_fail_k_del.*left behind"
check "[Secret gone] a Warning Event on DatabaseRole app says role e2e_fail_k_app was left" \
  within 30 warned $n DatabaseRole/app 'role "e2e_fail_k_app".*left (on the server|behind)'
check "[Secret gone] nothing was dropped: database del, its owner and role app still exist" \
  test "$(db_count e2e_fail_k_del)$(role_count e2e_fail_k_del_owner)$(role_count e2e_fail_k_app)" = 111

# --- 3. A whole namespace is deleted. -------------------------------------------------------------
n=e2e-fail-n
{ database $n del $n 'reclaimPolicy: Delete'; echo ---; database $n ret $n 'reclaimPolicy: Retain'; echo ---
  role $n app-del del 'privileges: ReadWrite'; echo ---
  role $n ro-del ret 'privileges: ReadOnly'; echo ---
  role $n app-ret ret 'privileges: ReadWrite' 'reclaimPolicy: Retain'; } | kubectl apply -f - >/dev/null
check "[namespace deleted] two Databases and three DatabaseRoles become Ready" \
  ready_all $n database/del database/ret databaserole/app-del databaserole/ro-del databaserole/app-ret
check "[namespace deleted] their databases and roles exist" \
  test "$(db_count e2e_fail_n_del)$(db_count e2e_fail_n_ret)$(role_count e2e_fail_n_app_del)$(role_count e2e_fail_n_ro_del)$(role_count e2e_fail_n_app_ret)" = 11111
t0=$SECONDS
kubectl delete namespace $n --wait=false >/dev/null
check "[namespace deleted] the namespace is gone within 2 minutes (no finalizer removed by hand)" \
  within 120 kube_gone get namespace $n
echo "     (took $((SECONDS - t0)) s)"
check "[namespace deleted] reclaimPolicy Delete: database e2e_fail_n_del and its owner are dropped" \
  test "$(db_count e2e_fail_n_del)$(role_count e2e_fail_n_del_owner)" = 00
got=$(role_count e2e_fail_n_app_del)$(role_count e2e_fail_n_ro_del)
check "[namespace deleted] reclaimPolicy Delete: roles e2e_fail_n_app_del and e2e_fail_n_ro_del are dropped (counts $got)" \
  test "$got" = 00
check "[namespace deleted] reclaimPolicy Retain: database e2e_fail_n_ret, its owner and role e2e_fail_n_app_ret are kept" \
  test "$(db_count e2e_fail_n_ret)$(role_count e2e_fail_n_ret_owner)$(role_count e2e_fail_n_app_ret)" = 111

# --- 4. A crash right after CREATE DATABASE, and right after CREATE ROLE. -------------------------
n=e2e-fail-c
if ! grep -q 'database-created' "$TENANTDB_BIN"; then
  fail "[crash] $TENANTDB_BIN has no fault-injection point TENANTDB_TEST_CRASH_AFTER=database-created"
else
  stop_op
  start_op TENANTDB_TEST_CRASH_AFTER=database-created
  { database $n shop $n 'reclaimPolicy: Delete'; echo ---; role $n app shop 'privileges: ReadWrite'; } |
    kubectl apply -f - >/dev/null
  wait_op_exit
  check "[crash] with TENANTDB_TEST_CRASH_AFTER=database-created the operator exits 137 ($op_rc)" test "$op_rc" = 137
  check "[crash] it logged the fault-injection point" grep -q 'Fault injection: exiting after CREATE DATABASE' "$tmp/op.log"
  check "[crash] the crash left database e2e_fail_c_shop created but not yet open to connections" \
    sql_is "1/false" "SELECT count(*) || '/' || bool_or(datallowconn) FROM pg_database WHERE datname = 'e2e_fail_c_shop'"
  start_op
  check "[crash] restarted, Database shop and DatabaseRole app become Ready" ready_all $n database/shop databaserole/app
  check "[crash] exactly one database e2e_fail_c_shop%, open to connections" \
    sql_is "1/true" "SELECT count(*) || '/' || bool_and(datallowconn) FROM pg_database WHERE datname LIKE 'e2e\\_fail\\_c\\_shop%'"
  check "[crash] it carries its marker" \
    sql_is "tenantdb:$n/Database/shop" "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'e2e_fail_c_shop'"
  check "[crash] exactly one owner role and one login role (e2e_fail_c_shop_owner, e2e_fail_c_app)" \
    sql_is "e2e_fail_c_app e2e_fail_c_shop_owner" \
    "SELECT string_agg(rolname, ' ' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'e2e\\_fail\\_c\\_%'"
  check "[crash] PUBLIC has no privilege on the database (datacl through acldefault)" \
    sql_is 0 "SELECT count(*) FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a WHERE d.datname = 'e2e_fail_c_shop' AND a.grantee = 0"
  check "[crash] PUBLIC cannot CREATE in schema public" \
    bash -c "[[ \$(psql -X -At -d e2e_fail_c_shop -c \"SELECT count(*) FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE'\") == 0 ]]"
  check "[crash] exactly one credentials Secret in the namespace, and it logs in as e2e_fail_c_app" \
    bash -c "[[ \$(kubectl -n $n get secrets -o name | grep -c credentials) == 1 ]] &&
             [[ \$(psql -X -At -d \"\$(kubectl -n $n get secret app-credentials -o jsonpath='{.data.uri}' | base64 -d)\" -c 'SELECT current_user') == e2e_fail_c_app ]]"

  if ! grep -q 'role-created' "$TENANTDB_BIN"; then
    fail "[crash] $TENANTDB_BIN has no fault-injection point TENANTDB_TEST_CRASH_AFTER=role-created"
  else
    stop_op
    start_op TENANTDB_TEST_CRASH_AFTER=role-created
    role $n late shop 'privileges: ReadOnly' | kubectl apply -f - >/dev/null
    wait_op_exit
    check "[crash] with TENANTDB_TEST_CRASH_AFTER=role-created the operator exits 137 ($op_rc)" test "$op_rc" = 137
    check "[crash] the crash left role e2e_fail_c_late created" test "$(role_count e2e_fail_c_late)" = 1
    check "[crash] ... and no Secret late-credentials" kube_gone -n $n get secret late-credentials
    start_op
    check "[crash] restarted, DatabaseRole late becomes Ready" ready_all $n databaserole/late
    check "[crash] exactly one role e2e_fail_c_late% and two credentials Secrets in the namespace" \
      test "$(psql_su -c "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'e2e\\_fail\\_c\\_late%'")/$(kubectl -n $n get secrets -o name | grep -c credentials)" = 1/2
    check "[crash] the Secret written after the restart logs in as e2e_fail_c_late" \
      test "$(psql -X -At -d "$(kubectl -n $n get secret late-credentials -o jsonpath='{.data.uri}' | base64 -d)" -c 'SELECT current_user')" = e2e_fail_c_late
  fi
fi

finish

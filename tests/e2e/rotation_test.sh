#!/usr/bin/env bash
# Password rotation end to end, under the operator's own RBAC (TENANTDB_OPERATOR_KUBECONFIG):
#  1. InPlace crash safety: the operator is killed (TENANTDB_TEST_CRASH_AFTER=password-set, an
#     std::_Exit(137) right after the new verifier is set and before the Secret is written);
#     restarted without it, it repairs the Secret by itself and the Secret's password logs in.
#  2. AlternatingUsers: the role is NOLOGIN, the Secret names <role>_a; with a session open on
#     the old credentials a forced rotation flips the Secret to <role>_b (every client logs in
#     with it), the open session keeps working, the old login keeps working while it has a
#     session, and is disabled within a couple of resyncs once the session ends. The Owner preset
#     through a login role still creates objects as the database owner.
#  3. Strategy switches: InPlace -> AlternatingUsers and back, with a session open on the
#     current credentials; nobody holding the Secret loses access; the logins are dropped in the
#     end.
#  4. No secret in any log: 20 roles (InPlace and AlternatingUsers, with forced failures: a
#     missing Database, a missing grant target, a role name too long for AlternatingUsers) created
#     and rotated under --log-level debug; none of their passwords (before and after rotation) is
#     in the PostgreSQL log (log_statement=all) or the operator's log, nor any SCRAM verifier in
#     the operator's log. tenantdb_sql_statements_total counts the role controller's statements.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.sh"
: "${TENANTDB_BIN:?}"
install_crds
tmp=$(mktemp -d)
pids=()
op_pid=
ns=e2e-rot
db=e2e_rot_shop
owner=e2e_rot_shop_owner
mport=
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d "${DB:-postgres}" "$@"; }
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  [[ -n ${SESSION_PID:-} ]] && kill "$SESSION_PID" 2>/dev/null || true
  if [[ $failures -gt 0 && -f $tmp/op.log ]]; then tail -n 60 "$tmp/op.log" >&2; fi
  if [[ -n ${TENANTDB_E2E_KEEP_LOG:-} && -f $tmp/op.log ]]; then cp "$tmp/op.log" "$TENANTDB_E2E_KEEP_LOG"; fi
  for kind in databaseroles databases; do
    for o in $(kubectl -n $ns get $kind -o name 2>/dev/null); do
      kubectl -n $ns patch "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
  done
  kubectl delete namespace $ns --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kubectl delete databaseserver e2e-rot --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret e2e-rot-admin --ignore-not-found >/dev/null 2>&1 || true
  psql_su -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  for r in $(psql_su -c "SELECT rolname FROM pg_roles WHERE rolname LIKE 'e2e\\_rot\\_%' OR rolname LIKE 'rrrrrrrr%'" 2>/dev/null); do
    psql_su -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
secret_key() { kubectl -n $ns get secret "$1" -o jsonpath="{.data.$2}" | base64 -d; }
annotation() { kubectl -n $ns get secret "$1" -o jsonpath="{.metadata.annotations.tenantdb\\.io/$2}"; }
ready_reason() { kubectl -n $ns get databaserole "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}'; }
can_login() { psql_su -c "SELECT rolcanlogin FROM pg_roles WHERE rolname = '$1'"; }
role_count() { psql_su -c "SELECT count(*) FROM pg_roles WHERE rolname = '$1'"; }
# A fresh connection with the password and user of a saved Secret file: prints current_user.
login_with() {  # file [sql]
  secret_load "$1" >/dev/null || return 1
  client_psql_uri
}
sql_as() {  # file sql: runs sql as the Secret's user through its uri
  secret_load "$1" >/dev/null || return 1
  _clean psql -X -w -q -At -v ON_ERROR_STOP=1 -d "${SECRET[uri]}" -c "$2"
}
role() {  # name [spec lines...]
  local name=$1
  shift
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: DatabaseRole\nmetadata: {name: %s, namespace: %s}\nspec:\n  databaseRef: {name: shop}\n' "$name" "$ns"
  for line in "$@"; do printf '  %s\n' "$line"; done
}
start_op() {  # [VAR=value...]: the operator, its log appended to $tmp/op.log
  env "$@" "$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
    --resync-period 5s --max-backoff 5s --metrics-bind-address "127.0.0.1:$mport" \
    --health-probe-bind-address 0 --log-level debug >>"$tmp/op.log" 2>&1 &
  op_pid=$!
  pids+=("$op_pid")
}
stop_op() { kill -9 "$op_pid" 2>/dev/null || true; wait "$op_pid" 2>/dev/null || true; }
backdate() {  # secret...: makes the rotation due now
  for s in "$@"; do
    kubectl -n $ns annotate secret "$s" --overwrite tenantdb.io/password-changed-at=2020-01-01T00:00:00Z >/dev/null
  done
}
# A long-lived session on the credentials of a saved Secret file (psql as a coprocess): the
# session_query function runs one statement in it and prints the first line of its output.
open_session() {  # file
  secret_load "$1" >/dev/null || return 1
  local uri=${SECRET[uri]}
  coproc SESSION { _clean psql -X -w -q -At -d "$uri" 2>&1; }
  exec {session_in}>&"${SESSION[1]}" {session_out}<&"${SESSION[0]}"
}
session_query() {  # sql
  local line
  printf '%s\n' "$1" >&"$session_in"
  IFS= read -r -t 10 line <&"$session_out" || return 1
  printf '%s' "$line"
}
close_session() {
  printf '\\q\n' >&"$session_in" 2>/dev/null || true
  exec {session_in}>&- {session_out}<&-
  wait "$SESSION_PID" 2>/dev/null || true
  SESSION_PID=
}
saved_passwords=()
saved_labels=()
save_password() {  # secret: remembers the current password (and where it came from) for the log checks
  local pw
  pw=$(secret_key "$1" password 2>/dev/null) || return 0
  if [[ -n $pw ]]; then
    saved_passwords+=("$pw")
    saved_labels+=("$1 as $(secret_key "$1" username)")
  fi
  return 0
}

kubectl create namespace $ns >/dev/null
kubectl -n tenantdb-system create secret generic e2e-rot-admin --type=kubernetes.io/basic-auth \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: e2e-rot}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: e2e-rot-admin}
  allowedNamespaces: [$ns]  # explicit: a server without a list admits no namespace
---
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {name: shop, namespace: $ns}
spec:
  serverRef: {name: e2e-rot}
  name: $db
  reclaimPolicy: Delete
YAML
mport=$(free_port)
start_op

# 1. InPlace crash safety.
role crash 'privileges: ReadOnly' 'passwordRotation: {every: 1h, strategy: InPlace}' | kubectl apply -f - >/dev/null
check "Database shop becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=90s database/shop
check "DatabaseRole crash becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/crash
save_password crash-credentials
secret_json $ns crash-credentials "$tmp/crash-old.json"
check "the crash role logs in before the crash" test "$(login_with "$tmp/crash-old.json")" = $'e2e_rot_crash\t'$db
stop_op
backdate crash-credentials
start_op TENANTDB_TEST_CRASH_AFTER=password-set
crash_pid=$op_pid
for _ in $(seq 120); do kill -0 "$crash_pid" 2>/dev/null || break; sleep 0.5; done
rc=0
wait "$crash_pid" 2>/dev/null || rc=$?
check "with TENANTDB_TEST_CRASH_AFTER=password-set the operator exits 137 ($rc)" test "$rc" = 137
check "it logged the fault injection point" grep -q 'Fault injection: exiting after setting a password' "$tmp/op.log"
check "the crash left the Secret unwritten (old password still in it)" \
  test "$(secret_key crash-credentials password)" = "$(secret_load "$tmp/crash-old.json" && printf '%s' "${SECRET[password]}")"
check "and the server already has the new verifier: the Secret's password is refused" \
  fails_with 'password authentication failed for user' login_with "$tmp/crash-old.json"
start_op
check "restarted without the hook, the operator writes a new password into the Secret" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get secret crash-credentials -o jsonpath='{.data.password}' | base64 -d) != \"\$1\" ]]" _ "${saved_passwords[-1]}"
save_password crash-credentials
secret_json $ns crash-credentials "$tmp/crash-new.json"
secret_load "$tmp/crash-new.json"
check "psql logs in with the repaired Secret" test "$(client_psql_uri 2>&1)" = $'e2e_rot_crash\t'$db
check "pgx logs in with the repaired Secret" test "$(client_pgx_uri 2>&1)" = $'e2e_rot_crash\t'$db
check "jdbc logs in with the repaired Secret" test "$(client_jdbc_spring 2>&1)" = $'e2e_rot_crash\t'$db
check "DatabaseRole crash is Ready again" kubectl -n $ns wait --for=condition=Ready --timeout=30s databaserole/crash

# 2. AlternatingUsers.
dsn='secretTemplate: {DSN: "{{ .uri }}&max_conns=20"}'
{ role alt 'privileges: ReadWrite' 'passwordRotation: {every: 1h, strategy: AlternatingUsers}' "$dsn"; echo ---
  role altowner 'privileges: Owner' 'passwordRotation: {every: 1h, strategy: AlternatingUsers}'; } |
  kubectl apply -f - >/dev/null
check "DatabaseRole alt becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/alt
check "DatabaseRole altowner becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/altowner
check "the Secret names the login e2e_rot_alt_a" test "$(secret_key alt-credentials username)" = e2e_rot_alt_a
check "status.activeLogin and status.roleName" \
  test "$(kubectl -n $ns get databaserole alt -o jsonpath='{.status.activeLogin}/{.status.roleName}')" = e2e_rot_alt_a/e2e_rot_alt
check "the Secret records tenantdb.io/active-login" test "$(annotation alt-credentials active-login)" = e2e_rot_alt_a
check "the role e2e_rot_alt is NOLOGIN" test "$(can_login e2e_rot_alt)" = f
check "e2e_rot_alt_a is a LOGIN member of e2e_rot_alt" \
  test "$(psql_su -c "SELECT r.rolcanlogin, r.rolinherit, pg_has_role('e2e_rot_alt_a', 'e2e_rot_alt', 'MEMBER') FROM pg_roles r WHERE r.rolname = 'e2e_rot_alt_a'")" = "t|t|t"
check "the login has no privilege of its own (they are the group's)" \
  test "$(DB=$db psql_su -c "SELECT count(*) FROM information_schema.role_table_grants WHERE grantee = 'e2e_rot_alt_a'")" = 0
secret_json $ns altowner-credentials "$tmp/altowner.json"
secret_load "$tmp/altowner.json"
check "the Owner preset's login creates a table" \
  sql_as "$tmp/altowner.json" "CREATE TABLE items (id serial PRIMARY KEY, v text)"
check "the table belongs to the database owner (SET role on the login)" \
  test "$(DB=$db psql_su -c "SELECT tableowner FROM pg_tables WHERE tablename = 'items'")" = $owner
save_password alt-credentials
save_password altowner-credentials
secret_json $ns alt-credentials "$tmp/alt-old.json"
connect_all_clients "$tmp/alt-old.json" e2e_rot_alt_a $db
check "the ReadWrite login can write through the group's privileges" \
  sql_as "$tmp/alt-old.json" "INSERT INTO items (v) VALUES ('a')"

open_session "$tmp/alt-old.json"
check "a session is open on the old credentials" test "$(session_query 'SELECT current_user;')" = e2e_rot_alt_a
backdate alt-credentials
check "a due rotation flips the Secret to e2e_rot_alt_b" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get secret alt-credentials -o jsonpath='{.data.username}' | base64 -d) == e2e_rot_alt_b ]]"
save_password alt-credentials
secret_json $ns alt-credentials "$tmp/alt-new.json"
check "the new password is not the old one" \
  test "$(secret_key alt-credentials password)" != "$(secret_load "$tmp/alt-old.json" && printf '%s' "${SECRET[password]}")"
check "status.activeLogin follows (e2e_rot_alt_b)" \
  wait_until 20 bash -c "[[ \$(kubectl -n $ns get databaserole alt -o jsonpath='{.status.activeLogin}') == e2e_rot_alt_b ]]"
check "the Secret records the retiring login" test "$(annotation alt-credentials retiring-login)" = e2e_rot_alt_a
check "the open session keeps working after the flip" \
  test "$(session_query "SELECT current_user || ':' || count(*) FROM items;")" = e2e_rot_alt_a:1
connect_all_clients "$tmp/alt-new.json" e2e_rot_alt_b $db
check "the new login writes through the group's privileges" \
  sql_as "$tmp/alt-new.json" "INSERT INTO items (v) VALUES ('b')"
check "the old credentials still log in while their session is open" \
  test "$(login_with "$tmp/alt-old.json")" = $'e2e_rot_alt_a\t'$db
sleep 12  # two resyncs and more
check "... and still after two resyncs" test "$(login_with "$tmp/alt-old.json")" = $'e2e_rot_alt_a\t'$db
check "the open session still runs queries" test "$(session_query 'SELECT 40 + 2;')" = 42
close_session
check "once the session ended, the old login is disabled within a couple of resyncs" \
  wait_until 30 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT rolcanlogin FROM pg_roles WHERE rolname = 'e2e_rot_alt_a'\") == f ]]"
refuse_all_clients "$tmp/alt-old.json" 'role "?e2e_rot_alt_a"? is not permitted to log in'
check "the retiring-login annotation is removed" \
  wait_until 20 bash -c "[[ -z \$(kubectl -n $ns get secret alt-credentials -o jsonpath='{.metadata.annotations.tenantdb\\.io/retiring-login}') ]]"
check "the new credentials still log in" test "$(login_with "$tmp/alt-new.json")" = $'e2e_rot_alt_b\t'$db
check "the group role is still NOLOGIN" test "$(can_login e2e_rot_alt)" = f
check "DatabaseRole alt is Ready" test "$(ready_reason alt)" = Reconciled
# A second rotation goes back to _a (with a new password), which is enabled again.
backdate alt-credentials
check "the next rotation flips back to e2e_rot_alt_a" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get secret alt-credentials -o jsonpath='{.data.username}' | base64 -d) == e2e_rot_alt_a ]]"
save_password alt-credentials
secret_json $ns alt-credentials "$tmp/alt-third.json"
check "e2e_rot_alt_a logs in with the newest password" test "$(login_with "$tmp/alt-third.json")" = $'e2e_rot_alt_a\t'$db
check "the first password of e2e_rot_alt_a no longer works" \
  fails_with 'password authentication failed for user "e2e_rot_alt_a"' login_with "$tmp/alt-old.json"

# 3. Strategy switches with a session open on the current credentials.
role sw 'privileges: ReadOnly' 'passwordRotation: {every: 1h, strategy: InPlace}' "$dsn" | kubectl apply -f - >/dev/null
check "DatabaseRole sw (InPlace) becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/sw
save_password sw-credentials
secret_json $ns sw-credentials "$tmp/sw-inplace.json"
open_session "$tmp/sw-inplace.json"
check "a session is open as e2e_rot_sw" test "$(session_query 'SELECT current_user;')" = e2e_rot_sw
kubectl -n $ns patch databaserole sw --type=merge -p '{"spec":{"passwordRotation":{"every":"1h","strategy":"AlternatingUsers"}}}' >/dev/null
check "InPlace -> AlternatingUsers: the Secret flips to e2e_rot_sw_a" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get secret sw-credentials -o jsonpath='{.data.username}' | base64 -d) == e2e_rot_sw_a ]]"
save_password sw-credentials
secret_json $ns sw-credentials "$tmp/sw-alt.json"
check "the new login reads through the group's privileges" \
  test "$(sql_as "$tmp/sw-alt.json" 'SELECT count(*) FROM items')" = 2
check "the open session on the role itself keeps working" test "$(session_query 'SELECT count(*) FROM items;')" = 2
sleep 7
check "the role's old credentials still log in while its session is open" \
  test "$(login_with "$tmp/sw-inplace.json")" = $'e2e_rot_sw\t'$db
close_session
check "once idle, the role itself becomes NOLOGIN" \
  wait_until 30 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT rolcanlogin FROM pg_roles WHERE rolname = 'e2e_rot_sw'\") == f ]]"
check "the login still reads" test "$(login_with "$tmp/sw-alt.json")" = $'e2e_rot_sw_a\t'$db
open_session "$tmp/sw-alt.json"
check "a session is open as e2e_rot_sw_a" test "$(session_query 'SELECT current_user;')" = e2e_rot_sw_a
kubectl -n $ns patch databaserole sw --type=merge -p '{"spec":{"passwordRotation":{"every":"1h","strategy":"InPlace"}}}' >/dev/null
check "AlternatingUsers -> InPlace: the Secret names e2e_rot_sw again" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get secret sw-credentials -o jsonpath='{.data.username}' | base64 -d) == e2e_rot_sw ]]"
save_password sw-credentials
secret_json $ns sw-credentials "$tmp/sw-back.json"
connect_all_clients "$tmp/sw-back.json" e2e_rot_sw $db
check "the open session of the login keeps working" test "$(session_query 'SELECT count(*) FROM items;')" = 2
sleep 7
check "the login's credentials still log in while its session is open" \
  test "$(login_with "$tmp/sw-alt.json")" = $'e2e_rot_sw_a\t'$db
close_session
check "once idle, the login is disabled, then dropped" \
  wait_until 40 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_roles WHERE rolname = 'e2e_rot_sw_a'\") == 0 ]]"
check "the role logs in and reads" \
  test "$(sql_as "$tmp/sw-back.json" 'SELECT current_user || count(*) FROM items')" = e2e_rot_sw2

# 4. Twenty roles created and rotated, with forced failures; no secret in any log.
bulk=()
for i in $(seq -w 1 18); do bulk+=("bulk-$i"); done
{
  for i in $(seq -w 1 17); do
    strategy=InPlace
    ((10#$i % 2 == 0)) && strategy=AlternatingUsers
    presets=(ReadOnly ReadWrite Owner)
    role "bulk-$i" "privileges: ${presets[$((10#$i % 3))]}" "passwordRotation: {every: 1h, strategy: $strategy}"
    echo ---
  done
  role bulk-18 'privileges: ReadOnly' 'grants: [{schema: public, table: nope, privileges: [SELECT]}]' \
    'passwordRotation: {every: 1h, strategy: AlternatingUsers}'
  echo ---
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: DatabaseRole\nmetadata: {name: bulk-19, namespace: %s}\nspec:\n  databaseRef: {name: nope}\n  passwordRotation: {every: 1h, strategy: AlternatingUsers}\n' $ns
  echo ---
  role bulk-20 "roleName: $(printf 'r%.0s' $(seq 62))" 'passwordRotation: {every: 1h, strategy: AlternatingUsers}'
} | kubectl apply -f - >/dev/null
for r in $(seq -w 1 17); do
  check "DatabaseRole bulk-$r becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=90s databaserole/bulk-$r
done
check "bulk-18 (grant on a missing table): GrantTargetMissing" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get databaserole bulk-18 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}') == GrantTargetMissing ]]"
check "bulk-19 (missing Database): DependencyNotReady" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get databaserole bulk-19 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}') == DependencyNotReady ]]"
check "bulk-20 (role name too long for <role>_a): InvalidSpec naming spec.roleName" \
  wait_until 60 bash -c "[[ \$(kubectl -n $ns get databaserole bulk-20 -o jsonpath='{.status.conditions[?(@.type==\"Ready\")].reason}/{.status.conditions[?(@.type==\"Ready\")].message}') == InvalidSpec/*spec.roleName* ]]"
declare -A before=()
for r in "${bulk[@]}"; do
  before[$r]=$(secret_key "$r-credentials" password)
  save_password "$r-credentials"
done
backdate $(printf '%s-credentials ' "${bulk[@]}")
rotated() {
  local r
  for r in "${bulk[@]}"; do
    [[ $(kubectl -n $ns get secret "$r-credentials" -o jsonpath='{.data.password}' | base64 -d) != "${before[$r]}" ]] || return 1
  done
}
check "all 18 Secrets get a new password" wait_until 120 rotated
for r in "${bulk[@]}"; do
  save_password "$r-credentials"
  secret_json $ns "$r-credentials" "$tmp/$r.json"
  user=$(secret_key "$r-credentials" username)
  # session_user: an Owner role's sessions run as the owner (SET role), so current_user differs.
  check "$r logs in with its rotated password (as $user)" \
    test "$(sql_as "$tmp/$r.json" 'SELECT session_user')" = "$user"
done
check "the AlternatingUsers roles flipped to their _b login" \
  test "$(for r in 02 04 06 08 10 12 14 16; do secret_key bulk-$r-credentials username; echo; done | grep -c '_b$')" = 8
sleep 6
for i in "${!saved_passwords[@]}"; do
  check "the password of ${saved_labels[$i]} is in neither the operator's log nor PostgreSQL's" \
    bash -c '! grep -qF -- "$1" "$2" "$3"' _ "${saved_passwords[$i]}" "$tmp/op.log" "$TENANTDB_PG_LOG"
done
check "no SCRAM verifier in the operator's log" bash -c '! grep -q "SCRAM-SHA-256\\$" "$1"' _ "$tmp/op.log"
check "the operator's log shows redacted password statements" grep -q "PASSWORD '\*\*\*'" "$tmp/op.log"
check "${#saved_passwords[@]} passwords were checked" test "${#saved_passwords[@]}" -ge 40

# tenantdb_sql_statements_total counts the role controller's statements, in one family.
curl -fsS "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt" || true
check "tenantdb_sql_statements_total is exposed once" \
  test "$(grep -c '^# TYPE tenantdb_sql_statements_total counter' "$tmp/metrics.txt")" = 1
check "it counts the role controller's statements (CreateRole, AlterRole, GrantMembership)" \
  bash -c 'for k in CreateRole AlterRole GrantMembership; do grep -Eq "^tenantdb_sql_statements_total\\{kind=\"$k\"\\} [1-9]" "$1" || exit 1; done' _ "$tmp/metrics.txt"

# Deletion drops the group role and both logins.
kubectl -n $ns delete databaserole alt --wait=false >/dev/null
check "deleting an AlternatingUsers DatabaseRole drops e2e_rot_alt, _a and _b" \
  wait_until 60 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_roles WHERE rolname IN ('e2e_rot_alt', 'e2e_rot_alt_a', 'e2e_rot_alt_b')\") == 0 ]]"
kubectl -n $ns delete databaserole altowner --wait=false >/dev/null
check "deleting the Owner one drops its roles too; its table stays with the owner" \
  wait_until 60 bash -c "[[ \$(psql -X -At -d postgres -c \"SELECT count(*) FROM pg_roles WHERE rolname LIKE 'e2e\\_rot\\_altowner%'\") == 0 && \$(psql -X -At -d $db -c \"SELECT tableowner FROM pg_tables WHERE tablename = 'items'\") == $owner ]]"
finish

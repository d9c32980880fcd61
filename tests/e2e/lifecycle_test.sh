#!/usr/bin/env bash
# What the other e2e scripts do not prove yet, under the operator's own RBAC
# (TENANTDB_OPERATOR_KUBECONFIG), with --resync-period 5s:
#  1. kstatus (sigs.k8s.io/cli-utils, through `kstatus_of`) reads real objects the way DESIGN.md
#     promises: Current when Ready, Failed when stuck (namespace not allowed), InProgress while
#     work is under way (a DatabaseRole waiting for its Database, a Database waiting for its
#     DatabaseServer).
#  2. Drift under Correct is put back within one resync: a role dropped by hand (recreated, its
#     Secret's password logs in again), privileges revoked by hand (SELECT on the tables, CONNECT
#     on the database), the Owner role's membership revoked by hand.
#  3. A no-op resync issues zero DDL and zero Kubernetes writes, counted with the operator's own
#     /metrics (tenantdb_api_requests_total write verbs, tenantdb_sql_statements_total) and with
#     the DDL lines of PostgreSQL's log_statement=all log.
#  4. A 60 s PostgreSQL outage: Ready=False with a reason of the closed vocabulary within two
#     resyncs, Ready=True again without intervention, nothing created twice, no error in the
#     operator log other than connection errors, the Secret's password unchanged and working.
#  5. Bad input: the CRDs refuse hostile spec.name / spec.roleName values and an unknown
#     privileges preset at admission, naming the field; a computed database name over 63 bytes is
#     refused by the controller (InvalidSpec, telling to set spec.name) and never reaches SQL.
#  6. PostgreSQL and the API server are left running and clean (the cleanup trap).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.sh"
: "${TENANTDB_BIN:?}"
: "${TENANTDB_PG_LOG:?}"
install_crds
require_client_tools
tmp=$(mktemp -d)
pids=()
ns=e2e-life-a                                        # allowed everywhere
nsx=e2e-life-x                                       # not in e2e-life-restricted's allowedNamespaces
nsl=e2e-life-namespace-with-a-rather-long-name-here  # 47 bytes: its computed names are too long
server=e2e-life
admin_secret=e2e-life-admin
db=e2e_life_a_shop
owner=${db}_owner
reader=e2e_life_a_reader
writer=e2e_life_a_writer
migrator=e2e_life_a_migrator
longdb=e2e_life_namespace_with_a_rather_long_name_here_database_with_long_name  # 71 bytes
resync=5
one=$((resync + 3))  # "within one resync": the period plus a reconcile and the poll
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d "${DB:-postgres}" "$@"; }

# Everything this script creates, in Kubernetes and in PostgreSQL (names e2e-life-* / e2e_life_*).
cleanup_all() {
  local o k
  for k in databaseroles databases; do
    for o in $(kubectl get "$k" -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{"\n"}{end}' 2>/dev/null |
      grep '^e2e-life-' || true); do
      kubectl -n "${o%%/*}" patch "$k/${o#*/}" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
  done
  kubectl delete namespace $ns $nsx $nsl --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  kubectl delete databaseserver $server $server-restricted $server-nowhere --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret $admin_secret --ignore-not-found >/dev/null 2>&1 || true
  for o in $(psql_su -c "SELECT datname FROM pg_database WHERE left(datname, 9) = 'e2e_life_'" 2>/dev/null); do
    psql_su -c "DROP DATABASE IF EXISTS \"$o\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  # Login roles before the owner roles they are members of; DROP OWNED for grants left in postgres.
  for o in $(psql_su -c "SELECT rolname FROM pg_roles WHERE left(rolname, 9) = 'e2e_life_' ORDER BY rolname LIKE '%\_owner' , rolname" 2>/dev/null); do
    psql_su -c "DROP OWNED BY \"$o\"" -c "DROP ROLE IF EXISTS \"$o\"" >/dev/null 2>&1 || true
  done
}
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  # PostgreSQL must be running for the scripts that come after this one, even if we died mid-outage.
  if ! pg_isready -q -h "$PGHOST" -p "$PGPORT" 2>/dev/null; then
    "$repo/scripts/testenv" start postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  fi
  if [[ ($failures -gt 0 || $rc -ne 0) && -f $tmp/op.log ]]; then
    echo "--- operator log (last 80 lines) ---" >&2
    tail -n 80 "$tmp/op.log" >&2
    cp "$tmp/op.log" "${TMPDIR:-/tmp}/tenantdb-lifecycle-e2e-operator.log"
    echo "--- full operator log: ${TMPDIR:-/tmp}/tenantdb-lifecycle-e2e-operator.log" >&2
  fi
  cleanup_all
  local left
  left=$(psql_su -c "SELECT (SELECT count(*) FROM pg_database WHERE left(datname, 9) = 'e2e_life_') + (SELECT count(*) FROM pg_roles WHERE left(rolname, 9) = 'e2e_life_')" 2>/dev/null || echo '?')
  [[ $left == 0 ]] || echo "cleanup: $left e2e_life_* databases/roles are left in PostgreSQL" >&2
  rm -rf "$tmp"
}
trap cleanup EXIT

two_free_ports() { python3 -c '
import socket
a, b = socket.socket(), socket.socket()
a.bind(("127.0.0.1", 0)); b.bind(("127.0.0.1", 0))
print(a.getsockname()[1], b.getsockname()[1])'; }
wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
within() {  # SECONDS COMMAND...: polls COMMAND until it succeeds, for at most SECONDS of wall time
  local deadline=$((SECONDS + $1))
  shift
  while ((SECONDS <= deadline)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.3; done
  return 1
}
sql_is() { [[ $(DB=${DB:-postgres} psql_su -c "$2" 2>/dev/null) == "$1" ]]; }  # EXPECTED SQL
priv_is() { [[ $(has_priv "$1" "$2" "$3" 2>/dev/null) == "$4" ]]; }         # role table priv t|f
connect_is() { sql_is "$2" "SELECT has_database_privilege('$1', '$db', 'CONNECT')"; }  # role t|f
not_member() { ! is_member "$@"; }
reads_orders() { [[ $(as_role "$1" -c 'SELECT count(*) FROM orders' 2>/dev/null) == "$2" ]]; }
cond() {  # kind ns name type -> "Status/Reason"
  kubectl -n "$2" get "$1" "$3" -o jsonpath="{.status.conditions[?(@.type==\"$4\")].status}/{.status.conditions[?(@.type==\"$4\")].reason}"
}
ready_is() { [[ $(cond "$1" "$2" "$3" Ready) == "$4" ]]; }
not_ready() { [[ $(cond "$1" "$2" "$3" Ready) == False/?* ]]; }
secret_key() { kubectl -n $ns get secret "$1" -o jsonpath="{.data.$2}" | base64 -d; }
as_role() {  # secret sql...: psql through the Secret's uri, none of the harness's PG* defaults
  local uri
  uri=$(secret_key "$1" uri)
  shift
  _clean psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$uri" "$@"
}
logs_in_as() { [[ $(as_role "$1" -c 'SELECT current_user' 2>/dev/null) == "$2" ]]; }
count_sql() { psql_su -c "$1"; }
has_priv() { DB=$db psql_su -c "SELECT has_table_privilege('$1', '$2', '$3')"; }
is_member() { [[ $(psql_su -c "SELECT pg_has_role('$1', '$2', 'MEMBER')") == t ]]; }
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
kstatus_is() {  # want kubectl-get-args...: one kstatus answer, printed for the report
  local want=$1 got
  shift
  got=$(kstatus_of "$@" 2>&1 | tr '\n' ' ')
  echo "     (kstatus of $*: $got)"
  [[ ${got%% *} == "$want" ]]
}
# The operator's counters: write verbs of tenantdb_api_requests_total and every
# tenantdb_sql_statements_total series, one "name{labels} value" line each, sorted.
metrics_snapshot() {  # FILE
  curl -fsS "http://127.0.0.1:$mport/metrics" | python3 -c '
import sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        if s.name == "tenantdb_api_requests_total" and s.labels.get("verb", "").lower() in ("create", "update", "patch", "delete", "deletecollection"):
            out.append("api %s %s %g" % (s.labels["verb"].lower(), s.labels.get("code", ""), s.value))
        elif s.name == "tenantdb_sql_statements_total":
            out.append("sql %s %g" % (s.labels.get("kind", ""), s.value))
print("\n".join(sorted(out)))' >"$1"
}
# DDL lines the operator's sessions (user tenantdb_admin, log_line_prefix "%m [%p] %u@%d ") wrote
# to the PostgreSQL log, plus every DDL line of any session (nothing else runs meanwhile).
pg_ddl_count() {  # who: admin|all
  local who=$1
  if [[ $who == admin ]]; then
    grep -E " \\[[0-9]+\\] $TENANTDB_PG_ADMIN_USER@" "$TENANTDB_PG_LOG" | grep -ciE 'statement: .*\b(CREATE|ALTER|GRANT|REVOKE|DROP|COMMENT)\b' || true
  else
    grep -ciE 'statement: .*\b(CREATE|ALTER|GRANT|REVOKE|DROP|COMMENT)\b' "$TENANTDB_PG_LOG" || true
  fi
}

cleanup_all  # a previous run killed hard may have left objects behind
pg_log_start=$(stat -c %s "$TENANTDB_PG_LOG")
kubectl create namespace $ns >/dev/null
kubectl create namespace $nsx >/dev/null
kubectl create namespace $nsl >/dev/null
kubectl -n tenantdb-system create secret generic $admin_secret --type=kubernetes.io/basic-auth \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: $server}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: $admin_secret}
  allowedNamespaces: [$ns, $nsl]  # explicit: a server without a list admits no namespace
YAML
read -r mport hport < <(two_free_ports)
"$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --resync-period ${resync}s --max-backoff 5s --metrics-bind-address "127.0.0.1:$mport" \
  --health-probe-bind-address "127.0.0.1:$hport" --log-level debug >"$tmp/op.log" 2>&1 &
pids+=($!)
check "the operator answers /readyz 200 (health :$hport) and /metrics (:$mport)" \
  wait_until 60 bash -c "curl -fsS http://127.0.0.1:$hport/readyz && curl -fsS http://127.0.0.1:$mport/metrics"

{ database $ns shop $server 'reclaimPolicy: Delete'; echo ---
  role $ns migrator shop 'privileges: Owner'; echo ---
  role $ns reader shop 'privileges: ReadOnly'; echo ---
  role $ns writer shop 'privileges: ReadWrite'; } | kubectl apply -f - >/dev/null
check "Database shop becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=90s database/shop
for r in migrator reader writer; do
  check "DatabaseRole $r becomes Ready" kubectl -n $ns wait --for=condition=Ready --timeout=90s databaserole/$r
done

# --- 1a. kstatus: Current for Ready objects. ---------------------------------------------------
check "kstatus: Database shop (Ready=True) is Current" kstatus_is Current -n $ns database/shop
check "kstatus: DatabaseRole reader (Ready=True) is Current" kstatus_is Current -n $ns databaserole/reader
check "kstatus: Ready objects carry neither Reconciling nor Stalled" \
  test "$(cond database $ns shop Reconciling)$(cond database $ns shop Stalled)$(cond databaserole $ns reader Reconciling)$(cond databaserole $ns reader Stalled)" = "////"
check "kstatus: every object of the namespace is Current (list form)" \
  bash -c "out=\$(kubectl get -n $ns databases,databaseroles -o json | kstatus); echo \"\$out\" >&2; [[ \$(grep -vc ' Current\$' <<<\"\$out\") == 0 && \$(grep -c ' Current\$' <<<\"\$out\") == 4 ]]"

# --- 2. Drift under Correct, each put back within one resync. ---------------------------------
check "the Owner role creates a table (as $owner)" \
  as_role migrator-credentials -c "CREATE TABLE orders (id serial PRIMARY KEY, v text)" -c "INSERT INTO orders (v) VALUES ('first')"
check "ReadOnly reads it (default privileges)" test "$(as_role reader-credentials -c 'SELECT count(*) FROM orders')" = 1
pw_reader=$(secret_key reader-credentials password)

# 2a. The ReadOnly role dropped by hand.
DB=$db psql_su -c "DROP OWNED BY $reader" -c "DROP ROLE $reader"
check "the ReadOnly role is gone (dropped by hand)" test "$(count_sql "SELECT count(*) FROM pg_roles WHERE rolname = '$reader'")" = 0
t0=$SECONDS
check "a role dropped by hand is recreated within one resync" \
  within $one sql_is 1 "SELECT count(*) FROM pg_roles WHERE rolname = '$reader'"
echo "     (recreated after $((SECONDS - t0)) s)"
check "the Secret's password logs in again (psql with its uri)" within $one logs_in_as reader-credentials $reader
check "the recreated role reads the table again" within $one reads_orders reader-credentials 1
echo "     (Secret password $([[ $(secret_key reader-credentials password) == "$pw_reader" ]] && echo kept || echo replaced))"

# 2b. SELECT revoked by hand on the existing tables.
DB=$db psql_su -c "REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM $reader"
check "SELECT on orders is revoked by hand" test "$(has_priv $reader orders SELECT)" = f
t0=$SECONDS
check "SELECT revoked by hand is granted back within one resync" within $one priv_is $reader orders SELECT t
echo "     (granted back after $((SECONDS - t0)) s)"
check "and the ReadOnly login reads the table" reads_orders reader-credentials 1

# 2c. INSERT revoked by hand from the ReadWrite role.
DB=$db psql_su -c "REVOKE INSERT ON orders FROM $writer"
check "INSERT revoked by hand from ReadWrite is granted back within one resync" within $one priv_is $writer orders INSERT t

# 2d. CONNECT revoked by hand.
psql_su -c "REVOKE CONNECT ON DATABASE $db FROM $reader"
check "CONNECT is revoked by hand" connect_is $reader f
check "CONNECT revoked by hand is granted back within one resync" within $one connect_is $reader t
check "and the ReadOnly login connects" logs_in_as reader-credentials $reader

# 2e. The Owner role's membership in the owner role revoked by hand.
check "the Owner role is a member of $owner" is_member $migrator $owner
psql_su -c "REVOKE $owner FROM $migrator"
check "the membership is revoked by hand" not_member $migrator $owner
t0=$SECONDS
check "a membership revoked by hand is granted back within one resync" within $one is_member $migrator $owner
echo "     (granted back after $((SECONDS - t0)) s)"
check "the Owner login creates objects as the owner again" \
  as_role migrator-credentials -c 'CREATE TABLE after_drift (id int)'
check "the table is owned by $owner" \
  test "$(DB=$db psql_su -c "SELECT tableowner FROM pg_tables WHERE tablename = 'after_drift'")" = $owner

# --- 3. A no-op resync: zero DDL, zero Kubernetes writes. --------------------------------------
for r in migrator reader writer; do kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/$r >/dev/null; done
sleep $((resync + 2))  # the last drift repair's status and Events are written
metrics_snapshot "$tmp/m1"
ddl_admin1=$(pg_ddl_count admin)
ddl_all1=$(pg_ddl_count all)
rv1=$(kubectl get -n $ns databases,databaseroles,secrets -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}')
sleep $((resync * 5))
metrics_snapshot "$tmp/m2"
ddl_admin2=$(pg_ddl_count admin)
ddl_all2=$(pg_ddl_count all)
rv2=$(kubectl get -n $ns databases,databaseroles,secrets -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.resourceVersion} {end}')
check "the metrics snapshot holds write verbs and statement kinds ($(wc -l <"$tmp/m1") series)" \
  bash -c "grep -q '^api ' '$tmp/m1' && grep -q '^sql ' '$tmp/m1'"
check "no-op resyncs (25 s): tenantdb_api_requests_total write verbs unchanged" \
  diff <(grep '^api ' "$tmp/m1") <(grep '^api ' "$tmp/m2")
check "no-op resyncs (25 s): tenantdb_sql_statements_total unchanged" \
  diff <(grep '^sql ' "$tmp/m1") <(grep '^sql ' "$tmp/m2")
check "no-op resyncs: no DDL line from $TENANTDB_PG_ADMIN_USER in the PostgreSQL log ($ddl_admin1 -> $ddl_admin2)" \
  test "$ddl_admin1" = "$ddl_admin2"
check "no-op resyncs: no DDL line at all in the PostgreSQL log ($ddl_all1 -> $ddl_all2)" test "$ddl_all1" = "$ddl_all2"
check "no-op resyncs: no resourceVersion of a Database, DatabaseRole or Secret moved" test "$rv1" = "$rv2"

# --- 1b. kstatus: Failed for a stuck object, InProgress for work under way. -------------------
dead_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: $server-restricted}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: $admin_secret}
  allowedNamespaces: [$ns]  # refuses $nsx
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: $server-nowhere}
spec:
  host: 127.0.0.1
  port: $dead_port
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: $admin_secret}
  allowedNamespaces: [$ns]  # admitted, so what is tested is waiting for a server that is down
YAML
database $nsx intruder $server-restricted | kubectl apply -f - >/dev/null
check "a Database in a namespace outside allowedNamespaces: Ready=False NamespaceNotAllowed" \
  wait_until 60 ready_is database $nsx intruder False/NamespaceNotAllowed
check "  ... with Stalled=True and no Reconciling" \
  test "$(cond database $nsx intruder Stalled)/$(cond database $nsx intruder Reconciling)" = "True/NamespaceNotAllowed//"
check "kstatus: the refused Database is Failed" kstatus_is Failed -n $nsx database/intruder

role $ns early later 'privileges: ReadOnly' | kubectl apply -f - >/dev/null
check "a DatabaseRole whose Database does not exist yet: Ready=False DependencyNotReady" \
  wait_until 60 ready_is databaserole $ns early False/DependencyNotReady
echo "     (conditions of DatabaseRole early: Reconciling=$(cond databaserole $ns early Reconciling) Stalled=$(cond databaserole $ns early Stalled))"
check "  ... it is work under way: Reconciling=True, not Stalled (DESIGN.md: Stalled is for stuck)" \
  test "$(cond databaserole $ns early Reconciling)/$(cond databaserole $ns early Stalled)" = "True/DependencyNotReady//"
check "kstatus: the DatabaseRole waiting for its Database is InProgress" kstatus_is InProgress -n $ns databaserole/early
database $ns later $server 'reclaimPolicy: Delete' | kubectl apply -f - >/dev/null
check "once the Database appears, the waiting DatabaseRole becomes Ready unchanged (so it was not stuck)" \
  kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/early
check "kstatus: ... and Current" wait_kstatus Current 20 -n $ns databaserole/early

database $ns waiting $server-nowhere | kubectl apply -f - >/dev/null
check "a Database whose DatabaseServer cannot be reached: Ready=False DependencyNotReady" \
  wait_until 60 ready_is database $ns waiting False/DependencyNotReady
check "  ... with Reconciling=True and no Stalled" \
  test "$(cond database $ns waiting Reconciling)/$(cond database $ns waiting Stalled)" = "True/DependencyNotReady//"
check "kstatus: the Database waiting for its server is InProgress" kstatus_is InProgress -n $ns database/waiting
kubectl -n $ns delete database waiting later --wait=false >/dev/null
kubectl -n $ns delete databaserole early --wait=false >/dev/null
kubectl -n $nsx delete database intruder --wait=false >/dev/null
check "the kstatus fixtures are deleted" \
  wait_until 120 bash -c "[[ -z \$(kubectl -n $ns get database waiting later --ignore-not-found -o name; kubectl -n $ns get databaserole early --ignore-not-found -o name; kubectl -n $nsx get database intruder --ignore-not-found -o name) ]]"
kubectl delete databaseserver $server-restricted $server-nowhere --ignore-not-found >/dev/null

# --- 4. A 60 s PostgreSQL outage. ---------------------------------------------------------------
for r in migrator reader writer; do kubectl -n $ns wait --for=condition=Ready --timeout=60s databaserole/$r >/dev/null; done
pw_before=$(secret_key reader-credentials password)
rv_secret_before=$(kubectl -n $ns get secret reader-credentials -o jsonpath='{.metadata.resourceVersion}')
log_lines_before=$(wc -l <"$tmp/op.log")
down_at=$SECONDS
"$repo/scripts/testenv" stop postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null
check "PostgreSQL is stopped" bash -c "! pg_isready -q -h $PGHOST -p $PGPORT"
both_not_ready() { not_ready database $ns shop && not_ready databaserole $ns reader; }
check "within 2 resyncs the Database and the DatabaseRole are Ready=False" within $((resync * 2 + 3)) both_not_ready
echo "     (after $((SECONDS - down_at)) s: Database shop $(cond database $ns shop Ready), DatabaseRole reader $(cond databaserole $ns reader Ready))"
vocab='^(ServerUnreachable|DependencyNotReady)$'
check "the Database's reason is ServerUnreachable or DependencyNotReady ($(cond database $ns shop Ready))" \
  grep -Eq "$vocab" <<<"$(kubectl -n $ns get database shop -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')"
check "the DatabaseRole's reason is ServerUnreachable or DependencyNotReady ($(cond databaserole $ns reader Ready))" \
  grep -Eq "$vocab" <<<"$(kubectl -n $ns get databaserole reader -o jsonpath='{.status.conditions[?(@.type=="Ready")].reason}')"
echo "     (during the outage: Database shop Reconciling=$(cond database $ns shop Reconciling) Stalled=$(cond database $ns shop Stalled);" \
  "DatabaseRole reader Reconciling=$(cond databaserole $ns reader Reconciling) Stalled=$(cond databaserole $ns reader Stalled))"
check "kstatus during the outage: the Database is InProgress (it heals by itself)" kstatus_is InProgress -n $ns database/shop
check "kstatus during the outage: the DatabaseRole is InProgress (it heals by itself)" kstatus_is InProgress -n $ns databaserole/reader
sleep $((60 - (SECONDS - down_at) > 0 ? 60 - (SECONDS - down_at) : 0))
check "PostgreSQL was down 60 s ($((SECONDS - down_at)) s)" test $((SECONDS - down_at)) -ge 60
"$repo/scripts/testenv" start postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null
up_at=$SECONDS
check "PostgreSQL is back" pg_isready -q -h "$PGHOST" -p "$PGPORT"
check "after the outage the Database is Ready=True without intervention" \
  kubectl -n $ns wait --for=condition=Ready --timeout=120s database/shop
for r in migrator reader writer; do
  check "after the outage DatabaseRole $r is Ready=True without intervention" \
    kubectl -n $ns wait --for=condition=Ready --timeout=120s databaserole/$r
done
echo "     (everything Ready again $((SECONDS - up_at)) s after PostgreSQL came back)"
check "exactly one database $db" test "$(count_sql "SELECT count(*) FROM pg_database WHERE datname = '$db'")" = 1
check "exactly one role each: $owner $migrator $reader $writer" \
  test "$(count_sql "SELECT count(*) FROM pg_roles WHERE rolname IN ('$owner', '$migrator', '$reader', '$writer')")" = 4
check "the Owner role is still a member of $owner, once" \
  test "$(count_sql "SELECT count(*) FROM pg_auth_members WHERE roleid = '$owner'::regrole AND member = '$migrator'::regrole")" = 1
check "the Secret's password did not change because of the outage" \
  test "$(secret_key reader-credentials password)" = "$pw_before"
rv_secret_after=$(kubectl -n $ns get secret reader-credentials -o jsonpath='{.metadata.resourceVersion}')
check "the Secret was not rewritten ($rv_secret_before -> $rv_secret_after)" test "$rv_secret_before" = "$rv_secret_after"
check "the Secret's password still logs in" logs_in_as reader-credentials $reader
check "the Owner login still works and acts as the owner" \
  test "$(as_role migrator-credentials -c 'SELECT count(*) FROM orders')" = 1
tail -n +$((log_lines_before + 1)) "$tmp/op.log" >"$tmp/outage.log"
# Log lines are "<time> <level> <message> key=value...". Allowed during the outage: connection
# failures (Transient/ServerUnreachable) and waiting for a Database or server that is not Ready.
grep -E '^[^ ]+ +(warn|warning|error|critical) ' "$tmp/outage.log" >"$tmp/outage-errors.log" || true
grep -vE ' code=Transient reason=ServerUnreachable | code=Dependency reason=DependencyNotReady .*error=Database [^ ]+ is not Ready yet' \
  "$tmp/outage-errors.log" >"$tmp/outage-other.log" || true
check "the operator logged the outage ($(wc -l <"$tmp/outage-errors.log") error lines)" test -s "$tmp/outage-errors.log"
check "no error other than connection errors in the operator log during/after the outage" test ! -s "$tmp/outage-other.log"
if [[ -s $tmp/outage-other.log ]]; then sed -n 1,15p "$tmp/outage-other.log" | cut -c1-400 >&2; fi

# --- 5. Bad input. -----------------------------------------------------------------------------
refused() {  # field manifest: kubectl apply must fail, stderr naming field
  local field=$1 out rc=0
  out=$(kubectl apply --validate=strict -f - 2>&1 <<<"$2") || rc=$?
  if [[ $rc -ne 0 ]] && grep -qF -- "$field" <<<"$out"; then return 0; fi
  echo "rc=$rc: $out" >&2
  return 1
}
yaml_quote() { local v=${1//"'"/"''"}; printf "'%s'" "$v"; }  # a YAML single-quoted scalar
hostile=('shop"x' "shop'x" 'shop;x' 'shop--x' 'shop x' "$(printf 'a%.0s' {1..64})" 'Shop')
i=0
for v in "${hostile[@]}" postgres; do
  i=$((i + 1))
  y=$(database $ns bad-$i $server "name: $(yaml_quote "$v")")
  check "admission refuses Database spec.name [$v] naming spec.name" refused spec.name "$y"
done
i=0
for v in "${hostile[@]}" pg_x; do
  i=$((i + 1))
  y=$(role $ns bad-$i shop "roleName: $(yaml_quote "$v")")
  check "admission refuses DatabaseRole spec.roleName [$v] naming spec.roleName" refused spec.roleName "$y"
done
check "admission refuses DatabaseRole spec.privileges Admin naming spec.privileges" \
  refused spec.privileges "$(role $ns bad-preset shop 'privileges: Admin')"
check "none of the refused objects exists" \
  test -z "$(kubectl -n $ns get databases,databaseroles -o name | grep '/bad-' || true)"

# A name only the controller can refuse: the computed <namespace>_<name> is 72 bytes.
database $nsl database-with-long-name $server | kubectl apply -f - >/dev/null
check "a Database whose computed name is over 63 bytes: Ready=False InvalidSpec" \
  wait_until 60 ready_is database $nsl database-with-long-name False/InvalidSpec
msg=$(kubectl -n $nsl get database database-with-long-name -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
check "the message tells to set spec.name ($msg)" grep -q 'spec.name' <<<"$msg"
check "kstatus: the Database with a too long computed name is Failed" kstatus_is Failed -n $nsl database/database-with-long-name
sleep $((resync + 1))
tail -c +$((pg_log_start + 1)) "$TENANTDB_PG_LOG" >"$tmp/pg-run.log"
check "the PostgreSQL log of this run holds its statements (positive control: $db)" grep -qF "CREATE DATABASE \"$db\"" "$tmp/pg-run.log"
check "no PostgreSQL statement mentions the computed name (or its 63-byte truncation)" \
  bash -c "! grep -qF '${longdb:0:63}' '$tmp/pg-run.log'"
check "no database or role with that prefix exists" \
  test "$(count_sql "SELECT (SELECT count(*) FROM pg_database WHERE datname LIKE 'e2e\_life\_namespace%') + (SELECT count(*) FROM pg_roles WHERE rolname LIKE 'e2e\_life\_namespace%')")" = 0

check "no password in the operator's debug log" \
  bash -c 'for s in "$@"; do grep -qF -- "$s" "'"$tmp"'/op.log" && exit 1; done; exit 0' _ \
  "$TENANTDB_PG_ADMIN_PASSWORD" "$(secret_key reader-credentials password)" "$(secret_key writer-credentials password)" "$(secret_key migrator-credentials password)"
finish

#!/usr/bin/env bash
# `tenantdb run` end to end, under the operator's own RBAC (TENANTDB_OPERATOR_KUBECONFIG): the
# DatabaseServer controller reports Ready with the server version, each failure with its reason,
# follows PostgreSQL going away and coming back; /healthz, /readyz and /metrics answer; leader
# election keeps exactly one active replica and fails over after kill -9.
source "$(dirname "$0")/lib.sh"
: "${TENANTDB_BIN:?}"
install_crds
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  kubectl delete databaseserver e2e-good e2e-badpw e2e-nosecret e2e-closed --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret e2e-admin e2e-badpw --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete lease e2e-leader --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete serviceaccount e2e-late --ignore-not-found >/dev/null 2>&1 || true
  kubectl delete clusterrolebinding e2e-late --ignore-not-found >/dev/null 2>&1 || true
  # PostgreSQL must be running for the tests after this one.
  "$repo/scripts/testenv" start postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
ready_reason() { kubectl get databaseserver "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}'; }

kubectl -n tenantdb-system create secret generic e2e-admin --type=kubernetes.io/basic-auth \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
kubectl -n tenantdb-system create secret generic e2e-badpw --type=kubernetes.io/basic-auth \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password=wrong-password >/dev/null
closed_port=$(free_port)
server() {  # name secret port
  cat <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: $1}
spec:
  host: 127.0.0.1
  port: $3
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: $2}
YAML
}
{ server e2e-good e2e-admin "$PGPORT"; echo ---; server e2e-badpw e2e-badpw "$PGPORT"; echo ---
  server e2e-nosecret e2e-missing "$PGPORT"; echo ---; server e2e-closed e2e-admin "$closed_port"; } |
  kubectl apply -f - >/dev/null

# 0. /readyz waits for the caches: an operator whose ServiceAccount may not list yet is live
#    but not ready; once RBAC is granted its watches retry, sync, and /readyz passes.
kubectl -n tenantdb-system create serviceaccount e2e-late >/dev/null
late_kubeconfig=$tmp/late.kubeconfig
cp "$TENANTDB_OPERATOR_KUBECONFIG" "$late_kubeconfig"
kubectl --kubeconfig "$late_kubeconfig" config set-credentials \
  "$(kubectl --kubeconfig "$late_kubeconfig" config view -o jsonpath='{.users[0].name}')" \
  --token="$(kubectl -n tenantdb-system create token e2e-late)" >/dev/null
lport=$(free_port)
"$TENANTDB_BIN" run --kubeconfig "$late_kubeconfig" --leader-elect=false --max-backoff 5s \
  --metrics-bind-address 0 --health-probe-bind-address "127.0.0.1:$lport" >"$tmp/late.log" 2>&1 &
pids+=($!)
late_pid=$!
check "without list rights: /healthz answers 200" wait_until 60 curl -fsS "http://127.0.0.1:$lport/healthz"
sleep 2
code=$(curl -s -o "$tmp/readyz.txt" -w '%{http_code}' "http://127.0.0.1:$lport/readyz" || true)
check "before the caches sync: /readyz answers 503 ($code: $(head -c 200 "$tmp/readyz.txt"))" test "$code" = 503
kubectl create clusterrolebinding e2e-late --clusterrole=tenantdb \
  --serviceaccount=tenantdb-system:e2e-late >/dev/null
check "once RBAC allows the lists: /readyz answers 200" \
  wait_until 120 curl -fsS "http://127.0.0.1:$lport/readyz"
kill -TERM "$late_pid"
wait "$late_pid" || true

# 1. One operator, no leader election.
mport=$(free_port); hport=$(free_port)
"$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --resync-period 5s --max-backoff 5s --metrics-bind-address "127.0.0.1:$mport" \
  --health-probe-bind-address "127.0.0.1:$hport" --log-level debug >"$tmp/op1.log" 2>&1 &
pids+=($!)
op1_pid=$!
check "/healthz answers 200" wait_until 60 curl -fsS "http://127.0.0.1:$hport/healthz"
check "/readyz answers 200 once the caches synced" wait_until 60 curl -fsS "http://127.0.0.1:$hport/readyz"
check "DatabaseServer e2e-good becomes Ready (kubectl wait)" \
  kubectl wait --for=condition=Ready --timeout=60s databaseserver/e2e-good
ver=$(kubectl get databaseserver e2e-good -o jsonpath='{.status.serverVersion}')
check "status.serverVersion is set ($ver)" grep -Eq '^1[5-9]\.' <<<"$ver"
check "observedGeneration is set" test -n "$(kubectl get databaseserver e2e-good -o jsonpath='{.status.observedGeneration}')"
check "wrong password: Ready=False reason AuthenticationFailed" \
  wait_until 60 bash -c '[[ $(kubectl get databaseserver e2e-badpw -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].reason}") == AuthenticationFailed ]]'
check "missing Secret: Ready=False reason SecretNotFound" \
  wait_until 60 bash -c '[[ $(kubectl get databaseserver e2e-nosecret -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].reason}") == SecretNotFound ]]'
check "closed port: Ready=False reason ServerUnreachable" \
  wait_until 60 bash -c '[[ $(kubectl get databaseserver e2e-closed -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].reason}") == ServerUnreachable ]]'
msg=$(kubectl get databaseserver e2e-nosecret -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
check "the SecretNotFound message names the Secret ($msg)" grep -q 'tenantdb-system/e2e-missing' <<<"$msg"
check "a stuck server is Stalled for kstatus" \
  test "$(kubectl get databaseserver e2e-badpw -o jsonpath='{.status.conditions[?(@.type=="Stalled")].status}')" = True

# Metrics parse with a real Prometheus parser and count what DESIGN.md names.
curl -fsS "http://127.0.0.1:$mport/metrics" >"$tmp/metrics.txt"
check "/metrics parses with prometheus_client" python3 - "$tmp/metrics.txt" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
names = {f.name for f in text_string_to_metric_families(open(sys.argv[1]).read())}
want = {"tenantdb_reconcile", "tenantdb_reconcile_errors", "tenantdb_reconcile_duration_seconds",
        "tenantdb_workqueue_depth", "tenantdb_api_requests"}
missing = want - names
if missing:
    print("missing metric families:", sorted(missing), "have:", sorted(names)); sys.exit(1)
PY

# PostgreSQL goes away: Ready turns False within one resync, and True again when it returns.
"$repo/scripts/testenv" stop postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null
check "PostgreSQL stopped: e2e-good Ready=False ServerUnreachable" \
  wait_until 60 bash -c '[[ $(kubectl get databaseserver e2e-good -o jsonpath="{.status.conditions[?(@.type==\"Ready\")].reason}") == ServerUnreachable ]]'
"$repo/scripts/testenv" start postgres --env-file "$TENANTDB_ENV_FILE" >/dev/null
check "PostgreSQL back: e2e-good Ready=True again without intervention" \
  kubectl wait --for=condition=Ready --timeout=60s databaseserver/e2e-good
check "no password in the operator's debug log" \
  bash -c '! grep -qF -- "$1" "$2"' _ "$TENANTDB_PG_ADMIN_PASSWORD" "$tmp/op1.log"
check "no password in the PostgreSQL log" \
  bash -c '! grep -qF -- "$1" "$2"' _ "$TENANTDB_PG_ADMIN_PASSWORD" "$TENANTDB_PG_LOG"
kill -TERM "$op1_pid"
t0=$SECONDS
wait "$op1_pid" && rc=0 || rc=$?
check "SIGTERM: exits 0 within 10 s (rc=$rc, $((SECONDS - t0)) s)" bash -c "[[ $rc -eq 0 && $((SECONDS - t0)) -le 10 ]]"

# 2. Two replicas with leader election: exactly one holds the Lease; kill -9 it, the other
#    takes over within 20 s.
start_replica() {  # name
  "$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=true \
    --leader-election-namespace tenantdb-system --leader-election-id e2e-leader --identity "$1" \
    --resync-period 5s --metrics-bind-address 0 --health-probe-bind-address 0 >"$tmp/$1.log" 2>&1 &
  pids+=($!)
  echo $! >"$tmp/$1.pid"
}
start_replica replica-a
start_replica replica-b
holder() { kubectl -n tenantdb-system get lease e2e-leader -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
check "one replica holds the Lease" wait_until 60 bash -c '[[ $(kubectl -n tenantdb-system get lease e2e-leader -o jsonpath="{.spec.holderIdentity}") == replica-* ]]'
leader=$(holder)
other=replica-a; [[ $leader == replica-a ]] && other=replica-b
sleep 3
check "only the leader ($leader) reconciles" bash -c "grep -q 'Controllers started' '$tmp/$leader.log' && ! grep -q 'Controllers started' '$tmp/$other.log'"
kill -9 "$(cat "$tmp/$leader.pid")"
t0=$SECONDS
check "after kill -9 of $leader, $other holds the Lease" wait_until 60 bash -c "[[ \$(kubectl -n tenantdb-system get lease e2e-leader -o jsonpath='{.spec.holderIdentity}') == $other ]]"
took=$((SECONDS - t0))
check "takeover within 20 s (took $took s)" test "$took" -le 20
check "$other starts its controllers" wait_until 20 grep -q 'Controllers started' "$tmp/$other.log"
finish

#!/usr/bin/env bash
# bench/soak.sh — a soak of the operator's HTTPS client: `tenantdb run` for M minutes (default 30)
# with a short resync (default 2s) and N Database + DatabaseRole pairs (default 100) that are
# Ready against the test PostgreSQL, so every resync reads the caches, visits PostgreSQL and talks
# to kube-apiserver over TLS. Prints, once a minute, VmRSS / RssAnon of the process, its TCP
# connections to kube-apiserver and the operator's Kubernetes requests so far; then the growth
# from minute 1 to the end and over the last half (a leak keeps growing; allocator warm-up does
# not). Also per minute: the Kubernetes writes, the SQL actions (tenantdb_sql_statements_total)
# and the CPU time, and at the end their rate per minute: the steady-state cost (issue 15's
# steady-state bench is `SOAK_RESYNC=1m bench/soak.sh 10 100`: all three should be ~0 but the
# resync's reads).
#
#   bench/soak.sh [MINUTES] [PAIRS]     TENANTDB_BIN=<binary> (default build/src/tenantdb)
#   SOAK_RESYNC=2s                      the operator's --resync-period
#   SOAK_WRAP="heaptrack -o /tmp/x"     runs the operator under a tool (heaptrack, valgrind ...)
#   SOAK_LOG=/path/operator.log         keeps the operator's log (with a sanitized binary it ends
#                                       with LeakSanitizer's report: the operator gets SIGTERM)
#
# Starts its own scripts/testenv environment (or uses TENANTDB_ENV_FILE when set) and stops it.
# Exits non-zero only when it could not run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
minutes=${1:-30}
n=${2:-100}
resync=${SOAK_RESYNC:-2s}
bin=${TENANTDB_BIN:-$repo/build/src/tenantdb}
work=$(mktemp -d)
own_env=false
if [[ -z ${TENANTDB_ENV_FILE:-} ]]; then
  TENANTDB_ENV_FILE=$work/env
  own_env=true
  "$repo/scripts/testenv" up --env-file "$TENANTDB_ENV_FILE" >"$work/testenv.log" 2>&1
fi
set -a
# shellcheck disable=SC1090
source "$TENANTDB_ENV_FILE"
set +a
export PATH="$TENANTDB_TESTENV_BIN:$PATH"
ns=bench-soak
pid=""
cleanup() {
  kubectl delete namespace $ns --ignore-not-found --timeout=180s >/dev/null 2>&1 || true
  kubectl delete databaseserver bench-soak --ignore-not-found >/dev/null 2>&1 || true
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  [[ -n ${SOAK_LOG:-} ]] && cp "$work/operator.log" "$SOAK_LOG" 2>/dev/null || true
  $own_env && "$repo/scripts/testenv" down --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The process to measure: the operator itself, or the child of the wrapping tool.
target() {
  local child
  child=$(pgrep -P "$pid" -f "$(basename "$bin") run" 2>/dev/null | head -n 1 || true)
  [[ -n ${SOAK_WRAP:-} && -n $child ]] && echo "$child" || echo "$pid"
}
mem() {  # mem FIELD -> KiB
  awk -v f="$1:" '$1 == f {print $2}' "/proc/$(target)/status"
}
conns() {
  local port=${TENANTDB_KUBE_SERVER##*:}
  ss -Htnp state established "( dport = :$port )" 2>/dev/null | grep -c "pid=$(target)," || true
}
requests() {  # Kubernetes requests so far, from the operator's metrics
  curl -s "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null |
    awk '/^tenantdb_api_requests_total/ {s += $NF} END {printf "%d", s}'
}
writes() {  # of those, writes (create, patch, update, delete)
  curl -s "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null |
    awk '/^tenantdb_api_requests_total/ && /verb="(create|patch|update|delete)"/ {s += $NF} END {printf "%d", s}'
}
sql_actions() {  # SQL statements that change a server, so far (tenantdb_sql_statements_total)
  curl -s "http://127.0.0.1:$metrics_port/metrics" 2>/dev/null |
    awk '/^tenantdb_sql_statements_total/ {s += $NF} END {printf "%d", s}'
}
cpu_ms() {  # user + system CPU time of the process so far
  awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$(target)/stat"
}

kubectl apply --server-side --force-conflicts -k "$repo/crds/" >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/databases.tenantdb.io \
  crd/databaseroles.tenantdb.io crd/databaseservers.tenantdb.io >/dev/null
kubectl -n tenantdb-system create secret generic bench-soak-admin --dry-run=client -o yaml \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" \
  --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" | kubectl apply -f - >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: bench-soak}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: bench-soak-admin}
  allowedNamespaces: [$ns]
YAML
kubectl create namespace $ns >/dev/null
python3 - "$n" >"$work/objects.yaml" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f"""---
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {{name: soak-{i:03d}, namespace: bench-soak}}
spec: {{serverRef: {{name: bench-soak}}, reclaimPolicy: Delete}}
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseRole
metadata: {{name: soak-{i:03d}-rw, namespace: bench-soak}}
spec: {{databaseRef: {{name: soak-{i:03d}}}, privileges: ReadWrite}}""")
PY
kubectl apply --server-side -f "$work/objects.yaml" >/dev/null

metrics_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# shellcheck disable=SC2086
${SOAK_WRAP:-} "$bin" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --resync-period "$resync" --metrics-bind-address "127.0.0.1:$metrics_port" \
  --health-probe-bind-address 0 >"$work/operator.log" 2>&1 &
pid=$!
# Up to 10 minutes for every role to be Ready (slower under a wrapping tool).
for _ in $(seq 600); do
  ready=$(kubectl -n $ns get databaseroles -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
  [[ $ready -ge $n ]] && break
  kill -0 "$pid" 2>/dev/null || { echo "bench/soak.sh: the operator exited" >&2; tail -n 20 "$work/operator.log" >&2; exit 1; }
  sleep 1
done
printf 'soak: %d pairs (%d roles Ready), --resync-period %s, %d minutes, binary %s\n' \
  "$n" "$ready" "$resync" "$minutes" "$bin"
printf '%6s %10s %10s %12s %14s %12s %12s %10s\n' minute 'VmRSS MiB' 'RssAnon MiB' 'apiserver TCP' \
  'kube requests' 'kube writes' 'SQL actions' 'CPU ms'
first=""
start_req="" start_wr="" start_sql="" start_cpu=""
half=""
for m in $(seq 0 "$minutes"); do
  [[ $m -gt 0 ]] && sleep 60
  kill -0 "$pid" 2>/dev/null || { echo "bench/soak.sh: the operator exited" >&2; exit 1; }
  rss=$(mem VmRSS)
  req=$(requests) wr=$(writes) sq=$(sql_actions) cpu=$(cpu_ms)
  [[ $m -eq 0 ]] && start_req=$req start_wr=$wr start_sql=$sq start_cpu=$cpu
  printf '%6d %10.1f %10.1f %12s %14s %12s %12s %10s\n' "$m" "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(mem RssAnon)" 'BEGIN {print k / 1024}')" "$(conns)" "$req" "$wr" "$sq" "$cpu"
  [[ $m -eq 1 || ($minutes -lt 1 && $m -eq 0) ]] && first=$rss
  [[ $m -eq $((minutes / 2)) ]] && half=$rss
done
if ((minutes > 0)); then
  printf 'steady state, per minute over %d minutes after all Ready: %.1f kube requests (%.1f writes), %.1f SQL actions, %.0f ms CPU\n' \
    "$minutes" "$(awk -v a="$start_req" -v b="$req" -v m="$minutes" 'BEGIN {print (b - a) / m}')" \
    "$(awk -v a="$start_wr" -v b="$wr" -v m="$minutes" 'BEGIN {print (b - a) / m}')" \
    "$(awk -v a="$start_sql" -v b="$sq" -v m="$minutes" 'BEGIN {print (b - a) / m}')" \
    "$(awk -v a="$start_cpu" -v b="$cpu" -v m="$minutes" 'BEGIN {print (b - a) / m}')"
fi
printf 'VmRSS growth: minute 1 -> %d: %+.1f MiB; minute %d -> %d: %+.1f MiB\n' "$minutes" \
  "$(awk -v a="${first:-$rss}" -v b="$rss" 'BEGIN {print (b - a) / 1024}')" "$((minutes / 2))" \
  "$minutes" "$(awk -v a="${half:-$rss}" -v b="$rss" 'BEGIN {print (b - a) / 1024}')"

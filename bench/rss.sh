#!/usr/bin/env bash
# bench/rss.sh — memory and connections of `tenantdb run` against the real control plane:
#   1. idle (one DatabaseServer, nothing else to do), after 15 s;
#   2. with N Databases (default 1000) and N DatabaseRoles in the cache, once all are reconciled.
# Prints VmRSS / VmHWM / RssAnon (private memory) from /proc/<pid>/status and the number of TCP
# connections the process holds to kube-apiserver (one per watch, plus the pooled client
# connections), and an estimate of the heap each cached object costs: the growth of RssAnon from
# idle to loaded divided by the 2N objects (an upper bound: it also counts the work queues, rate
# limiter entries and allocator slack that the N pairs bring). For a binary without sanitizers it
# also reads glibc's mallinfo2() through bench/mallinfo.c (LD_PRELOAD; needs cc): the live heap
# (bytes malloc'ed and not freed) and its growth per cached object, the exact figure; and the
# process's private, shared and proportional (PSS) memory from /proc/<pid>/smaps_rollup.
#
#   bench/rss.sh [N]            uses build/src/tenantdb (TENANTDB_BIN to override)
#   RSS_LOG=/path/operator.log  keeps the operator's log
#
# Starts its own scripts/testenv environment (or uses TENANTDB_ENV_FILE when set) and stops it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-1000}
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
pid=""
cleanup() {
  # Delete while the operator still runs: it removes its finalizers.
  kubectl delete namespace bench-rss --ignore-not-found --timeout=120s >/dev/null 2>&1 || true
  kubectl delete databaseserver bench-rss --ignore-not-found >/dev/null 2>&1 || true
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  [[ -n ${RSS_LOG:-} ]] && cp "$work/operator.log" "$RSS_LOG" 2>/dev/null || true
  $own_env && "$repo/scripts/testenv" down --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mem() {  # mem FIELD -> KiB
  awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status"
}
conns() {  # established TCP connections of the operator to kube-apiserver
  local port=${TENANTDB_KUBE_SERVER##*:}
  ss -Htnp state established "( dport = :$port )" 2>/dev/null | grep -c "pid=$pid," || true
}
rollup() {  # rollup FIELD... -> KiB summed, from smaps_rollup
  awk -v fs=" $* " 'index(fs, " " substr($1, 1, length($1) - 1) " ") {s += $2} END {print s + 0}' \
    "/proc/$pid/smaps_rollup"
}
heap() {  # live heap in bytes (mallinfo2 uordblks + hblkhd), empty without bench/mallinfo.c
  [[ -n $mallinfo_so && -s $work/mallinfo ]] && awk '{print $1 + $3}' "$work/mallinfo"
}
report() {  # report LABEL
  printf '%-34s VmRSS %6.1f MiB  VmHWM %6.1f MiB  RssAnon %6.1f MiB  apiserver connections %s\n' \
    "$1" "$(awk -v k="$(mem VmRSS)" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(mem VmHWM)" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(mem RssAnon)" 'BEGIN {print k / 1024}')" "$(conns)"
  printf '%-34s private %6.1f MiB  shared %6.1f MiB  PSS %6.1f MiB  RssFile %6.1f MiB%s\n' "" \
    "$(awk -v k="$(rollup Private_Clean Private_Dirty)" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(rollup Shared_Clean Shared_Dirty)" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(rollup Pss)" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(mem RssFile)" 'BEGIN {print k / 1024}')" \
    "$([[ -n $(heap) ]] && awk -v b="$(heap)" 'BEGIN {printf "  heap in use %6.1f MiB", b / 1048576}')"
}

kubectl apply --server-side --force-conflicts -k "$repo/crds/" >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/databases.tenantdb.io \
  crd/databaseroles.tenantdb.io crd/databaseservers.tenantdb.io >/dev/null
kubectl -n tenantdb-system create secret generic bench-rss-admin --dry-run=client -o yaml \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" \
  --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" | kubectl apply -f - >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: bench-rss}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: bench-rss-admin}
  allowedNamespaces: [somewhere-else]
YAML

mallinfo_so=""
if ! ldd "$bin" 2>/dev/null | grep -q libasan && command -v cc >/dev/null &&
  cc -O2 -shared -fPIC -o "$work/mallinfo.so" "$repo/bench/mallinfo.c" -lpthread 2>/dev/null; then
  mallinfo_so=$work/mallinfo.so
fi
TENANTDB_MALLINFO_FILE=$work/mallinfo LD_PRELOAD=$mallinfo_so \
  "$bin" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --metrics-bind-address 0 --health-probe-bind-address 0 \
  >"$work/operator.log" 2>&1 &
pid=$!
kubectl wait --for=condition=Ready --timeout=60s databaseserver/bench-rss >/dev/null
sleep 15
report "idle (1 DatabaseServer)"
idle_anon=$(mem RssAnon)
idle_heap=$(heap)

# N Databases and N DatabaseRoles in a namespace the server does not allow: each is cached and
# reconciled once (Ready=False NamespaceNotAllowed), without touching PostgreSQL.
kubectl create namespace bench-rss >/dev/null
python3 - "$n" >"$work/objects.yaml" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f"""---
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {{name: db-{i:04d}, namespace: bench-rss, labels: {{team: bench}}}}
spec: {{serverRef: {{name: bench-rss}}, reclaimPolicy: Retain}}
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseRole
metadata: {{name: role-{i:04d}, namespace: bench-rss}}
spec: {{databaseRef: {{name: db-{i:04d}}}, privileges: ReadWrite}}""")
PY
t0=$(date +%s.%N)
kubectl apply --server-side -f "$work/objects.yaml" >/dev/null
t1=$(date +%s.%N)
# Wait until every Database has a status (reconciled at least once), up to 5 minutes.
for _ in $(seq 300); do
  done_count=$(kubectl -n bench-rss get databases -o jsonpath='{range .items[*]}{.status.observedGeneration}{"\n"}{end}' | grep -c . || true)
  [[ $done_count -ge $n ]] && break
  sleep 1
done
t2=$(date +%s.%N)
sleep 5
report "$n Databases + $n DatabaseRoles"
loaded_anon=$(mem RssAnon)
printf 'heap per cached object: %.2f KiB ((RssAnon loaded - idle) / %d objects, an upper bound)\n' \
  "$(awk -v a="$idle_anon" -v b="$loaded_anon" -v n="$((2 * n))" 'BEGIN {print (b - a) / n}')" \
  $((2 * n))
if [[ -n $idle_heap ]]; then
  sleep 1
  printf 'heap per cached object: %.2f KiB (mallinfo2 in use, loaded - idle, / %d objects)\n' \
    "$(awk -v a="$idle_heap" -v b="$(heap)" -v n="$((2 * n))" 'BEGIN {print (b - a) / 1024 / n}')" \
    $((2 * n))
fi
printf 'apply of %d objects took %.1f s; all Databases reconciled %.1f s after the apply (%s with status)\n' \
  $((2 * n)) "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" \
  "$(awk -v a="$t1" -v b="$t2" 'BEGIN {print b - a}')" "$done_count"

#!/usr/bin/env bash
# bench/startup.sh — how fast `tenantdb run` is ready: the time from exec to the first 200 of
# /readyz (all watches listed and synced, controllers started), and to /healthz, against the real
# control plane of scripts/testenv, under the operator's own RBAC, with the objects the cluster
# holds at the time (optionally N Databases + N DatabaseRoles created first in namespace
# bench-startup, which the operator then lists at start). Goal (issue 15): /readyz within 1 s.
#
#   bench/startup.sh [-n N] [--runs R]     (defaults: N=0, R=5)
#
# TENANTDB_BIN: the binary (default build/src/tenantdb; a release build gives real figures).
# TENANTDB_ENV_FILE: an environment of scripts/testenv to use (default: one is started, stopped).
# Prints one line per run and the median; appends a table to bench/RESULTS.md.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=0 runs=5
command_line="bench/startup.sh $*"
while (($#)); do
  case $1 in
    -n) n=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: bench/startup.sh [-n N] [--runs R]" >&2; exit 2 ;;
  esac
done
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
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  if ((n > 0)); then  # the operator added finalizers and is gone: drop them with the objects
    # kubectl's client-side rate limit makes one process patch ~5 objects a second: 8 at once.
    for kind in databaseroles databases; do
      kubectl -n bench-startup get "$kind" -o name 2>/dev/null | xargs -r -n 50 -P 8 kubectl -n bench-startup \
        patch --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
    kubectl delete namespace bench-startup --ignore-not-found --timeout=120s >/dev/null 2>&1 || true
  fi
  $own_env && "$repo/scripts/testenv" down --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
kubectl apply --server-side --force-conflicts -k "$repo/crds/" >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd -l app.kubernetes.io/part-of=tenantdb >/dev/null
if ((n > 0)); then
  kubectl create namespace bench-startup --dry-run=client -o yaml | kubectl apply -f - >/dev/null
  python3 - "$n" >"$work/objects.yaml" <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f"""---
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {{name: db-{i:04d}, namespace: bench-startup}}
spec: {{serverRef: {{name: bench-startup-absent}}}}
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseRole
metadata: {{name: role-{i:04d}, namespace: bench-startup}}
spec: {{databaseRef: {{name: db-{i:04d}}}, privileges: ReadWrite}}""")
PY
  kubectl apply --server-side -f "$work/objects.yaml" >/dev/null
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
results=()
for r in $(seq "$runs"); do
  hport=$(free_port)
  start=$(now_ms)
  "$bin" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
    --metrics-bind-address 0 --health-probe-bind-address "127.0.0.1:$hport" >"$work/operator.log" 2>&1 &
  pid=$!
  healthz="" readyz=""
  for _ in $(seq 3000); do  # 10 ms steps, 30 s at most
    t=$(now_ms)
    if [[ -z $healthz ]] && curl -fsS -o /dev/null "http://127.0.0.1:$hport/healthz" 2>/dev/null; then healthz=$((t - start)); fi
    if curl -fsS -o /dev/null "http://127.0.0.1:$hport/readyz" 2>/dev/null; then readyz=$((t - start)); break; fi
    sleep 0.01
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  printf 'run %d: /healthz %s ms, /readyz %s ms\n' "$r" "${healthz:-never}" "${readyz:-never}"
  results+=("${healthz:-NA} ${readyz:-NA}")
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "NA")}'; }
med_h=$(printf '%s\n' "${results[@]}" | awk '{print $1}' | median)
med_r=$(printf '%s\n' "${results[@]}" | awk '{print $2}' | median)
echo "median: /healthz $med_h ms, /readyz $med_r ms ($runs runs, $n Databases + $n DatabaseRoles listed)"
kind="release"
ldd "$bin" 2>/dev/null | grep -q libasan && kind="SANITIZED (not comparable)"
{
  echo
  echo "## bench/startup.sh: time to /readyz ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
  echo
  echo "Command: \`$command_line\` (binary: $kind; $n Databases + $n DatabaseRoles in the cluster)"
  echo
  echo "| run | /healthz ms | /readyz ms |"
  echo "|---|---|---|"
  i=0
  for line in "${results[@]}"; do i=$((i + 1)); set -- $line; echo "| $i | $1 | $2 |"; done
  echo "| median | $med_h | $med_r |"
} >>"$repo/bench/RESULTS.md"

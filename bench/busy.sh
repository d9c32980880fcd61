#!/usr/bin/env bash
# bench/busy.sh — memory of `tenantdb run` in a busy cluster: objects that are not the operator's
# must not be cached (it reads Secrets and ConfigMaps by name, and watches Jobs only through a
# label selector). Against the real control plane of scripts/testenv:
#   1. N Database + DatabaseRole pairs (default 100) Ready in a watched namespace, after 20 s;
#   2. after S unrelated Secrets and S unrelated ConfigMaps (default 300 + 300) of 100 KiB each in
#      that namespace, and 20 s;
#   3. after J unrelated Jobs (suspended: no Pod) and J CronJobs (suspended) there (default 100).
# Prints VmRSS / RssAnon at each step and the growth over step 1 (goal: < 10 %).
#
#   bench/busy.sh [PAIRS] [SECRETS] [JOBS]    TENANTDB_BIN=<binary> (default build/src/tenantdb)
#
# Starts its own scripts/testenv environment (or uses TENANTDB_ENV_FILE when set) and stops it.
# Exits non-zero only when it could not run.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-100}
secrets=${2:-300}
jobs=${3:-100}
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
ns=bench-busy
pid=""
cleanup() {
  kubectl delete namespace $ns --ignore-not-found --timeout=180s >/dev/null 2>&1 || true
  kubectl delete databaseserver bench-busy --ignore-not-found >/dev/null 2>&1 || true
  [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
  $own_env && "$repo/scripts/testenv" down --env-file "$TENANTDB_ENV_FILE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mem() {  # mem FIELD -> KiB
  awk -v f="$1:" '$1 == f {print $2}' "/proc/$pid/status"
}
base_rss=""
report() {  # report LABEL
  local rss
  rss=$(mem VmRSS)
  [[ -z $base_rss ]] && base_rss=$rss
  printf '%-46s VmRSS %6.1f MiB  RssAnon %6.1f MiB  growth %+5.1f %%\n' "$1" \
    "$(awk -v k="$rss" 'BEGIN {print k / 1024}')" \
    "$(awk -v k="$(mem RssAnon)" 'BEGIN {print k / 1024}')" \
    "$(awk -v a="$base_rss" -v b="$rss" 'BEGIN {print (b - a) * 100 / a}')"
}

kubectl apply --server-side --force-conflicts -k "$repo/crds/" >/dev/null
kubectl wait --for=condition=Established --timeout=60s crd/databases.tenantdb.io \
  crd/databaseroles.tenantdb.io crd/databaseservers.tenantdb.io >/dev/null
kubectl -n tenantdb-system create secret generic bench-busy-admin --dry-run=client -o yaml \
  --from-literal=username="$TENANTDB_PG_ADMIN_USER" \
  --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" | kubectl apply -f - >/dev/null
kubectl apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseServer
metadata: {name: bench-busy}
spec:
  host: 127.0.0.1
  port: $PGPORT
  sslMode: disable
  adminCredentialsSecretRef: {namespace: tenantdb-system, name: bench-busy-admin}
  allowedNamespaces: [$ns]
YAML
kubectl create namespace $ns >/dev/null
python3 - "$n" >"$work/pairs.yaml" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"""---
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {{name: busy-{i:03d}, namespace: bench-busy}}
spec: {{serverRef: {{name: bench-busy}}, reclaimPolicy: Delete}}
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseRole
metadata: {{name: busy-{i:03d}-rw, namespace: bench-busy}}
spec: {{databaseRef: {{name: busy-{i:03d}}}, privileges: ReadWrite}}""")
PY
kubectl apply --server-side -f "$work/pairs.yaml" >/dev/null

"$bin" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --metrics-bind-address 0 --health-probe-bind-address 0 >"$work/operator.log" 2>&1 &
pid=$!
for _ in $(seq 600); do
  ready=$(kubectl -n $ns get databaseroles -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True || true)
  [[ $ready -ge $n ]] && break
  kill -0 "$pid" 2>/dev/null || { echo "bench/busy.sh: the operator exited" >&2; exit 1; }
  sleep 1
done
sleep 20
report "$n pairs Ready ($ready roles)"

# 100 KiB of random base64 per object (incompressible, as real certificates and blobs are).
python3 - "$secrets" >"$work/blobs.yaml" <<'PY'
import base64, os, sys
for i in range(int(sys.argv[1])):
    blob = base64.b64encode(os.urandom(75 * 1024)).decode()
    print(f"""---
apiVersion: v1
kind: Secret
metadata: {{name: unrelated-{i:03d}, namespace: bench-busy}}
type: Opaque
stringData: {{blob: "{blob}"}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: unrelated-{i:03d}, namespace: bench-busy}}
data: {{blob: "{blob}"}}""")
PY
kubectl apply --server-side -f "$work/blobs.yaml" >/dev/null
sleep 20
report "+ $secrets Secrets + $secrets ConfigMaps of 100 KiB"

python3 - "$jobs" >"$work/jobs.yaml" <<'PY'
import sys
for i in range(int(sys.argv[1])):
    print(f"""---
apiVersion: batch/v1
kind: Job
metadata: {{name: unrelated-{i:03d}, namespace: bench-busy}}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers: [{{name: c, image: busybox, command: ["true"]}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {{name: unrelated-{i:03d}, namespace: bench-busy}}
spec:
  schedule: "0 0 1 1 *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{{name: c, image: busybox, command: ["true"]}}]""")
PY
kubectl apply --server-side -f "$work/jobs.yaml" >/dev/null
sleep 20
report "+ $jobs Jobs + $jobs CronJobs (not tenantdb's)"
printf 'watches of the operator (from its log):\n'
grep -o '"msg":"[^"]*[Ww]atch[^"]*"[^}]*' "$work/operator.log" | sort | uniq -c | head -n 20 || true

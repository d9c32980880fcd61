#!/usr/bin/env bash
# The CRDs of crds/ on the real API server: Established, the quickstart example applies and reads
# back with defaults, `kubectl explain` helps, and the server itself refuses invalid objects with
# a message that names the field (tests/e2e/invalid/README.md lists them). Every other examples/
# directory passes a strict server-side dry run.
source "$(dirname "$0")/lib.sh"
install_crds
for crd in databaseservers databases databaseroles migrations backupschedules; do
  check "CRD $crd.tenantdb.io is Established" test "$(kubectl get crd "$crd.tenantdb.io" \
    -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True
done

# 1. One valid object of each kind, from examples/quickstart, created and read back.
# A quickstart left by an earlier run: its PVC keeps kubernetes.io/pvc-protection, which no
# controller of the test environment removes (testenv runs no pvc-protection controller).
for pvc in $(kubectl -n quickstart get pvc -o name 2>/dev/null); do
  kubectl -n quickstart patch "$pvc" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
done
kubectl delete namespace quickstart --ignore-not-found --wait=true --timeout=120s >/dev/null
check "quickstart applied with --validate=strict" kubectl apply --validate=strict -k "$repo/examples/quickstart" -o name
get() { kubectl get "$@" 2>/dev/null; }
check "DatabaseServer default reads back (host)" \
  test "$(get databaseserver default -o jsonpath='{.spec.host}')" = 127.0.0.1
check "DatabaseServer default: maxConnections defaulted to 5" \
  test "$(get databaseserver default -o jsonpath='{.spec.maxConnections}')" = 5
check "Database shop: reclaimPolicy defaulted to Retain" \
  test "$(get -n quickstart database shop -o jsonpath='{.spec.reclaimPolicy}')" = Retain
check "Database shop: serverRef.name defaulted to default" \
  test "$(get -n quickstart database shop -o jsonpath='{.spec.serverRef.name}')" = default
check "Database shop: driftPolicy defaulted to Correct" \
  test "$(get -n quickstart pgdb shop -o jsonpath='{.spec.driftPolicy}')" = Correct
check "DatabaseRole shop-app: privileges ReadWrite, login defaulted true" \
  test "$(get -n quickstart dbrole shop-app -o jsonpath='{.spec.privileges}/{.spec.login}')" = ReadWrite/true
check "DatabaseRole shop-app: reclaimPolicy defaulted to Delete" \
  test "$(get -n quickstart dbrole shop-app -o jsonpath='{.spec.reclaimPolicy}')" = Delete
mig=$(kubectl get -n quickstart migrations -o name | sed -n 1p)
check "a Migration reads back with table defaulted to flyway_schema_history" \
  test "$(get -n quickstart "$mig" -o jsonpath='{.spec.table}')" = flyway_schema_history
bk=$(kubectl get -n quickstart backupschedules -o name | sed -n 1p)
check "a BackupSchedule reads back with format defaulted to custom" \
  test "$(get -n quickstart "$bk" -o jsonpath='{.spec.format}')" = custom
cols=$(kubectl get -n quickstart databases 2>&1 | sed -n 1p)
check "printer columns of Database include READY, REASON, AGE ($cols)" \
  grep -Eq 'READY.*REASON.*AGE' <<<"$cols"
check "category 'tenantdb' lists all namespaced kinds" \
  test "$(kubectl get tenantdb -n quickstart -o name | wc -l)" -ge 5

# 2. The status subresource: status is written only through /status, and spec writes leave it.
kubectl patch -n quickstart database shop --subresource=status --type=merge \
  -p '{"status":{"observedGeneration":1,"conditions":[{"type":"Ready","status":"False","reason":"Reconciling","message":"e2e","lastTransitionTime":"2026-01-01T00:00:00Z","observedGeneration":1}]}}' >/dev/null
check "status written through /status" \
  test "$(get -n quickstart database shop -o jsonpath='{.status.conditions[0].reason}')" = Reconciling
kubectl patch -n quickstart database shop --type=merge -p '{"status":{"databaseName":"sneaky"}}' >/dev/null
check "a main-resource patch cannot write status" \
  test -z "$(get -n quickstart database shop -o jsonpath='{.status.databaseName}')"
out=$(kubectl patch -n quickstart database shop --subresource=status --type=merge \
  -p '{"status":{"conditions":[{"type":"Ready","status":"Maybe","reason":"Reconciling","message":"","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' 2>&1 || true)
check "a condition status outside True/False/Unknown is refused" grep -q 'Unsupported value' <<<"$out"

# 3. kubectl explain answers for nested fields.
out=$(kubectl explain database.spec.reclaimPolicy 2>&1)
check "kubectl explain database.spec.reclaimPolicy describes Retain and Delete" \
  bash -c 'grep -q Retain <<<"$1" && grep -q Delete <<<"$1" && grep -qi DESCRIPTION <<<"$1"' _ "$out"
out=$(kubectl explain databaserole.spec.grants.privileges 2>&1)
check "kubectl explain databaserole.spec.grants.privileges answers" grep -qi 'DESCRIPTION' <<<"$out"
out=$(kubectl explain backupschedule.spec.retention.keepDaily 2>&1)
check "kubectl explain backupschedule.spec.retention.keepDaily answers" grep -qi 'DESCRIPTION' <<<"$out"

# 4. The API server refuses invalid objects, naming the field.
kubectl create namespace e2e-invalid --dry-run=client -o yaml | kubectl apply -f - >/dev/null
rows=0
while IFS='|' read -r _ file _ field _; do
  file=$(sed 's/[` ]//g' <<<"$file")
  field=$(sed 's/^ *`//; s/` *$//' <<<"$field")
  [[ $file == *.yaml ]] || continue
  rows=$((rows + 1))
  out=$(kubectl apply --validate=strict -n e2e-invalid -f "$repo/tests/e2e/invalid/$file" 2>&1) && rc=0 || rc=$?
  if [[ $rc -ne 0 ]] && grep -qF -- "$field" <<<"$out"; then
    pass "refused $file, naming $field"
  else
    fail "$file: want refusal naming '$field', got rc=$rc: $out"
  fi
done <"$repo/tests/e2e/invalid/README.md"
check "at least six invalid objects were tried ($rows)" test "$rows" -ge 6

# 5. Immutable PostgreSQL names.
kubectl apply -n e2e-invalid -f "$repo/tests/e2e/invalid/immutable/database-v1.yaml" >/dev/null
out=$(kubectl apply -n e2e-invalid -f "$repo/tests/e2e/invalid/immutable/database-v2.yaml" 2>&1) && rc=0 || rc=$?
check "changing spec.name is refused, naming spec.name" \
  bash -c '[[ $1 -ne 0 ]] && grep -q "spec.name" <<<"$2" && grep -q immutable <<<"$2"' _ "$rc" "$out"

# 6. Every other examples/ directory passes a strict server-side dry run (they are applied for
#    real, with a running operator, by examples_test.sh). The application directories name their
#    own namespaces, which examples/platform creates; they are dry-run here in a namespace of this
#    test instead (a kustomize overlay setting `namespace:`), so that this test neither needs
#    nor touches the example namespaces examples_test.sh may be using at the same time.
kubectl create namespace e2e-examples --dry-run=client -o yaml | kubectl apply -f - >/dev/null
overlay=$(mktemp -d)
dirs=0
for dir in "$repo"/examples/*/; do
  name=$(basename "$dir")
  [[ $name == quickstart ]] && continue
  dirs=$((dirs + 1))
  if [[ $name == platform ]]; then
    out=$(kubectl apply --dry-run=server --validate=strict -k "$dir" 2>&1) && rc=0 || rc=$?
  else
    printf 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: e2e-examples\nresources:\n  - %s\n' \
      "$(realpath --relative-to="$overlay" "$dir")" >"$overlay/kustomization.yaml"
    out=$(kubectl apply --dry-run=server --validate=strict -k "$overlay" 2>&1) && rc=0 || rc=$?
  fi
  check "examples/$name passes kubectl apply --dry-run=server --validate=strict" test "$rc" -eq 0 || echo "$out" >&2
done
rm -rf "$overlay"
check "examples/ holds the platform part and the five seed scenarios ($dirs directories besides quickstart)" test "$dirs" -ge 6
check "examples/README.md lists every directory" bash -c \
  'for d in "$1"/examples/*/; do grep -q "$(basename "$d")/" "$1/examples/README.md" || { echo "missing: $d" >&2; exit 1; }; done' _ "$repo"

kubectl delete namespace e2e-invalid e2e-examples quickstart --wait=false >/dev/null 2>&1 || true
kubectl delete databaseserver default --ignore-not-found >/dev/null 2>&1 || true
finish

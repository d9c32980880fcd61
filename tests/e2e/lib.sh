# Shared helpers for e2e tests (sourced). Runs under tests/run-with-env.sh, so the variables of
# scripts/testenv (KUBECONFIG, PG*, TENANTDB_*) are set and kubectl is on PATH.
set -euo pipefail
: "${KUBECONFIG:?run under scripts/testenv (tests/run-with-env.sh)}"
: "${TENANTDB_SOURCE_DIR:?}"
repo=$TENANTDB_SOURCE_DIR
failures=0
passes=0

pass() { passes=$((passes + 1)); printf 'ok   %s\n' "$*"; }
fail() { failures=$((failures + 1)); printf 'FAIL %s\n' "$*" >&2; }
check() {  # check DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
  printf '%d passed, %d failed\n' "$passes" "$failures"
  [[ $failures -eq 0 ]]
}

# Applies crds/ (idempotent) and waits until every CRD is Established.
install_crds() {
  kubectl apply --server-side --force-conflicts -k "$repo/crds/" >/dev/null
  kubectl wait --for=condition=Established --timeout=60s \
    crd/databaseservers.tenantdb.io crd/databases.tenantdb.io crd/databaseroles.tenantdb.io \
    crd/migrations.tenantdb.io crd/backupschedules.tenantdb.io >/dev/null
}

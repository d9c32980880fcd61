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
# fails_with PATTERN COMMAND...: a predicate for `check` (like the other helpers it returns the
# status rather than counting): true only when COMMAND exits non-zero AND its stdout+stderr
# match the extended regex PATTERN (grep -E), so a refusal counts only for the reason named, not
# for a typo, a missing Secret or a server that is down. On a mismatch it prints to stderr what
# it got (exit status and the first lines of output). For an SQLSTATE run psql with
# `-v VERBOSITY=verbose` ("ERROR:  42501: permission denied ...").
#   check "reader cannot INSERT" fails_with '42501|permission denied' as_role r -c 'INSERT ...'
fails_with() {
  local pattern=$1 out rc
  shift
  if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
  if [[ $rc -ne 0 ]] && grep -Eq -- "$pattern" <<<"$out"; then return 0; fi
  if [[ $rc -eq 0 ]]; then
    printf '  fails_with: expected a failure matching /%s/, but the command succeeded: %s\n' "$pattern" "$*" >&2
  else
    printf '  fails_with: exit %d, output does not match /%s/: %s\n' "$rc" "$pattern" "$*" >&2
  fi
  printf '%s\n' "$out" | head -n 8 | sed 's/^/    | /' >&2
  return 1
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

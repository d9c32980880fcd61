#!/usr/bin/env bash
# The tours of the documentation, run as written: README.md's "A 5-minute tour" and
# examples/README.md's "Step by step, on your machine", against the real control plane and
# PostgreSQL, under the operator's own RBAC, with the tenantdb binary under test.
#
# What runs: every fenced ```sh block that directly follows a line `<!-- tour:NAME -->`, in the
# document's order, all in ONE bash (so variables and the operator started with `&` carry from
# block to block, as in the shell of a person pasting them), from a view of the repository (see
# below), with `set -euo pipefail`: any failing command fails the test, naming its block. After
# each block, the checks of tests/e2e/tour/checks.sh for that block (after_<doc>_<NAME>) assert
# what the block's comments promise, from the end state (catalog, objects, a login with only the
# credentials Secret) and from what the commands printed. A block named in this script's lists
# below (so its checks must run) that is missing from its document fails the test. PostgreSQL 15
# only (no `pg-versions: 18`): the tours source the env file, whose PG* name 15.
#
# What differs from a person's shell, and only this:
# - Lines that start with `scripts/testenv up` or `scripts/testenv down` are not run (they are
#   replaced by an echo that says so): the test uses the environment the harness started
#   (tests/run-with-env.sh), whose env file is $TENANTDB_ENV_FILE, the same variable the tours
#   set (`export TENANTDB_ENV_FILE=${TENANTDB_ENV_FILE:-/tmp/tenantdb.env}`) and source.
# - METRICS_ADDR and HEALTH_ADDR, which the tours default to 127.0.0.1:8080/8081, are set to
#   free ports first (the tours say to set them when those ports are taken).
# - The commands run in a directory whose entries are symbolic links to the repository's, except
#   build/src/tenantdb, a link to $TENANTDB_BIN (the binary under test; for ctest the same file).
# Afterwards (and on any failure) the tours' leftovers are removed: the operator's process group
# is ended, the objects' finalizers are released and namespaces quickstart, opengate-iam,
# keycloak-django, mozhno, rack-gateway and ory, DatabaseServer default and Secret
# tenantdb-system/tenantdb-admin deleted, the tours' databases and roles dropped, and the
# operator's log the tours write ($TENANTDB_TESTENV_DIR/logs/tenantdb.log; its tail is shown
# when a document fails) removed.
source "$(dirname "$0")/lib.sh"
: "${TENANTDB_BIN:?}" "${TENANTDB_OPERATOR_KUBECONFIG:?}" "${TENANTDB_ENV_FILE:?}" "${TENANTDB_TESTENV_DIR:?}"
for t in psql curl python3; do command -v "$t" >/dev/null || { fail "$t is not on PATH"; exit 1; }; done
tmp=$(mktemp -d)
per_doc_timeout=${TENANTDB_TOUR_TIMEOUT:-400s}  # each document's blocks; ctest allows 900 s in all
tour_pid=
namespaces=(quickstart opengate-iam keycloak-django mozhno rack-gateway ory)
pg_databases=(quickstart_shop feature_flags)
pg_roles=(quickstart_shop_app quickstart_shop_migrator quickstart_shop_owner flags_user feature_flags_owner)

su_sql() { PGCONNECT_TIMEOUT=10 psql -X -q -At -v ON_ERROR_STOP=1 -d postgres -c "$1"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Removes whatever a tour left, whether it finished or not. The operator is gone by then, so
# finalizers are released by hand and PostgreSQL is cleaned through the harness superuser.
clean_slate() {
  if [[ -n $tour_pid ]]; then
    kill -TERM -- "-$tour_pid" 2>/dev/null || true  # the tour's process group: its operator too
    wait "$tour_pid" 2>/dev/null || true
    tour_pid=
  fi
  local ns kind
  for ns in "${namespaces[@]}"; do
    kubectl get namespace "$ns" >/dev/null 2>&1 || continue
    for kind in databaseroles.tenantdb.io databases.tenantdb.io migrations.tenantdb.io \
      backupschedules.tenantdb.io persistentvolumeclaims; do
      # pvc-protection's finalizer too: the test control plane runs no pvc-protection-controller
      kubectl -n "$ns" get "$kind" -o name 2>/dev/null | while read -r o; do
        kubectl -n "$ns" patch "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
      done
    done
    kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  done
  for ns in "${namespaces[@]}"; do
    kubectl wait --for=delete "namespace/$ns" --timeout=120s >/dev/null 2>&1 || true
  done
  kubectl patch databaseserver default --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  kubectl delete databaseserver default --ignore-not-found --wait=true >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret tenantdb-admin --ignore-not-found >/dev/null 2>&1 || true
  local d r
  for d in "${pg_databases[@]}"; do su_sql "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  for r in "${pg_roles[@]}"; do su_sql "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
  rm -f "$TENANTDB_TESTENV_DIR/logs/tenantdb.log"
}
cleanup() {
  local rc=$?
  clean_slate
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT  # ctest's timeout: still clean up

# extract DOC FILE OUT: OUT = a bash script of FILE's tour blocks, each line copied as it is
# (one line for one line, so an error names its line of FILE), framed by tour_begin/tour_end.
extract() {
  local doc=$1 file=$2 out=$3 rel=${2#"$repo"/} n=0 name="" in_block=0 line start=0
  local -a header=() body=() text=()
  header+=("set -euo pipefail" "TOUR_DOC=$(printf %q "$doc")"
    "source $(printf %q "$repo/tests/e2e/tour/checks.sh")"
    "trap 'tour_failed \$? \$LINENO \"\$BASH_COMMAND\"' ERR")
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    if [[ $in_block == 1 ]]; then
      if [[ $line == '```' ]]; then
        in_block=0
        # tour_begin NAME FILE FIRST_LINE_IN_FILE FIRST_LINE_IN_OUT, the block's text on stdin
        body+=("tour_begin $(printf %q "$name") $(printf %q "$rel") $start \$((LINENO + ${#text[@]} + 2)) <<'TOUR_BLOCK_TEXT'"
          "${text[@]}" "TOUR_BLOCK_TEXT")
        local l
        for l in "${text[@]}"; do
          if [[ $l =~ ^scripts/testenv\ (up|down)([[:space:]]|$) ]]; then
            body+=("echo $(printf %q "tour_test: not run, the harness's environment is used: $l")")
          else
            body+=("$l")
          fi
        done
        body+=("tour_end $(printf %q "$name")")
        text=()
      else
        text+=("$line")
      fi
    elif [[ -n $name ]]; then
      if [[ $line != '```sh' ]]; then
        echo "tour_test: $rel:$n: <!-- tour:$name --> must be followed by a \`\`\`sh line" >&2
        return 1
      fi
      in_block=1 start=$((n + 1))
    fi
    if [[ $in_block == 0 && $line =~ ^\<!--\ tour:([a-z0-9-]+)\ --\>$ ]]; then
      name=${BASH_REMATCH[1]}
    elif [[ $in_block == 0 ]]; then
      name=""
    fi
  done <"$file"
  [[ $in_block == 0 ]] || { echo "tour_test: $rel: a tour block is not closed" >&2; return 1; }
  [[ ${#body[@]} -gt 0 ]] || { echo "tour_test: $rel has no <!-- tour:... --> block" >&2; return 1; }
  printf '%s\n' "${header[@]}" "${body[@]}" >"$out"
}

# run_tour DOC FILE BLOCK...: extracts, runs in its own process group, shows the output; the
# BLOCKs are those whose checks must have run.
run_tour() {
  local doc=$1 file=$2
  shift 2
  local script=$tmp/$doc.sh log=$tmp/$doc.log rc
  extract "$doc" "$file" "$script" || return 1
  printf 'tour_finish %s\n' "$*" >>"$script"
  bash -n "$script" || return 1
  (
    cd "$view"
    export TOUR_LOG=$log
    export METRICS_ADDR HEALTH_ADDR
    # timeout leads the new process group and, if a command hangs, ends all of it (operator too)
    exec setsid timeout --kill-after=10s "$per_doc_timeout" bash "$script" >"$log" 2>&1 </dev/null
  ) &
  tour_pid=$!
  wait "$tour_pid" && rc=0 || rc=$?
  [[ $rc -ne 124 ]] || echo "tour_test: FAIL ${file#"$repo"/}: its blocks did not finish within $per_doc_timeout" >&2
  echo "----- ${file#"$repo"/}: output of its tour blocks -----"
  cat "$log"
  echo "----- end of ${file#"$repo"/} (exit status $rc) -----"
  if [[ $rc -ne 0 && -f $TENANTDB_TESTENV_DIR/logs/tenantdb.log ]]; then
    echo "--- last 40 lines of the operator's log ---"
    tail -n 40 "$TENANTDB_TESTENV_DIR/logs/tenantdb.log"
  fi
  return "$rc"
}

# The view of the repository the tours run in.
view=$tmp/repo
mkdir -p "$view/build/src"
for e in "$repo"/* "$repo"/.[!.]*; do
  [[ -e $e && $(basename "$e") != build ]] && ln -s "$e" "$view/"
done
ln -s "$(realpath "$TENANTDB_BIN")" "$view/build/src/tenantdb"

clean_slate  # what an earlier script or run may have left (crds_test.sh applies the quickstart)

METRICS_ADDR=127.0.0.1:$(free_port) HEALTH_ADDR=127.0.0.1:$(free_port)
check "README.md: the 5-minute tour runs as written and keeps its promises" \
  run_tour readme "$repo/README.md" env crds admin-secret quickstart operator result cleanup
clean_slate
METRICS_ADDR=127.0.0.1:$(free_port) HEALTH_ADDR=127.0.0.1:$(free_port)
check "examples/README.md: the step-by-step runs as written and keeps its promises" \
  run_tour examples "$repo/examples/README.md" env platform scenario cleanup
clean_slate
for ns in "${namespaces[@]}"; do
  check "namespace $ns is gone after the tours" bash -c '! kubectl get namespace "$1" >/dev/null 2>&1' _ "$ns"
done
check "no database of the tours is left" \
  test "$(su_sql "SELECT count(*) FROM pg_database WHERE datname IN ('quickstart_shop','feature_flags')")" = 0
finish

# Helpers of the e2e scripts whose operator runs Jobs (migration_test.sh, backup_test.sh): sourced
# after lib.sh. They need $ns, $tmp and $admin_secret set, and TENANTDB_BIN named "tenantdb" (the
# pod runner stands it in for the Jobs' `tenantdb` command by that base name).
[[ $(type -t check) == function ]] || source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
su_sql() {  # su_sql DB SQL: the harness superuser
  PGCONNECT_TIMEOUT=10 psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
wait_until() {  # wait_until SECONDS COMMAND...
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}
val() { jq -r --arg k "$2" '.[$k] // empty' "$1"; }  # val FILE KEY
as_login() {  # as_login SECRET_FILE SQL: psql with only the Secret's values
  local f=$1
  env -u PGSERVICE PGCONNECT_TIMEOUT=10 PGHOST="$(val "$f" host)" PGPORT="$(val "$f" port)" \
    PGUSER="$(val "$f" username)" PGPASSWORD="$(val "$f" password)" PGSSLMODE="$(val "$f" sslmode)" \
    PGDATABASE="$(val "$f" dbname)" psql -X -q -At -v ON_ERROR_STOP=1 -c "$2" 2>&1
}
save_secret() {  # save_secret NAME FILE: the Secret's data in $ns, decoded, as a flat JSON object
  kubectl -n "$ns" get secret "$1" -o json | jq '.data // {} | map_values(@base64d)' >"$2"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

job_image=ghcr.io/tenantdb/tenantdb:e2e  # the pod runner maps it to $TENANTDB_BIN
op_pid=
# start_job_operator [env]: `tenantdb run` under the operator's own RBAC with --job-image (with
# `env`: TENANTDB_JOB_IMAGE instead; log in $tmp/operator.log, pid in op_pid), namespace $ns with
# an image map pointing the Jobs' image at $TENANTDB_BIN, and DatabaseServer default at the test
# PostgreSQL, admitting only $ns.
start_job_operator() {
  local hport how=(--job-image "$job_image") env=()
  [[ ${1:-} == env ]] && how=() env=("TENANTDB_JOB_IMAGE=$job_image")
  hport=$(free_port)
  env "${env[@]}" "$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
    "${how[@]}" --resync-period 10s --max-backoff 5s \
    --metrics-bind-address "127.0.0.1:$(free_port)" --health-probe-bind-address "127.0.0.1:$hport" \
    --log-level debug --log-format json >"$tmp/operator.log" 2>&1 &
  op_pid=$!
  wait_until 60 curl -fsS -o /dev/null "http://127.0.0.1:$hport/readyz" 2>/dev/null || true
  check "the operator runs (${how[*]:-TENANTDB_JOB_IMAGE}) and answers /readyz" curl -fsS -o /dev/null "http://127.0.0.1:$hport/readyz"
  kubectl create namespace "$ns" >/dev/null
  printf 'image-binary tenantdb=%s\nenv LSAN_OPTIONS=%s\n' "$TENANTDB_BIN" "${LSAN_OPTIONS:-}" \
    >"$TENANTDB_PODRUNNER_IMAGE_MAP_DIR/$ns"
  kubectl -n tenantdb-system create secret generic "$admin_secret" --type=kubernetes.io/basic-auth \
    --from-literal=username="$TENANTDB_PG_ADMIN_USER" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
  kubectl patch --local -f "$repo/examples/platform/02-databaseserver-default.yaml" --type=merge -o yaml \
    -p "$(jq -nc --arg h "$PGHOST" --argjson p "$PGPORT" --arg s "$admin_secret" --arg ns "$ns" \
      '{spec: {host: $h, port: $p, adminCredentialsSecretRef: {name: $s}, allowedNamespaces: [$ns]}}')" |
    kubectl apply -f - >/dev/null
  check "DatabaseServer default Ready" kubectl wait --for=condition=Ready --timeout="$wait_timeout" databaseserver/default
}
# stop_job_operator: SIGTERM, wait; on failures the last 40 lines of its log.
stop_job_operator() {
  if [[ -n $op_pid ]]; then
    kill -TERM "$op_pid" 2>/dev/null || true
    wait "$op_pid" 2>/dev/null || true
  fi
  if [[ $failures -gt 0 && -f $tmp/operator.log ]]; then
    echo "--- last 40 lines of the operator's log ---" >&2
    tail -n 40 "$tmp/operator.log" >&2
  fi
}

#!/usr/bin/env bash
# The Migration controller end to end, on examples/mozhno as written (Database, the Owner login
# flags-user, the ReadWrite login flags-app, ConfigMap feature-flags-migrations with V1-V5,
# Migration feature-flags-schema), with the real job controller and the pod runner running the
# Job's container as the tenantdb binary under test, the operator under its own RBAC. Checked:
# Ready with lastAppliedVersion 5, the tables owned by feature_flags_owner, flags_app INSERTs
# with its Secret's values; V6 added to the ConfigMap runs a second Job that applies V6 only
# (history rows, installed_rank, Job names, the Job's log); kstatus InProgress while that Job
# waits on a table lock this script holds, Current after; a broken V7 gives Failed with the file
# and PostgreSQL's message in status.failure and leaves the schema untouched by V7; the owner's
# password in no Job spec, the operator's log, the pod runner's logs or PostgreSQL's log;
# `tenantdb migrate info` and Flyway's info agree on V1-V6.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jobs_lib.sh"
source "$(dirname "$0")/clients.sh"
: "${TENANTDB_BIN:?}" "${TENANTDB_OPERATOR_KUBECONFIG:?}"
: "${TENANTDB_PODRUNNER_IMAGE_MAP_DIR:?the env file has no pod runner}" "${TENANTDB_PODRUNNER_LOG:?}"
: "${TENANTDB_PODRUNNER_WORKDIR:?}"
ns=mozhno  # the example names its namespace
mig=feature-flags-schema cm=feature-flags-migrations db=feature_flags owner=feature_flags_owner
admin_secret=migration-e2e-admin
wait_timeout=${TENANTDB_E2E_WAIT_TIMEOUT:-180s}
tmp=$(mktemp -d)
blocker_pid=

jp() { kubectl -n "$ns" get "$1" -o jsonpath="$2"; }
cond() { jp "migration/$mig" "{.status.conditions[?(@.type==\"$1\")].status}"; }
history() {  # version:installed_rank:success of the versioned rows, in rank order
  su_sql "$db" "SELECT string_agg(version || ':' || installed_rank || ':' || success, ' ' ORDER BY installed_rank)
                  FROM flyway_schema_history WHERE version IS NOT NULL"
}
explain() {  # what the Migration, its Jobs and Events say, so that a failure explains itself
  {
    echo "--- Migration $mig status ---"
    kubectl -n "$ns" get migration "$mig" -o json 2>/dev/null | jq '.status' || true
    echo "--- Jobs ---"
    kubectl -n "$ns" get jobs -o wide 2>/dev/null || true
    echo "--- Events ---"
    kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 20 || true
  } >&2
}

drop_leftovers() {
  su_sql postgres "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  local r
  for r in flags_user flags_app "$owner"; do su_sql postgres "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true; done
}
delete_example() {
  kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  if kubectl get namespace "$ns" >/dev/null 2>&1; then
    local o
    for o in $(kubectl get -n "$ns" databases,databaseroles,migrations -o name 2>/dev/null); do
      kubectl patch -n "$ns" "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
    kubectl wait --for=delete "namespace/$ns" --timeout=60s >/dev/null 2>&1 || true
  fi
  kubectl delete databaseserver default --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret "$admin_secret" --ignore-not-found >/dev/null 2>&1 || true
}
release_blocker() {
  [[ -n $blocker_pid ]] || return 0
  su_sql postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'e2e_migration_blocker'" >/dev/null 2>&1 || true
  wait "$blocker_pid" 2>/dev/null || true
  blocker_pid=
}
cleanup() {
  local rc=$?
  release_blocker
  [[ $failures -gt 0 ]] && explain
  delete_example  # while the operator runs, so that finalizers finish
  stop_job_operator
  drop_leftovers
  rm -f "$TENANTDB_PODRUNNER_IMAGE_MAP_DIR/$ns"
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
require_client_tools
command -v flyway-run >/dev/null || fail "flyway-run is not installed (tests/tools/build.sh flyway)"
install_crds
delete_example
drop_leftovers

# --- 1. The operator, the platform part, the Job image --------------------------------------------
start_job_operator env

# --- 2. examples/mozhno as written: V1-V5 ---------------------------------------------------------
started=$SECONDS
check "kubectl apply -k examples/mozhno" kubectl apply --validate=strict -k "$repo/examples/mozhno" -o name
check "Database and DatabaseRoles Ready" kubectl -n "$ns" wait --for=condition=Ready --timeout="$wait_timeout" \
  database/feature-flags databaserole/flags-user databaserole/flags-app
if kubectl -n "$ns" wait --for=condition=Ready --timeout="$wait_timeout" "migration/$mig" >/dev/null; then
  pass "Migration $mig Ready ($((SECONDS - started)) s after apply)"
else
  fail "Migration $mig not Ready within $wait_timeout"
fi
check "status.lastAppliedVersion is 5" test "$(jp "migration/$mig" '{.status.lastAppliedVersion}')" = 5
check "status.pendingMigrations is empty" test -z "$(jp "migration/$mig" '{.status.pendingMigrations[*]}')"
check "status.failure is unset" test -z "$(jp "migration/$mig" '{.status.failure}')"
check "Failed=False, Progressing=False" test "$(cond Failed)/$(cond Progressing)" = False/False
check "kstatus: Current" wait_kstatus Current 30 -n "$ns" "migration/$mig"
job1=$(jp "migration/$mig" '{.status.jobName}')
check "status.jobName names a Job that exists ($job1)" kubectl -n "$ns" get job "$job1" -o name
check "Job $job1 is Complete" test "$(jp "job/$job1" '{.status.conditions[?(@.type=="Complete")].status}')" = True
check "Job $job1 is controlled by Migration $mig" test \
  "$(jp "job/$job1" '{.metadata.ownerReferences[?(@.controller==true)].kind}/{.metadata.ownerReferences[?(@.controller==true)].name}')" = "Migration/$mig"
check "history: V1-V5 applied once each, ranks 1-5, all successful" \
  test "$(history)" = "1:1:true 2:2:true 3:3:true 4:4:true 5:5:true"

tables=(environments users refresh_tokens flags strategies audit_log segments strategy_segments api_keys)
for t in "${tables[@]}"; do
  check "table $t exists, owned by $owner" test \
    "$(su_sql "$db" "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = '$t'")" = "$owner"
done
check "V4: api_keys.last_used_at exists" test "$(su_sql "$db" "SELECT count(*) FROM information_schema.columns
  WHERE table_name = 'api_keys' AND column_name = 'last_used_at'")" = 1
check "V5: the seed's nine indexes exist and are valid (CREATE INDEX CONCURRENTLY outside a transaction)" test \
  "$(su_sql "$db" "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relname LIKE 'idx\\_%' AND i.indisvalid")" = 9
check "V5: idx_users_email is unique" test "$(su_sql "$db" "SELECT i.indisunique FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'idx_users_email'")" = t

save_secret flags-app-credentials "$tmp/app.json"
save_secret flags-user-credentials "$tmp/owner.json"
out=$(as_login "$tmp/app.json" "INSERT INTO environments (key, name) VALUES ('prod', 'Production');
  INSERT INTO flags (environment_id, key, name, type) SELECT id, 'new-checkout', 'New checkout', 'BOOLEAN'
    FROM environments WHERE key = 'prod' RETURNING id") && rc=0 || rc=$?
check "flags_app (ReadWrite) INSERTs into the migrated tables with its Secret's values ($out)" test "$rc" -eq 0
out=$(as_login "$tmp/app.json" "CREATE TABLE e2e_rw_ddl (i int)") && rc=0 || rc=$?
check "flags_app (ReadWrite) cannot CREATE TABLE" bash -c '[[ $1 -ne 0 && $2 == *"permission denied"* ]]' _ "$rc" "$out"

# The Job as the API server holds it: the owner's credentials only by reference.
pw=$(val "$tmp/owner.json" password)
check "the owner's Secret has a password" test -n "$pw"
kubectl -n "$ns" get job "$job1" -o json >"$tmp/job1.json"
check "Job $job1: the owner's password is nowhere in its spec" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$tmp/job1.json"
check "Job $job1: PGPASSWORD comes from secretKeyRef flags-user-credentials" test "$(jq -r '.spec.template.spec.containers[0].env[]
  | select(.name == "PGPASSWORD") | .valueFrom.secretKeyRef.name + "/" + .valueFrom.secretKeyRef.key' "$tmp/job1.json")" \
  = flags-user-credentials/PGPASSWORD
check "Job $job1: the image is --job-image" test "$(jq -r '.spec.template.spec.containers[0].image' "$tmp/job1.json")" = "$job_image"
check "Job $job1: backoffLimit 0" test "$(jq -r '.spec.backoffLimit' "$tmp/job1.json")" = 0
check "Job $job1: activeDeadlineSeconds 900 (the example's)" test "$(jq -r '.spec.activeDeadlineSeconds' "$tmp/job1.json")" = 900

# --- 3. V6 added to the ConfigMap: a new Job applies V6 only ---------------------------------------
# A transaction of this script holds an ACCESS EXCLUSIVE lock on flags, so V6 (which alters flags)
# waits in its Job: InProgress is seen for certain, however fast the Job would otherwise be.
before=$(su_sql "$db" "SELECT string_agg(installed_on::text, ',' ORDER BY installed_rank) FROM flyway_schema_history")
PGAPPNAME=e2e_migration_blocker psql -X -q -d "$db" -c 'BEGIN' -c 'LOCK TABLE flags IN ACCESS EXCLUSIVE MODE' \
  -c 'SELECT pg_sleep(600)' >/dev/null 2>&1 &
blocker_pid=$!
locked() { [[ $(su_sql postgres "SELECT count(*) FROM pg_locks WHERE relation = '$db.public.flags'::regclass AND granted
  AND mode = 'AccessExclusiveLock'" 2>/dev/null) == 1 ]]; }
locked() { [[ $(su_sql "$db" "SELECT count(*) FROM pg_locks WHERE relation = 'public.flags'::regclass AND granted
  AND mode = 'AccessExclusiveLock'") == 1 ]]; }
check "this script's transaction holds ACCESS EXCLUSIVE on flags" wait_until 20 locked
v6='ALTER TABLE flags ADD COLUMN tags text[] NOT NULL DEFAULT '"'{}'"';
CREATE INDEX idx_flags_tags ON flags USING gin (tags);
'
check "V6__add_flag_tags.sql added to ConfigMap $cm" kubectl -n "$ns" patch configmap "$cm" --type=merge \
  -p "$(jq -nc --arg v "$v6" '{data: {"V6__add_flag_tags.sql": $v}}')"
new_job() { local j; j=$(jp "migration/$mig" '{.status.jobName}'); [[ -n $j && $j != "$job1" ]]; }
check "a new Job is named in status.jobName (the ConfigMap is re-read each resync)" wait_until 120 new_job
job2=$(jp "migration/$mig" '{.status.jobName}')
check "the new Job $job2 exists and differs from $job1" kubectl -n "$ns" get job "$job2" -o name
waiting() { [[ $(su_sql postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db'
  AND usename = 'flags_user' AND wait_event_type = 'Lock'") -ge 1 ]]; }
check "the Job's session waits on the lock (flags_user, wait_event_type Lock)" wait_until 90 waiting
check "kstatus: InProgress while Job $job2 runs" test "$(kstatus_of -n "$ns" "migration/$mig" | head -n 1)" = InProgress
check "Ready=False and Progressing=True while it runs" test "$(cond Ready)/$(cond Progressing)" = False/True
release_blocker
if kubectl -n "$ns" wait --for=condition=Ready --timeout="$wait_timeout" "migration/$mig" >/dev/null; then
  pass "Migration Ready again after V6"
else
  fail "Migration not Ready within $wait_timeout after V6"
fi
check "kstatus: Current after V6" wait_kstatus Current 30 -n "$ns" "migration/$mig"
check "status.lastAppliedVersion is 6" test "$(jp "migration/$mig" '{.status.lastAppliedVersion}')" = 6
check "history: V6 added with installed_rank 6, V1-V5 as they were" \
  test "$(history)" = "1:1:true 2:2:true 3:3:true 4:4:true 5:5:true 6:6:true"
check "V1-V5's installed_on unchanged (not re-run)" test "$(su_sql "$db" "SELECT string_agg(installed_on::text, ','
  ORDER BY installed_rank) FROM flyway_schema_history WHERE installed_rank <= 5")" = "$before"
check "V6: flags.tags exists and the row flags_app wrote is still there" test \
  "$(su_sql "$db" "SELECT tags::text FROM flags WHERE key = 'new-checkout'")" = '{}'
check "Job $job1 (V1-V5) is kept, finished" test "$(jp "job/$job1" '{.status.succeeded}')" = 1
job_log() {  # job_log JOB: the container log(s) of the Job's Pods, as the pod runner kept them
  cat "$TENANTDB_PODRUNNER_WORKDIR"/logs/"${ns}_$1"-*/*/*.log 2>/dev/null
}
migrated=$(job_log "$job2" | grep -o 'V[0-9]*__[a-z_]*\.sql' | sort -u | tr '\n' ' ')
check "Job $job2's log names V6 only ($migrated)" test "$migrated" = "V6__add_flag_tags.sql "

# tenantdb migrate info and Flyway info on the same files (the ConfigMap's) and history.
mkdir -p "$tmp/files"
kubectl -n "$ns" get configmap "$cm" -o json | jq -r '.data | keys[]' | while read -r k; do
  kubectl -n "$ns" get configmap "$cm" -o json | jq -j --arg k "$k" '.data[$k]' >"$tmp/files/$k"
done
fw() { flyway-run "$1" "jdbc:postgresql://$PGHOST:$PGPORT/$db" "$PGUSER" "$PGPASSWORD" "$tmp/files"; }
td_info=$("$TENANTDB_BIN" migrate info --dir "$tmp/files" --host "$PGHOST" --port "$PGPORT" --dbname "$db" \
  --sslmode disable 2>/dev/null | awk -F'|' 'NR > 2 { gsub(/ /, "", $2); gsub(/ /, "", $6); print $2 "|" $6 }' | tr '\n' ' ') || true
fw_info=$(fw info 2>/dev/null |
  cut -d'|' -f1,4 | tr '\n' ' ') || true
check "tenantdb migrate info: V1-V6 Success ($td_info)" test "$td_info" = "1|Success 2|Success 3|Success 4|Success 5|Success 6|Success "
check "Flyway info agrees ($fw_info)" test "$fw_info" = "$td_info"
check "Flyway validate passes on the operator's history" fw validate

# --- 4. A broken V7: Failed, PostgreSQL's message, nothing of V7 left -----------------------------
v7='ALTER TABLE flags ADD COLUMN archived boolean NOT NULL DEFAULT false;
ALTER TABLE no_such_table ADD COLUMN x int;
'
check "V7__broken.sql added to ConfigMap $cm" kubectl -n "$ns" patch configmap "$cm" --type=merge \
  -p "$(jq -nc --arg v "$v7" '{data: {"V7__broken.sql": $v}}')"
failed() { [[ $(cond Failed) == True ]]; }
check "Failed=True" wait_until 180 failed
job3=$(jp "migration/$mig" '{.status.jobName}')
check "a third Job ran V7 ($job3)" bash -c '[[ -n $1 && $1 != "$2" && $1 != "$3" ]]' _ "$job3" "$job1" "$job2"
check "Ready=False" test "$(cond Ready)" = False
check "kstatus: Failed" wait_kstatus Failed 30 -n "$ns" "migration/$mig"
check "status.failure.file is V7__broken.sql" test "$(jp "migration/$mig" '{.status.failure.file}')" = V7__broken.sql
msg=$(jp "migration/$mig" '{.status.failure.message}')
check "status.failure.message carries PostgreSQL's error and SQLSTATE ($msg)" \
  bash -c '[[ $1 == *"relation \"no_such_table\" does not exist"* && $1 == *42P01* ]]' _ "$msg"
check "status.failure.message names line 2" bash -c '[[ $1 == *"line 2"* ]]' _ "$msg"
check "status.lastAppliedVersion stays 6" test "$(jp "migration/$mig" '{.status.lastAppliedVersion}')" = 6
check "V7 rolled back: flags.archived does not exist" test "$(su_sql "$db" "SELECT count(*) FROM information_schema.columns
  WHERE table_name = 'flags' AND column_name = 'archived'")" = 0
check "history: V7 recorded as failed (as Flyway does), V1-V6 unchanged" \
  test "$(history)" = "1:1:true 2:2:true 3:3:true 4:4:true 5:5:true 6:6:true 7:7:false"
check "a Warning Event names the failure" bash -c 'kubectl -n "$1" get events --field-selector type=Warning \
  -o jsonpath="{.items[*].message}" | grep -q V7__broken.sql' _ "$ns"

# --- 5. The owner's password nowhere ------------------------------------------------------------
for j in $(kubectl -n "$ns" get jobs -o name); do
  kubectl -n "$ns" get "$j" -o json >"$tmp/job.json"
  check "$j: the owner's password is not in its spec" bash -c '[[ -s $2 ]] && ! grep -qF -- "$1" "$2"' _ "$pw" "$tmp/job.json"
done
check "the owner's password is not in the operator's log" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$tmp/operator.log"
check "the owner's password is not in the pod runner's log" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$TENANTDB_PODRUNNER_LOG"
check "the owner's password is not in the Jobs' container logs" bash -c '! grep -rqF -- "$1" "$2"/logs/' _ "$pw" "$TENANTDB_PODRUNNER_WORKDIR"
check "the owner's password is not in PostgreSQL's log" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$TENANTDB_PG_LOG"
check "the operator is still running" kill -0 "$op_pid"
finish

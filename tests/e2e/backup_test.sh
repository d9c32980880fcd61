#!/usr/bin/env bash
# The BackupSchedule controller end to end: the real cronjob and job controllers, the pod runner
# running the backup container as the tenantdb binary under test (pg_dump from the machine), the
# operator under its own RBAC. Checked: the CronJob as the spec says (schedule, timeZone,
# concurrencyPolicy, startingDeadlineSeconds, owner reference, credentials only by secretKeyRef,
# non-root), a scheduled run at the next minute (lastScheduleTime, LastBackupSucceeded=True,
# lastSuccessfulBackup equal to the file on the claim: name, size, SHA-256, manifest), suspend kept
# in sync, tenantdb.io/backup-now starting one Job per value, keepLast on the claim, the newest
# dump restored by `tenantdb restore` into a new database with the same rows, a tampered dump
# refused, a Migration with backupBefore leaving a restorable dump taken before its first version,
# a failing backup (the login's password changed behind tenantdb's back) reported as
# LastBackupSucceeded=False with pg_dump's message, and the password in no CronJob or Job spec,
# operator log or pod runner log. Takes 60-120 s: the scheduled run waits for a minute boundary.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/jobs_lib.sh"
: "${TENANTDB_BIN:?}" "${TENANTDB_OPERATOR_KUBECONFIG:?}"
: "${TENANTDB_PODRUNNER_IMAGE_MAP_DIR:?the env file has no pod runner}" "${TENANTDB_PODRUNNER_LOG:?}"
: "${TENANTDB_PODRUNNER_WORKDIR:?}"
ns=e2e-backup
bs=ledger-nightly db=e2e_ledger restored=e2e_ledger_restored
admin_secret=backup-e2e-admin
claim_dir=$TENANTDB_PODRUNNER_WORKDIR/claims/$ns/ledger-backups
wait_timeout=${TENANTDB_E2E_WAIT_TIMEOUT:-180s}
tmp=$(mktemp -d)

jp() { kubectl -n "$ns" get "$1" -o jsonpath="$2"; }
cond() { jp "backupschedule/$bs" "{.status.conditions[?(@.type==\"$1\")].$2}"; }
dumps() { find "$claim_dir" -maxdepth 1 -name "$db-*.dump" -printf '%f\n' 2>/dev/null | sort; }
last_name() { jp "backupschedule/$bs" '{.status.lastSuccessfulBackup.name}'; }
explain() {
  {
    echo "--- BackupSchedule $bs status ---"
    kubectl -n "$ns" get backupschedule "$bs" -o json 2>/dev/null | jq '.status' || true
    echo "--- CronJobs, Jobs, Pods ---"
    kubectl -n "$ns" get cronjobs,jobs,pods -o wide 2>/dev/null || true
    echo "--- Events ---"
    kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 20 || true
    echo "--- claim $claim_dir ---"
    ls -la "$claim_dir" 2>/dev/null || true
  } >&2
}
delete_example() {
  kubectl delete namespace "$ns" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 || true
  if kubectl get namespace "$ns" >/dev/null 2>&1; then
    local o
    for o in $(kubectl get -n "$ns" databases,databaseroles,backupschedules,migrations -o name 2>/dev/null); do
      kubectl patch -n "$ns" "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
    done
    kubectl wait --for=delete "namespace/$ns" --timeout=60s >/dev/null 2>&1 || true
  fi
  kubectl delete databaseserver default --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret "$admin_secret" --ignore-not-found >/dev/null 2>&1 || true
}
drop_leftovers() {
  local d r
  for d in "$db" "$restored" "${restored}_2" "${restored}_pre"; do su_sql postgres "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true; done
  for r in $(su_sql postgres "SELECT rolname FROM pg_roles WHERE rolname LIKE 'e2e\\_ledger%'" 2>/dev/null); do
    su_sql postgres "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 || true
  done
  rm -rf "$TENANTDB_PODRUNNER_WORKDIR/claims/$ns"
}
cleanup() {
  local rc=$?
  [[ $failures -gt 0 ]] && explain
  delete_example
  stop_job_operator
  drop_leftovers
  rm -f "$TENANTDB_PODRUNNER_IMAGE_MAP_DIR/$ns"
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
install_crds
delete_example
drop_leftovers

# --- 1. The operator and the platform part --------------------------------------------------------
start_job_operator

# --- 2. A Database, its Owner login, a claim and a schedule every minute ---------------------------
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {name: ledger}
spec: {name: $db, serverRef: {name: default}, reclaimPolicy: Delete}
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseRole
metadata: {name: ledger-owner}
spec: {databaseRef: {name: ledger}, privileges: Owner}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ledger-backups}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: tenantdb.io/v1alpha1
kind: BackupSchedule
metadata: {name: $bs}
spec:
  databaseRef: {name: ledger}
  schedule: "* * * * *"
  timeZone: Europe/Berlin
  retention: {keepLast: 2}
  storage: {persistentVolumeClaim: {claimName: ledger-backups}}
YAML
check "Database and its Owner login Ready" kubectl -n "$ns" wait --for=condition=Ready --timeout="$wait_timeout" \
  database/ledger databaserole/ledger-owner
check "BackupSchedule Ready" kubectl -n "$ns" wait --for=condition=Ready --timeout="$wait_timeout" "backupschedule/$bs"
check "Ready reason CronJobReady" test "$(cond Ready reason)" = CronJobReady
cj=$(jp "backupschedule/$bs" '{.status.cronJobName}')
check "status.cronJobName is $bs-backup" test "$cj" = "$bs-backup"
kubectl -n "$ns" get cronjob "$cj" -o json >"$tmp/cronjob.json"
check "CronJob: schedule, timeZone, concurrencyPolicy Forbid, startingDeadlineSeconds 300, not suspended" test \
  "$(jq -r '[.spec.schedule, .spec.timeZone, .spec.concurrencyPolicy, .spec.startingDeadlineSeconds, .spec.suspend] | join("|")' "$tmp/cronjob.json")" \
  = "* * * * *|Europe/Berlin|Forbid|300|false"
check "CronJob is controlled by BackupSchedule $bs" test "$(jq -r '.metadata.ownerReferences[] | select(.controller) | .kind + "/" + .name' "$tmp/cronjob.json")" \
  = "BackupSchedule/$bs"
check "CronJob runs --job-image as tenantdb backup --dir /backup --keep-last 2" bash -c '
  jq -e --arg img "$2" ".spec.jobTemplate.spec.template.spec.containers[0] | .image == \$img
    and (.args | index(\"backup\")) != null and (.args | join(\" \") | contains(\"--dir /backup\"))
    and (.args | join(\" \") | contains(\"--keep-last 2\"))" "$1" >/dev/null' _ "$tmp/cronjob.json" "$job_image"
check "CronJob: PGPASSWORD only by secretKeyRef" test "$(jq -r '.spec.jobTemplate.spec.template.spec.containers[0].env[]
  | select(.name == "PGPASSWORD") | (.value // "") + "|" + .valueFrom.secretKeyRef.name + "/" + .valueFrom.secretKeyRef.key' "$tmp/cronjob.json")" \
  = "|ledger-owner-credentials/PGPASSWORD"
check "CronJob: the pod runs as non-root with a read-only root file system" test "$(jq -r '.spec.jobTemplate.spec.template.spec
  | [.securityContext.runAsNonRoot, .containers[0].securityContext.readOnlyRootFilesystem] | map(tostring) | join("|")' "$tmp/cronjob.json")" = "true|true"
check "CronJob: the claim ledger-backups mounted at /backup" test "$(jq -r '.spec.jobTemplate.spec.template.spec as $s
  | ($s.volumes[] | select(.persistentVolumeClaim.claimName == "ledger-backups") | .name) as $v
  | $s.containers[0].volumeMounts[] | select(.name == $v) | .mountPath' "$tmp/cronjob.json")" = /backup
check "status.nextScheduleTime is set" test -n "$(jp "backupschedule/$bs" '{.status.nextScheduleTime}')"
check "LastBackupSucceeded Unknown/NoBackupYet before any run" bash -c '[[ "$1" == Unknown/NoBackupYet || "$1" == True/* ]]' _ \
  "$(cond LastBackupSucceeded status)/$(cond LastBackupSucceeded reason)"

# Rows to back up, written by the Owner login (so its pg_dump may read them).
kubectl -n "$ns" get secret ledger-owner-credentials -o json | jq '.data // {} | map_values(@base64d)' >"$tmp/owner.json"
pw=$(val "$tmp/owner.json" password)
check "the Owner login's Secret has a password" test -n "$pw"
out=$(as_login "$tmp/owner.json" "CREATE TABLE entries (id int PRIMARY KEY, memo text NOT NULL);
  INSERT INTO entries SELECT g, 'entry ' || g FROM generate_series(1, 5000) g") && rc=0 || rc=$?
check "the Owner login writes 5000 rows ($out)" test "$rc" -eq 0
rows_sum() { su_sql "$1" "SELECT count(*) || ':' || md5(string_agg(id || '=' || memo, ',' ORDER BY id)) FROM entries"; }
want=$(rows_sum "$db")

# --- 3. The scheduled run (the cronjob controller, at the next minute) -----------------------------
succeeded() { [[ $(cond LastBackupSucceeded status) == True ]]; }
check "a scheduled run: LastBackupSucceeded=True within 150 s" wait_until 150 succeeded
check "status.lastScheduleTime is set" test -n "$(jp "backupschedule/$bs" '{.status.lastScheduleTime}')"
name1=$(last_name)
check "lastSuccessfulBackup.name ($name1) is a dump on the claim" test -f "$claim_dir/$name1"
check "lastSuccessfulBackup.sha256 is the file's SHA-256" test \
  "$(jp "backupschedule/$bs" '{.status.lastSuccessfulBackup.sha256}')" = "$(sha256sum "$claim_dir/$name1" | cut -d' ' -f1)"
check "lastSuccessfulBackup.sizeBytes is the file's size" test \
  "$(jp "backupschedule/$bs" '{.status.lastSuccessfulBackup.sizeBytes}')" = "$(stat -c %s "$claim_dir/$name1")"
check "its manifest names the database, the format and the SHA-256" bash -c '
  jq -e --arg db "$2" --arg sha "$3" ".database == \$db and .format == \"custom\" and .sha256 == \$sha" "$1" >/dev/null' _ \
  "$claim_dir/$name1.manifest.json" "$db" "$(sha256sum "$claim_dir/$name1" | cut -d' ' -f1)"
check "the scheduled Job is the CronJob's" bash -c '[[ -n $(kubectl -n "$1" get jobs -o json | jq -r --arg cj "$2" \
  ".items[] | select(.metadata.ownerReferences[]?.name == \$cj) | .metadata.name") ]]' _ "$ns" "$cj"

# suspend is kept in sync in place (the CronJob is patched, not replaced).
uid=$(jq -r .metadata.uid "$tmp/cronjob.json")
kubectl -n "$ns" patch backupschedule "$bs" --type=merge -p '{"spec":{"suspend":true}}' >/dev/null
suspended() { [[ $(jp "cronjob/$cj" '{.spec.suspend}') == true ]]; }
check "spec.suspend: true reaches the CronJob" wait_until 30 suspended
check "the same CronJob (uid unchanged)" test "$(jp "cronjob/$cj" '{.metadata.uid}')" = "$uid"
# A scheduled run started before the suspend may still be finishing.
quiet() { [[ -z $(kubectl -n "$ns" get jobs -o json | jq -r '.items[] | select((.status.succeeded // 0) + (.status.failed // 0) == 0) | .metadata.name') ]]; }
wait_until 90 quiet || true
suspended_schedule=$(jp "cronjob/$cj" '{.status.lastScheduleTime}') suspended_at=$SECONDS

# --- 4. backup-now: one Job per value; keepLast 2 on the claim -------------------------------------
backup_now() {  # backup_now VALUE: annotate, wait until a new lastSuccessfulBackup appears
  local before
  before=$(last_name)
  kubectl -n "$ns" annotate --overwrite backupschedule "$bs" "tenantdb.io/backup-now=$1" >/dev/null
  changed() { [[ -n $(last_name) && $(last_name) != "$before" ]]; }
  wait_until 90 changed
}
sleep 1  # dump names carry the second: a backup in the same second as the last would collide
check "backup-now=first: a new successful backup" backup_now first
sleep 1
check "backup-now=second: another" backup_now second
now_jobs=$(kubectl -n "$ns" get jobs -o json | jq -r --arg p "$bs-now-" '[.items[].metadata.name | select(startswith($p))] | length')
check "two backup-now Jobs ($now_jobs), one per value" test "$now_jobs" = 2
kubectl -n "$ns" annotate --overwrite backupschedule "$bs" "tenantdb.io/backup-now=second" >/dev/null
sleep 3
check "the same value again starts no Job" test "$(kubectl -n "$ns" get jobs -o json | jq -r --arg p "$bs-now-" \
  '[.items[].metadata.name | select(startswith($p))] | length')" = 2
newest=$(last_name)
check "keepLast 2: two dumps left on the claim ($(dumps | tr '\n' ' '))" test "$(dumps | wc -l)" = 2
check "the newest backup ($newest) is one of them" bash -c 'grep -qxF "$1" <<<"$2"' _ "$newest" "$(dumps)"
check "each dump left has its manifest, and no manifest is left without its dump" bash -c '
  for f in $(ls "$1" | grep -v "^\\."); do case $f in
    *.manifest.json) [[ -f $1/${f%.manifest.json} ]] || exit 1 ;;
    *) [[ -f $1/$f.manifest.json ]] || exit 1 ;; esac; done' _ "$claim_dir"

# --- 5. Restore the newest into a new database; a tampered dump is refused -------------------------
out=$("$TENANTDB_BIN" restore --dir "$claim_dir" --target-database "$restored" 2>&1) && rc=0 || rc=$?
check "tenantdb restore of the newest into $restored ($(tail -n 1 <<<"$out"))" test "$rc" -eq 0
check "the restored rows equal the original's ($want)" test "$(rows_sum "$restored")" = "$want"
cp -a "$claim_dir" "$tmp/tampered"
printf 'X' | dd of="$tmp/tampered/$newest" bs=1 seek=100 conv=notrunc status=none
out=$("$TENANTDB_BIN" restore --dir "$tmp/tampered" --target-database "${restored}_2" 2>&1) && rc=0 || rc=$?
check "a dump whose SHA-256 does not match is refused, naming the file ($out)" \
  bash -c '[[ $1 -ne 0 && $2 == *"$3"* ]]' _ "$rc" "$out" "$newest"
check "…and nothing was restored" test -z "$(su_sql postgres "SELECT datname FROM pg_database WHERE datname = '${restored}_2'")"

# --- 6a. A Migration with backupBefore: a dump taken before its first version -----------------------
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: ledger-migrations}
data:
  V1__add_after_backup.sql: |
    CREATE TABLE after_backup (i int);
---
apiVersion: tenantdb.io/v1alpha1
kind: Migration
metadata: {name: ledger-schema}
spec:
  databaseRef: {name: ledger}
  source: {configMapRef: {name: ledger-migrations}}
  baselineOnMigrate: true  # entries is there already: history starts at baseline 0, then V1
  baselineVersion: "0"
  backupBefore: {backupScheduleRef: {name: ledger-nightly}}
YAML
if kubectl -n "$ns" wait --for=condition=Ready --timeout="$wait_timeout" migration/ledger-schema >/dev/null; then
  pass "Migration ledger-schema (backupBefore ledger-nightly) Ready"
else
  fail "Migration ledger-schema not Ready within $wait_timeout"
  kubectl -n "$ns" get migration ledger-schema -o json | jq .status >&2 || true
fi
pre=$(jp migration/ledger-schema '{.status.backupBeforeMigration.name}')
check "status.backupBeforeMigration names a dump on the schedule's claim ($pre)" test -n "$pre" -a -f "$claim_dir/$pre"
check "its SHA-256 in status is the file's" test "$(jp migration/ledger-schema '{.status.backupBeforeMigration.sha256}')" \
  = "$(sha256sum "$claim_dir/$pre" | cut -d' ' -f1)"
check "its manifest says reason pre-migration" test "$(jq -r .reason "$claim_dir/$pre.manifest.json" 2>/dev/null)" = pre-migration
check "V1 ran after it: after_backup exists in $db" test "$(su_sql "$db" "SELECT count(*) FROM pg_tables WHERE tablename = 'after_backup'")" = 1
# As examples/README.md says: into a new tenantdb Database, by its own Owner login (the dump has
# no OWNER TO or GRANT that would name ledger's roles).
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {name: ledger-restored}
spec: {name: ${restored}_pre, serverRef: {name: default}, reclaimPolicy: Delete}
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseRole
metadata: {name: restore-owner}
spec: {databaseRef: {name: ledger-restored}, privileges: Owner}
YAML
check "Database ledger-restored and its Owner login restore-owner Ready" kubectl -n "$ns" wait --for=condition=Ready \
  --timeout="$wait_timeout" database/ledger-restored databaserole/restore-owner
kubectl -n "$ns" get secret restore-owner-credentials -o json | jq '.data // {} | map_values(@base64d)' >"$tmp/restore.json"
out=$(env -u PGSERVICE PGHOST="$(val "$tmp/restore.json" host)" PGPORT="$(val "$tmp/restore.json" port)" \
  PGUSER="$(val "$tmp/restore.json" username)" PGPASSWORD="$(val "$tmp/restore.json" password)" \
  PGSSLMODE="$(val "$tmp/restore.json" sslmode)" PGDATABASE="${restored}_pre" \
  "$TENANTDB_BIN" restore --dir "$claim_dir" --name "$pre" --target-database "${restored}_pre" 2>&1) && rc=0 || rc=$?
check "restore-owner restores the pre-migration dump into ${restored}_pre ($(tail -n 1 <<<"$out"))" test "$rc" -eq 0
check "…with the rows ($want) and without V1's table" test \
  "$(rows_sum "${restored}_pre")/$(su_sql "${restored}_pre" "SELECT count(*) FROM pg_tables WHERE tablename = 'after_backup'")" = "$want/0"
check "…owned by the new database's owner role" test \
  "$(su_sql "${restored}_pre" "SELECT tableowner FROM pg_tables WHERE tablename = 'entries'")" = "${restored}_pre_owner"
check "keepLast 2 still holds on the claim ($(dumps | tr '\n' ' '))" test "$(dumps | wc -l)" = 2
newest=$(last_name)

# --- 6. A failing backup: the login's password changed behind tenantdb's back ----------------------
login=$(val "$tmp/owner.json" username)
su_sql postgres "ALTER ROLE \"$login\" PASSWORD 'not-the-secret-value'" >/dev/null
kubectl -n "$ns" annotate --overwrite backupschedule "$bs" "tenantdb.io/backup-now=third" >/dev/null
failed() { [[ $(cond LastBackupSucceeded status) == False ]]; }
check "LastBackupSucceeded=False" wait_until 90 failed
check "reason LastBackupFailed" test "$(cond LastBackupSucceeded reason)" = LastBackupFailed
msg=$(cond LastBackupSucceeded message)
check "the message carries PostgreSQL's error ($msg)" bash -c '[[ $1 == *"password authentication failed"* ]]' _ "$msg"
check "lastSuccessfulBackup still names $newest" test "$(last_name)" = "$newest"
check "Ready stays True (the CronJob is fine)" test "$(cond Ready status)" = True
check "a Warning Event names the failed backup" bash -c 'kubectl -n "$1" get events --field-selector type=Warning \
  -o jsonpath="{.items[*].message}" | grep -qi backup' _ "$ns"
check "two dumps still on the claim (a failure deletes nothing)" test "$(dumps | wc -l)" = 2

# --- 7. The password nowhere ----------------------------------------------------------------------
for o in $(kubectl -n "$ns" get cronjobs,jobs -o name); do
  kubectl -n "$ns" get "$o" -o json >"$tmp/o.json"
  check "$o: the password is not in its spec" bash -c '[[ -s $2 ]] && ! grep -qF -- "$1" "$2"' _ "$pw" "$tmp/o.json"
done
check "the password is not in the operator's log" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$tmp/operator.log"
check "the password is not in the pod runner's log" bash -c '! grep -qF -- "$1" "$2"' _ "$pw" "$TENANTDB_PODRUNNER_LOG"
check "the password is not in the Jobs' container logs" bash -c '! grep -rqF -- "$1" "$2"/logs/' _ "$pw" "$TENANTDB_PODRUNNER_WORKDIR"
check "suspend: true stopped the scheduled runs (lastScheduleTime still $suspended_schedule, $((SECONDS - suspended_at)) s later)" \
  test "$(jp "cronjob/$cj" '{.status.lastScheduleTime}')" = "$suspended_schedule"
check "the operator is still running" kill -0 "$op_pid"
finish

#!/usr/bin/env bash
# The pod runner of scripts/testenv (tests/testenv/podrunner) with the real job and cronjob
# controllers: Jobs run to Complete or Failed, the Pod status carries exit codes and termination
# messages as a kubelet writes them, env and volumes come from Secrets, ConfigMaps and PVCs, an
# image can be pointed at a local binary. The CronJob waits for the next minute (up to ~60 s),
# so this script takes 60-80 s; everything else runs while it waits.
source "$(dirname "$0")/lib.sh"
: "${TENANTDB_PODRUNNER_WORKDIR:?the env file has no pod runner}"
ns=e2e-podrunner
kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
kubectl create namespace "$ns" >/dev/null
for _ in $(seq 100); do kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.2; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; rm -f "$TENANTDB_PODRUNNER_IMAGE_MAP_DIR/$ns"' EXIT
wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.5; done; return 1; }
jp() { kubectl -n "$ns" get "$1" -o jsonpath="$2"; }
job_cond() {  # job_cond JOB TYPE: the Job has condition TYPE=True
  [[ $(jp "job/$1" "{.status.conditions[?(@.type==\"$2\")].status}" 2>/dev/null) == True ]]
}
pod_of() { jp pods "{.items[?(@.metadata.labels.job-name==\"$1\")].metadata.name}" | awk '{print $1}'; }
term() {  # term POD FIELD: a field of the first container's terminated state
  jp "pod/$1" "{.status.containerStatuses[0].state.terminated.$2}"
}

# The CronJob first: it fires at the next minute boundary while the rest runs.
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: "* * * * *"
  concurrencyPolicy: Forbid
  startingDeadlineSeconds: 120
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      backoffLimit: 0
      template:
        spec:
          restartPolicy: Never
          containers:
          - {name: tick, image: busybox, command: [sh, -c, 'echo tick > /dev/termination-log']}
YAML

# 1. env from a Secret key, envFrom a ConfigMap, a ConfigMap volume, a termination message.
secret="s3cr3t-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
kubectl -n "$ns" create secret generic creds --from-literal=password="$secret" >/dev/null
kubectl -n "$ns" create configmap files --from-literal=greeting.txt='hello from a configmap' >/dev/null
kubectl -n "$ns" create configmap vars --from-literal=MODE=fast >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: batch/v1
kind: Job
metadata: {name: ok}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      volumes:
      - {name: files, configMap: {name: files}}
      containers:
      - name: ok
        image: busybox
        workingDir: /work
        envFrom: [{configMapRef: {name: vars}}]
        env:
        - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
        - {name: MISSING, valueFrom: {secretKeyRef: {name: creds, key: nope, optional: true}}}
        - {name: GREETING_FILE, value: /config/greeting.txt}
        - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        volumeMounts: [{name: files, mountPath: /config, readOnly: true}]
        command: [sh, -c]
        args:
        - |
          echo "stdout of job ok"
          [ "\$PASSWORD" = "$secret" ] || exit 9
          [ -z "\${MISSING+set}" ] || exit 10
          cat "\$GREETING_FILE" > /dev/termination-log
          printf ' mode=%s pw=%s pwd=%s pod=%s' "\$MODE" "\${#PASSWORD}" "\$(basename "\$(pwd)")" "\${POD%-*}" >> /dev/termination-log
YAML

# 2. A failing Job: exit 3, backoffLimit 0, the message from the last 80 lines of its log.
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: fails}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: fails
        image: busybox
        terminationMessagePolicy: FallbackToLogsOnError
        command: [sh, -c, 'for i in $(seq 1 100); do echo "line $i"; done; echo boom >&2; exit 3']
YAML

# 3. Deadlines: the Pod's activeDeadlineSeconds (the runner kills it) and the Job's (the job
#    controller deletes the Pod; the runner kills it on deletion). The shell's $$ is written
#    $$$$: Kubernetes' $(VAR) expansion turns $$ into $.
for kind in pod job; do
  if [[ $kind == pod ]]; then pod_deadline="activeDeadlineSeconds: 3"; job_deadline=""; else pod_deadline=""; job_deadline="activeDeadlineSeconds: 3"; fi
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: batch/v1
kind: Job
metadata: {name: deadline-$kind}
spec:
  backoffLimit: 0
  $job_deadline
  template:
    spec:
      restartPolicy: Never
      $pod_deadline
      terminationGracePeriodSeconds: 5
      containers:
      - {name: sleeper, image: busybox, command: [sh, -c, 'echo "pid \$\$\$\$"; exec sleep 300']}
YAML
done

# 4. restartPolicy OnFailure: the first run fails, the restart in place (emptyDir kept) succeeds.
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: retry}
spec:
  backoffLimit: 3
  template:
    spec:
      restartPolicy: OnFailure
      volumes: [{name: scratch, emptyDir: {}}]
      containers:
      - name: retry
        image: busybox
        volumeMounts: [{name: scratch, mountPath: /scratch}]
        command: [sh, -c, 'if [ -f /scratch/once ]; then exit 0; fi; touch /scratch/once; exit 1']
YAML

# 5. An image pointed at a local binary through this namespace's image map file.
cat >"$tmp/greeter" <<'SH'
#!/bin/sh
out=$1; shift
echo "greeter $*" > "$out"
SH
chmod +x "$tmp/greeter"
printf 'image-binary example.invalid/greeter=%s\n' "$tmp/greeter" >"$TENANTDB_PODRUNNER_IMAGE_MAP_DIR/$ns"
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: mapped}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      initContainers:
      - {name: entrypoint, image: "example.invalid/greeter:v1", args: [/dev/termination-log, init]}
      containers:
      - {name: command, image: "example.invalid/greeter@sha256:0000000000000000000000000000000000000000000000000000000000000000", command: [/usr/local/bin/greeter], args: [/dev/termination-log, main]}
YAML

# 6. A PVC is a folder that outlives its Pod: one Job writes, a second reads after the first's
#    Pod is gone.
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Mi}}
---
apiVersion: batch/v1
kind: Job
metadata: {name: writer}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
      containers:
      - name: writer
        image: busybox
        volumeMounts: [{name: data, mountPath: /var/lib/data}]
        command: [sh, -c, 'echo kept > /var/lib/data/file']
YAML

check "Job ok reaches Complete" wait_until 120 job_cond ok Complete
pod=$(pod_of ok)
msg=$(term "$pod" message)
check "ok: terminated.message is what it wrote (got '$msg')" \
  test "$msg" = "hello from a configmap mode=fast pw=${#secret} pwd=work pod=ok"
check "ok: exitCode 0, reason Completed" test "$(term "$pod" exitCode)/$(term "$pod" reason)" = 0/Completed
conds=$(jp "pod/$pod" '{range .status.conditions[*]}{.type}={.status} {end}')
check "ok: conditions PodScheduled, Initialized, ContainersReady, Ready (got $conds)" \
  grep -Eq 'Initialized=True.*Ready=False.*ContainersReady=False.*PodScheduled=True' <<<"$conds"
check "ok: phase Succeeded" test "$(jp "pod/$pod" '{.status.phase}')" = Succeeded
logs=("$TENANTDB_PODRUNNER_WORKDIR/logs/${ns}_${pod}_"*/ok/0.log)
check "ok: stdout kept in the pod runner's log file" grep -q 'stdout of job ok' "${logs[0]}"
check "the runner's log names the log file" grep -qF "${logs[0]}" "$TENANTDB_PODRUNNER_LOG"
n=$(grep -cF "$secret" "$TENANTDB_PODRUNNER_LOG" || true)
check "the Secret value never reaches the runner's log (found $n)" test "$n" = 0

check "Job fails reaches Failed" wait_until 120 job_cond fails Failed
reason=$(jp job/fails '{.status.conditions[?(@.type=="Failed")].reason}')
check "fails: Job reason BackoffLimitExceeded (got $reason)" test "$reason" = BackoffLimitExceeded
pod=$(pod_of fails)
check "fails: exitCode 3, reason Error" test "$(term "$pod" exitCode)/$(term "$pod" reason)" = 3/Error
msg=$(term "$pod" message)
check "fails: message is the last 80 lines of the log" \
  python3 -c 'import sys; m=sys.argv[1]; l=m.splitlines(); sys.exit(not (len(l)==80 and l[0]=="line 22" and l[-1]=="boom"))' "$msg"
check "fails: phase Failed" test "$(jp "pod/$pod" '{.status.phase}')" = Failed

check "Job deadline-pod reaches Failed" wait_until 120 job_cond deadline-pod Failed
pod=$(pod_of deadline-pod)
check "deadline-pod: Pod Failed with reason DeadlineExceeded" \
  test "$(jp "pod/$pod" '{.status.phase}/{.status.reason}')" = Failed/DeadlineExceeded
check "deadline-pod: container killed by SIGTERM (143)" test "$(term "$pod" exitCode)" = 143
pid=$(sed -n 's/^pid //p' "$TENANTDB_PODRUNNER_WORKDIR/logs/${ns}_${pod}_"*/sleeper/0.log)
check "deadline-pod: the sleep process (pid $pid) is gone" fails_with 'No such process' kill -0 "$pid"
check "Job deadline-job reaches Failed" wait_until 120 job_cond deadline-job Failed
reason=$(jp job/deadline-job '{.status.conditions[?(@.type=="Failed")].reason}')
check "deadline-job: Job reason DeadlineExceeded (got $reason)" test "$reason" = DeadlineExceeded
pods_left() { [[ -z $(pod_of deadline-job) ]]; }
check "deadline-job: its Pod was killed and deleted" wait_until 60 pods_left
pid=$(sed -n 's/^pid //p' "$TENANTDB_PODRUNNER_WORKDIR/logs/${ns}_deadline-job-"*/sleeper/0.log)
check "deadline-job: the sleep process (pid $pid) is gone" fails_with 'No such process' kill -0 "$pid"

check "Job retry (OnFailure) reaches Complete" wait_until 120 job_cond retry Complete
pod=$(pod_of retry)
check "retry: restarted in place once (restartCount 1, lastState exit 1)" \
  test "$(jp "pod/$pod" '{.status.containerStatuses[0].restartCount}/{.status.containerStatuses[0].lastState.terminated.exitCode}')" = 1/1

check "Job mapped reaches Complete" wait_until 120 job_cond mapped Complete
pod=$(pod_of mapped)
check "mapped: the image's entrypoint is the mapped binary (args only)" \
  test "$(jp "pod/$pod" '{.status.initContainerStatuses[0].state.terminated.message}')" = "greeter init"
check "mapped: a command of the same name runs the mapped binary" test "$(term "$pod" message)" = "greeter main"

check "Job writer reaches Complete" wait_until 120 job_cond writer Complete
kubectl -n "$ns" delete job writer --cascade=foreground --wait=true >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: batch/v1
kind: Job
metadata: {name: reader}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
      containers:
      - name: reader
        image: busybox
        volumeMounts: [{name: data, mountPath: /data}]
        command: [sh, -c, 'cat /data/file > /dev/termination-log']
YAML
check "Job reader reaches Complete" wait_until 120 job_cond reader Complete
check "reader: reads what writer's Pod left in the claim" test "$(term "$(pod_of reader)" message)" = kept
check "the claim's folder is under the runner's workdir" \
  test "$(cat "$TENANTDB_PODRUNNER_WORKDIR/claims/$ns/data/file")" = kept

cron_done() { [[ -n $(jp cronjob/tick '{.status.lastSuccessfulTime}' 2>/dev/null) ]]; }
check "CronJob tick fired and its Job completed" wait_until 200 cron_done
job=$(jp jobs '{.items[?(@.metadata.ownerReferences[0].name=="tick")].metadata.name}' | awk '{print $1}')
check "tick: its Job ($job) is Complete" job_cond "$job" Complete

kubectl delete namespace "$ns" --wait=false >/dev/null
finish

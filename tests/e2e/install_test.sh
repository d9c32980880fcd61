#!/usr/bin/env bash
# The two ways to install: the Helm chart (lint, render, server-side dry run against the real API
# server) and the plain kustomize base `kubectl apply -k operator/` (server-side dry run). The
# chart's ClusterRole and Role grant exactly what operator/clusterrole.yaml and role.yaml grant,
# and the operator identity of the test cluster holds exactly those rights.
source "$(dirname "$0")/lib.sh"
install_crds
command -v helm >/dev/null || { fail "helm is not on PATH (tests/testenv/build.sh builds it)"; finish; exit 1; }

out=$(helm lint "$repo/helm/tenantdb" 2>&1) && rc=0 || rc=$?
check "helm lint passes" test "$rc" -eq 0 || echo "$out" >&2

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
helm template tenantdb "$repo/helm/tenantdb" -n tenantdb-system \
  --set defaultServer.create=true --set defaultServer.host=postgres.db.svc \
  --set defaultServer.allowedNamespaces='{team-a,team-b}' >"$tmp/chart.yaml"
check "helm template renders a Deployment, RBAC and the default DatabaseServer" \
  bash -c 'for k in Deployment ClusterRole ClusterRoleBinding ServiceAccount DatabaseServer; do grep -q "^kind: $k\$" "$1" || exit 1; done' _ "$tmp/chart.yaml"
out=$(kubectl apply --dry-run=server --validate=strict -f "$tmp/chart.yaml" 2>&1) && rc=0 || rc=$?
check "the rendered chart passes a server-side dry run" test "$rc" -eq 0 || echo "$out" >&2

out=$(kubectl apply --dry-run=server --validate=strict -k "$repo/operator" 2>&1) && rc=0 || rc=$?
check "kubectl apply -k operator/ passes a server-side dry run" test "$rc" -eq 0 || echo "$out" >&2

# The chart and operator/ grant the same rules: the ClusterRole, and the Role of leader election's
# Lease, which lives in the operator's namespace (the release namespace in the chart), never
# cluster-wide.
rbac() {  # rbac FILE KIND [rules|meta|binding]: of every KIND in FILE, its rules (sorted JSON
  #         lines), "namespace name", or namespace+roleRef+subjects as JSON
  python3 - "$@" <<'PY'
import sys, yaml, json
path, kind = sys.argv[1], sys.argv[2]
field = sys.argv[3] if len(sys.argv) > 3 else "rules"
for d in yaml.safe_load_all(open(path)):
    if d and d.get("kind") == kind:
        if field == "rules":
            print("\n".join(sorted(json.dumps(r, sort_keys=True) for r in d["rules"])))
        elif field == "binding":
            print(json.dumps({"namespace": d["metadata"].get("namespace"), "roleRef": d["roleRef"],
                              "subjects": d["subjects"]}, sort_keys=True))
        else:
            print(d["metadata"].get("namespace"), d["metadata"]["name"])
PY
}
if python3 -c 'import yaml' 2>/dev/null; then
  check "chart ClusterRole rules equal operator/clusterrole.yaml" \
    diff <(rbac "$tmp/chart.yaml" ClusterRole) <(rbac "$repo/operator/clusterrole.yaml" ClusterRole)
  check "chart Role rules equal operator/role.yaml" \
    diff <(rbac "$tmp/chart.yaml" Role) <(rbac "$repo/operator/role.yaml" Role)
  check "operator/role.yaml grants exactly get, create, update on leases" \
    test "$(rbac "$repo/operator/role.yaml" Role)" = \
    '{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["get", "create", "update"]}'
  check "no ClusterRole (chart or operator/) grants leases" \
    bash -c '! grep -q leases "$1" "$2"' _ <(rbac "$tmp/chart.yaml" ClusterRole) <(rbac "$repo/operator/clusterrole.yaml" ClusterRole)
  check "operator/ Role and RoleBinding are in tenantdb-system, bound to ServiceAccount tenantdb" \
    test "$(rbac "$repo/operator/role.yaml" Role meta)|$(rbac "$repo/operator/rolebinding.yaml" RoleBinding binding)" = \
    'tenantdb-system tenantdb-leader-election|{"namespace": "tenantdb-system", "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tenantdb-leader-election"}, "subjects": [{"kind": "ServiceAccount", "name": "tenantdb", "namespace": "tenantdb-system"}]}'
  # The chart's Role follows the release namespace and binds the chart's ServiceAccount.
  helm template tdb "$repo/helm/tenantdb" -n tdb-elsewhere >"$tmp/elsewhere.yaml"
  check "chart Role and RoleBinding are in the release namespace, bound to the chart's ServiceAccount" \
    test "$(rbac "$tmp/elsewhere.yaml" Role meta)|$(rbac "$tmp/elsewhere.yaml" RoleBinding binding)" = \
    'tdb-elsewhere tdb-tenantdb-leader-election|{"namespace": "tdb-elsewhere", "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "tdb-tenantdb-leader-election"}, "subjects": [{"kind": "ServiceAccount", "name": "tdb-tenantdb", "namespace": "tdb-elsewhere"}]}'
  check "the chart's Deployment runs as that ServiceAccount" \
    grep -q 'serviceAccountName: tdb-tenantdb$' "$tmp/elsewhere.yaml"
else
  fail "python3 yaml module missing (scripts/setup installs pyyaml)"
fi

# The operator identity of the test cluster (scripts/testenv applies operator/'s RBAC) may do what
# the code does and no more: the Lease only in its own namespace, no Secret delete, no Jobs.
sa=system:serviceaccount:tenantdb-system:tenantdb
# "yes" and "no" as printed (a failing kubectl prints neither, so it counts as neither).
can() { [[ $(kubectl auth can-i --as="$sa" "$@" 2>/dev/null) == yes ]]; }
cannot() { [[ $(kubectl auth can-i --as="$sa" "$@" 2>/dev/null) == no* ]]; }
all() {  # all PREDICATE VERBS RESOURCE ARGS...: PREDICATE holds for every verb
  local pred=$1 verbs=$2 v
  shift 2
  for v in $verbs; do "$pred" "$v" "$@" || { echo "  $pred $v $*" >&2; return 1; }; done
}
export sa
export -f can cannot all
check "the operator may get, create and update Leases in tenantdb-system" \
  all can "get create update" leases.coordination.k8s.io -n tenantdb-system
check "the operator may not list, watch, patch or delete Leases there, nor get them elsewhere" \
  bash -c 'all cannot "list watch patch delete" leases.coordination.k8s.io -n tenantdb-system && cannot get leases.coordination.k8s.io -n default'
check "the operator may get, create and patch Secrets, and not delete, update, list or watch them" \
  bash -c 'all can "get create patch" secrets -n default && all cannot "delete update list watch" secrets -n default'
check "the operator may list, watch, create and delete Jobs, and not get, update or patch them" \
  bash -c 'all can "list watch create delete" jobs.batch -n default && all cannot "get update patch" jobs.batch -n default'
check "the operator may list, watch, create and patch CronJobs, and not get, update or delete them" \
  bash -c 'all can "list watch create patch" cronjobs.batch -n default && all cannot "get update delete" cronjobs.batch -n default'
check "the operator may get ConfigMaps by name, and not list, watch, create, patch or delete them" \
  bash -c 'can get configmaps -n default && all cannot "list watch create patch delete" configmaps -n default'
check "the operator may list Pods, and not get, watch, create, patch, delete or exec into them" \
  bash -c 'can list pods -n default && all cannot "get watch create patch delete" pods -n default && cannot create pods/exec -n default'
check "the operator may patch Migration and BackupSchedule status, and not create, patch or delete the objects" \
  bash -c 'can patch migrations.tenantdb.io --subresource=status -n default && can patch backupschedules.tenantdb.io --subresource=status -n default &&
    all cannot "create patch delete" migrations.tenantdb.io -n default && all cannot "create patch delete" backupschedules.tenantdb.io -n default'
finish

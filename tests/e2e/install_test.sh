#!/usr/bin/env bash
# The two ways to install: the Helm chart (lint, render, server-side dry run against the real API
# server) and the plain kustomize base `kubectl apply -k operator/` (server-side dry run). The
# chart's ClusterRole grants exactly what operator/clusterrole.yaml grants.
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

# The chart and operator/ grant the same rules.
rules() { python3 -c '
import sys, yaml, json
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d.get("kind") == "ClusterRole":
        rules = sorted(json.dumps(r, sort_keys=True) for r in d["rules"])
        print("\n".join(rules))' "$1"; }
if python3 -c 'import yaml' 2>/dev/null; then
  check "chart ClusterRole rules equal operator/clusterrole.yaml" \
    diff <(rules "$tmp/chart.yaml") <(rules "$repo/operator/clusterrole.yaml")
else
  fail "python3 yaml module missing (scripts/setup installs python3-yaml)"
fi
finish

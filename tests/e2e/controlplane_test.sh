#!/usr/bin/env bash
# The control plane of scripts/testenv is the real one: the job controller makes Pods for Jobs,
# the garbage collector deletes dependents of a deleted owner, RBAC confines the operator.
source "$(dirname "$0")/lib.sh"
ns=e2e-controlplane
kubectl delete namespace "$ns" --ignore-not-found --wait=true >/dev/null
kubectl create namespace "$ns" >/dev/null
for _ in $(seq 100); do kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1 && break; sleep 0.2; done

# 1. A Job gets a Pod from the real job controller (no kubelet: the Pod stays Pending).
kubectl -n "$ns" create job hello --image=busybox -- true >/dev/null
pod_for_job() { [[ -n $(kubectl -n "$ns" get pods -l job-name=hello -o name) ]]; }
wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" && return 0; sleep 0.5; done; return 1; }
check "job controller created a Pod for Job hello" wait_until 120 pod_for_job
owner=$(kubectl -n "$ns" get pods -l job-name=hello -o jsonpath='{.items[0].metadata.ownerReferences[0].kind}/{.items[0].metadata.ownerReferences[0].name}')
check "the Pod is owned by Job/hello (got $owner)" test "$owner" = "Job/hello"

# 2. The garbage collector deletes a ConfigMap whose owner is deleted.
kubectl -n "$ns" create configmap owner --from-literal=a=b >/dev/null
uid=$(kubectl -n "$ns" get configmap owner -o jsonpath='{.metadata.uid}')
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: dependent
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: $uid
data: {key: "value"}
YAML
kubectl -n "$ns" delete configmap owner --wait=true >/dev/null
dependent_gone() { fails_with NotFound kubectl -n "$ns" get configmap dependent 2>/dev/null; }
check "garbage collector deleted the dependent ConfigMap" wait_until 120 dependent_gone

# 3. The operator's identity is not an admin: a cluster-wide Secret list is refused with 403.
out=$(kubectl --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" get secrets -A 2>&1 || true)
check "operator kubeconfig is refused a cluster-wide Secret list" grep -q 'Forbidden' <<<"$out"
check "operator identity is system:serviceaccount:tenantdb-system:tenantdb" \
  grep -q 'system:serviceaccount:tenantdb-system:tenantdb' <<<"$out"
install_crds
can=$(kubectl --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" auth can-i list databases.tenantdb.io -A 2>/dev/null || true)
check "operator may list Databases cluster-wide (got $can)" test "$can" = yes
can=$(kubectl --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" auth can-i create clusterrolebindings 2>/dev/null || true)
check "operator may not create ClusterRoleBindings (got $can)" test "$can" = no

# 4. The version is the pinned one (ldflags set), so helm's kubeVersion checks work.
ver=$(kubectl version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')
check "server reports v$TENANTDB_K8S_VERSION (got $ver)" test "$ver" = "v$TENANTDB_K8S_VERSION"

kubectl delete namespace "$ns" --wait=false >/dev/null
finish

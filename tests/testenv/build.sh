#!/usr/bin/env bash
# Builds the test control plane from upstream Go modules (test tooling only; the product is C++).
# Output: $TENANTDB_TESTENV_CACHE/<k8s-version>/bin/{kube-apiserver,kube-controller-manager,kubectl,etcd}
# Rebuilds only what is missing. `build.sh podrunner` builds the pod runner (tests/testenv/podrunner)
# as bin/podrunner-<key> (key: a hash of its sources, go.mod/go.sum and the Go version, so an edit
# rebuilds it) and prints that file's path.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/versions.env"
cache=${TENANTDB_TESTENV_CACHE:-$HOME/.cache/tenantdb-testenv}
out="$cache/v$K8S_VERSION/bin"
mkdir -p "$out"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache"
export GOPATH="$cache/gopath"

log() { printf '[testenv-build] %s\n' "$*" >&2; }

build_k8s() {
  local work="$cache/v$K8S_VERSION/k8s-src"
  rm -rf "$work"; mkdir -p "$work"
  cp "$here/k8s/go.mod.in" "$work/go.mod"
  cp "$here/k8s/tools.go" "$work/tools.go"
  sed -i "s/@K8S_VERSION@/$K8S_VERSION/g; s/@GO_LINE@/$K8S_GO/g; s/@GODEBUG@/$K8S_GODEBUG/g" "$work/go.mod"
  cd "$work"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
  local m
  for m in $(sed -n 's|^[[:space:]]*\(k8s.io/[^ ]*\) => ./staging/.*|\1|p' "$gomod"); do
    go mod edit -replace="$m=$m@v$K8S_STAGING_VERSION"
  done
  go mod tidy >/dev/null 2>&1 || go mod download all
  local minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  local ldf="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldf="$ldf -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=2026-01-01T00:00:00Z"
  done
  local c=k8s.io/kubernetes/cmd
  log "building kube-apiserver kube-controller-manager kubectl v$K8S_VERSION (slow on a cold cache)"
  go build -p 2 -trimpath -tags selinux,notest -ldflags "$ldf" -o "$out/" \
    $c/kube-apiserver $c/kube-controller-manager $c/kubectl
}

build_etcd() {
  local work="$cache/v$K8S_VERSION/etcd-src"
  rm -rf "$work"; mkdir -p "$work"
  cp "$here/etcd/main.go" "$work/main.go"
  printf 'module example.invalid/etcdbuild\n\ngo %s\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_GO" "$ETCD_VERSION" > "$work/go.mod"
  cd "$work"
  go mod tidy
  log "building etcd v$ETCD_VERSION"
  go build -trimpath -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION" -o "$out/etcd" .
}

build_helm() {
  local h=helm.sh/helm/v3
  local minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  log "building helm v$HELM_VERSION"
  GOBIN="$out" go install -trimpath -ldflags "-s -w -X $h/internal/version.version=v$HELM_VERSION \
    -X $h/pkg/chartutil.k8sVersionMajor=1 -X $h/pkg/chartutil.k8sVersionMinor=$minor \
    -X $h/pkg/lint/rules.k8sVersionMajor=1 -X $h/pkg/lint/rules.k8sVersionMinor=$minor" "$h/cmd/helm@v$HELM_VERSION"
}

podrunner_key() {
  local src="$here/podrunner"
  { go env GOVERSION; cat "$src/go.mod" "$src/go.sum" "$src"/*.go; } | sha256sum | cut -c1-16
}

# The pod runner: client-go of the control plane's version, built with the same flags, so the
# packages the Kubernetes build compiled come from the Go build cache.
build_podrunner() {
  local bin=$1
  log "building podrunner (client-go v$K8S_STAGING_VERSION)"
  (cd "$here/podrunner" && go build -p 2 -mod=readonly -trimpath -tags selinux,notest -ldflags "-s -w" -o "$bin.tmp.$$" .)
  mv -f "$bin.tmp.$$" "$bin"
  # Old builds of edited sources: removed after a day (a running environment may still use one).
  find "$out" -maxdepth 1 -name 'podrunner-*' ! -name "${bin##*/}" -mtime +0 -delete 2>/dev/null || true
}

want=${1:-all}
if [[ $want == podrunner ]]; then
  pr="$out/podrunner-$(podrunner_key)"
  [[ -x $pr ]] || build_podrunner "$pr"
  echo "$pr"
  exit 0
fi
if [[ $want == all || $want == k8s ]]; then
  if [[ ! -x $out/kube-apiserver || ! -x $out/kube-controller-manager || ! -x $out/kubectl ]]; then build_k8s; fi
fi
if [[ $want == all || $want == etcd ]]; then
  [[ -x $out/etcd ]] || build_etcd
fi
if [[ $want == all || $want == helm ]]; then
  [[ -x $out/helm ]] || build_helm
fi
if [[ $want == all ]]; then
  pr="$out/podrunner-$(podrunner_key)"
  [[ -x $pr ]] || build_podrunner "$pr"
fi
echo "$out"

#!/usr/bin/env bash
# The chart ships the CRDs of crds/ unchanged (Helm installs them from helm/tenantdb/crds/).
set -euo pipefail
cd "$TENANTDB_SOURCE_DIR"
rc=0
for f in crds/tenantdb.io_*.yaml; do
  cmp -s "$f" "helm/tenantdb/crds/$(basename "$f")" || { echo "FAIL: helm/tenantdb/crds/$(basename "$f") differs from $f"; rc=1; }
done
for f in helm/tenantdb/crds/*.yaml; do
  [[ -f crds/$(basename "$f") ]] || { echo "FAIL: $f has no counterpart in crds/"; rc=1; }
done
[[ $rc -eq 0 ]] && echo "helm CRDs identical to crds/"
exit $rc

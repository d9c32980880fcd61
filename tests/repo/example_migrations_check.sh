#!/usr/bin/env bash
# The examples keep their migrations twice: as plain .sql files (for `tenantdb migrate --dir` or
# Flyway on a laptop) and in the ConfigMap manifest that `kubectl apply -f` users copy. Both must
# be the same bytes (a differing byte is a different Flyway checksum, which validateOnMigrate
# refuses on the next run): every file in the folder is a key of the ConfigMap with that exact
# content, and every key is a file.
set -euo pipefail
cd "$TENANTDB_SOURCE_DIR"
# folder  ConfigMap manifest
pairs=(
  "examples/mozhno/migrations examples/mozhno/04-configmap-migrations.yaml"
  "examples/opengate-iam/users-migrations examples/opengate-iam/07-configmap-users-migrations.yaml"
)
rc=0
for p in "${pairs[@]}"; do
  set -- $p
  python3 - "$1" "$2" <<'PY' || rc=1
import os, sys, yaml
folder, manifest = sys.argv[1:]
with open(manifest, encoding="utf-8") as f:
    data = (yaml.safe_load(f) or {}).get("data") or {}
files = sorted(n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n)))
bad = 0
for name in files:
    with open(os.path.join(folder, name), "rb") as f:
        text = f.read().decode("utf-8")
    if name not in data:
        print(f"FAIL: {folder}/{name} is not a key of {manifest}"); bad = 1
    elif data[name] != text:
        print(f"FAIL: {manifest} key {name} differs from {folder}/{name}"); bad = 1
for name in sorted(set(data) - set(files)):
    print(f"FAIL: {manifest} key {name} has no file {folder}/{name}"); bad = 1
if not bad:
    print(f"{manifest}: {len(files)} files, identical to {folder}/")
sys.exit(bad)
PY
done
exit $rc

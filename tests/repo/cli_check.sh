#!/usr/bin/env bash
# The built binary: `version` and `--help` exit 0; an unknown subcommand or flag exits 2 with usage.
set -uo pipefail
bin=$TENANTDB_BIN
rc=0
expect() {  # expect CODE ARGS...
  local want=$1
  shift
  local out code
  out=$("$bin" "$@" 2>&1); code=$?
  if [[ $code -ne $want ]]; then echo "FAIL: tenantdb $* exited $code, want $want"; echo "$out"; rc=1; fi
  if [[ $want -eq 2 ]] && ! grep -q 'Usage' <<<"$out"; then echo "FAIL: tenantdb $* printed no usage"; rc=1; fi
}
expect 0 version
expect 0 --help
expect 2 frobnicate
expect 2 --no-such-flag
expect 2 version --no-such-flag
"$bin" version | grep -Eq '^tenantdb [0-9]+\.[0-9]+\.[0-9]+' || { echo "FAIL: version output"; rc=1; }
[[ $rc -eq 0 ]] && echo "cli ok"
exit $rc

#!/usr/bin/env bash
# No function in src/controllers/ is longer than 80 lines (src/controllers/README.md): a
# reconciler step that grows past that is doing two steps' work. Function extents come from
# universal-ctags (installed by scripts/setup), so the count includes the signature and braces.
#   bash tests/repo/function_length_check.sh [MAX]
set -euo pipefail
root=${TENANTDB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
max=${1:-80}
command -v ctags >/dev/null || { echo "FAIL: ctags (universal-ctags) is not installed: run scripts/setup"; exit 1; }
ctags --version 2>/dev/null | grep -q 'Universal Ctags' || { echo "FAIL: ctags is not universal-ctags"; exit 1; }
mapfile -t files < <(find "$root/src/controllers" -name '*.cpp' | sort)
[[ ${#files[@]} -gt 0 ]] || { echo "FAIL: no sources under src/controllers"; exit 1; }
report=$(ctags --c++-kinds=f --fields=+ne -o - "${files[@]}" | awk -F'\t' -v max="$max" -v root="$root/" '
  { line = 0; end = 0
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^line:/) line = substr($i, 6)
      if ($i ~ /^end:/) end = substr($i, 5)
    }
    n++
    if (end > 0 && end - line + 1 > max) {
      file = $2; sub(root, "", file)
      printf "%s:%d %s: %d lines\n", file, line, $1, end - line + 1
    }
  }
  END { if (n == 0) print "NO FUNCTIONS FOUND" }')
if [[ -n $report ]]; then
  echo "FAIL: functions in src/controllers/ over $max lines:"
  echo "$report"
  exit 1
fi
echo "ok: every function in src/controllers/ has at most $max lines (${#files[@]} files)"

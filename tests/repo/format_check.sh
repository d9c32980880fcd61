#!/usr/bin/env bash
# C++ sources follow .clang-format (STYLE.md R19).
set -euo pipefail
cd "$TENANTDB_SOURCE_DIR"
cf=$(command -v clang-format || command -v clang-format-14 || true)
[[ -n $cf ]] || { echo "FAIL: clang-format is not installed (scripts/setup installs it)"; exit 1; }
mapfile -t files < <(find src tests bench \( -name '*.cpp' -o -name '*.h' \) 2>/dev/null | sort)
"$cf" --dry-run --Werror "${files[@]}"
echo "${#files[@]} files formatted"

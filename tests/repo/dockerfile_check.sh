#!/usr/bin/env bash
# The Dockerfile cannot be built here (no Docker engine), so check what can be checked: its build
# stage installs every package scripts/setup installs to build the product, it runs as non-root,
# and its entrypoint is the tenantdb binary.
set -euo pipefail
repo=$TENANTDB_SOURCE_DIR
mapfile -t want < <(sed -n '/^build_packages=(/,/^)/p' "$repo/scripts/setup" | sed '1d;$d' | tr ' ' '\n' | sed '/^$/d')
stage1=$(sed -n '1,/^FROM debian:bookworm-slim/p' "$repo/Dockerfile")
rc=0
[[ ${#want[@]} -gt 5 ]] || { echo "could not read build_packages from scripts/setup"; exit 1; }
for p in "${want[@]}"; do
  if ! grep -Eq "(^|[[:space:]])$p([[:space:]]|\\\\|\$)" <<<"$stage1"; then
    echo "FAIL: the Dockerfile build stage does not install '$p' (scripts/setup does)"; rc=1
  fi
done
grep -q '^FROM debian:bookworm AS build' "$repo/Dockerfile" || { echo "FAIL: build stage is not debian:bookworm"; rc=1; }
grep -q '^FROM debian:bookworm-slim' "$repo/Dockerfile" || { echo "FAIL: runtime stage is not bookworm-slim"; rc=1; }
# pg_dump must be at least as new as the servers the seeds run (16, 17): the PGDG client 18.
stage2=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$repo/Dockerfile")
grep -q 'apt.postgresql.org.sh -y' <<<"$stage2" || { echo "FAIL: the runtime stage does not add apt.postgresql.org"; rc=1; }
grep -q 'postgresql-client-18' <<<"$stage2" || { echo "FAIL: the runtime stage does not install postgresql-client-18"; rc=1; }
grep -Eq '^USER [1-9][0-9]*' "$repo/Dockerfile" || { echo "FAIL: the image does not run as a non-root user"; rc=1; }
grep -q '^ENTRYPOINT \["tenantdb"\]' "$repo/Dockerfile" || { echo "FAIL: ENTRYPOINT is not [\"tenantdb\"]"; rc=1; }
grep -q 'postgresql-client' <<<"$(sed -n '/^FROM debian:bookworm-slim/,$p' "$repo/Dockerfile")" \
  || { echo "FAIL: the runtime stage lacks postgresql-client"; rc=1; }
# Every shared library the binary links must come from a package the runtime stage installs.
runtime=$(sed -n '/^FROM debian:bookworm-slim/,$p' "$repo/Dockerfile")
for lib in $(ldd "$TENANTDB_BIN" | awk '/=>/ {print $3}'); do
  pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -1 | cut -d: -f1) || true
  case $pkg in
    "" | libc6 | libstdc++6 | libgcc-s1 | libasan8 | libubsan1 | zlib1g | libbrotli* | libfmt9 | libkrb5* | libgssapi* | libk5crypto* | libcom-err2 | libkeyutils1 | libldap* | libsasl2* | libgnutls30 | libnettle8 | libhogweed6 | libgmp10 | libidn2-0 | libp11-kit0 | libtasn1-6 | libunistring2 | libffi8 | libboost*) continue ;;  # the base image or a dependency of a listed package
  esac
  grep -q "$pkg" <<<"$runtime" || { echo "FAIL: tenantdb links $lib from $pkg, which the runtime stage does not install"; rc=1; }
done
[[ $rc -eq 0 ]] && echo "Dockerfile agrees with scripts/setup (${#want[@]} build packages)"
exit $rc

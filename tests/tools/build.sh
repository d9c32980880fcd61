#!/usr/bin/env bash
# Builds the client test tools (test tooling only: never linked into tenantdb nor shipped) and
# installs them into $TENANTDB_TOOLS_CACHE/bin (default ~/.cache/tenantdb-tools/bin):
#   pgx-connect, kstatus   Go (go/: pgx v5.12.0, sigs.k8s.io/cli-utils v0.37.2, go.sum pinned)
#   jdbc-connect           Java (jdbc/: org.postgresql:postgresql 42.7.14 from Maven Central)
#   flyway-run             Java (flyway/: org.flywaydb:flyway-core + flyway-database-postgresql
#                          13.12.0 and the JDBC driver from Maven Central), for the migrate
#                          interop test and bench/migrate.sh
#   py-connect, secret-values   Python (python/: psycopg 3, dj-database-url, django, installed
#                          by scripts/setup's python step; checked here)
# Usage: tests/tools/build.sh [all|go|jdbc|flyway|python]   (default all)
# Each part is rebuilt only when the hash of its inputs changes; quiet when nothing changed.
# Exits non-zero, with the reason on stderr, when any tool cannot be built.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${TENANTDB_TOOLS_CACHE:-$HOME/.cache/tenantdb-tools}
bin="$cache/bin"
mkdir -p "$bin"

log() { printf '[tools-build] %s\n' "$*" >&2; }
die() { printf '[tools-build] error: %s\n' "$*" >&2; exit 1; }

# inputs_hash LABEL FILE...: a hash of the files' names and contents plus LABEL (tool versions).
inputs_hash() {
  local label=$1
  shift
  { printf '%s\n' "$label"; for f in "$@"; do printf '%s\n' "${f#"$here"/}"; cat "$f"; done; } \
    | sha256sum | cut -d' ' -f1
}

build_go() {
  command -v go >/dev/null || die "go is not installed (scripts/setup checks for Go >= 1.26)"
  local -a inputs
  mapfile -t inputs < <(find "$here/go" -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) | LC_ALL=C sort)
  local want
  want=$(inputs_hash "$(GOTOOLCHAIN=local go env GOVERSION) $(cat "$here/build.sh")" "${inputs[@]}")
  if [[ -x $bin/pgx-connect && -x $bin/kstatus && $(cat "$cache/go.stamp" 2>/dev/null) == "$want" ]]; then
    return 0
  fi
  log "building pgx-connect, kstatus (Go)"
  if ! (
    cd "$here/go"
    export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
    export GOMODCACHE="$cache/gomod" GOCACHE="$cache/gocache" GOPATH="$cache/gopath"
    go build -trimpath -ldflags "-s -w" -o "$bin/" ./cmd/pgx-connect ./cmd/kstatus
  ) >"$cache/go-build.log" 2>&1; then
    cat "$cache/go-build.log" >&2
    die "the Go tools did not build (tests/tools/go)"
  fi
  printf '%s\n' "$want" >"$cache/go.stamp"
}

build_jdbc() {
  local t
  for t in java javac mvn; do
    command -v "$t" >/dev/null || die "$t is not installed (Java 17 and Maven are needed for jdbc-connect)"
  done
  local want
  want=$(inputs_hash "$(readlink -f "$(command -v javac)") $(cat "$here/build.sh")" "$here/jdbc/pom.xml" "$here/jdbc/JdbcConnect.java")
  local dir="$cache/jdbc"
  if [[ -x $bin/jdbc-connect && $(cat "$dir/stamp" 2>/dev/null) == "$want" ]]; then
    return 0
  fi
  log "fetching org.postgresql:postgresql (Maven Central) and building jdbc-connect"
  rm -rf "$dir/lib" "$dir/classes"
  mkdir -p "$dir/lib" "$dir/classes"
  # -f on a copy outside the tree: Maven writes nothing into tests/tools/jdbc/.
  cp "$here/jdbc/pom.xml" "$dir/pom.xml"
  if ! mvn -B -q -Dstyle.color=never -f "$dir/pom.xml" -Dmaven.repo.local="$cache/m2" \
    -DoutputDirectory="$dir/lib" dependency:copy-dependencies >"$dir/mvn.log" 2>&1; then
    cat "$dir/mvn.log" >&2
    die "Maven could not fetch the JDBC driver (tests/tools/jdbc/pom.xml)"
  fi
  ls "$dir"/lib/postgresql-*.jar >/dev/null 2>&1 || die "no postgresql-*.jar in $dir/lib after Maven ran"
  javac -d "$dir/classes" -cp "$dir/lib/*" "$here/jdbc/JdbcConnect.java" \
    || die "JdbcConnect.java did not compile"
  printf '#!/bin/sh\n# jdbc-connect URL [USER PASSWORD] (written by tests/tools/build.sh)\nexec java -cp %q JdbcConnect "$@"\n' \
    "$dir/classes:$dir/lib/*" >"$bin/jdbc-connect.tmp"
  chmod 755 "$bin/jdbc-connect.tmp"
  mv "$bin/jdbc-connect.tmp" "$bin/jdbc-connect"
  printf '%s\n' "$want" >"$dir/stamp"
}

build_flyway() {
  local t
  for t in java javac mvn; do
    command -v "$t" >/dev/null || die "$t is not installed (Java 17 and Maven are needed for flyway-run)"
  done
  local want
  want=$(inputs_hash "$(readlink -f "$(command -v javac)") $(cat "$here/build.sh")" "$here/flyway/pom.xml" "$here/flyway/FlywayRun.java")
  local dir="$cache/flyway"
  if [[ -x $bin/flyway-run && $(cat "$dir/stamp" 2>/dev/null) == "$want" ]]; then
    return 0
  fi
  log "fetching org.flywaydb:flyway-core, flyway-database-postgresql (Maven Central) and building flyway-run"
  rm -rf "$dir/lib" "$dir/classes"
  mkdir -p "$dir/lib" "$dir/classes"
  cp "$here/flyway/pom.xml" "$dir/pom.xml"
  if ! mvn -B -q -Dstyle.color=never -f "$dir/pom.xml" -Dmaven.repo.local="$cache/m2" \
    -DoutputDirectory="$dir/lib" dependency:copy-dependencies >"$dir/mvn.log" 2>&1; then
    cat "$dir/mvn.log" >&2
    die "Maven could not fetch Flyway (tests/tools/flyway/pom.xml)"
  fi
  ls "$dir"/lib/flyway-core-*.jar "$dir"/lib/flyway-database-postgresql-*.jar >/dev/null 2>&1 \
    || die "no flyway-core or flyway-database-postgresql jar in $dir/lib after Maven ran"
  javac -d "$dir/classes" -cp "$dir/lib/*" "$here/flyway/FlywayRun.java" \
    || die "FlywayRun.java did not compile"
  printf '#!/bin/sh\n# flyway-run COMMAND URL USER PASSWORD DIR [key=value...] (written by tests/tools/build.sh)\nexec java -cp %q FlywayRun "$@"\n' \
    "$dir/classes:$dir/lib/*" >"$bin/flyway-run.tmp"
  chmod 755 "$bin/flyway-run.tmp"
  mv "$bin/flyway-run.tmp" "$bin/flyway-run"
  printf '%s\n' "$want" >"$dir/stamp"
}

install_python() {
  # The modules come from scripts/setup's python step (pinned there); a missing one is an error.
  # (find_spec, not import: this runs on every warm call; scripts/setup imports them.)
  python3 -c 'import importlib.util as u, sys
sys.exit(not all(u.find_spec(m) for m in ("psycopg", "dj_database_url", "django")))' \
    || die "python3 cannot import psycopg, dj_database_url and django: run scripts/setup"
  local t
  for t in py-connect secret-values; do
    cmp -s "$here/python/$t" "$bin/$t" 2>/dev/null || install -m 755 "$here/python/$t" "$bin/$t"
  done
}

want=${1:-all}
case $want in
  all) build_go; build_jdbc; build_flyway; install_python ;;
  go) build_go ;;
  jdbc) build_jdbc ;;
  flyway) build_flyway ;;
  python) install_python ;;
  *) die "usage: tests/tools/build.sh [all|go|jdbc|flyway|python]" ;;
esac

#!/usr/bin/env bash
# pg-versions: 15 18
# Tenant isolation (issue 9) end to end, under the operator's own RBAC: two teams on one
# DatabaseServer. Team B is set up legitimately (Database, Owner and ReadWrite DatabaseRoles, rows
# written through its own Secrets); then team A tries every known way to reach, take over or
# destroy team B's roles and data, or the admin's:
#   1 inRoles naming team B's owner, the admin role, pg_execute_server_program, a CREATEROLE role
#     listed in grantableRoles (refused) and pg_read_all_stats listed there (allowed);
#   2 roleName taking over team B's login role, its NOLOGIN owner role, the admin role (the
#     operator keeps working), and a default-name collision (ns <p>-t + a-app vs <p>-t-a + app);
#   3 the finalizer decoy: a Database naming team B's database and owner, DatabaseRoles (reclaim
#     Delete) naming team B's roles, then kubectl delete;
#   4 Database.spec.owner = team B's owner role / the admin role;
#   5 Database.spec.template = team B's database;
#   6 search_path hijack: functions and operators planted in public and in an own schema, the
#     database's and the owner role's search_path pointed at them;
#   x adopt without/with allowAdoption, dblink without allowedExtensions, a server admitting no
#     namespace (fail closed) and one admitting "*", passwordSecretRef on a service-account token.
# After EVERY attempt: team B's database owner, tables (owners), row checksums, roles (password
# verifier, attributes, marker), memberships and settings are unchanged, both of team B's Secrets
# still log in and read the rows, the attempt is reported in the attacker's status (Ready=False
# with the reason of docs/api-reference.md) with a message that does
# not name team B's namespace, and the PostgreSQL log (log_statement=all) holds no GRANT, REVOKE,
# ALTER, CREATE, DROP, REASSIGN or COMMENT from the admin naming the target since the attempt
# began.
#
# Knobs (debugging only; the default runs everything): ISO_ATTACKS="1 2 3 4 5 6 x" or sub-steps
# such as "2c 3b"; ISO_WAIT (polls of 0.5 s for a status, default 40); ISO_EVIDENCE=FILE copies
# the list of attempts that got through ("holes") to FILE; ISO_KEEP_LOG=FILE keeps the operator log.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.sh"
: "${TENANTDB_BIN:?}"
: "${TENANTDB_PG_LOG:?}"
psql_su() { psql -v ON_ERROR_STOP=1 -X -q -At -d "${DB:-postgres}" "$@"; }
# Sessions of the harness in team A's database never resolve team A's planted functions.
psql_su_a() { PGOPTIONS='-c search_path=pg_catalog' DB=$a_db psql_su "$@"; }

major=$(($(psql_su -c 'SHOW server_version_num') / 10000))
p=iso$major
nsa=$p-a nsb=$p-b nst=$p-t nsta=$p-t-a
admin=$TENANTDB_PG_ADMIN_USER
srv=$p srv_closed=$p-closed srv_star=$p-star srv_adopt=$p-adopt
b_db=${p}_b_shop b_owner=${p}_b_shop_owner b_mig=${p}_b_migrator b_app=${p}_b_app
a_db=${p}_a_shop a_owner=${p}_a_shop_owner a_mig=${p}_a_migrator
creator=${p}_creator legacy=${p}_legacy collide=${p}_t_a_app
resync=3
W=${ISO_WAIT:-40}
attacks=${ISO_ATTACKS:-1 2 3 4 5 6 x}
tmp=$(mktemp -d)
pids=()
evidence=$tmp/evidence
: >"$evidence"
pwn_file=/tmp/tenantdb-isolation-$p-$$.pwn

admin_pw() { psql_su -c "SELECT md5(coalesce(rolpassword, '-')) FROM pg_catalog.pg_authid WHERE rolname = '$admin'"; }
restore_admin_password() {
  psql_su -v pw="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null <<SQL
SET log_statement = 'none';
ALTER ROLE $admin LOGIN PASSWORD :'pw';
SQL
}
pg_reset() {  # drops what this script made on PostgreSQL (also leftovers of an interrupted run)
  local d r
  for d in $(psql_su -c "SELECT datname FROM pg_catalog.pg_database WHERE datname LIKE '${p}\\_%'" 2>/dev/null); do
    psql_su -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  for r in $(psql_su -c "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname LIKE '${p}\\_%' ORDER BY length(rolname) DESC" 2>/dev/null); do
    psql_su -c "DROP OWNED BY \"$r\"" -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 ||
      psql_su -c "DROP ROLE IF EXISTS \"$r\"" >/dev/null 2>&1 || true
  done
}
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [[ $failures -gt 0 && -f $tmp/op.log ]]; then
    echo "--- operator log (last 40 lines) ---" >&2
    tail -n 40 "$tmp/op.log" >&2
  fi
  if [[ -n ${ISO_KEEP_LOG:-} && -f $tmp/op.log ]]; then cp "$tmp/op.log" "$ISO_KEEP_LOG"; fi
  if [[ -n ${ISO_EVIDENCE:-} ]]; then cp "$evidence" "$ISO_EVIDENCE"; fi
  kube_reset
  if [[ -n ${admin_pw0:-} && $(admin_pw 2>/dev/null) != "$admin_pw0" ]]; then restore_admin_password || true; fi
  if [[ ${stats0:-1} == 0 ]]; then psql_su -c "REVOKE pg_read_all_stats FROM $admin" >/dev/null 2>&1 || true; fi
  pg_reset
  rm -f "$pwn_file" 2>/dev/null || true
  rm -rf "$tmp"
}
kube_reset() {  # deletes what this script made in the cluster (also leftovers of an interrupted run)
  local ns kind o
  for ns in $nsa $nsb $nst $nsta; do
    for kind in databaseroles databases; do
      for o in $(kubectl -n "$ns" get $kind -o name 2>/dev/null); do
        kubectl -n "$ns" patch "$o" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
      done
    done
  done
  kubectl delete namespace $nsa $nsb $nst $nsta --ignore-not-found --wait=false >/dev/null 2>&1 || true
  kubectl delete databaseserver $srv $srv_closed $srv_star $srv_adopt --ignore-not-found >/dev/null 2>&1 || true
  kubectl -n tenantdb-system delete secret $p-admin --ignore-not-found >/dev/null 2>&1 || true
}
trap cleanup EXIT

wait_until() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
want() {  # want ID: whether attack ID (e.g. 2c) or its group (2) is selected
  [[ " $attacks " == *" $1 "* || " $attacks " == *" ${1:0:1} "* ]]
}
ready() {  # kind ns name -> "Status/Reason"
  kubectl -n "$2" get "$1" "$3" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}' 2>/dev/null
}
ready_is() { [[ $(ready "$1" "$2" "$3") == "$4" ]]; }
ready_true() { [[ $(ready "$1" "$2" "$3") == True/* ]]; }
has_ready() { [[ $(ready "$1" "$2" "$3") == ?*/* ]]; }
message() {
  kubectl -n "$2" get "$1" "$3" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}' 2>/dev/null
}
observed() {  # the status was computed from the current spec
  local g
  g=$(kubectl -n "$2" get "$1" "$3" -o jsonpath='{.metadata.generation}/{.status.observedGeneration}' 2>/dev/null)
  [[ $g =~ ^([0-9]+)/([0-9]+)$ && ${BASH_REMATCH[1]} == "${BASH_REMATCH[2]}" ]]
}
names_ns() {  # names_ns TEXT NS: TEXT mentions namespace NS as a whole name
  grep -Eq "(^|[^-a-z0-9])$2([^-a-z0-9]|\$)" <<<"$1"
}
secret_key() { kubectl -n "$1" get secret "$2" -o jsonpath="{.data.$3}" | base64 -d; }
as_role() {  # as_role NS SECRET psql-args...: SQL through the Secret's uri, none of the harness's PG*
  local uri
  uri=$(secret_key "$1" "$2" uri) || return 1
  [[ -n $uri ]] || return 1
  shift 2
  _clean psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$uri" "$@"
}
as_role_in() {  # as_role_in NS SECRET DATABASE psql-args...: the Secret's login on another database
  local uri db=$3
  uri=$(secret_key "$1" "$2" uri) || return 1
  [[ -n $uri ]] || return 1
  uri=$(sed -E "s#^(postgres(ql)?://[^/]*/)[^?]*#\\1$db#" <<<"$uri")
  shift 3
  _clean psql -X -w -q -At -v ON_ERROR_STOP=1 -d "$uri" "$@"
}
database() {  # database NS NAME SERVER [spec lines...]
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: Database\nmetadata: {name: %s, namespace: %s}\nspec:\n  serverRef: {name: %s}\n' "$2" "$1" "$3"
  shift 3
  for line in "$@"; do printf '  %s\n' "$line"; done
}
role() {  # role NS NAME DATABASE [spec lines...]
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: DatabaseRole\nmetadata: {name: %s, namespace: %s}\nspec:\n  databaseRef: {name: %s}\n' "$2" "$1" "$3"
  shift 3
  for line in "$@"; do printf '  %s\n' "$line"; done
}
server() {  # server NAME [spec lines...]
  printf 'apiVersion: tenantdb.io/v1alpha1\nkind: DatabaseServer\nmetadata: {name: %s}\nspec:\n  host: %s\n  port: %s\n  sslMode: disable\n  adminCredentialsSecretRef: {namespace: tenantdb-system, name: %s-admin}\n' \
    "$1" "${PGHOST:-127.0.0.1}" "$PGPORT" "$p"
  shift
  for line in "$@"; do printf '  %s\n' "$line"; done
}
apply() { kubectl apply -f - >/dev/null; }
# An attacker's manifest: accepted by the API server (the refusal is the operator's, in status).
attack_apply() {
  local out
  if out=$(kubectl apply -f - 2>&1); then return 0; fi
  fail "$cur: the API server refused the manifest (expected the operator's refusal in status): $out"
  return 1
}
count() { psql_su -c "$1"; }
sql_is() { [[ $(count "$1") == "$2" ]]; }  # sql_is QUERY VALUE (a predicate for wait_until)
member_count() {  # member_count ROLE MEMBER: rows of pg_auth_members
  count "SELECT count(*) FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r ON r.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE r.rolname = '$1' AND u.rolname = '$2'"
}
role_count() { count "SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname = '$1'"; }
db_count() { count "SELECT count(*) FROM pg_catalog.pg_database WHERE datname = '$1'"; }
db_list() { count "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_catalog.pg_database"; }
hole() {  # records that an attempt got through (the evidence for the issue note)
  printf '[%s] %s\n' "$cur" "$*" >>"$evidence"
  printf '     HOLE: %s\n' "$*" >&2
}

# Everything of team B that an attack could change, as the harness superuser sees it (oids: a
# role or database dropped and made again by team B's own reconcile is a change too).
b_roles_sql="'$b_owner', '$b_mig', '$b_app'"
snap_b() {
  {
    psql_su -c "SELECT 'database ' || datname || ' oid=' || oid || ' owner=' || pg_catalog.pg_get_userbyid(datdba) || ' comment=' || coalesce(pg_catalog.shobj_description(oid, 'pg_database'), '-') FROM pg_catalog.pg_database WHERE datname = '$b_db'"
    DB=$b_db psql_su -c "SELECT 'table ' || schemaname || '.' || tablename || ' owner=' || tableowner FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
    DB=$b_db psql_su -c "SELECT 'orders rows=' || count(*) || ' md5=' || md5(coalesce(string_agg(o::text, ';' ORDER BY o.id), '')) FROM public.orders o"
    DB=$b_db psql_su -c "SELECT 'notes rows=' || count(*) || ' md5=' || md5(coalesce(string_agg(n::text, ';' ORDER BY n.id), '')) FROM public.notes n"
    psql_su -c "SELECT 'role ' || rolname || ' oid=' || oid || ' verifier=' || md5(coalesce(rolpassword, '-')) || ' login=' || rolcanlogin || ' super=' || rolsuper || ' createrole=' || rolcreaterole || ' createdb=' || rolcreatedb || ' connlimit=' || rolconnlimit || ' until=' || coalesce(rolvaliduntil::text, '-') || ' comment=' || coalesce(pg_catalog.shobj_description(oid, 'pg_authid'), '-') FROM pg_catalog.pg_authid WHERE rolname IN ($b_roles_sql, '$admin') ORDER BY 1"
    psql_su -c "SELECT 'membership ' || pg_catalog.pg_get_userbyid(roleid) || ' > ' || pg_catalog.pg_get_userbyid(member) || ' admin_option=' || admin_option FROM pg_catalog.pg_auth_members WHERE roleid IN (SELECT oid FROM pg_catalog.pg_roles WHERE rolname IN ($b_roles_sql, '$admin')) OR member IN (SELECT oid FROM pg_catalog.pg_roles WHERE rolname IN ($b_roles_sql)) ORDER BY 1"
    psql_su -c "SELECT 'setting ' || r.rolname || ' in ' || coalesce(d.datname, '-') || ': ' || array_to_string(s.setconfig, ',') FROM pg_catalog.pg_db_role_setting s JOIN pg_catalog.pg_roles r ON r.oid = s.setrole LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase WHERE r.rolname IN ($b_roles_sql) ORDER BY 1"
  } 2>&1 || true
}
b_rows() {  # both of team B's Secrets log in and read team B's rows
  [[ $(as_role $nsb app-credentials -c "SELECT session_user || '/' || count(*) FROM public.orders") == "$b_app/3" &&
    $(as_role $nsb migrator-credentials -c "SELECT session_user || '/' || count(*) FROM public.notes") == "$b_mig/1" ]]
}
# Team A reading team B's rows with one of team A's Secrets (evidence when it works).
a_reads_b() { as_role_in "$1" "$2" "$b_db" -c 'SELECT count(*) FROM public.orders'; }

# Statements the admin sent since `begin` (log_line_prefix '%m [%p] %u@%d '), as text.
admin_statements() {
  tail -c +$((log_off + 1)) "$TENANTDB_PG_LOG" | grep -a -E "^[^[]*\[[0-9]+\] $admin@" |
    sed -n -E 's/^[^[]*\[[0-9]+\] [^ ]+ (LOG|ERROR|STATEMENT): +(statement: |execute [^:]*: )?//p' || true
}
ddl='(GRANT|REVOKE|ALTER|CREATE|DROP|REASSIGN|COMMENT)\b'
b_rx="$ddl.*\"?${p}_b_"
admin_rx="GRANT \"?$admin\"? TO|ROLE \"?$admin\"?([ ;]|\$)|OWNED BY \"?$admin\"?|OWNER (TO )?\"?$admin\"?([ ;]|\$)"

begin() {  # begin TITLE: one attempt starts (log offset, team B's state, the database list)
  cur=$1
  printf -- '--- %s\n' "$cur"
  log_off=$(stat -c %s "$TENANTDB_PG_LOG")
  b_before=$(snap_b)
  dbs_before=$(db_list)
}
refused() {  # refused KIND NS NAME REASON: Ready=False REASON, message naming no other namespace
  local kind=$1 ns=$2 name=$3 reason=$4 got msg
  if wait_until "$W" ready_is "$kind" "$ns" "$name" "False/$reason"; then
    pass "$cur: $kind $ns/$name is Ready=False reason $reason"
  else
    got=$(ready "$kind" "$ns" "$name")
    fail "$cur: $kind $ns/$name is Ready=False reason $reason (got '${got}': $(message "$kind" "$ns" "$name"))"
    if [[ $got == True/* ]]; then hole "$kind $ns/$name became Ready ($got)"; fi
  fi
  wait_until 20 observed "$kind" "$ns" "$name" || true
  msg=$(message "$kind" "$ns" "$name")
  if names_ns "$msg" "$nsb"; then
    fail "$cur: the message of $kind $ns/$name names team B's namespace $nsb: $msg"
  else
    pass "$cur: the message of $kind $ns/$name names no other namespace ($msg)"
  fi
}
b_unchanged() {  # team B exactly as before the attempt, and its Secrets still work
  local after changes
  after=$(snap_b)
  if [[ $after == "$b_before" ]]; then
    pass "$cur: team B's database, tables, rows, roles, passwords and memberships are unchanged"
  else
    changes=$(diff <(printf '%s\n' "$b_before") <(printf '%s\n' "$after") | grep '^[<>]' || true)
    fail "$cur: team B changed:"
    sed 's/^/     /' <<<"$changes" >&2
    hole "team B changed: $(tr '\n' ' ' <<<"$changes")"
  fi
  if b_rows; then
    pass "$cur: team B's Secrets still log in and read team B's rows"
  else
    fail "$cur: team B's Secrets still log in and read team B's rows"
    hole "team B's Secrets no longer log in / read their rows"
  fi
}
nothing_sent() {  # nothing_sent [REGEX]: no admin DDL naming team B (or REGEX) since `begin`
  local rx=$b_rx stmts
  if [[ -n ${1:-} ]]; then rx="$b_rx|$1"; fi
  stmts=$(admin_statements | grep -E -- "$rx" || true)
  if [[ -z $stmts ]]; then
    pass "$cur: the PostgreSQL log has no statement from the admin for the refused spec"
  else
    fail "$cur: statements the admin sent for the refused spec:"
    head -n 10 <<<"$stmts" | sed 's/^/     | /' >&2
    hole "sent: $(head -n 6 <<<"$stmts" | tr '\n' ' ')"
  fi
}
not_member() {  # not_member ROLE MEMBER
  if [[ $(member_count "$1" "$2") == 0 ]]; then
    pass "$cur: $2 is not a member of $1"
  else
    fail "$cur: $2 is not a member of $1"
    hole "$2 became a member of $1"
  fi
}
gone() {  # gone KIND NS NAME: the object was deleted (its finalizer released)
  if kubectl -n "$2" wait --for=delete --timeout=30s "$1/$3" >/dev/null 2>&1; then
    pass "$cur: deleting $1 $2/$3 completes (finalizer released)"
  else
    fail "$cur: deleting $1 $2/$3 completes (finalizer released) — still there: $(ready "$1" "$2" "$3") $(message "$1" "$2" "$3")"
  fi
}
warned() {  # warned NS NAME: a Warning Event with reason Deleting about the object
  local m
  m=$(kubectl -n "$1" get events --field-selector "involvedObject.name=$2,type=Warning,reason=Deleting" -o jsonpath='{.items[*].message}' 2>/dev/null || true)
  if [[ -n $m ]]; then
    pass "$cur: a Warning Event (Deleting) says what was left: $m"
  else
    fail "$cur: a Warning Event (Deleting) about $1/$2"
  fi
  if names_ns "$m" "$nsb"; then fail "$cur: the Event about $2 names team B's namespace: $m"; fi
}
drop_attack() {  # drop_attack KIND NAME...: remove attack objects of team A (Retain: nothing dropped)
  local kind=$1
  shift
  kubectl -n $nsa delete "$kind" "$@" --ignore-not-found --wait=false >/dev/null 2>&1 || true
}

# --- the scene ---------------------------------------------------------------------------------
install_crds
kube_reset
pg_reset
for ns in $nsa $nsb $nst $nsta; do
  kubectl wait --for=delete "namespace/$ns" --timeout=120s >/dev/null 2>&1 || true
  kubectl create namespace "$ns" >/dev/null
done
admin_pw0=$(admin_pw)
stats0=$(member_count pg_read_all_stats "$admin")
# The platform's side: a CREATEROLE role and pg_read_all_stats the admin may grant (ADMIN OPTION:
# needed from PostgreSQL 16 on), both listed in grantableRoles below.
psql_su -c "CREATE ROLE $creator NOLOGIN CREATEROLE" -c "GRANT $creator TO $admin WITH ADMIN OPTION" \
  -c "GRANT pg_read_all_stats TO $admin WITH ADMIN OPTION" >/dev/null
# An existing database that tenantdb did not create (for adoption), owned by a role the admin is in.
psql_su -c "CREATE ROLE ${legacy}_dba NOLOGIN" -c "GRANT ${legacy}_dba TO $admin" \
  -c "CREATE DATABASE $legacy OWNER ${legacy}_dba" >/dev/null
DB=$legacy psql_su -c "CREATE TABLE keep (v text); INSERT INTO keep VALUES ('legacy row')"
kubectl -n tenantdb-system create secret generic $p-admin --type=kubernetes.io/basic-auth \
  --from-literal=username="$admin" --from-literal=password="$TENANTDB_PG_ADMIN_PASSWORD" >/dev/null
server $srv "allowedNamespaces: [$nsa, $nsb, $nst, $nsta]" "grantableRoles: [pg_read_all_stats, $creator]" | apply
check "the DatabaseServer keeps spec.grantableRoles (CRD has the field)" \
  test "$(kubectl get databaseserver $srv -o jsonpath='{.spec.grantableRoles[0]}')" = pg_read_all_stats
for s in "$srv_closed" "$srv_star|allowedNamespaces: [\"*\"]" "$srv_adopt|allowedNamespaces: [$nsa]|allowAdoption: true"; do
  IFS='|' read -r -a spec <<<"$s"
  if out=$(server "${spec[@]}" | kubectl apply -f - 2>&1); then
    pass "DatabaseServer ${spec[0]} accepted"
  else
    fail "DatabaseServer ${spec[0]} accepted: $out"
  fi
done

"$TENANTDB_BIN" run --kubeconfig "$TENANTDB_OPERATOR_KUBECONFIG" --leader-elect=false \
  --resync-period ${resync}s --max-backoff ${resync}s --metrics-bind-address 0 \
  --health-probe-bind-address 0 --log-level debug >"$tmp/op.log" 2>&1 &
pids+=($!)
disown  # killed in cleanup without a job notice

# Team B, legitimately: a database, an Owner role that creates the tables, a ReadWrite role that
# writes the rows.
{ database $nsb shop $srv; echo ---
  role $nsb migrator shop 'privileges: Owner'; echo ---
  role $nsb app shop 'privileges: ReadWrite'; } | apply
# Team A's own database and Owner role (the base of several attacks).
{ database $nsa shop $srv; echo ---
  role $nsa migrator shop 'privileges: Owner'; } | apply
for o in "$nsb database/shop" "$nsb databaserole/migrator" "$nsb databaserole/app" \
  "$nsa database/shop" "$nsa databaserole/migrator"; do
  set -- $o
  check "setup: $1 $2 becomes Ready" kubectl -n "$1" wait --for=condition=Ready --timeout=90s "$2"
done
check "team B's Owner role creates the tables" \
  as_role $nsb migrator-credentials -c "CREATE TABLE public.orders (id int PRIMARY KEY, item text, amount numeric)" \
  -c "CREATE TABLE public.notes (id int PRIMARY KEY, body text)"
check "team B's ReadWrite role writes the rows" \
  as_role $nsb app-credentials -c "INSERT INTO public.orders VALUES (1, 'apples', 3.50), (2, 'pears', 1.25), (3, 'plums', 9.99)" \
  -c "INSERT INTO public.notes VALUES (1, 'team B only')"
check "team B's Secrets read team B's rows" b_rows
shobj() { count "SELECT coalesce(pg_catalog.shobj_description(oid, '$1'), '-') FROM pg_catalog.$2 WHERE $3 = '$4'"; }
check "team B's database carries the marker tenantdb:$nsb/Database/shop" \
  test "$(shobj pg_database pg_database datname $b_db)" = "tenantdb:$nsb/Database/shop"
check "team B's owner role carries the marker of its Database" \
  test "$(shobj pg_authid pg_roles rolname $b_owner)" = "tenantdb:$nsb/Database/shop"
check "team B's login roles carry tenantdb:$nsb/DatabaseRole/<name>" \
  test "$(shobj pg_authid pg_roles rolname $b_mig)/$(shobj pg_authid pg_roles rolname $b_app)" = \
  "tenantdb:$nsb/DatabaseRole/migrator/tenantdb:$nsb/DatabaseRole/app"
# Settled: resyncs of the unchanged objects send nothing about team B (so every statement naming
# team B below comes from an attack).
begin "setup: resyncs of team B's unchanged objects"
sleep $((2 * resync + 1))
nothing_sent
setup_secs=$SECONDS

# --- 1. inRoles ----------------------------------------------------------------------------------
inroles_attempt() {  # inroles_attempt ID NAME TARGET REASON [REGEX]
  local id=$1 name=$2 target=$3 reason=$4 rx=${5:-}
  want "$id" || return 0
  begin "$id inRoles: [$target]"
  role $nsa "$name" shop 'privileges: ReadOnly' "inRoles: [$target]" 'reclaimPolicy: Retain' | attack_apply || return 0
  refused databaserole $nsa "$name" "$reason"
  not_member "$target" "${p}_a_${name//-/_}"
  b_unchanged
  nothing_sent "$rx"
  if [[ $(member_count "$target" "${p}_a_${name//-/_}") != 0 && $target == pg_execute_server_program ]]; then
    if as_role $nsa "$name-credentials" -c "COPY (SELECT 1) TO PROGRAM 'id -un > $pwn_file'" >/dev/null 2>&1; then
      hole "team A ran a shell command on the database host as OS user $(cat "$pwn_file" 2>/dev/null)"
    fi
  fi
  if [[ $target == "$b_owner" ]] && n=$(a_reads_b $nsa "$name-credentials" 2>/dev/null); then
    hole "team A's Secret $name-credentials reads team B's orders ($n rows)"
  fi
  drop_attack databaserole "$name"
}
inroles_attempt 1a grab-owner "$b_owner" RoleNotAllowed
inroles_attempt 1b grab-admin "$admin" RoleNotAllowed "$admin_rx"
inroles_attempt 1c grab-exec pg_execute_server_program RoleNotAllowed "$ddl.*pg_execute_server_program"
inroles_attempt 1d grab-creator "$creator" RoleNotAllowed "$ddl.*$creator"
if want 1e; then
  cur="1e inRoles: [pg_read_all_stats] listed in grantableRoles"
  echo "--- $cur"
  role $nsa stats shop 'privileges: ReadOnly' 'inRoles: [pg_read_all_stats]' | apply
  check "$cur: allowed, the DatabaseRole becomes Ready" \
    kubectl -n $nsa wait --for=condition=Ready --timeout=30s databaserole/stats
  check "$cur: ${p}_a_stats is a member of pg_read_all_stats" \
    test "$(member_count pg_read_all_stats ${p}_a_stats)" = 1
fi

# --- 4. Database.spec.owner ------------------------------------------------------------------------
owner_attempt() {  # owner_attempt ID NAME OWNER [REGEX]
  local id=$1 name=$2 owner=$3 rx=${4:-} mig
  want "$id" || return 0
  mig=${p}_a_${name//-/_}_mig
  begin "$id Database.spec.owner = $owner (+ an Owner-preset DatabaseRole on it)"
  { database $nsa "$name" $srv "owner: $owner"; echo ---
    role $nsa "$name-mig" "$name" 'privileges: Owner' 'reclaimPolicy: Retain'; } | attack_apply || return 0
  refused database $nsa "$name" ConflictingResource
  wait_until 10 has_ready databaserole $nsa "$name-mig" || true
  not_member "$owner" "$mig"
  b_unchanged
  nothing_sent "$rx"
  if [[ $(db_count "${p}_a_${name//-/_}") != 0 ]]; then
    hole "database ${p}_a_${name//-/_} was created owned by $(count "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = '${p}_a_${name//-/_}'")"
  fi
  if [[ $owner == "$b_owner" ]] && n=$(a_reads_b $nsa "$name-mig-credentials" 2>/dev/null); then
    hole "team A's Secret $name-mig-credentials reads team B's orders ($n rows)"
  fi
  drop_attack databaserole "$name-mig"
  drop_attack database "$name"
}
owner_attempt 4a own-b "$b_owner"
owner_attempt 4b own-admin "$admin" "$admin_rx"

# --- 5. Database.spec.template ---------------------------------------------------------------------
if want 5; then
  begin "5 Database.spec.template = $b_db"
  database $nsa copy $srv "template: $b_db" | attack_apply &&
    refused database $nsa copy TemplateNotAllowed
  check "$cur: no database ${p}_a_copy was created" test "$(db_count ${p}_a_copy)" = 0
  if [[ $(db_list) == "$dbs_before" ]]; then
    pass "$cur: no new database at all (no copy of team B's data anywhere)"
  else
    fail "$cur: no new database at all (before: $dbs_before; now: $(db_list))"
  fi
  if wait_until 10 sql_is "SELECT count(*) FROM pg_catalog.pg_database WHERE datname = '${p}_a_copy'" 1; then
    hole "database ${p}_a_copy created from team B's: orders $(DB=${p}_a_copy psql_su -c 'SELECT count(*) FROM public.orders' 2>&1) rows"
  fi
  b_unchanged
  nothing_sent "TEMPLATE \"?$b_db"
  drop_attack database copy
fi

# --- x. the platform's gates ------------------------------------------------------------------------
if want xa; then
  begin "xa extension dblink on a server without allowedExtensions"
  database $nsa ext $srv 'extensions: [{name: dblink}]' | attack_apply &&
    refused database $nsa ext ExtensionNotAllowed
  if [[ $(db_count ${p}_a_ext) == 0 ]]; then
    pass "$cur: dblink is not installed (no database ${p}_a_ext)"
  elif [[ $(DB=${p}_a_ext psql_su -c "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'dblink'" 2>&1) == 0 ]]; then
    pass "$cur: dblink is not installed in ${p}_a_ext"
  else
    fail "$cur: dblink is not installed in ${p}_a_ext"
    hole "extension dblink installed in ${p}_a_ext"
  fi
  b_unchanged
  nothing_sent "EXTENSION.*dblink"
  drop_attack database ext
fi
if want xb; then
  begin "xb passwordSecretRef naming a service-account-token Secret"
  kubectl -n $nsa create serviceaccount robot >/dev/null
  kubectl apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: robot-token
  namespace: $nsa
  annotations: {kubernetes.io/service-account.name: robot}
type: kubernetes.io/service-account-token
stringData: {password: from-a-token-secret}
YAML
  role $nsa satoken shop 'passwordSecretRef: {name: robot-token, key: password}' 'reclaimPolicy: Retain' | attack_apply &&
    refused databaserole $nsa satoken PasswordSecretNotAllowed
  if [[ $(role_count ${p}_a_satoken) == 0 ]]; then
    pass "$cur: no role was created"
  else
    fail "$cur: no role was created"
    hole "role ${p}_a_satoken created with a password taken from a service-account-token Secret"
  fi
  b_unchanged
  nothing_sent "$ddl.*${p}_a_satoken"
  drop_attack databaserole satoken
fi
if want xc; then
  begin "xc a DatabaseServer with neither allowedNamespaces nor a selector (fail closed)"
  database $nsa closed $srv_closed | attack_apply &&
    refused database $nsa closed NamespaceNotAllowed
  if [[ $(db_count ${p}_a_closed) == 0 ]]; then
    pass "$cur: no database was created"
  else
    fail "$cur: no database was created"
    hole "a server without allowedNamespaces admitted $nsa: database ${p}_a_closed created"
  fi
  nothing_sent "$ddl.*${p}_a_closed"
  drop_attack database closed
  cur="xc allowedNamespaces: [\"*\"] admits every namespace"
  database $nsa star $srv_star | apply
  check "$cur: Database star on $srv_star becomes Ready" \
    kubectl -n $nsa wait --for=condition=Ready --timeout=30s database/star
fi
if want xd; then
  begin "xd adopt: true on an unmarked database, server without allowAdoption"
  database $nsa legacy $srv "name: $legacy" 'adopt: true' | attack_apply &&
    refused database $nsa legacy AdoptionNotAllowed
  got=$(count "SELECT pg_catalog.pg_get_userbyid(datdba) || '/' || coalesce(pg_catalog.shobj_description(oid, 'pg_database'), '-') FROM pg_catalog.pg_database WHERE datname = '$legacy'")
  if [[ $got == "${legacy}_dba/-" ]]; then
    pass "$cur: the database is untouched (owner ${legacy}_dba, no comment)"
  else
    fail "$cur: the database is untouched (got owner/comment $got)"
    hole "unmarked database $legacy taken over without allowAdoption: owner/comment now $got"
  fi
  b_unchanged
  nothing_sent "$ddl.*$legacy"
  drop_attack database legacy
  kubectl -n $nsa wait --for=delete --timeout=30s database/legacy >/dev/null 2>&1 || true
  cur="xd adopt: true with allowAdoption: true"
  database $nsa legacy-ok $srv_adopt "name: $legacy" 'adopt: true' | apply
  check "$cur: the Database becomes Ready" kubectl -n $nsa wait --for=condition=Ready --timeout=30s database/legacy-ok
  check "$cur: the database now carries tenantdb:$nsa/Database/legacy-ok and keeps its row" \
    test "$(shobj pg_database pg_database datname $legacy)/$(DB=$legacy psql_su -c 'SELECT v FROM keep')" = \
    "tenantdb:$nsa/Database/legacy-ok/legacy row"
fi

# --- 2. role takeover by name ------------------------------------------------------------------------
takeover_attempt() {  # takeover_attempt ID NAME ROLENAME [REGEX]
  local id=$1 name=$2 target=$3 rx=${4:-} who
  want "$id" || return 0
  begin "$id roleName = $target"
  role $nsa "$name" shop "roleName: $target" 'privileges: ReadWrite' 'reclaimPolicy: Retain' | attack_apply || return 0
  refused databaserole $nsa "$name" ConflictingResource
  b_unchanged
  nothing_sent "$rx"
  if who=$(as_role $nsa "$name-credentials" -c 'SELECT session_user' 2>/dev/null); then
    hole "team A's Secret $name-credentials logs in as $who"
  fi
  if [[ $target == "$b_owner" ]] && n=$(a_reads_b $nsa "$name-credentials" 2>/dev/null); then
    hole "team A's Secret $name-credentials reads team B's orders ($n rows)"
  fi
  drop_attack databaserole "$name"
}
takeover_attempt 2a steal-login "$b_app"
takeover_attempt 2b steal-owner "$b_owner"
if want 2c; then
  takeover_attempt 2c steal-admin "$admin" "$admin_rx"
  if [[ $(admin_pw) != "$admin_pw0" ]]; then
    hole "the admin role's password was replaced (operator locked out); restored by the harness"
    restore_admin_password
  fi
  cur="2c afterwards: the operator still works"
  kubectl -n $nsb patch databaserole app --type=merge -p '{"spec":{"connectionLimit":7}}' >/dev/null
  check "$cur: team B's next change reconciles (connection limit 7 on $b_app)" \
    wait_until 40 sql_is "SELECT rolconnlimit FROM pg_catalog.pg_roles WHERE rolname = '$b_app'" 7
fi
if want 2d; then
  cur="2d default-name collision: $nst + a-app vs $nsta + app (both $collide)"
  echo "--- $cur"
  { database $nst shop $srv; echo ---; role $nst a-app shop 'privileges: ReadWrite'; } | apply
  check "$cur: the first ($nst/a-app) becomes Ready" kubectl -n $nst wait --for=condition=Ready --timeout=60s databaserole/a-app
  first_pw=$(count "SELECT md5(coalesce(rolpassword, '-')) FROM pg_catalog.pg_authid WHERE rolname = '$collide'")
  database $nsta shop $srv | apply
  check "$cur: the second namespace's Database becomes Ready" kubectl -n $nsta wait --for=condition=Ready --timeout=60s database/shop
  begin "$cur"
  role $nsta app shop 'privileges: ReadWrite' | attack_apply || true
  refused databaserole $nsta app ConflictingResource
  if names_ns "$(message databaserole $nsta app)" "$nst"; then
    fail "$cur: the message of $nsta/app names the other namespace $nst"
  fi
  if [[ $(count "SELECT md5(coalesce(rolpassword, '-')) FROM pg_catalog.pg_authid WHERE rolname = '$collide'") == "$first_pw" ]]; then
    pass "$cur: the first role's password is unchanged"
  else
    fail "$cur: the first role's password is unchanged"
    hole "$nsta/app replaced the password of $nst/a-app's role $collide"
  fi
  check "$cur: the first still logs in with its Secret" \
    test "$(as_role $nst a-app-credentials -c 'SELECT session_user' 2>&1)" = "$collide"
  check "$cur: the first is still Ready" ready_true databaserole $nst a-app
  check "$cur: the collided role got no grants on the second database" \
    test "$(DB=${p}_t_a_shop psql_su -c "SELECT has_database_privilege('$collide', '${p}_t_a_shop', 'CONNECT')")" = f
  nothing_sent "(GRANT|REVOKE|ALTER|COMMENT|DROP).*\"?$collide\"?([ ;]|\$)"
fi

# --- 6. search_path hijack ------------------------------------------------------------------------------
if want 6; then
  # begin before planting: a resync right after the planting already runs what was planted.
  begin "6 search_path hijack"
  pwn_sql=$tmp/plant.sql
  cat >"$pwn_sql" <<SQL
CREATE TABLE public.pwned (who text, via text);
GRANT SELECT, INSERT ON public.pwned TO PUBLIC;
CREATE SCHEMA evil;
GRANT USAGE ON SCHEMA evil TO PUBLIC;
-- What a planted function does when the admin runs it: records itself, then grants team B's
-- owner role to team A (possible for a CREATEROLE admin).
CREATE FUNCTION public.pwn(via text) RETURNS void LANGUAGE plpgsql AS \$f\$
BEGIN
  BEGIN INSERT INTO public.pwned VALUES (current_user, via); EXCEPTION WHEN OTHERS THEN NULL; END;
  IF current_user <> '$a_owner' THEN
    BEGIN EXECUTE 'GRANT $b_owner TO $a_mig'; EXCEPTION WHEN OTHERS THEN NULL; END;
  END IF;
END \$f\$;
CREATE FUNCTION public.left(name, integer) RETURNS text LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('public.left'); RETURN pg_catalog.left(\$1::text, \$2); END \$f\$;
CREATE FUNCTION public.lower(name) RETURNS text LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('public.lower'); RETURN pg_catalog.lower(\$1::text); END \$f\$;
CREATE FUNCTION public.name_eq_text(name, text) RETURNS boolean LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('public.='); RETURN pg_catalog.texteq(\$1::text, \$2); END \$f\$;
CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = text, FUNCTION = public.name_eq_text);
CREATE FUNCTION public.name_like_text(name, text) RETURNS boolean LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('public.~~'); RETURN pg_catalog.textlike(\$1::text, \$2); END \$f\$;
CREATE OPERATOR public.~~ (LEFTARG = name, RIGHTARG = text, FUNCTION = public.name_like_text);
CREATE FUNCTION public.name_notlike_text(name, text) RETURNS boolean LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('public.!~~'); RETURN pg_catalog.textnlike(\$1::text, \$2); END \$f\$;
CREATE OPERATOR public.!~~ (LEFTARG = name, RIGHTARG = text, FUNCTION = public.name_notlike_text);
CREATE FUNCTION evil.left(name, integer) RETURNS text LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('evil.left'); RETURN pg_catalog.left(\$1::text, \$2); END \$f\$;
CREATE FUNCTION evil.lower(name) RETURNS text LANGUAGE plpgsql AS
  \$f\$ BEGIN PERFORM public.pwn('evil.lower'); RETURN pg_catalog.lower(\$1::text); END \$f\$;
ALTER DATABASE $a_db SET search_path = evil, public;
SQL
  check "$cur: team A's Owner credentials plant the functions and operators (public and schema evil) and set the database's search_path" \
    as_role $nsa migrator-credentials -f "$pwn_sql"
  check "$cur: team A's Owner credentials set its owner role's search_path" \
    as_role $nsa migrator-credentials -c "ALTER ROLE $a_owner SET search_path = evil, public"
  echo "     (reconciles of team A's Database and DatabaseRoles: a spec change, annotations, a new role)"
  kubectl -n $nsa annotate database shop --overwrite tenantdb-test/poke="$SECONDS" >/dev/null
  kubectl -n $nsa patch database shop --type=merge -p '{"spec":{"connectionLimit":50}}' >/dev/null
  kubectl -n $nsa annotate databaserole migrator --overwrite tenantdb-test/poke="$SECONDS" >/dev/null
  kubectl -n $nsa patch databaserole migrator --type=merge -p '{"spec":{"connectionLimit":20}}' >/dev/null
  role $nsa reader shop 'privileges: ReadOnly' | apply
  check "$cur: team A's Database reconciled the change (connection limit 50)" \
    wait_until 40 sql_is "SELECT datconnlimit FROM pg_catalog.pg_database WHERE datname = '$a_db'" 50
  check "$cur: team A's new DatabaseRole reader becomes Ready" \
    kubectl -n $nsa wait --for=condition=Ready --timeout=30s databaserole/reader
  sleep $((2 * resync + 1))  # more resyncs of every object in that database
  ran=$(psql_su_a -c "SELECT coalesce(string_agg(DISTINCT via, ','), '') FROM public.pwned WHERE who = '$admin'")
  if [[ -z $ran ]]; then
    pass "$cur: none of the planted functions or operators ran in an admin session"
  else
    fail "$cur: planted functions ran in the admin's sessions: $ran"
    hole "planted functions ran as $admin: $ran"
  fi
  not_member "$b_owner" "$a_mig"
  b_unchanged
  nothing_sent
fi

# --- 3. the finalizer decoy --------------------------------------------------------------------------------
decoy_attempt() {  # decoy_attempt ID DB-NAME DB-OWNER ROLE-NAME:ROLENAME...
  local id=$1 dbname=$2 owner=$3 r names=()
  shift 3
  want "$id" || return 0
  for r in "$@"; do names+=("${r%%:*}"); done
  begin "$id finalizer decoy: Database $dbname (spec.name $b_db, owner $owner), DatabaseRoles $* (reclaimPolicy Delete), then kubectl delete"
  { database $nsa "$dbname" $srv "name: $b_db" "owner: $owner" 'reclaimPolicy: Delete'
    for r in "$@"; do
      echo ---
      role $nsa "${r%%:*}" "$dbname" "roleName: ${r#*:}" 'reclaimPolicy: Delete'
    done; } | attack_apply || return 0
  refused database $nsa "$dbname" ConflictingResource
  for r in "${names[@]}"; do
    wait_until "$W" has_ready databaserole $nsa "$r" || true
    echo "     (DatabaseRole $r: $(ready databaserole $nsa "$r"))"
  done
  kubectl -n $nsa delete databaserole "${names[@]}" --wait=false >/dev/null
  for r in "${names[@]}"; do
    gone databaserole $nsa "$r"
    warned $nsa "$r"
  done
  kubectl -n $nsa delete database "$dbname" --wait=false >/dev/null
  gone database $nsa "$dbname"
  warned $nsa "$dbname"
  for r in "$b_owner" "$b_app"; do
    if [[ $(role_count "$r") == 1 ]]; then
      pass "$cur: team B's role $r still exists"
    else
      fail "$cur: team B's role $r still exists"
      hole "team B's role $r was dropped"
    fi
  done
  b_unchanged
  nothing_sent "(REASSIGN|DROP OWNED).*\"?$b_owner|(REASSIGN|DROP OWNED).*\"?$b_app"
}
decoy_attempt 3a decoy-move "$a_owner" decoy-move-owner:"$b_owner"
decoy_attempt 3b decoy "$b_owner" decoy-owner:"$b_owner" decoy-login:"$b_app"

# --- across all attempts -------------------------------------------------------------------------------------
cur="all attempts"
check "$cur: no role of team A is a member of team B's owner role" \
  test "$(count "SELECT count(*) FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles u ON u.oid = m.member WHERE m.roleid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = '$b_owner') AND u.rolname LIKE '${p}\\_a\\_%'")" = 0
check "$cur: no role of team A is a member of the admin role, pg_execute_server_program or $creator" \
  test "$(count "SELECT count(*) FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles u ON u.oid = m.member JOIN pg_catalog.pg_roles r ON r.oid = m.roleid WHERE r.rolname IN ('$admin', 'pg_execute_server_program', '$creator') AND u.rolname LIKE '${p}\\_a\\_%'")" = 0
leaks=$(for kind in databases databaseroles; do
  kubectl -n $nsa get $kind -o jsonpath='{range .items[*]}{.metadata.name}: {.status.conditions[*].message}{"\n"}{end}' 2>/dev/null
done | grep -E "(^|[^-a-z0-9])$nsb([^-a-z0-9]|\$)" || true)
if [[ -z $leaks ]]; then
  pass "$cur: no status message of team A's objects names team B's namespace"
else
  fail "$cur: status messages of team A's objects name $nsb: $leaks"
fi
check "$cur: the admin role's password is the one the platform set" test "$(admin_pw)" = "$admin_pw0"
check "$cur: team A's Owner Secret cannot connect to team B's database" \
  fails_with 'permission denied for database|CONNECT privilege' a_reads_b $nsa migrator-credentials
events=$(kubectl -n $nsa get events -o jsonpath='{range .items[*]}{.involvedObject.name}: {.message}{"\n"}{end}' 2>/dev/null |
  grep -E "(^|[^-a-z0-9])$nsb([^-a-z0-9]|\$)" || true)
if [[ -z $events ]]; then
  pass "$cur: no Event about team A's objects names team B's namespace"
else
  fail "$cur: Events about team A's objects name $nsb: $events"
fi

echo "--- PostgreSQL $major: setup ${setup_secs}s, total ${SECONDS}s"
if [[ -s $evidence ]]; then
  echo "--- attempts that got through (evidence):"
  sed 's/^/     /' "$evidence"
fi
finish

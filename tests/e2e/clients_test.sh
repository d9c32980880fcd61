#!/usr/bin/env bash
# The client test tools themselves, against the real test PostgreSQL and kube-apiserver: every
# key a credentials Secret holds (DESIGN.md, DatabaseRole), built by
# tests/tools/python/secret-values for a role with a hostile password, lets each real client
# (psql, pgjdbc as Spring uses it, psycopg, Django's settings, pgx as Ory uses it) log in as
# that role to that database, a wrong password is refused by every one of them, and kstatus
# reads health as Argo CD and Flux do. tests/e2e/clients.sh is what the operator's tests reuse.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.sh"

role=e2e_clients_role
db=e2e_clients_db
ns=e2e-clients
work=$(mktemp -d)
sql() { PGOPTIONS="-c client_min_messages=warning" psql -X -w -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }
cleanup() {
  sql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
  kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

require_client_tools || { finish; exit 1; }

# set_password PASSWORD: the SCRAM verifier is computed by the server; the value reaches it only
# through psql's :'pw' quoting, and this session's statements are kept out of the server log.
set_password() {
  sql -v pw="$1" >/dev/null <<SQL
SET log_statement = 'none';
SET password_encryption = 'scram-sha-256';
ALTER ROLE $role PASSWORD :'pw';
SQL
}

sql -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS $role" >/dev/null
sql -c "CREATE ROLE $role LOGIN" -c "CREATE DATABASE $db" \
  -c "REVOKE CONNECT ON DATABASE $db FROM PUBLIC" -c "GRANT CONNECT ON DATABASE $db TO $role" >/dev/null

# secret_file PASSWORD FILE: the Secret's values for the role, as the operator must write them.
secret_file() {
  secret-values --host "$PGHOST" --port "$PGPORT" --user "$role" --password "$1" --dbname "$db" \
    --sslmode disable >"$2"
}

# 1. The hostile password of the brief: every URL-special character, quotes, a space, non-ASCII.
pw=$'p@ss:/?#%&+ "\'wörd'
set_password "$pw"
verifier=$(sql -v role="$role" <<<"SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = :'role'")
check "the role's password is stored as a SCRAM-SHA-256 verifier (got $verifier)" test "$verifier" = 'SCRAM-SHA-256$'
secret_file "$pw" "$work/secret.json"
secret_load "$work/secret.json"
check "uri percent-encodes the password" grep -qF 'p%40ss%3A%2F%3F%23%25%26%2B%20%22%27w%C3%B6rd@' <<<"${SECRET[uri]}"
check "DSN is uri&max_conns=20" test "${SECRET[DSN]}" = "${SECRET[uri]}&max_conns=20"
check "pgpass escapes ':' in the password" grep -qF 'p@ss\:/?#%&+' <<<"${SECRET[pgpass]}"
connect_all_clients "$work/secret.json" "$role" "$db"

# 2. A wrong password is refused by every client (the tools cannot pass by accident).
secret_file "${pw}x" "$work/wrong.json"
refuse_all_clients "$work/wrong.json" 'password authentication failed'

# 3. Backslashes and colons (pgpass escaping), '=' and a leading space (keyword/value quoting).
pw2=$' back\\slash:colon=eq\\:'
set_password "$pw2"
secret_file "$pw2" "$work/secret2.json"
connect_all_clients "$work/secret2.json"
secret_load "$work/secret.json"
check "the old password is refused after the change" fails_with 'password authentication failed' client_psql_uri

# 4. The same functions read a real Kubernetes Secret (data base64-encoded by the API server).
kubectl create namespace "$ns" >/dev/null
python3 - "$work/secret2.json" "$role" >"$work/k8s-secret.json" <<'PY'
import json, sys
values = json.load(open(sys.argv[1]))
print(json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/basic-auth",
                  "metadata": {"name": sys.argv[2].replace("_", "-")}, "stringData": values}))
PY
kubectl -n "$ns" apply -f "$work/k8s-secret.json" >/dev/null
secret_json "$ns" "${role//_/-}" "$work/from-api.json"
check "the API server stored the values base64-encoded in data" \
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["data"]; sys.exit(len(d) < 20)' "$work/from-api.json"
connect_all_clients "$work/from-api.json" "$role" "$db"

# 5. kstatus on hand-written objects, as Argo CD and Flux compute health.
obj() {  # obj GENERATION OBSERVED CONDITION-TYPE STATUS
  printf '{"apiVersion":"tenantdb.io/v1alpha1","kind":"Database","metadata":{"name":"app","namespace":"%s","generation":%d},"status":{"observedGeneration":%d,"conditions":[{"type":"%s","status":"%s","reason":"Test","message":"hand-written %s","observedGeneration":%d,"lastTransitionTime":"2026-01-01T00:00:00Z"}]}}' \
    "$ns" "$1" "$2" "$3" "$4" "$3" "$2"
}
status_of() { kstatus | head -n 1; }
got=$(obj 2 2 Ready True | status_of) || true
check "Ready=True, observedGeneration == generation: Current (got $got)" test "$got" = Current
got=$(obj 2 2 Reconciling True | status_of) || true
check "Reconciling=True: InProgress (got $got)" test "$got" = InProgress
got=$(obj 2 2 Stalled True | status_of) || true
check "Stalled=True: Failed (got $got)" test "$got" = Failed
got=$(obj 3 2 Ready True | status_of) || true
check "observedGeneration < generation: InProgress (got $got)" test "$got" = InProgress
msg=$(obj 2 2 Stalled True | kstatus | sed -n 2p) || true
check "the message is on line 2 (got $msg)" grep -q 'hand-written Stalled' <<<"$msg"
list=$(printf '{"apiVersion":"v1","kind":"List","items":[%s,%s]}' "$(obj 2 2 Ready True)" \
  "$(obj 2 2 Stalled True | sed 's/"name":"app"/"name":"other"/')" | kstatus) || true
check "a List: one '<kind>/<name> <status>' line per item (got ${list//$'\n'/; })" \
  test "$list" = $'Database/app Current\nDatabase/other Failed'
check "kstatus refuses input that is not JSON" fails_with 'kstatus: stdin is not a JSON object' bash -c 'echo nope | kstatus'

# ... and on real objects through kstatus_of / wait_kstatus.
kubectl -n "$ns" create configmap plain --from-literal=a=b >/dev/null
got=$(kstatus_of -n "$ns" configmap/plain | head -n 1) || true
check "kstatus_of a ConfigMap: Current (got $got)" test "$got" = Current
got=$(kstatus_of -n "$ns" configmaps) || true
check "kstatus_of a list of ConfigMaps (got ${got//$'\n'/; })" grep -qx 'ConfigMap/plain Current' <<<"$got"
check "wait_kstatus namespace $ns Current" wait_kstatus Current 30 namespace "$ns"

# 6. Dropping the role: every client is refused.
sql -c "DROP DATABASE $db WITH (FORCE)" -c "DROP ROLE $role" >/dev/null
refuse_all_clients "$work/secret2.json"
finish

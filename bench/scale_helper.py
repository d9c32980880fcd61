#!/usr/bin/env python3
"""Helpers of bench/scale, bench/steady and bench/startup (no third-party module but
prometheus_client, which scripts/setup installs).

  objects  --n N --ns NS --server S                 YAML of N Database (one schema) + N ReadWrite
                                                    DatabaseRole pairs
  wait     --proxy URL --ns NS --n N --apply FILE   list + watch both kinds through `kubectl proxy`,
                                                    apply FILE, print JSON timings of Ready
  metrics  URL                                      the operator's tenantdb_* counters as JSON
  diff     BEFORE.json AFTER.json                   the difference of two `metrics` outputs
  pglog    --log FILE --offset BYTES --user U       the statements of U in the log after BYTES,
                                                    as JSON (per-kind counts, connections)
  floor    --log FILE --offset BYTES --user U --ns NS --floor-ns FNS --n N
                                                    the psql script that replays the DDL the
                                                    operator issued for pair 0000 for N pairs
"""

import argparse
import json
import re
import subprocess
import sys
import threading
import time
import urllib.request

# --- objects -------------------------------------------------------------------------------------


def cmd_objects(a):
    for i in range(a.n):
        print(f"""---
apiVersion: tenantdb.io/v1alpha1
kind: Database
metadata: {{name: db-{i:04d}, namespace: {a.ns}}}
spec:
  serverRef: {{name: {a.server}}}
  reclaimPolicy: Retain
  schemas: [{{name: app}}]
---
apiVersion: tenantdb.io/v1alpha1
kind: DatabaseRole
metadata: {{name: role-{i:04d}, namespace: {a.ns}}}
spec: {{databaseRef: {{name: db-{i:04d}}}, privileges: ReadWrite}}""")


# --- wait ----------------------------------------------------------------------------------------


def ready(obj):
    md, st = obj.get("metadata", {}), obj.get("status") or {}
    for c in st.get("conditions") or []:
        if c.get("type") == "Ready" and c.get("status") == "True":
            og = st.get("observedGeneration")
            return og is None or og >= md.get("generation", 0)
    return False


def watch(url, seen, lock, done, stop):
    """Streams watch events of one list URL; records the first time each object is Ready."""
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url, timeout=3700) as resp:
                for line in resp:
                    ev = json.loads(line)
                    obj = ev.get("object", {})
                    if ev.get("type") == "BOOKMARK":
                        continue
                    name = obj.get("metadata", {}).get("name")
                    if name and ready(obj):
                        with lock:
                            seen.setdefault(name, time.monotonic())
                        done.set()
                    if stop.is_set():
                        return
        except Exception as e:  # a dropped watch is restarted from scratch (names kept)
            if stop.is_set():
                return
            print(f"watch restarted: {e}", file=sys.stderr)
            time.sleep(0.5)


def cmd_wait(a):
    base = f"{a.proxy}/apis/tenantdb.io/v1alpha1/namespaces/{a.ns}"
    kinds = {"databases": {}, "databaseroles": {}}
    lock, stop = threading.Lock(), threading.Event()
    threads = []
    for kind, seen in kinds.items():
        with urllib.request.urlopen(f"{base}/{kind}") as resp:
            listing = json.load(resp)
        for obj in listing.get("items", []):
            if ready(obj):
                seen[obj["metadata"]["name"]] = 0.0
        rv = listing["metadata"]["resourceVersion"]
        url = f"{base}/{kind}?watch=1&resourceVersion={rv}&timeoutSeconds=3600"
        t = threading.Thread(target=watch, args=(url, seen, lock, threading.Event(), stop),
                             daemon=True)
        t.start()
        threads.append(t)
    time.sleep(0.3)  # the watches are open before the first object exists
    t0 = time.monotonic()
    wall0 = time.time()
    if a.apply:
        subprocess.run(["kubectl", "apply", "--server-side", "-f", a.apply], check=True,
                       stdout=subprocess.DEVNULL)
    t_applied = time.monotonic() - t0
    deadline = t0 + a.timeout
    while time.monotonic() < deadline:
        with lock:
            if all(len(s) >= a.n for s in kinds.values()):
                break
        time.sleep(0.05)
    stop.set()
    out = {"start_epoch": wall0, "applied_s": round(t_applied, 3), "n": a.n}
    for kind, seen in kinds.items():
        times = sorted(v - t0 for v in seen.values())
        out[kind] = {
            "ready": len(times),
            "last_s": round(times[-1], 3) if times else None,
            "median_s": round(times[len(times) // 2], 3) if times else None,
        }
    lasts = [out[k]["last_s"] for k in kinds if out[k]["last_s"] is not None]
    out["all_ready"] = all(out[k]["ready"] >= a.n for k in kinds)
    out["all_ready_s"] = round(max(lasts), 3) if lasts and out["all_ready"] else None
    print(json.dumps(out))


# --- metrics -------------------------------------------------------------------------------------


def cmd_metrics(a):
    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(a.url, timeout=10).read().decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        if not fam.name.startswith("tenantdb_"):
            continue
        for s in fam.samples:
            if s.name.endswith("_bucket"):
                continue
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            out[f"{s.name}{{{labels}}}"] = s.value
    print(json.dumps(out, sort_keys=True))


def cmd_diff(a):
    before, after = json.load(open(a.before)), json.load(open(a.after))
    out = {}
    for k, v in after.items():
        d = v - before.get(k, 0.0)
        if d:
            out[k] = d
    print(json.dumps(out, sort_keys=True))


# --- the PostgreSQL log --------------------------------------------------------------------------

LINE = re.compile(r"^(\S+ \S+ \S+) \[(\d+)\] (\S*)@(\S*) (LOG|DETAIL|ERROR|STATEMENT|FATAL|"
                  r"WARNING|NOTICE|HINT|CONTEXT):  (.*)$")


def log_entries(path, offset):
    """(pid, user, db, kind, text) of each log entry after `offset` (continuation lines joined)."""
    with open(path, "rb") as f:
        f.seek(offset)
        data = f.read().decode("utf-8", "replace")
    cur = None
    for raw in data.split("\n"):
        m = LINE.match(raw)
        if m:
            if cur:
                yield cur
            cur = [m.group(2), m.group(3), m.group(4), m.group(5), m.group(6)]
        elif cur is not None and raw.startswith("\t"):
            cur[4] += "\n" + raw[1:]
    if cur:
        yield cur


PARAM = re.compile(r"\$(\d+) = (NULL|'(?:[^']|'')*')")


def statements(path, offset, user):
    """(pid, db, sql) of every statement `user` sent, parameters substituted."""
    pending = None
    for pid, u, db, level, text in log_entries(path, offset):
        if u != user:
            continue
        if level == "LOG" and text.startswith("statement: "):
            if pending:
                yield pending
            pending = [pid, db, text[len("statement: "):]]
        elif level == "LOG" and text.startswith("execute "):
            if pending:
                yield pending
            pending = [pid, db, text.split(": ", 1)[1]]
        elif level == "DETAIL" and text.startswith("parameters: ") and pending:
            params = dict(PARAM.findall(text))
            pending[2] = re.sub(r"\$(\d+)\b", lambda m: params.get(m.group(1), m.group(0)),
                                pending[2])
        elif level == "LOG" and text.startswith("connection authorized"):
            if pending:
                yield pending
                pending = None
            yield [pid, db, None]  # a new session
    if pending:
        yield pending


def kind_of(sql):
    if sql is None:
        return "connect"
    words = sql.lstrip().split(None, 2)
    head = words[0].upper() if words else ""
    if head in ("CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE", "REASSIGN"):
        return "ddl"
    if head in ("BEGIN", "COMMIT", "ROLLBACK"):
        return "tx"
    if head == "SELECT" or head == "WITH":
        return "read"
    return "other"


def cmd_pglog(a):
    counts = {}
    for _, _, sql in statements(a.log, a.offset, a.user):
        k = kind_of(sql)
        counts[k] = counts.get(k, 0) + 1
    print(json.dumps(counts, sort_keys=True))


def cmd_floor(a):
    """The DDL of pair 0000 (with its transaction brackets, in log order, per session), replayed
    for N pairs of fresh names in one psql session (\\c switches database as the operator did)."""
    ns_ident, ns_dash = a.ns.replace("-", "_"), a.ns
    pair = re.compile(r"(?<![a-z0-9])(db|role)([-_])0000(?![0-9])")
    units, open_tx = [], {}
    for pid, db, sql in statements(a.log, a.offset, a.user):
        k = kind_of(sql)
        if k == "connect":
            continue
        if k == "tx" and sql.strip().upper().startswith("BEGIN"):
            open_tx[pid] = (db, [sql])
            continue
        if pid in open_tx:
            open_tx[pid][1].append(sql)
            if k == "tx":
                tdb, body = open_tx.pop(pid)
                units.append((tdb, body))
            continue
        units.append((db, [sql]))
    own_db = f"{ns_ident}_db_0000"
    picked = []
    for db, body in units:
        ddl = [s for s in body if kind_of(s) == "ddl"]
        if not ddl:
            continue
        if db == own_db or any(pair.search(s) and (ns_ident in s or ns_dash in s) for s in ddl):
            picked.append((db, body))
    f_ident, f_dash = a.floor_ns.replace("-", "_"), a.floor_ns

    def rename(text, i):
        text = text.replace(ns_ident, f_ident).replace(ns_dash, f_dash)
        return pair.sub(lambda m: f"{m.group(1)}{m.group(2)}{i:04d}", text)

    out, current = ["\\set ON_ERROR_STOP 1", "\\set QUIET 1"], None
    for i in range(a.n):
        for db, body in picked:
            target = rename(db, i)
            if target != current:
                out.append(f"\\c {target}")
                current = target
            for s in body:
                out.append(rename(s, i).rstrip().rstrip(";") + ";")
    print("\n".join(out))
    summary = {"units": len(picked), "statements": sum(len(b) for _, b in picked),
               "ddl": sum(1 for _, b in picked for s in b if kind_of(s) == "ddl"),
               "databases": sorted({db for db, _ in picked})}
    print(json.dumps(summary), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    o = sub.add_parser("objects")
    o.add_argument("--n", type=int, required=True)
    o.add_argument("--ns", required=True)
    o.add_argument("--server", required=True)
    w = sub.add_parser("wait")
    w.add_argument("--proxy", required=True)
    w.add_argument("--ns", required=True)
    w.add_argument("--n", type=int, required=True)
    w.add_argument("--apply")
    w.add_argument("--timeout", type=float, default=1800)
    m = sub.add_parser("metrics")
    m.add_argument("url")
    d = sub.add_parser("diff")
    d.add_argument("before")
    d.add_argument("after")
    for name in ("pglog", "floor"):
        g = sub.add_parser(name)
        g.add_argument("--log", required=True)
        g.add_argument("--offset", type=int, default=0)
        g.add_argument("--user", required=True)
        if name == "floor":
            g.add_argument("--ns", required=True)
            g.add_argument("--floor-ns", required=True)
            g.add_argument("--n", type=int, required=True)
    a = p.parse_args()
    {"objects": cmd_objects, "wait": cmd_wait, "metrics": cmd_metrics, "diff": cmd_diff,
     "pglog": cmd_pglog, "floor": cmd_floor}[a.cmd](a)


if __name__ == "__main__":
    main()

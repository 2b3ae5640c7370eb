#!/usr/bin/python3
"""A tiny Kubernetes API server for kubernetes_test: HTTPS on loopback, in-memory objects.

Implements what k4ds's client uses: create (POST to a collection), get, list (GET on a
collection, with labelSelector and fieldSelector k=v / k!=v on dotted paths), replace (PUT, with
the resourceVersion checked: 409 Conflict when it is stale), delete, with uid / resourceVersion
and Status objects for 401/404/409. Server-side apply: PATCH on an object with Content-Type
application/apply-patch+yaml and ?fieldManager=M[&force=true] creates the object when absent,
else merges the body into it (objects key by key, everything else, lists included, replaced).
Field ownership as the API server keeps it: metadata.managedFields has each manager's fields
(fieldsV1); applying a different value to a field another manager owns is a 409 Conflict unless
force=true; a field a manager applied before and leaves out now is removed (unless another
manager owns it too); an apply that changes nothing keeps the resourceVersion and sends no watch
event. POST and PUT record their ?fieldManager (default "unknown") as an Update of every field. A namespace's ResourceQuota limits its Pods by `pods` (403
"exceeded quota", as the quota admission plugin answers). Test hooks:
  POST /_test/fail?code=503&count=2   the next 2 API requests answer 503
  POST /_test/fail?code=429&count=1&retry_after=2   ... with a Retry-After: 2 header
  POST /_test/fail?code=409&count=1&method=POST&match=/pods   only requests with that method whose
                                      path contains `match` (409 answers as a write conflict does)
  POST /_test/slow?seconds=3          the next API request waits 3 s before answering
  POST /_test/status?path=P  {...}    sets the status of the object at P (the kubelet's part)
  POST /_test/status?path=C&labelSelector=S  {...}   ... of every object of collection C matching S
  POST /_test/compact                 resource versions so far expire: watches from them get 410,
                                      and open watches end with an ERROR 410 event (as when the
                                      API server's watch cache drops them)
Watches: GET <collection>?watch=true&resourceVersion=RV&timeoutSeconds=N streams the changes
after RV (one JSON event per line) and ends with a BOOKMARK.
  GET  /_test/requests                how many API requests were answered
  POST /_test/log?path=POD {"text":T} appends T to the Pod's output (it starts as "log of NAME\n")
Logs: GET POD/log answers the output; with follow=true it streams the output, then what is
appended, until the Pod is deleted (the container ended) or timeoutSeconds (default 30) pass.
With $K4DS_FAKE_APISERVER_LOG set, every counted API request is appended to that file as
"METHOD path?query" (to see which calls a count is made of).
Usage: fake_apiserver.py [--port=N] [--state=FILE] CERT KEY PORT_FILE TOKEN [NODE VALIDATOR]
--port: listen there (default: any free port; PORT_FILE says which). --state: the objects are
kept in FILE (written at every change, read at start), so a new process on the same port is the
same API server restarted: resourceVersions continue, and watches from versions before the
restart get 410 Gone (its watch cache starts empty), as a real API server's do.
(Debian's /usr/bin/python3, stdlib only). With NODE and VALIDATOR (tests/kubernetes/schema/
validate.mjs), every created object is checked against the official schemas first, and an
invalid one is refused with 422 as a real API server would.
"""
import bisect
import json
import os
import subprocess
import tempfile
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

flags = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
cert, key, port_file, token = args[0:4]
validator = args[4:6]
state_file = flags.get("state")
lock = threading.Condition()
store = {}
state = {"rv": 0, "requests": 0, "fail": [], "slow": 0.0, "compacted": 0, "compactions": 0}
events = []  # (resourceVersion, type, path, object): what watches replay
logs = {}  # Pod path → its output so far


def log_of(pod_path):
    return logs.setdefault(pod_path, "log of " + pod_path.split("/")[-1] + "\n")


def record(kind, path, obj):
    events.append((state["rv"], kind, path, json.loads(json.dumps(obj))))
    if state_file:  # as etcd: a change is kept before it is answered
        with open(state_file + ".tmp", "w") as f:
            json.dump({"rv": state["rv"], "store": store, "logs": logs}, f)
        os.rename(state_file + ".tmp", state_file)
    lock.notify_all()


if state_file and os.path.exists(state_file):  # restarted: the same objects, versions go on
    with open(state_file) as f:
        saved = json.load(f)
    store.update(saved["store"])
    logs.update(saved["logs"])
    state["rv"] = state["compacted"] = saved["rv"]


def invalid(obj):
    """422 as a real API server answers an object the official schemas reject, else None."""
    if not validator:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump([obj], f)
        f.flush()
        check = subprocess.run(validator + [f.name], capture_output=True, text=True)
    if check.returncode != 0:
        return status(422, "Invalid", check.stdout.strip())
    return None


SERVER_SET = ("uid", "resourceVersion", "creationTimestamp", "managedFields")


def fields_of(obj, top=True):
    """The fields an object sets, as metadata.managedFields[].fieldsV1 writes them: {"f:spec":
    {"f:hard": {"f:pods": {}}}}. Objects nest; every other value (lists included) is one field."""
    out = {}
    for k, v in obj.items():
        if top and k == "status":
            continue
        if isinstance(v, dict) and v:
            sub = fields_of(v, False)
            if k == "metadata" and top:
                sub = {f: x for f, x in sub.items() if f[2:] not in SERVER_SET}
            out["f:" + k] = sub
        else:
            out["f:" + k] = {}
    return out


def leaves(fields, prefix=()):
    for f, sub in fields.items():
        if sub:
            yield from leaves(sub, prefix + (f[2:],))
        else:
            yield prefix + (f[2:],)


def value_at(obj, path):
    for part in path:
        if not isinstance(obj, dict) or part not in obj:
            return None, False
        obj = obj[part]
    return obj, True


def drop(obj, path):
    """Removes the field at `path`, and the objects it leaves empty."""
    parents = [obj]
    for part in path[:-1]:
        obj = obj.get(part) if isinstance(obj, dict) else None
        if not isinstance(obj, dict):
            return
        parents.append(obj)
    parents[-1].pop(path[-1], None)
    for parent, part in zip(reversed(parents[:-1]), reversed(path[:-1])):
        if parent.get(part) == {}:
            parent.pop(part)


def merged(old, new):
    """Objects merge key by key; every other value is replaced."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return json.loads(json.dumps(new))
    out = dict(old)
    for k, v in new.items():
        out[k] = merged(old[k], v) if k in old else json.loads(json.dumps(v))
    return out


def without_managers(obj):
    meta = {k: v for k, v in obj.get("metadata", {}).items() if k != "managedFields"}
    return dict(obj, metadata=meta)


def manage(obj, manager, operation, fields):
    """Records that `manager` owns `fields` of the object (replacing its earlier entry)."""
    entries = [e for e in obj["metadata"].get("managedFields", []) if e.get("manager") != manager]
    obj["metadata"]["managedFields"] = entries + [{"manager": manager, "operation": operation,
                                                   "apiVersion": obj.get("apiVersion", "v1"),
                                                   "fieldsType": "FieldsV1", "fieldsV1": fields}]


def server_side_apply(old, applied, manager, force):
    """(the new object, None) or (None, the conflicting manager), as the API server's field
    ownership works: a field set by another manager to a different value is a conflict unless
    forced (then it changes owner); a field this manager applied before and no longer applies
    is removed, unless another manager owns it too."""
    wanted = set(leaves(fields_of(applied)))
    owners = {e["manager"]: set(leaves(e.get("fieldsV1", {}))) for e in old["metadata"].get("managedFields", [])}
    mine = owners.pop(manager, set())
    for path in sorted(wanted):
        before, present = value_at(old, path)
        for other, theirs in owners.items():
            if path in theirs and present and before != value_at(applied, path)[0]:
                if not force:
                    return None, other
                theirs.discard(path)
    new = merged(old, applied)
    for path in mine - wanted:
        if not any(path in theirs for theirs in owners.values()):
            drop(new, path)
    for k in ("uid", "resourceVersion", "creationTimestamp"):
        if k in old["metadata"]:
            new["metadata"][k] = old["metadata"][k]
    new["metadata"]["managedFields"] = [e for e in old["metadata"].get("managedFields", [])
                                        if e["manager"] != manager]
    for e in new["metadata"]["managedFields"]:  # what others lost to a forced apply
        e["fieldsV1"] = tree_of(owners.get(e["manager"], set()))
    manage(new, manager, "Apply", fields_of(applied))
    return new, None


def updated(old, obj, manager):
    """A PUT by `manager`: it takes the fields it changed (always forced, as an update is)."""
    changed = {p for p in leaves(fields_of(obj)) if value_at(old, p) != value_at(obj, p)}
    entries = []
    mine = set()
    for e in old["metadata"].get("managedFields", []):
        theirs = set(leaves(e.get("fieldsV1", {})))
        if e["manager"] == manager:
            mine = theirs
        else:
            entries.append(dict(e, fieldsV1=tree_of(theirs - changed)))
    obj["metadata"]["managedFields"] = entries
    manage(obj, manager, "Update", tree_of(mine | changed))


def tree_of(paths):
    out = {}
    for path in paths:
        node = out
        for part in path:
            node = node.setdefault("f:" + part, {})
    return out


def status(code, reason, message):
    return code, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                  "reason": reason, "message": message, "code": code}


def field(obj, dotted):
    for part in dotted.split("."):
        obj = obj.get(part, {}) if isinstance(obj, dict) else {}
    return obj if isinstance(obj, str) else ("" if obj == {} else str(obj))


def fields_match(query, obj):
    selector = urllib.parse.parse_qs(query).get("fieldSelector", [""])[0]
    for term in (t for t in selector.split(",") if t):
        if "!=" in term:
            k, v = term.split("!=", 1)
            if field(obj, k) == v:
                return False
        else:
            k, v = term.replace("==", "=").split("=", 1)
            if field(obj, k) != v:
                return False
    return True


def is_collection(path):
    """/api/v1/pods, /api/v1/namespaces/n/pods, /apis/g/v/…: a collection; one more part: an object."""
    parts = path.strip("/").split("/")
    rest = parts[2:] if parts[0] == "api" else parts[3:]
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        rest = rest[2:]
    return len(rest) == 1


def pods_over_quota(collection, pod):
    """The quota admission plugin's answer when a Pod would pass the namespace's `pods` quota."""
    if not collection.endswith("/pods"):
        return None
    ns = collection[:-len("/pods")]
    for key, quota in store.items():
        if key.startswith(ns + "/resourcequotas/"):
            hard = quota.get("spec", {}).get("hard", {})
            if "pods" in hard:
                used = sum(1 for k, o in store.items() if k.rsplit("/", 1)[0] == collection
                           and o.get("status", {}).get("phase") not in ("Failed", "Succeeded"))
                if used + 1 > int(hard["pods"]):
                    name = quota["metadata"]["name"]
                    return status(403, "Forbidden", f'pods "{pod}" is forbidden: exceeded quota: {name}, requested: '
                                  f'pods=1, used: pods={used}, limited: pods={hard["pods"]}')
    return None


def selected(path, query, key, obj):
    """Whether the object stored at `key` belongs to the collection `path` and its selectors."""
    selector = urllib.parse.parse_qs(query).get("labelSelector", [""])[0]
    wanted = dict(kv.split("=", 1) for kv in selector.split(",") if kv)
    parts = path.split("/")
    parent = key.rsplit("/", 1)[0]
    p = parent.split("/")
    # all namespaces: /api/v1/pods lists /api/v1/namespaces/*/pods/*
    inside = parent == path or (len(p) == len(parts) + 2 and p[:len(parts) - 1] == parts[:-1]
                                and p[-3] == "namespaces" and p[-1] == parts[-1])
    labels = obj.get("metadata", {}).get("labels", {})
    return inside and all(labels.get(k) == v for k, v in wanted.items()) and fields_match(query, obj)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body, headers=()):
        text = isinstance(body, str)
        data = (body if text else json.dumps(body)).encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain" if text else "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def hook(self, url):
        q = urllib.parse.parse_qs(url.query)
        with lock:
            if url.path == "/_test/fail":
                failure = {"code": int(q["code"][0]), "after": q.get("retry_after", [None])[0],
                           "method": q.get("method", [""])[0], "match": q.get("match", [""])[0]}
                state["fail"] += [failure] * int(q["count"][0])
            elif url.path == "/_test/slow":
                state["slow"] = float(q["seconds"][0])
            elif url.path == "/_test/status":  # the kubelet/scheduler: set an object's status
                path = q["path"][0]
                if "labelSelector" in q:  # every matching object of a collection
                    keys = [k for k, o in store.items() if selected(path, url.query, k, o)]
                elif path in store:
                    keys = [path]
                else:
                    return status(404, "NotFound", path)
                for k in keys:
                    obj = store[k]
                    obj["status"] = json.loads(self.body)
                    state["rv"] += 1
                    obj["metadata"]["resourceVersion"] = str(state["rv"])
                    record("MODIFIED", k, obj)
                return 200, {"requests": state["requests"], "changed": len(keys)}
            elif url.path == "/_test/log":  # the container writes output
                log_of(q["path"][0])
                logs[q["path"][0]] += json.loads(self.body)["text"]
                lock.notify_all()
            elif url.path == "/_test/compact":  # older resource versions are gone: 410 for them
                state["compacted"] = state["rv"]
                state["compactions"] += 1
                lock.notify_all()
            return 200, {"requests": state["requests"]}

    def api(self, method, url, body):
        if os.environ.get("K4DS_FAKE_APISERVER_LOG"):
            with open(os.environ["K4DS_FAKE_APISERVER_LOG"], "a") as f:
                f.write(f"{method} {url.path}?{url.query}\n")
        with lock:
            state["requests"] += 1
            slow, state["slow"] = state["slow"], 0.0
            failing = None
            for i, f in enumerate(state["fail"]):
                if (not f["method"] or f["method"] == method) and f["match"] in url.path:
                    failing = state["fail"].pop(i)
                    break
        if slow:
            time.sleep(slow)
        if failing:
            code, after = failing["code"], failing["after"]
            self.extra_headers = [("Retry-After", after)] if after else []
            if code == 409:
                return status(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; "
                              "please apply your changes to the latest version and try again (injected)")
            return status(code, "TooManyRequests" if code == 429 else "InternalError", "injected failure")
        if self.headers.get("Authorization") != "Bearer " + token:
            return status(401, "Unauthorized", "Unauthorized")
        path = url.path.rstrip("/")
        query = urllib.parse.parse_qs(url.query)
        manager = query.get("fieldManager", ["unknown"])[0]
        with lock:
            if method == "PATCH":
                return self.apply(path, query, body)
            if method == "POST":
                obj = json.loads(body)
                refused = invalid(obj)
                if refused:
                    return refused
                name = obj.get("metadata", {}).get("name", "")
                if not name:
                    return status(422, "Invalid", "metadata.name: Required value")
                key_ = path + "/" + name
                if key_ in store:
                    return status(409, "AlreadyExists", f'{path.split("/")[-1]} "{name}" already exists')
                over = pods_over_quota(path, name)
                if over:
                    return over
                state["rv"] += 1
                obj["metadata"]["uid"] = str(uuid.uuid4())
                obj["metadata"]["resourceVersion"] = str(state["rv"])
                manage(obj, manager, "Update", fields_of(obj))
                store[key_] = obj
                record("ADDED", key_, obj)
                return 201, obj
            if method == "PUT":
                if path not in store:
                    return status(404, "NotFound", f'"{path.split("/")[-1]}" not found')
                obj = json.loads(body)
                refused = invalid(obj)
                if refused:
                    return refused
                old = store[path]
                sent_rv = obj.get("metadata", {}).get("resourceVersion", "")
                if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
                    return status(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; "
                                  "please apply your changes to the latest version and try again")
                state["rv"] += 1
                obj["metadata"]["uid"] = old["metadata"]["uid"]
                obj["metadata"]["resourceVersion"] = str(state["rv"])
                updated(old, obj, manager)
                store[path] = obj
                record("MODIFIED", path, obj)
                return 200, obj
            if method == "GET":
                if path.endswith("/log") and path[:-4] in store:
                    return 200, log_of(path[:-4])
                if path in store:
                    return 200, store[path]
                items = [o for k, o in store.items() if selected(path, url.query, k, o)]
                if is_collection(path):
                    return 200, {"kind": "List", "apiVersion": "v1",
                                 "metadata": {"resourceVersion": str(state["rv"])}, "items": items}
                return status(404, "NotFound", f'"{path}" not found')
            if method == "DELETE":
                if path not in store:
                    return status(404, "NotFound", f'"{path.split("/")[-1]}" not found')
                obj = store.pop(path)
                state["rv"] += 1
                record("DELETED", path, obj)
                return 200, obj
        return status(405, "MethodNotAllowed", method)

    def apply(self, path, query, body):
        """Server-side apply (called with the lock held)."""
        if self.headers.get("Content-Type", "") != "application/apply-patch+yaml":
            return status(415, "UnsupportedMediaType",
                          f'the body of the request was in an unknown format - accepted media types include: '
                          f'application/apply-patch+yaml (got "{self.headers.get("Content-Type", "")}")')
        manager = query.get("fieldManager", [""])[0]
        if not manager:
            return status(422, "Invalid", "fieldManager is required for apply patches")
        force = query.get("force", [""])[0] == "true"
        obj = json.loads(body)
        meta = obj.get("metadata", {})
        parts = path.split("/")
        if meta.get("name") != parts[-1] or ("namespace" in meta and "namespaces" in parts
                                             and meta["namespace"] != parts[parts.index("namespaces") + 1]):
            return status(400, "BadRequest", "the name of the object (" + str(meta.get("name")) +
                          ") does not match the name on the URL (" + parts[-1] + ")")
        if path not in store:
            refused = invalid(obj)
            if refused:
                return refused
            over = pods_over_quota(path.rsplit("/", 1)[0], parts[-1])
            if over:
                return over
            state["rv"] += 1
            obj["metadata"]["uid"] = str(uuid.uuid4())
            obj["metadata"]["resourceVersion"] = str(state["rv"])
            manage(obj, manager, "Apply", fields_of(obj))
            store[path] = obj
            record("ADDED", path, obj)
            return 201, obj
        old = store[path]
        sent_rv = meta.get("resourceVersion", "")
        if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            return status(409, "Conflict", "Operation cannot be fulfilled: the object has been modified; "
                          "please apply your changes to the latest version and try again")
        new, conflict = server_side_apply(old, obj, manager, force)
        if conflict:
            return status(409, "Conflict", f'Apply failed with 1 conflict: conflict with "{conflict}"')
        if without_managers(new) == without_managers(old):
            old["metadata"]["managedFields"] = new["metadata"]["managedFields"]
            return 200, old
        refused = invalid(new)
        if refused:
            return refused
        state["rv"] += 1
        new["metadata"]["resourceVersion"] = str(state["rv"])
        store[path] = new
        record("MODIFIED", path, new)
        return 200, new

    def watch(self, url):
        """A watch stream: one JSON event per line, ended by a BOOKMARK after timeoutSeconds."""
        q = urllib.parse.parse_qs(url.query)
        since = int(q.get("resourceVersion", ["0"])[0] or 0)
        deadline = time.time() + float(q.get("timeoutSeconds", ["5"])[0])
        path = url.path.rstrip("/")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        with lock:
            state["requests"] += 1
            if since < state["compacted"]:
                gone = status(410, "Expired", f"too old resource version: {since} ({state['compacted']})")[1]
                self.wfile.write((json.dumps({"type": "ERROR", "object": gone}) + "\n").encode())
                return
            sent = since
            compactions = state["compactions"]
            while True:
                if state["compactions"] != compactions:
                    gone = status(410, "Expired", "too old resource version: the watch was dropped")[1]
                    self.wfile.write((json.dumps({"type": "ERROR", "object": gone}) + "\n").encode())
                    return
                # Events are in version order: start after `sent` (thousands of them in the
                # scale test, and every watch wakes on every change).
                start = bisect.bisect_right(events, sent, key=lambda e: e[0])
                for rv, kind, key, obj in events[start:]:
                    if selected(path, url.query, key, obj):
                        self.wfile.write((json.dumps({"type": kind, "object": obj}) + "\n").encode())
                sent = state["rv"]
                self.wfile.flush()
                left = deadline - time.time()
                if left <= 0:
                    break
                lock.wait(left)
            bookmark = {"kind": "Pod", "apiVersion": "v1", "metadata": {"resourceVersion": str(state["rv"])}}
            self.wfile.write((json.dumps({"type": "BOOKMARK", "object": bookmark}) + "\n").encode())

    def follow_log(self, url):
        """GET .../log?follow=true: the output so far, then what is appended, until the Pod is gone."""
        pod = url.path.rstrip("/")[:-4]
        q = urllib.parse.parse_qs(url.query)
        deadline = time.time() + float(q.get("timeoutSeconds", ["30"])[0])
        with lock:
            state["requests"] += 1
            if pod not in store:
                self.reply(*status(404, "NotFound", f'pods "{pod.split("/")[-1]}" not found'))
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Connection", "close")
            self.end_headers()
            sent = 0
            while True:
                text = log_of(pod)
                if len(text) > sent:
                    self.wfile.write(text[sent:].encode())
                    self.wfile.flush()
                    sent = len(text)
                left = deadline - time.time()
                if pod not in store or left <= 0:
                    break
                lock.wait(min(left, 0.2))

    def handle_any(self, method):
        url = urllib.parse.urlparse(self.path)
        if method == "GET" and url.path.rstrip("/").endswith("/log") and "follow=true" in url.query:
            if self.headers.get("Authorization") != "Bearer " + token:
                self.reply(*status(401, "Unauthorized", "Unauthorized"))
                return
            self.follow_log(url)
            self.close_connection = True
            return
        if method == "GET" and "watch=true" in url.query:
            if self.headers.get("Authorization") != "Bearer " + token:
                self.reply(*status(401, "Unauthorized", "Unauthorized"))
                return
            self.watch(url)
            self.close_connection = True
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        self.body = body
        self.extra_headers = []
        code, reply = self.hook(url) if url.path.startswith("/_test/") else self.api(method, url, body)
        self.reply(code, reply, self.extra_headers)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_PATCH(self):
        self.handle_any("PATCH")


class Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A client that closes a watch or log stream mid-write is normal, not an error.
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


server = Server(("127.0.0.1", int(flags.get("port", "0"))), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()

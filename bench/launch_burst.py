#!/usr/bin/python3
"""100 launches at once: k4ds up, then LAUNCHES (default 100) "Jupyter · Python 3" workspaces of
size small requested at the same moment (one thread per request), then every workspace polled
until it is running or failed. The target (issue 4): no failure, every workspace ready or failed
with a reason. Prints how long the requests took to be accepted, the spread of launch-to-ready,
the failures with their reasons, k4ds's RSS, and then deletes everything and checks that no
notebook process is left.

Usage (as root, after building k4ds; see bench/README.md):
  bench/launch_burst.py            # ~2-4 minutes on 2 CPUs
Env: K4DS_BIN (default build/bench-release/k4ds), LAUNCHES (default 100), TIMEOUT_S (default 600)
Bounded: LAUNCHES requests, one poll of the list every 0.5 s, at most TIMEOUT_S seconds.
Python standard library only (Debian's /usr/bin/python3).
"""
import http.cookiejar
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K4DS_BIN = os.environ.get("K4DS_BIN", os.path.join(ROOT, "build/bench-release/k4ds"))
LAUNCHES = int(os.environ.get("LAUNCHES", "100"))
TIMEOUT_S = float(os.environ.get("TIMEOUT_S", "600"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with self.opener.open(req, timeout=timeout) as r:
                text = r.read()
                return r.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, {"message": text.decode(errors="replace")}


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def notebook_pids(work):
    """The workspace processes k4ds started that are still alive (from its state files)."""
    alive = []
    state = os.path.join(work, "data", "state")
    for d in os.listdir(state) if os.path.isdir(state) else []:
        try:
            pid = int(open(os.path.join(state, d, "child.pid")).read().strip() or 0)
            if pid:
                os.kill(pid, 0)
                alive.append(pid)
        except (OSError, ValueError):
            pass
    return alive


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[k]


def main():
    if os.geteuid() != 0:
        sys.exit("launch_burst.py: run as root (k4ds runs workspaces under per-user accounts)")
    if not os.access(K4DS_BIN, os.X_OK):
        sys.exit(f"launch_burst.py: no k4ds binary at {K4DS_BIN}; build it or set K4DS_BIN")
    work = tempfile.mkdtemp(prefix="k4ds-bench-burst.")
    os.chmod(work, 0o755)
    port = free_port()
    password = "bench-" + secrets.token_hex(12)
    log = open(os.path.join(work, "k4ds.log"), "w")
    env = dict(os.environ, K4DS_ADMIN_PASSWORD=password, K4DS_LOG_LEVEL=os.environ.get("K4DS_LOG_LEVEL", "warn"))
    k4ds = subprocess.Popen([K4DS_BIN, "up", "--listen", f"127.0.0.1:{port}", "--data-dir", f"{work}/data"],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    api = Api(f"http://localhost:{port}/api/v1")
    ok = False
    try:
        for _ in range(300):
            try:
                if api.call("GET", "/openapi.json", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        status, _ = api.call("POST", "/login", {"username": "admin", "password": password})
        if status != 200:
            raise RuntimeError(f"login answered {status}")
        rss_before = rss_kib(k4ds.pid)

        # Every request at the same moment.
        barrier = threading.Barrier(LAUNCHES)
        accepted = {}

        def launch(i):
            name = f"burst-{i}"
            barrier.wait()
            t0 = time.monotonic()
            status, body = api.call("POST", "/workspaces",
                                    {"environment": "jupyter-python", "size": "small", "name": name})
            accepted[name] = (status, time.monotonic() - t0, body)

        t_start = time.monotonic()
        threads = [threading.Thread(target=launch, args=(i,)) for i in range(1, LAUNCHES + 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        refused = {n: a for n, a in accepted.items() if a[0] != 201}
        accept_ms = [a[1] * 1000 for a in accepted.values()]
        print(f"{LAUNCHES} launches requested at once: {LAUNCHES - len(refused)} accepted "
              f"(201), {len(refused)} refused; request p50 {percentile(accept_ms, 50):.0f} ms, "
              f"max {max(accept_ms):.0f} ms")
        for name, (status, _, body) in sorted(refused.items()):
            print(f"  refused {name}: {status} {body.get('message') if body else ''}")

        ready_at, failed = {}, {}
        pending = {n for n, a in accepted.items() if a[0] == 201}
        deadline = t_start + TIMEOUT_S
        while pending and time.monotonic() < deadline:
            status, body = api.call("GET", "/workspaces")
            now = time.monotonic()
            for ws in body["items"] if status == 200 else []:
                if ws["name"] not in pending:
                    continue
                if ws["phase"] == "running":
                    ready_at[ws["name"]] = now - t_start
                    pending.discard(ws["name"])
                elif ws["phase"] == "failed":
                    failed[ws["name"]] = ws["reason"]
                    pending.discard(ws["name"])
            time.sleep(0.5)
        rss_peak = rss_kib(k4ds.pid)
        ready = sorted(ready_at.values())
        print(f"ready: {len(ready)}, failed: {len(failed)}, neither after {TIMEOUT_S:.0f} s: {len(pending)}")
        if ready:
            print(f"launch-to-ready (from the burst): first {ready[0]:.1f} s, p50 {percentile(ready, 50):.1f} s, "
                  f"p90 {percentile(ready, 90):.1f} s, last {ready[-1]:.1f} s")
        for name, reason in sorted(failed.items()):
            print(f"  failed {name}: {reason or '(NO REASON GIVEN)'}")
        for name in sorted(pending):
            print(f"  still not ready: {name}")
        print(f"k4ds RSS: {rss_before / 1024:.1f} MiB before, {rss_peak / 1024:.1f} MiB with "
              f"{len(ready)} workspaces running")
        without_reason = [n for n, r in failed.items() if not r]
        print(f"target: no failure — {'met' if not refused and not failed and not pending else 'NOT met'} "
              f"({len(refused)} refused, {len(failed)} failed, {len(pending)} neither)")
        print(f"target: every workspace ready or failed with a reason — "
              f"{'met' if not refused and not pending and not without_reason else 'NOT met'}")

        # Tear down: delete every workspace; k4ds stops their processes (volumes stay).
        t0 = time.monotonic()
        for name in accepted:
            api.call("DELETE", f"/workspaces/admin/{name}")
        children = notebook_pids(work)
        while children and time.monotonic() - t0 < 120:
            time.sleep(0.5)
            children = notebook_pids(work)
        print(f"deleted all in {time.monotonic() - t0:.1f} s; notebook processes left: {len(children)}")
        ok = not children
    finally:
        if not ok:  # k4ds leaves workspaces running when it exits: end what it started, by PID
            for pid in notebook_pids(work):
                os.kill(pid, signal.SIGTERM)
        k4ds.send_signal(signal.SIGTERM)
        try:
            k4ds.wait(timeout=20)
        except subprocess.TimeoutExpired:
            k4ds.kill()
        log.close()
        if not ok:
            with open(os.path.join(work, "k4ds.log")) as f:
                sys.stderr.write("--- last lines of k4ds.log:\n" + "".join(f.readlines()[-30:]))
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# API at scale (DESIGN.md "Performance budgets": restart with 10k workspaces in the store serving
# in < 2 s; API p99 < 10 ms at 50k users), side by side with JupyterHub 3's REST API holding the
# same number of users.
#
#   k4ds:       a store with USERS users and WORKSPACES (stopped) workspaces, rows written with
#               sqlite3 into the schema k4ds made on a first start; then k4ds is started again and
#               timed from exec to "serving on" + its first API answer; then wrk on
#               GET /api/v1/users/<one of them> and GET /api/v1/workspaces/<owner>/<name> with an
#               admin API token on every request (looked up and checked per request).
#   JupyterHub: its own sqlite database with the same USERS users, written the same way after a
#               first start; restart timed to its first API answer; wrk on
#               GET /hub/api/users/<one of them> with an admin service token.
#
# Usage: bench/api.sh    (as root or not; ~1.5 min)
# Env:   K4DS_BIN (default build/bench-release/k4ds), USERS (default 50000), WORKSPACES (default
#        10000), DURATION (s, default 10), CONNECTIONS (default 64), LIGHT (connections for the
#        p99 target, default 4), THREADS (default 2)
# Everything it starts is stopped by PID, and its temp dir removed, also on failure.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
"$root/scripts/install-deps.sh" bench >/dev/null

K4DS_BIN=${K4DS_BIN:-$root/build/bench-release/k4ds}
USERS=${USERS:-50000}
WORKSPACES=${WORKSPACES:-10000}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
LIGHT=${LIGHT:-4}  # connections for the latency target: a light load, not saturation
[ -x "$K4DS_BIN" ] || { echo "api.sh: no k4ds binary at $K4DS_BIN; build it or set K4DS_BIN" >&2; exit 2; }
[ "$WORKSPACES" -le "$USERS" ] || { echo "api.sh: WORKSPACES must not exceed USERS (one each)" >&2; exit 2; }

work=$(mktemp -d /tmp/k4ds-bench-api.XXXXXX)
pids=()
BENCH=api.sh
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
trap bench_cleanup EXIT INT TERM

now_ms() { date +%s%3N; }
stop_pid() {  # pid: SIGTERM, wait up to 10 s
  kill "$1" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
# wrk's requests/s, p50 and p99 (ms) from its --latency output.
wrk_figures() {
  awk '/Requests\/sec/ {rps=$2}
       function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
       $1 == "50%" {p50=ms($2)} $1 == "99%" {p99=ms($2)}
       /Non-2xx/ {bad=$NF}
       END {printf "%d %.2f %.2f %d\n", rps, p50, p99, bad+0}'
}
run_wrk() {  # name url header [connections]
  local out connections=${4:-$CONNECTIONS}
  out=$(wrk -t"$THREADS" -c"$connections" -d"${DURATION}s" --latency -H "$3" "$2")
  read -r rps p50 p99 bad <<<"$(wrk_figures <<<"$out")"
  [ "$bad" = 0 ] || { echo "api.sh: $1 answered $bad requests with an error status" >&2; echo "$out" >&2; exit 1; }
  printf '  %-52s %8d req/s   p50 %6.2f ms   p99 %6.2f ms\n' "$1 (c$connections)" "$rps" "$p50" "$p99"
  last_p99=$p99
}

# ---- k4ds -------------------------------------------------------------------------------------
k4ds_port=$(free_port)
admin_password=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
portal="http://localhost:$k4ds_port"
jar="$work/cookies"
start_k4ds() {
  K4DS_ADMIN_PASSWORD=$admin_password K4DS_LOG_LEVEL=warn \
    "$K4DS_BIN" up --listen "127.0.0.1:$k4ds_port" --data-dir "$work/data" >"$work/k4ds.log" 2>&1 &
  k4ds_pid=$!
  pids+=("$k4ds_pid")
}
start_k4ds
wait_http "$portal/api/v1/openapi.json" || exit 1
api -o /dev/null -X POST "$portal/api/v1/login" -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}"
token=$(api -X POST "$portal/api/v1/tokens" -d '{"name":"bench"}' | jq -r .token)
stop_pid "$k4ds_pid"

echo "api.sh: writing $USERS users and $WORKSPACES workspaces into k4ds's store"
sqlite3 "$work/data/k4ds.db" <<SQL
BEGIN;
CREATE TEMP TABLE n(i INTEGER PRIMARY KEY);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $USERS) INSERT INTO n SELECT i FROM c;
INSERT INTO users (name, display_name, email, provider, password_hash, admin, disabled, created_at, updated_at, version)
  SELECT printf('user%06d', i), printf('User %d', i), printf('user%d@example.org', i), 'local', '', 0, 0,
         1764000000000, 1764000000000, (SELECT MAX(revision) FROM changes) FROM n;
INSERT INTO workspaces (id, owner, name, environment, size_name, desired, phase, reason, upstream, created_at,
                        updated_at, last_activity_at, version)
  SELECT printf('00000000-0000-4000-8000-%012d', i), printf('user%06d', i), 'analysis', 'jupyter-python', 'small',
         'stopped', 'stopped', 'stopped on request', '', 1764000000000, 1764000000000, 0,
         (SELECT MAX(revision) FROM changes) FROM n WHERE i <= $WORKSPACES;
COMMIT;
SQL
t0=$(now_ms)
start_k4ds
wait_http "$portal/api/v1/whoami" --fail -H "Authorization: Bearer $token" || exit 1
k4ds_restart=$(( $(now_ms) - t0 ))
seen=$(curl -sS -H "Authorization: Bearer $token" "$portal/api/v1/workspaces?all=true" | jq '.items | length')
[ "$seen" = "$WORKSPACES" ] || { echo "api.sh: k4ds lists $seen workspaces, not $WORKSPACES" >&2; exit 1; }
mid=$(printf 'user%06d' $(( WORKSPACES / 2 )))

# ---- JupyterHub -------------------------------------------------------------------------------
mkdir -p "$work/jh"
jh_port=$(free_port)
jh_token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
CHP_MAIN=$(dpkg -L node-configurable-http-proxy | grep '/bin/configurable-http-proxy$' | head -1)
cat >"$work/jh/jupyterhub_config.py" <<PY
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:$jh_port"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = $(free_port)
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:$(free_port)"
c.ConfigurableHTTPProxy.command = ["node", "$CHP_MAIN"]
c.JupyterHub.db_url = "sqlite:///$work/jh/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "$work/jh/cookie_secret"
c.JupyterHub.pid_file = "$work/jh/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.services = [{"name": "bench", "api_token": "$jh_token", "admin": True}]
PY
start_hub() {
  (cd "$work/jh" && exec env NODE_PATH=/usr/share/nodejs /usr/bin/jupyterhub -f "$work/jh/jupyterhub_config.py" \
    --log-level=WARN) >>"$work/jupyterhub.log" 2>&1 &
  hub_pid=$!
  pids+=("$hub_pid")
}
hub="http://127.0.0.1:$jh_port/hub/api"
start_hub
wait_http "$hub/" -H "Authorization: token $jh_token" || exit 1
# The hub runs its configurable-http-proxy as a separate process, which may outlive it.
proxy_pid=$(cat "$work/jh/jupyterhub-proxy.pid" 2>/dev/null || true)
[ -n "$proxy_pid" ] && pids+=("$proxy_pid")
stop_pid "$hub_pid"
[ -n "$proxy_pid" ] && stop_pid "$proxy_pid"
rm -f "$work/jh/jupyterhub-proxy.pid"
echo "api.sh: writing $USERS users into JupyterHub's database"
sqlite3 "$work/jh/jupyterhub.sqlite" <<SQL
BEGIN;
CREATE TEMP TABLE n(i INTEGER PRIMARY KEY);
WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < $USERS) INSERT INTO n SELECT i FROM c;
INSERT INTO users (name, admin, created, last_activity, cookie_id, state)
  SELECT printf('user%06d', i), 0, '2025-11-24 00:00:00.000000', NULL, lower(hex(randomblob(16))), '{}' FROM n;
COMMIT;
SQL
t0=$(now_ms)
start_hub
for _ in $(seq 1200); do
  curl -s --fail -o /dev/null --max-time 1 -H "Authorization: token $jh_token" "$hub/users/$mid" && break
  sleep 0.1
done
hub_restart=$(( $(now_ms) - t0 ))
proxy_pid=$(cat "$work/jh/jupyterhub-proxy.pid" 2>/dev/null || true)
[ -n "$proxy_pid" ] && pids+=("$proxy_pid")
curl -sS --fail-with-body -o /dev/null -H "Authorization: token $jh_token" "$hub/users/$mid" ||
  { echo "api.sh: JupyterHub does not answer for $mid" >&2; exit 1; }

# ---- measurements -----------------------------------------------------------------------------
echo
echo "API at scale: $USERS users, $WORKSPACES workspaces; wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s; $(nproc) CPUs"
printf '  %-44s %8d ms\n' "k4ds restart to first API answer" "$k4ds_restart" "JupyterHub restart to first API answer" "$hub_restart"
run_wrk "k4ds GET /api/v1/users/$mid" "$portal/api/v1/users/$mid" "Authorization: Bearer $token" "$LIGHT"
light_p99=$last_p99
run_wrk "k4ds GET /api/v1/users/$mid" "$portal/api/v1/users/$mid" "Authorization: Bearer $token"
k4ds_rps=$rps
run_wrk "k4ds GET /api/v1/workspaces/$mid/analysis" "$portal/api/v1/workspaces/$mid/analysis" "Authorization: Bearer $token"
run_wrk "JupyterHub GET /hub/api/users/$mid" "$hub/users/$mid" "Authorization: token $jh_token" "$LIGHT"
run_wrk "JupyterHub GET /hub/api/users/$mid" "$hub/users/$mid" "Authorization: token $jh_token"
hub_rps=$rps
echo "  k4ds RSS $(( $(rss_kib "$k4ds_pid") / 1024 )) MiB"
echo
echo "restart: k4ds $k4ds_restart ms, JupyterHub $hub_restart ms"
[ "$k4ds_restart" -lt 2000 ] && echo "target restart < 2 s: met" || echo "target restart < 2 s: NOT met"
awk -v p="$light_p99" 'BEGIN { exit !(p < 10) }' && echo "target API p99 < 10 ms (c$LIGHT): met" ||
  echo "target API p99 < 10 ms (c$LIGHT): NOT met"
echo "GET one user, c$CONNECTIONS: k4ds / JupyterHub = $(awk -v a="$k4ds_rps" -v b="$hub_rps" 'BEGIN { printf "%.0f", a / (b > 0 ? b : 1) }')x requests/s"

#!/usr/bin/env bash
# Launch-to-ready benchmark: a local "Jupyter · Python 3" workspace in k4ds versus JupyterHub 3
# spawning the same notebook server (Debian's python3-notebook 6.4, via jupyterhub-singleuser)
# with its LocalProcessSpawner, on the same machine, launches alternating between the two.
#
#   k4ds:       POST /api/v1/workspaces → poll GET every 50 ms until phase == running (k4ds's
#               health check on /api answered).
#   JupyterHub: POST /hub/api/users/<u>/server → poll GET /hub/api/users/<u> every 50 ms until
#               the server is ready (the hub's own check answered and the proxy route is in).
# After each launch the workspace / server is deleted and fully stopped before the next one.
#
# Usage: bench/launch.sh              (as root; ~1-2 minutes)
# Env:   K4DS_BIN (default build/bench-release/k4ds), LAUNCHES (per side, default 5)
# Creates the Unix user k4dsbenchjh for JupyterHub's spawner if missing, and removes it again.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
"$root/scripts/install-deps.sh" bench >/dev/null

K4DS_BIN=${K4DS_BIN:-$root/build/bench-release/k4ds}
LAUNCHES=${LAUNCHES:-5}
JH_USER=k4dsbenchjh
CHP_MAIN=$(dpkg -L node-configurable-http-proxy | grep '/bin/configurable-http-proxy$' | head -1)

[ -x "$K4DS_BIN" ] || { echo "launch.sh: no k4ds binary at $K4DS_BIN; build it or set K4DS_BIN" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "launch.sh: run as root (both spawn notebooks as other Unix users)" >&2; exit 2; }

work=$(mktemp -d /tmp/k4ds-bench-launch.XXXXXX)
chmod 755 "$work"
pids=()
created_user=0
k4ds_pid=""
BENCH=launch.sh
WAIT_HTTP_SECONDS=30
# shellcheck source=bench/lib.sh
source "$here/lib.sh"
cleanup() {
  local rc=$?
  set +eu
  show_logs_on_failure "$rc"
  # Both stop their notebooks on request: k4ds through the API (it leaves workspaces running
  # when it exits), JupyterHub itself on SIGTERM (cleanup_servers).
  if [ -n "$k4ds_pid" ] && kill -0 "$k4ds_pid" 2>/dev/null; then
    for n in $(api --max-time 5 "$portal/api/v1/workspaces" 2>/dev/null | jq -r '.items[].name'); do
      api --max-time 5 -o /dev/null -X DELETE "$portal/api/v1/workspaces/admin/$n"
    done
    k4ds_wait_gone
  fi
  stop_started "$work/k4ds"
  [ "$created_user" = 1 ] && userdel "$JH_USER" 2>/dev/null
  rm -rf "$work"
  exit $rc
}
trap cleanup EXIT INT TERM

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# --- k4ds, default catalog ------------------------------------------------------------------------
k4ds_port=$(free_port)
admin_password=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
K4DS_ADMIN_PASSWORD=$admin_password K4DS_LOG_LEVEL=${K4DS_LOG_LEVEL:-warn} \
  "$K4DS_BIN" up --listen "127.0.0.1:$k4ds_port" --data-dir "$work/k4ds" >"$work/k4ds.log" 2>&1 &
k4ds_pid=$!
pids+=("$k4ds_pid")
portal="http://localhost:$k4ds_port"
jar="$work/cookies"
k4ds_wait_gone() {  # until no workspace is listed and no notebook process k4ds started is left
  for _ in $(seq 300); do
    local left=0
    [ "$(api --max-time 2 "$portal/api/v1/workspaces" | jq '.items | length')" = 0 ] || left=1
    for f in "$work"/k4ds/state/*/child.pid; do
      [ -f "$f" ] && kill -0 "$(tr -dc 0-9 2>/dev/null <"$f")" 2>/dev/null && left=1
    done
    [ $left = 0 ] && return 0
    sleep 0.1
  done
  echo "launch.sh: k4ds workspaces did not go away" >&2; return 1
}
wait_http "$portal/api/v1/openapi.json" || { cat "$work/k4ds.log" >&2; exit 1; }
api -o /dev/null -X POST "$portal/api/v1/login" -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}"
avail=$(api "$portal/api/v1/environments" | jq -r '.items[] | select(.name == "jupyter-python") | .available')
[ "$avail" = true ] || { echo "launch.sh: k4ds says jupyter-python is unavailable here" >&2; exit 1; }

k4ds_launch() {  # name -> prints milliseconds to running
  local name=$1 t0 ws phase
  t0=$(now_ms)
  api -o /dev/null -X POST "$portal/api/v1/workspaces" -d "{\"environment\":\"jupyter-python\",\"name\":\"$name\"}"
  for _ in $(seq 1200); do
    ws=$(api "$portal/api/v1/workspaces/admin/$name")
    phase=$(jq -r .phase <<<"$ws")
    if [ "$phase" = running ]; then echo $(( $(now_ms) - t0 )); return 0; fi
    [ "$phase" = failed ] && break
    sleep 0.05
  done
  echo "launch.sh: k4ds workspace $name did not become ready: $ws" >&2
  return 1
}
k4ds_teardown() {
  api -o /dev/null -X DELETE "$portal/api/v1/workspaces/admin/$1"
  k4ds_wait_gone
}

# --- JupyterHub 3, LocalProcessSpawner, same notebook server ---------------------------------------
if ! id "$JH_USER" >/dev/null 2>&1; then
  useradd --system --user-group --shell /usr/sbin/nologin --home-dir "$work/jhhome" "$JH_USER"
  created_user=1
else
  usermod --home "$work/jhhome" "$JH_USER"
fi
mkdir -p "$work/jhhome" "$work/jh"
chown "$JH_USER:" "$work/jhhome"
jh_port=$(free_port)
jh_hub_port=$(free_port)
jh_proxy_api_port=$(free_port)
jh_token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat >"$work/jh/jupyterhub_config.py" <<EOF
c = get_config()  # noqa
c.JupyterHub.bind_url = "http://127.0.0.1:$jh_port"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = $jh_hub_port
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:$jh_proxy_api_port"
c.ConfigurableHTTPProxy.command = ["node", "$CHP_MAIN"]
c.JupyterHub.db_url = "sqlite:///$work/jh/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "$work/jh/cookie_secret"
c.JupyterHub.pid_file = "$work/jh/jupyterhub.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {"$JH_USER"}
c.JupyterHub.services = [{"name": "bench", "api_token": "$jh_token", "admin": True}]
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}
c.JupyterHub.cleanup_servers = True
c.Spawner.cmd = ["/usr/bin/jupyterhub-singleuser"]
c.Spawner.start_timeout = 60
c.Spawner.http_timeout = 60
EOF
(cd "$work/jh" && exec env NODE_PATH=/usr/share/nodejs /usr/bin/jupyterhub -f "$work/jh/jupyterhub_config.py" \
  --log-level=WARN) >"$work/jupyterhub.log" 2>&1 &
pids+=("$!")
hub="http://127.0.0.1:$jh_port/hub/api"
jh_api() { curl -sS --fail-with-body -H "Authorization: token $jh_token" "$@"; }
for _ in $(seq 300); do jh_api --max-time 1 -o /dev/null "$hub/" 2>/dev/null && break; sleep 0.1; done
jh_api -o /dev/null "$hub/" || { echo "launch.sh: JupyterHub did not start" >&2; cat "$work/jupyterhub.log" >&2; exit 1; }
jh_api -o /dev/null -X POST "$hub/users/$JH_USER" 2>/dev/null || true  # exists after a first run

jh_launch() {  # prints milliseconds to ready
  local t0 user ready
  t0=$(now_ms)
  jh_api -o /dev/null -X POST "$hub/users/$JH_USER/server"
  for _ in $(seq 1200); do
    user=$(jh_api "$hub/users/$JH_USER")
    ready=$(jq -r '.servers[""].ready // false' <<<"$user")
    if [ "$ready" = true ]; then echo $(( $(now_ms) - t0 )); return 0; fi
    sleep 0.05
  done
  echo "launch.sh: JupyterHub's server did not become ready: $user" >&2
  tail -20 "$work/jupyterhub.log" >&2
  return 1
}
jh_teardown() {
  jh_api -o /dev/null -X DELETE "$hub/users/$JH_USER/server"
  for _ in $(seq 300); do
    [ "$(jh_api "$hub/users/$JH_USER" | jq '.servers | length')" = 0 ] && return 0
    sleep 0.1
  done
  echo "launch.sh: JupyterHub's server did not stop" >&2; return 1
}

# --- the runs: one untimed warm-up each (page cache), then alternating timed launches --------------
echo "launch-to-ready benchmark: $LAUNCHES launches each, alternating; notebook $(/usr/bin/python3 -c 'import notebook; print(notebook.__version__)'), JupyterHub $(/usr/bin/jupyterhub --version)"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
k4ds_launch warmup >/dev/null && k4ds_teardown warmup
jh_launch >/dev/null && jh_teardown
k4ds_times=() jh_times=()
for i in $(seq "$LAUNCHES"); do
  t=$(k4ds_launch "nb$i"); k4ds_teardown "nb$i"; k4ds_times+=("$t")
  t=$(jh_launch); jh_teardown; jh_times+=("$t")
  echo "launch $i: k4ds ${k4ds_times[-1]} ms, JupyterHub ${jh_times[-1]} ms"
done
k4ds_median=$(printf '%s\n' "${k4ds_times[@]}" | median)
jh_median=$(printf '%s\n' "${jh_times[@]}" | median)
echo
echo "median launch-to-ready: k4ds ${k4ds_median} ms, JupyterHub ${jh_median} ms"
awk -v k="$k4ds_median" -v j="$jh_median" 'BEGIN {
  printf "k4ds/JupyterHub: %.2fx  (target <= 0.7x: %s)\n", k / j, (k / j <= 0.7 ? "met" : "NOT met") }'

# Shared by the benchmarks (gateway.sh, websocket.sh, route_scale.sh, launch.sh): k4ds serving one workspace whose
# command is the benchmark's upstream, the workspace cookie a browser would get, and a clean-up
# that stops everything by PID. Source it after setting:
#   BENCH (the script's name, for messages), K4DS_BIN, work (a temp dir), pids=() (PIDs to stop)
# Then: trap bench_cleanup EXIT INT TERM; k4ds_upstream_workspace "description" "yaml argv".
# It sets: k4ds_pid, k4ds_port, portal, jar, admin_password, ws_id, upstream (127.0.0.1:port of
# the upstream as k4ds's runtime started it), ws_host, ws_cookie; and defines api() (curl with
# the admin's portal session).

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_http() {  # url [extra curl args]: waits up to WAIT_HTTP_SECONDS (default 20) for any HTTP answer
  local url=$1; shift
  for _ in $(seq $(( ${WAIT_HTTP_SECONDS:-20} * 10 ))); do
    curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0
    sleep 0.1
  done
  echo "$BENCH: nothing answers on $url" >&2; return 1
}

# Starts nginx (Debian's) from a config made in DIR: WORKERS worker processes, CONNS connections
# each, no access log, temp paths in DIR, and HTTP_BODY (servers, upstreams) inside `http {}`.
# Sets nginx_pid and adds it to pids; nginx's own messages go to DIR.log.
start_nginx() {  # dir workers conns http_body
  local dir=$1 workers=$2 conns=$3 http_body=$4
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
worker_processes $workers;
worker_rlimit_nofile $(ulimit -n);
daemon off;
pid $dir/nginx.pid;
error_log stderr warn;
events { worker_connections $conns; }
http {
  access_log off;
  client_body_temp_path $dir/body; proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi; uwsgi_temp_path $dir/uwsgi; scgi_temp_path $dir/scgi;
  keepalive_requests 1000000;
$http_body
}
EOF
  /usr/sbin/nginx -e stderr -p "$dir" -c "$dir/nginx.conf" >"$dir.log" 2>&1 &
  nginx_pid=$!
  pids+=("$nginx_pid")
}

api() { curl -sS --fail-with-body -b "$jar" -c "$jar" -H 'Content-Type: application/json' "$@"; }

ws_id=""
k4ds_pid=""
# On failure (rc != 0), the last lines of every log in $work, before they go with the temp dir.
show_logs_on_failure() {  # rc
  [ "$1" != 0 ] || return 0
  for log in "$work"/*.log; do
    [ -s "$log" ] && { echo "--- last lines of $(basename "$log"):"; tail -25 "$log"; } >&2
  done
}

# Stops every PID in pids (SIGTERM; SIGKILL after 10 s), then, in case k4ds died first, the
# processes its runtime recorded under DATA_DIR (and in the other PID files given), and their
# empty cgroups.
stop_started() {  # data_dir [pid files...]
  local data=$1; shift
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
  done
  for f in "$data"/state/*/child.pid "$@"; do
    [ -f "$f" ] || continue
    p=$(tr -dc 0-9 2>/dev/null <"$f")
    [ -n "$p" ] && kill "$p" 2>/dev/null
  done
  sleep 0.3
  for d in "$data"/state/*/; do
    [ -d "$d" ] || continue
    find /sys/fs/cgroup -maxdepth 6 -type d -name "$(basename "$d")" -exec rmdir {} + 2>/dev/null
  done
}

bench_cleanup() {
  local rc=$?
  set +eu
  show_logs_on_failure "$rc"
  # Delete the workspace through the API first, so k4ds's runtime stops the upstream and
  # removes its cgroups; k4ds itself leaves workspaces running on shutdown (re-adoption).
  if [ -n "$ws_id" ] && [ -n "$k4ds_pid" ] && kill -0 "$k4ds_pid" 2>/dev/null; then
    api --max-time 5 -o /dev/null -X DELETE "$portal/api/v1/workspaces/admin/bench" 2>/dev/null
    for _ in $(seq 100); do
      [ -f "$work/data/state/$ws_id/child.pid" ] || break
      kill -0 "$(tr -dc 0-9 2>/dev/null <"$work/data/state/$ws_id/child.pid")" 2>/dev/null || break
      sleep 0.1
    done
  fi
  stop_started "$work/data" "$work"/data/run/*/nginx.pid
  rm -rf "$work"
  exit $rc
}

# k4ds up with a one-environment catalog whose command is the upstream (`argv`, a YAML list
# using {port} and {run_dir}); launches it as admin's workspace "bench" on a port the runtime
# picks (on the host's network, so the peers reach it too; as root k4ds would otherwise keep it
# in the workspace's private network), then does the subdomain code exchange for the workspace's host-only k4ds_ws cookie.
k4ds_upstream_workspace() {
  local description=$1 argv=$2 phase="" ws=""
  k4ds_port=$(free_port)
  admin_password=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  cat >"$work/k4ds.yaml" <<YAML
domain: localhost
environments:
  - name: upstream
    display_name: "$description"
    command: $argv
    port: 8000
    network: host   # the peers (nginx, CHP) must reach the same upstream
    health_path: /
sizes:
  - {name: bench, cpu: "2", memory: 1Gi}
default_size: bench
YAML
  K4DS_ADMIN_PASSWORD=$admin_password K4DS_LOG_LEVEL=${K4DS_LOG_LEVEL:-warn} \
    "$K4DS_BIN" up -c "$work/k4ds.yaml" --listen "127.0.0.1:$k4ds_port" --data-dir "$work/data" \
    >"$work/k4ds.log" 2>&1 &
  k4ds_pid=$!
  pids+=("$k4ds_pid")
  portal="http://localhost:$k4ds_port"
  jar="$work/cookies"
  wait_http "$portal/api/v1/openapi.json" || { cat "$work/k4ds.log" >&2; exit 1; }
  api -o /dev/null -X POST "$portal/api/v1/login" -d "{\"username\":\"admin\",\"password\":\"$admin_password\"}"
  api -o /dev/null -X POST "$portal/api/v1/workspaces" -d '{"environment":"upstream","name":"bench"}'
  for _ in $(seq 300); do
    ws=$(api "$portal/api/v1/workspaces/admin/bench")
    phase=$(jq -r .phase <<<"$ws")
    [ "$phase" = running ] && break
    [ "$phase" = failed ] && break
    sleep 0.1
  done
  if [ "$phase" != running ]; then
    echo "$BENCH: the upstream workspace did not start: $ws" >&2
    cat "$work/k4ds.log" >&2
    exit 1
  fi
  ws_id=$(jq -r .id <<<"$ws")
  upstream=$(sed -n 's/^upstream=//p' "$work/data/state/$ws_id/state")
  case "$upstream" in 127.0.0.1:*) ;; *) echo "$BENCH: unexpected upstream '$upstream'" >&2; exit 1 ;; esac
  ws_host="admin-bench.localhost:$k4ds_port"

  # Subdomain login by code exchange: the portal session authorizes, the workspace host's
  # callback sets its own host-only cookie k4ds_ws.
  local callback
  callback=$(curl -sS -o /dev/null -w '%{redirect_url}' -b "$jar" \
    "$portal/_k4ds/authorize?rd=$(jq -rn --arg u "http://$ws_host/" '$u|@uri')")
  curl -sS -o /dev/null -c "$jar" -b "$jar" --connect-to "admin-bench.localhost:$k4ds_port:127.0.0.1:$k4ds_port" "$callback"
  ws_cookie=$(awk '$6 == "k4ds_ws" {print $7}' "$jar" | tail -1)
  [ -n "$ws_cookie" ] || { echo "$BENCH: the code exchange gave no k4ds_ws cookie (callback: $callback)" >&2; exit 1; }
}

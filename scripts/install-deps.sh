#!/usr/bin/env bash
# Installs what k4ds needs from Debian's packages, skipping what is already present.
# Safe to re-run. Usage: scripts/install-deps.sh [build|test|run|bench]...  (default: build)
set -euo pipefail

build_pkgs=(
  cmake g++ ninja-build pkg-config git
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libyaml-cpp-dev libsqlite3-dev libssl-dev libsodium-dev
  libspdlog-dev libfmt-dev libcli11-dev libldap-dev
)
# The portal (portal/) is built with npm. A node that came from elsewhere (a newer NodeSource
# build with its own npm) is kept: Debian's nodejs/npm are added only when a command is missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  build_pkgs+=(nodejs npm)
fi
# Workspaces: Jupyter Notebook and R with IRkernel, the environments of the default catalog;
# slirp4netns gives environments with a TCP port outbound network from their private network.
workspace_pkgs=(python3-notebook r-cran-irkernel slirp4netns)
# The portal's end-to-end test drives Debian's Chromium (never a browser download).
# kubernetes_test: a test API server in /usr/bin/python3, its certificates made by openssl.
test_pkgs=(libgtest-dev libgmock-dev sqlite3 curl procps nginx-light chromium slapd ldap-utils python3 openssl "${workspace_pkgs[@]}")
run_pkgs=(curl "${workspace_pkgs[@]}")
# Benchmark peers (bench/): nginx, JupyterHub 3 and configurable-http-proxy, wrk, hyperfine.
bench_pkgs=(nginx-light jupyterhub node-configurable-http-proxy wrk hyperfine)

want=()
[ $# -eq 0 ] && set -- build
for set_name in "$@"; do
  case "$set_name" in
    build) want+=("${build_pkgs[@]}") ;;
    test) want+=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    run) want+=("${build_pkgs[@]}" "${run_pkgs[@]}") ;;
    bench) want+=("${build_pkgs[@]}" "${run_pkgs[@]}" "${bench_pkgs[@]}") ;;
    *) echo "install-deps: unknown set '$set_name'; use build, test, run or bench" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
# De-duplicate while keeping order.
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything needed is installed"
  exit 0
fi
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has no package lists yet; refresh them once per run that needs to install.
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

#!/usr/bin/env bash
# Route-change latency at scale: how long after a workspace change commits the gateway routes
# by it, with WORKSPACES workspaces in the store (default 100,000), over CHANGES changes.
# Builds the release benchmark program (bench/route_change_bench.cc) and runs it; it also
# prints one full rebuild of the route table, which is what every change cost before routes
# were patched incrementally. Bounded: CHANGES single changes, a 2 s limit on each.
#
# Usage: bench/routes.sh     Env: WORKSPACES, CHANGES (default 200)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
WORKSPACES=${WORKSPACES:-100000}
CHANGES=${CHANGES:-200}
"$root/scripts/install-deps.sh" build >/dev/null
cmake --preset release -DK4DS_BUILD_TESTS=ON -S "$root" >/dev/null
cmake --build --preset release --target route_change_bench >/dev/null
"$root/build/release/route_change_bench" "$WORKSPACES" "$CHANGES" 2>/dev/null

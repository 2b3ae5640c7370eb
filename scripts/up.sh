#!/usr/bin/env bash
# Installs what is missing, builds k4ds (release) and starts `k4ds up`, the embedded all-in-one.
# Extra arguments go to `k4ds up` (e.g. --listen 127.0.0.1:9090).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh run
cmake --preset release >/dev/null
cmake --build --preset release --target k4ds
exec build/release/k4ds up "$@"

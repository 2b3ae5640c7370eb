#!/usr/bin/env bash
# Installs what is missing, builds k4ds and its tests (debug), and runs every test.
# Set K4DS_PRESET=asan to run the suite under AddressSanitizer and UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${K4DS_PRESET:-debug}
scripts/install-deps.sh test
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"
ctest --preset "$preset" --timeout 600 -j2

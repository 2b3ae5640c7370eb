#!/usr/bin/env bash
# The opt-in suite against a real Kubernetes cluster (tests/real_cluster/real_cluster_test.cc):
# launches a small workspace in a throwaway namespace "k4ds-e2e-<random>-alice", waits for the
# cluster to run it, stops it, and deletes the namespace. Never part of scripts/test.sh.
#
#   KUBECONFIG=~/.kube/kind-config scripts/test-real-cluster.sh
#   K4DS_TEST_CONTEXT=kind-k4ds K4DS_TEST_STORAGE_CLASS=standard scripts/test-real-cluster.sh
#
# Other knobs: K4DS_TEST_IMAGE, K4DS_TEST_PORT, K4DS_TEST_HEALTH_PATH, K4DS_TEST_TIMEOUT_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${KUBECONFIG:-}" ]]; then
  echo "KUBECONFIG is not set: point it at a test cluster where k4ds may create a namespace" >&2
  exit 2
fi
scripts/install-deps.sh build
cmake --preset debug >/dev/null
cmake --build build/debug -j"$(nproc)" --target real_cluster_test
K4DS_REAL_CLUSTER=1 build/debug/tests/real_cluster_test "$@"

// Turning the config's `runtime: {kind: kubernetes}` section into a cluster connection, and
// judging the catalog against what a cluster can run. Used by `k4ds up` / `k4ds server` and by
// `k4ds config check`; reads files and the environment, talks to no cluster.
//
// Contract
// - resolve_connection: in_cluster → the Pod's service account; otherwise the kubeconfig at
//   `kubeconfig`, else $KUBECONFIG (its first file), else ~/.kube/config, with `context` (""
//   = its current-context). Errors are invalid_argument / failed_precondition naming the file
//   or context and what to set.
// - mark_unavailable_on_cluster: an environment without an image, or with port 0 (a Unix
//   socket on this machine), is marked unavailable with the reason in plain words.
//
// Usage:
//   auto connection = resolve_connection(config.runtime.kubeconfig, config.runtime.context,
//                                        config.runtime.in_cluster);
//   if (!connection) return fail(connection.status());
//   mark_unavailable_on_cluster(catalog);
#pragma once

#include <string>

#include "common/result.h"
#include "kubernetes/kubeconfig.h"
#include "model/catalog.h"

namespace k4ds::kubernetes {

// getenv is injectable for tests; nullptr = the process's environment.
using EnvLookup = std::string (*)(const char* name);

Result<ClusterConnection> resolve_connection(const std::string& kubeconfig, const std::string& context,
                                             bool in_cluster, EnvLookup env = nullptr);

void mark_unavailable_on_cluster(Catalog& catalog);

}  // namespace k4ds::kubernetes

// Several named clusters at once (`runtime.clusters`): which cluster runs a size, and the options
// each cluster runs with. Pure functions over KubernetesOptions; nothing here talks to a cluster.
//
// Contract
// - A size runs on its node pool's `cluster`; a size without one (or without a node pool) runs
//   on the first cluster, the default. Without `clusters` there is one cluster, named "".
// - options_for_cluster: the shared options with that cluster's overrides (storage_class or nfs
//   replace the shared volume source; upstream), keeping only the node pools of the sizes that
//   cluster runs (a pool's node_selector means nothing on another cluster, and node_capacity.h
//   reads "no Node matches" as "scaled to zero"). `clusters` is emptied: the result describes
//   one cluster. An unknown name (or no clusters) gives the shared options unchanged.
// - same_nfs_volumes: whether two clusters keep volumes on the same NFS server and export, so a
//   volume made on one is the same directory on the other.
//
// Usage:
//   KubernetesOptions gpu = options_for_size(configured, "gpu");  // what a "gpu" launch renders with
//   auto runtime = std::make_unique<KubernetesRuntime>(client, options_for_cluster(configured, "gcp"));
#pragma once

#include <string>
#include <string_view>

#include "kubernetes/options.h"

namespace k4ds::kubernetes {

std::string cluster_for_size(const KubernetesOptions& options, std::string_view size);
KubernetesOptions options_for_cluster(const KubernetesOptions& options, std::string_view cluster);
KubernetesOptions options_for_size(const KubernetesOptions& options, std::string_view size);
bool same_nfs_volumes(const KubernetesOptions& a, const KubernetesOptions& b);

}  // namespace k4ds::kubernetes

#include "kubernetes/clusters.h"

#include <algorithm>

namespace k4ds::kubernetes {

std::string cluster_for_size(const KubernetesOptions& options, std::string_view size) {
  if (options.clusters.empty()) return "";
  if (auto pool = options.node_pools.find(std::string(size)); pool != options.node_pools.end()) {
    if (!pool->second.cluster.empty()) return pool->second.cluster;
  }
  return options.clusters.front().name;
}

KubernetesOptions options_for_cluster(const KubernetesOptions& options, std::string_view cluster) {
  auto it = std::find_if(options.clusters.begin(), options.clusters.end(),
                         [&](const ClusterOptions& c) { return c.name == cluster; });
  if (it == options.clusters.end()) return options;
  KubernetesOptions out = options;
  out.clusters.clear();
  if (it->storage_class) {
    out.storage_class = *it->storage_class;
    out.nfs_server.clear();
    out.nfs_export.clear();
  }
  if (it->nfs_server && it->nfs_export) {
    out.nfs_server = *it->nfs_server;
    out.nfs_export = *it->nfs_export;
  }
  if (it->upstream) out.upstream = *it->upstream;
  const std::string& first = options.clusters.front().name;
  std::erase_if(out.node_pools, [&](const auto& entry) {
    return (entry.second.cluster.empty() ? first : entry.second.cluster) != cluster;
  });
  return out;
}

KubernetesOptions options_for_size(const KubernetesOptions& options, std::string_view size) {
  return options_for_cluster(options, cluster_for_size(options, size));
}

bool same_nfs_volumes(const KubernetesOptions& a, const KubernetesOptions& b) {
  return !a.nfs_server.empty() && a.nfs_server == b.nfs_server && a.nfs_export == b.nfs_export;
}

}  // namespace k4ds::kubernetes

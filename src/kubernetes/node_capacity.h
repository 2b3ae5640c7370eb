// What a cluster's machines offer, for admission ("no machine has 64 GiB") and the admins'
// capacity view: the Nodes' status.allocatable (cpu, memory, nvidia.com/gpu) summed, and the
// largest single Node per resource.
//
// Contract (pure, no I/O)
// - Counts the Nodes a workspace may be placed on: not cordoned (spec.unschedulable), and every
//   NoSchedule / NoExecute taint tolerated by some toleration k4ds gives workspaces (the node
//   pools' tolerations; the nvidia.com/gpu taint with tolerate_gpu_taint). Taints Kubernetes
//   sets for a passing condition (node.kubernetes.io/not-ready, …/memory-pressure, …) do not
//   remove a Node: the machine is still there.
// - largest_* are maxima per resource, each possibly from a different Node.
// - nullopt when the cluster cannot tell, and admission then does not refuse: no Node counts
//   (an empty list, or every Node tainted), or a configured node pool's node_selector matches no
//   Node at all (scaled to zero by an autoscaler, which adds machines on demand).
// - Quantities are parsed as Kubernetes does (quantity.h); a Node with an unreadable value
//   counts 0 for that resource.
//
// Usage:
//   std::optional<Capacity> c = cluster_capacity(nodes_cache.objects().value(), options);
#pragma once

#include <boost/json.hpp>
#include <optional>
#include <vector>

#include "kubernetes/options.h"
#include "model/model.h"

namespace k4ds::kubernetes {

std::optional<Capacity> cluster_capacity(const std::vector<boost::json::object>& nodes,
                                         const KubernetesOptions& options);

// What cluster_capacity() reads of a Node (name, labels, spec.unschedulable, spec.taints,
// status.allocatable), for ObjectCache's trim: the rest of a Node (images, conditions, …) is
// large and unused.
boost::json::object capacity_fields(const boost::json::object& node);

}  // namespace k4ds::kubernetes

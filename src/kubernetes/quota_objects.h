// The owner's k4ds quota as Kubernetes enforces it in a per-user namespace: a ResourceQuota
// (the totals) and a LimitRange (per container: at most the whole quota, and defaults for
// containers that name no resources, which a namespace with a CPU/memory quota would refuse).
// Pure functions, no I/O: render_workspace() includes these objects, so the dry run shows them.
//
// Contract
// - quota_objects(ns, owner, limits): the objects for the limits that are set, in creation
//   order (ResourceQuota "k4ds-quota", then LimitRange "k4ds-limits"); empty when `limits` sets
//   nothing. Mapping: workspaces → pods; cpu → requests.cpu and limits.cpu; memory →
//   requests.memory and limits.memory; gpus → requests.nvidia.com/gpu. (k4ds Pods have
//   requests = limits, and only workspace Pods live in these namespaces.) The LimitRange has
//   max = the quota and default = defaultRequest = the smaller of the quota and 1 CPU / 1 GiB;
//   it exists only when CPU or memory is limited.
//
// Usage:
//   for (auto& o : quota_objects("k4ds-alice", "alice", resolve_quota("alice", groups, quotas)))
//     objects.push_back(std::move(o));
#pragma once

#include <boost/json.hpp>
#include <string_view>
#include <vector>

#include "model/quota.h"

namespace k4ds::kubernetes {

inline constexpr const char* kResourceQuotaName = "k4ds-quota";
inline constexpr const char* kLimitRangeName = "k4ds-limits";

std::vector<boost::json::object> quota_objects(std::string_view ns, std::string_view owner, const QuotaLimits& limits);


}  // namespace k4ds::kubernetes

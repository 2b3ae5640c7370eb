// NamespaceLimits: keeps the ResourceQuota and LimitRange of a per-user namespace as the
// owner's k4ds quota says (kubernetes/quota_objects.h renders them), for KubernetesRuntime::apply.
//
// Contract
// - sync(ns, desired): each desired object is server-side applied (one call: created when
//   missing, else brought to k4ds's fields; a limit k4ds set before and no longer sets is
//   removed by the API server; an edit made on the cluster to a field k4ds sets is taken back).
//   A kind k4ds manages (ResourceQuota k4ds-quota, LimitRange k4ds-limits) missing from
//   `desired` is deleted: the owner's quota no longer limits that.
// - What was applied is remembered per namespace, so the next launch with the same quota makes
//   no API call. created_namespace(ns) records that a namespace was just created, so it holds
//   none of these objects (nothing to delete). Edits made on the cluster behind k4ds's back are
//   repaired after a restart of k4ds or a change of the quota, not at every launch.
// - Errors are the client's (unavailable, aborted, invalid_argument, permission_denied).
// - Thread-safe.
//
// Usage:
//   NamespaceLimits limits(client);
//   if (Status s = limits.sync("k4ds-alice", quota_objects("k4ds-alice", "alice", quota)); !s.ok()) ...
#pragma once

#include <boost/json.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "kubernetes/client.h"

namespace k4ds::kubernetes {

class NamespaceLimits {
 public:
  explicit NamespaceLimits(std::shared_ptr<KubeClient> client) : client_(std::move(client)) {}

  Status sync(const std::string& ns, const std::vector<boost::json::object>& desired);
  void created_namespace(const std::string& ns);

 private:
  Status ensure(const boost::json::object& desired);
  Status ensure_absent(const std::string& path);

  std::shared_ptr<KubeClient> client_;
  std::mutex mu_;
  std::map<std::string, std::string> applied_;  // "<ns>/<kind>" → its spec as applied ("" = none)
};

}  // namespace k4ds::kubernetes

// Who may open a workspace: the one authorization rule of k4ds, shared by the built-in gateway
// and the forward-auth endpoints.
//
// Contract: decide_access() is a pure function. Default deny. In order:
//   disabled user → deny; the owner → allow; an admin → allow; a user share naming the user →
//   allow; a group share naming a group the user belongs to → allow; else deny.
// Only shares whose workspace_id is the requested workspace count. A denial carries a reason
// the 403 page shows as is ("this workspace belongs to alice; ask alice to share it with you").
//
// PolicyCache remembers decisions per (session id hash, workspace id). Any change that can
// alter a decision (share, group membership, user, workspace) calls invalidate_all(), which
// bumps a generation number; entries from older generations are never returned. A writer
// passes the generation it read *before* computing the decision, so a decision computed from
// data that changed meanwhile is not stored. Thread-safe, bounded in size.
//
// Usage:
//   uint64_t gen = cache.generation();
//   std::optional<Decision> d = cache.get(session_hash, ws.id);
//   if (!d) { d = decide_access(request); cache.put(session_hash, ws.id, *d, gen); }
//   if (!d->allowed) return forbidden_page(d->reason);
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/model.h"

namespace k4ds {

struct AccessUser {
  std::string name;
  bool admin = false;
  bool disabled = false;
  std::vector<std::string> groups;  // names of the groups the user belongs to
};

struct AccessWorkspace {
  std::string id;
  std::string owner;
  std::string name;
};

struct AccessRequest {
  AccessUser user;
  AccessWorkspace workspace;
  std::vector<Share> shares;  // the workspace's shares
};

// Why a decision came out as it did; for logs and tests (the reason is for people).
enum class AccessBasis { owner, admin, user_share, group_share, disabled_user, no_grant };

struct Decision {
  bool allowed = false;
  std::string reason;
  AccessBasis basis = AccessBasis::no_grant;
};

Decision decide_access(const AccessRequest& request);

class PolicyCache {
 public:
  explicit PolicyCache(std::size_t max_entries = 100'000);

  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
  // Drops every cached decision (lazily: old entries are simply never returned).
  void invalidate_all() { generation_.fetch_add(1, std::memory_order_acq_rel); }

  std::optional<Decision> get(std::string_view session_hash, std::string_view workspace_id) const;
  // Stores the decision unless the generation moved since `generation_read` was taken.
  void put(std::string_view session_hash, std::string_view workspace_id, Decision decision,
           uint64_t generation_read);
  std::size_t size() const;

 private:
  struct Entry {
    Decision decision;
    uint64_t generation = 0;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries;
    uint64_t swept_generation = 0;  // stale entries were last removed at this generation
  };
  static constexpr std::size_t kShards = 16;

  Shard& shard_for(std::string_view key) const;

  std::size_t max_per_shard_;
  std::atomic<uint64_t> generation_{1};
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace k4ds

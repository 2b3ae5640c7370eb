// Who may open a workspace: the one authorization rule of k4ds, shared by the built-in gateway
// and the forward-auth endpoints.
//
// Contract: decide_access() is a pure function. Default deny. In order:
//   disabled user → deny; the owner → allow; an admin → allow; the first operator access rule
//   matching the user and the owner (auth/rules.h) → its effect; a user share naming the user →
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

#include "common/generation_cache.h"
#include "auth/rules.h"
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
  std::vector<std::string> owner_groups;  // the groups the workspace's owner belongs to
  std::vector<Share> shares;              // the workspace's shares
  const AccessPolicy* policy = nullptr;   // the operator's rules; null = none
};

// Why a decision came out as it did; for logs and tests (the reason is for people).
enum class AccessBasis { owner, admin, rule, user_share, group_share, disabled_user, no_grant };

struct Decision {
  bool allowed = false;
  std::string reason;
  AccessBasis basis = AccessBasis::no_grant;
};

Decision decide_access(const AccessRequest& request);

// Decisions cached per (session, workspace); see common/generation_cache.h.
using PolicyCache = GenerationCache<Decision>;

}  // namespace k4ds

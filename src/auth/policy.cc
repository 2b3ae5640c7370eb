#include "auth/policy.h"

#include <algorithm>

namespace k4ds {
namespace {

Decision allow(AccessBasis basis, std::string reason) {
  return Decision{true, std::move(reason), basis};
}

Decision deny(AccessBasis basis, std::string reason) {
  return Decision{false, std::move(reason), basis};
}

bool has_group(const AccessUser& user, std::string_view group) {
  return std::find(user.groups.begin(), user.groups.end(), group) != user.groups.end();
}

}  // namespace

Decision decide_access(const AccessRequest& request) {
  const AccessUser& user = request.user;
  const AccessWorkspace& ws = request.workspace;
  if (user.name.empty()) {
    return deny(AccessBasis::no_grant, "you are not signed in; sign in and try again");
  }
  // Before ownership: a disabled owner must lose access to their own workspaces too.
  if (user.disabled) {
    return deny(AccessBasis::disabled_user,
                "your account is disabled; ask your k4ds administrator to enable it");
  }
  if (!ws.owner.empty() && user.name == ws.owner) {
    return allow(AccessBasis::owner, "you own this workspace");
  }
  if (user.admin) return allow(AccessBasis::admin, "you are an administrator");

  const Share* group_grant = nullptr;
  for (const Share& share : request.shares) {
    if (share.workspace_id != ws.id) continue;  // a share for another workspace grants nothing
    if (share.kind == PrincipalKind::user && share.principal == user.name) {
      return allow(AccessBasis::user_share, ws.owner + " shared this workspace with you");
    }
    if (share.kind == PrincipalKind::group && !group_grant && has_group(user, share.principal)) {
      group_grant = &share;
    }
  }
  if (group_grant) {
    return allow(AccessBasis::group_share,
                 ws.owner + " shared this workspace with your group " + group_grant->principal);
  }
  std::string owner = ws.owner.empty() ? "someone else" : ws.owner;
  std::string ask = ws.owner.empty() ? "its owner" : ws.owner;
  return deny(AccessBasis::no_grant,
              "this workspace belongs to " + owner + "; ask " + ask + " to share it with you");
}

// ---- PolicyCache -----------------------------------------------------------------------------

namespace {

// "<session hash>\n<workspace id>"; neither part contains a newline.
constexpr char kKeySeparator = '\n';
constexpr std::size_t kStackKey = 192;

// Builds the key into `buffer` when it fits (the hot path: a 64-char hash and a 36-char UUID),
// else into `heap`.
std::string_view make_key(std::string_view session, std::string_view workspace,
                          char (&buffer)[kStackKey], std::string& heap) {
  std::size_t size = session.size() + workspace.size() + 1;
  if (size <= kStackKey) {
    session.copy(buffer, session.size());
    buffer[session.size()] = kKeySeparator;
    workspace.copy(buffer + session.size() + 1, workspace.size());
    return {buffer, size};
  }
  heap.append(session).push_back(kKeySeparator);
  heap.append(workspace);
  return heap;
}

}  // namespace

PolicyCache::PolicyCache(std::size_t max_entries)
    : max_per_shard_(std::max<std::size_t>(1, max_entries / kShards)),
      shards_(new Shard[kShards]) {}

PolicyCache::Shard& PolicyCache::shard_for(std::string_view key) const {
  return shards_[Hash{}(key) % kShards];
}

std::optional<Decision> PolicyCache::get(std::string_view session_hash,
                                         std::string_view workspace_id) const {
  char buffer[kStackKey];
  std::string heap;
  std::string_view key = make_key(session_hash, workspace_id, buffer, heap);
  const uint64_t current = generation();
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.entries.find(key);
  if (it == shard.entries.end() || it->second.generation != current) return std::nullopt;
  return it->second.decision;
}

void PolicyCache::put(std::string_view session_hash, std::string_view workspace_id,
                      Decision decision, uint64_t generation_read) {
  char buffer[kStackKey];
  std::string heap;
  std::string_view key = make_key(session_hash, workspace_id, buffer, heap);
  Shard& shard = shard_for(key);
  std::lock_guard lock(shard.mutex);
  // Checked under the lock, so an invalidation that happened while the decision was being
  // computed wins; one that happens right after this is seen by the next get().
  const uint64_t current = generation();
  if (generation_read != current) return;
  auto it = shard.entries.find(key);
  if (it != shard.entries.end()) {
    it->second = Entry{std::move(decision), current};
    return;
  }
  if (shard.entries.size() >= max_per_shard_) {
    if (shard.swept_generation != current) {  // one sweep per generation, not one per put
      std::erase_if(shard.entries,
                    [&](const auto& kv) { return kv.second.generation != current; });
      shard.swept_generation = current;
    }
    // Still full of live entries: drop an arbitrary one. A miss costs one decide_access().
    if (shard.entries.size() >= max_per_shard_) shard.entries.erase(shard.entries.begin());
  }
  shard.entries.emplace(std::string(key), Entry{std::move(decision), current});
}

std::size_t PolicyCache::size() const {
  std::size_t total = 0;
  for (std::size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    total += shards_[i].entries.size();
  }
  return total;
}

}  // namespace k4ds

// The gateway's route table: where each workspace's traffic goes.
//
// Contract: a RouteTable is an immutable snapshot built from the store's workspaces; lookups by
// (owner, name) are O(1) hash lookups and never allocate for typical names. updated() makes the
// next snapshot from a few changed workspaces without copying the rest: routes live in 512
// shards (by owner) shared between snapshots, and only the shards a change touches are copied,
// so a change is live in well under a millisecond even with 100,000 workspaces. A RouteTableHolder
// publishes the current snapshot: readers take a shared_ptr copy (a request keeps using the
// table it started with), writers swap in a new one; neither waits for the other longer than
// one reference-count update (the old table is freed outside the lock, by its last reader).
// Every workspace gets a route, running or not, so the gateway can tell "no such workspace"
// (404) from "not running" (a page with a start link).
//
// Upstream strings (Workspace::upstream): "unix:/run/k4ds/ws.sock", "127.0.0.1:8888",
// "[::1]:8888", "localhost:8888", and "netns:1234:127.0.0.1:8888" (an address in a workspace's
// private network, see common/netns.h). parse_upstream() refuses anything else (invalid_argument).
//
// Usage:
//   RouteTableHolder routes(std::make_shared<const RouteTable>(store_workspaces));
//   // change feed:  routes.store(std::make_shared<const RouteTable>(new_list));
//   std::shared_ptr<const RouteTable> table = routes.load();
//   if (const Route* r = table->find("alice", "analysis"); r && r->running) relay(*r->upstream);
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "gateway/activity.h"
#include "model/model.h"

namespace k4ds {

struct Upstream {
  enum class Kind { tcp, unix_socket };
  Kind kind = Kind::tcp;
  std::string host;   // tcp: "127.0.0.1", "::1" (no brackets), "localhost"
  uint16_t port = 0;  // tcp
  std::string path;   // unix_socket: absolute path
  int netns_pid = 0;  // tcp: > 0 = host:port in that process's network namespace (common/netns.h)
  friend bool operator==(const Upstream&, const Upstream&) = default;
};

Result<Upstream> parse_upstream(std::string_view text);
// The inverse of parse_upstream, for logs: "unix:/path", "127.0.0.1:8888", "[::1]:8888".
std::string format_upstream(const Upstream& upstream);

struct Route {
  std::string workspace_id;
  std::string owner;
  std::string name;
  std::optional<Upstream> upstream;  // set when the workspace has a valid upstream
  bool running = false;  // phase running and a valid upstream: traffic can be relayed
  // Shared by every snapshot's route for this workspace id (never null in a table's routes).
  std::shared_ptr<Activity> activity;
};

class RouteTable {
 public:
  RouteTable() = default;
  // Duplicated (owner, name) pairs, which the store never produces, keep the first. Routes of
  // workspaces that `previous` has keep their Activity; new ones start at last_activity_at.
  explicit RouteTable(const std::vector<Workspace>& workspaces, const RouteTable* previous = nullptr);

  // The next snapshot: `changed` workspaces added or replaced (by id, so a rename moves the
  // route), the workspaces with ids in `removed` gone. This table is not modified.
  std::shared_ptr<const RouteTable> updated(const std::vector<Workspace>& changed,
                                            const std::vector<std::string>& removed) const;

  const Route* find(std::string_view owner, std::string_view name) const;
  const Route* find_id(std::string_view workspace_id) const;
  // Calls f(const Route&) for every route, in no particular order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& shard : routes_) {
      if (!shard) continue;
      for (const auto& [key, route] : *shard) f(route);
    }
  }
  std::size_t size() const { return size_; }

 private:
  static constexpr std::size_t kShards = 512;
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Key "<owner>/<name>": "/" appears in neither, so keys can't collide.
  using RouteMap = std::unordered_map<std::string, Route, Hash, std::equal_to<>>;
  using IdMap = std::unordered_map<std::string, std::string, Hash, std::equal_to<>>;  // id → key
  static std::size_t shard_of(std::string_view s) { return std::hash<std::string_view>{}(s) % kShards; }
  static std::string key_of(std::string_view owner, std::string_view name);

  std::array<std::shared_ptr<const RouteMap>, kShards> routes_;  // by owner
  std::array<std::shared_ptr<const IdMap>, kShards> ids_;        // by workspace id
  std::size_t size_ = 0;
};

class RouteTableHolder {
 public:
  explicit RouteTableHolder(std::shared_ptr<const RouteTable> initial =
                                std::make_shared<const RouteTable>());

  std::shared_ptr<const RouteTable> load() const;
  // A null table is replaced by an empty one, so load() never returns null.
  void store(std::shared_ptr<const RouteTable> table);

 private:
  // A mutex around a pointer copy rather than std::atomic<std::shared_ptr>: libstdc++ 12's
  // implementation is not understood by ThreadSanitizer, and the critical section is one
  // atomic increment either way.
  mutable std::mutex mutex_;
  std::shared_ptr<const RouteTable> current_;
};

}  // namespace k4ds

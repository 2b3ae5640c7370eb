// RouteFeed: keeps the gateway's route table in step with the store's change feed.
//
// Contract
// - The constructor loads every route and starts following at the store's current revision.
// - refresh() reads the changes after the last one it saw and patches the table (only the
//   workspaces named; a large batch is a full reload). It returns what the changes touched, so
//   the gateway can drop cached verdicts and re-check live connections. One refresh at a time.
// - catch_up() gives read-your-writes: it refreshes only if the store has committed something
//   the table does not reflect yet, and returns what that refresh touched (nullopt when the
//   table was already current). One revision read when there is nothing to do.
// - table() is a lock-free snapshot, safe on I/O threads. refresh() and catch_up() block on the
//   store: call them on worker threads.
//
// Usage:
//   RouteFeed feed(store);
//   auto sub = store.subscribe([&](int64_t) { post_to_workers([&] { apply(feed.refresh()); }); });
//   const Route* r = feed.table()->find(owner, name);
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "common/logging.h"
#include "gateway/route_table.h"
#include "store/store.h"

namespace k4ds {

// What a batch of changes touched.
struct FeedChanges {
  bool routes = false;  // some workspace changed (its route was re-read)
  bool policy = false;  // users, groups, shares, rules, sessions or tokens changed, or a workspace went
};

class RouteFeed {
 public:
  explicit RouteFeed(Store& store);

  std::shared_ptr<const RouteTable> table() const { return table_.load(); }
  FeedChanges refresh();
  std::optional<FeedChanges> catch_up();

 private:
  FeedChanges refresh_locked();
  void load_all();
  void update(const std::set<std::string>& ids);

  Store& store_;
  RouteTableHolder table_;
  std::mutex mutex_;          // one refresh at a time
  int64_t seen_revision_ = 0;  // guarded by mutex_
  // The newest store revision the table is known to reflect (read at the start of a refresh).
  std::atomic<int64_t> applied_revision_{0};
  std::shared_ptr<spdlog::logger> log_ = component_logger("gateway");
};

}  // namespace k4ds

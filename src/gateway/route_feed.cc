#include "gateway/route_feed.h"

#include <vector>

namespace k4ds {

RouteFeed::RouteFeed(Store& store) : store_(store) {
  if (auto revision = read_value(store_, [](Tx& tx) { return tx.revision(); })) {
    seen_revision_ = *revision;
    applied_revision_ = *revision;
  }
  load_all();
}

FeedChanges RouteFeed::refresh() {
  std::lock_guard lock(mutex_);
  return refresh_locked();
}

std::optional<FeedChanges> RouteFeed::catch_up() {
  auto committed = read_value(store_, [](Tx& tx) { return tx.revision(); });
  if (!committed || *committed <= applied_revision_.load()) return std::nullopt;
  std::lock_guard lock(mutex_);
  if (*committed <= applied_revision_.load()) return std::nullopt;  // another refresh got there
  return refresh_locked();
}

FeedChanges RouteFeed::refresh_locked() {
  // Everything committed up to `start` is in what is read below.
  auto start = read_value(store_, [](Tx& tx) { return tx.revision(); });
  std::set<std::string> changed_workspaces;
  FeedChanges touched;
  for (;;) {
    constexpr int kPage = 5000;
    auto listed = read_value(store_, [&](Tx& tx) { return tx.list_changes(seen_revision_, kPage); });
    if (!listed) {
      log_->warn("cannot read the change feed: {}", listed.status().to_string());
      return touched;  // applied_revision_ stays behind: the next refresh or catch-up tries again
    }
    for (const Change& c : *listed) {
      seen_revision_ = c.revision;
      switch (c.kind) {
        case RecordKind::workspace_event: break;
        case RecordKind::volume: break;
        case RecordKind::workspace:
          changed_workspaces.insert(c.key);
          if (c.op == ChangeOp::deleted) touched.policy = true;
          break;
        default: touched.policy = true;
      }
    }
    if (listed->size() < static_cast<std::size_t>(kPage)) break;
  }
  touched.routes = !changed_workspaces.empty();
  if (touched.routes) update(changed_workspaces);
  if (start && *start > applied_revision_.load()) applied_revision_ = *start;
  return touched;
}

void RouteFeed::load_all() {
  auto all = read_value(store_, [](Tx& tx) { return tx.list_workspaces({}); });
  if (!all) {
    log_->warn("cannot read workspaces for routing: {}", all.status().to_string());
    return;
  }
  table_.store(std::make_shared<const RouteTable>(*all, table_.load().get()));
}

// Re-reads only the workspaces the change feed named and patches the route table (a few
// shards are copied, not the whole table); a large batch is a full reload instead.
void RouteFeed::update(const std::set<std::string>& ids) {
  constexpr std::size_t kIncrementalLimit = 1000;
  if (ids.size() > kIncrementalLimit) {
    load_all();
    return;
  }
  std::vector<Workspace> changed;
  std::vector<std::string> removed;
  Status read = store_.read([&](Tx& tx) -> Status {
    for (const std::string& id : ids) {
      Result<Workspace> ws = tx.get_workspace(id);
      if (ws) {
        changed.push_back(std::move(ws).value());
      } else if (ws.status().code() == Code::not_found) {
        removed.push_back(id);
      } else {
        return ws.status();
      }
    }
    return ok_status();
  });
  if (!read.ok()) {
    log_->warn("cannot read changed workspaces for routing: {}; reloading all", read.to_string());
    load_all();
    return;
  }
  table_.store(table_.load()->updated(changed, removed));
}

}  // namespace k4ds

// EventCache: the Events Kubernetes records about workspace Pods (scheduling, image download,
// pull and mount failures), fed by a watch (WatchCache) instead of a list per observation, and
// bounded in memory.
//
// Contract
// - Watches core/v1 Events about Pods (fieldSelector involvedObject.kind=Pod) at `path`: all
//   namespaces, or one. Keeps only Events about Pods named like k4ds's workspace Pods
//   (kWorkspacePodPrefix), grouped by the Pod's uid, so a Pod created again under the same name
//   never inherits its predecessor's Events.
// - Per Pod at most `per_pod` Events, the newest (by lastTimestamp / eventTime / creation
//   time, then arrival), oldest first — the order observe_pod() reads them in.
// - retain(live uids) is called with the Pods the runtime currently has: the Events of a Pod
//   that was seen and is gone are dropped at once; Events of a Pod never seen (its Events came
//   before the Pod cache heard of it, or a Pod that is not k4ds's) are dropped after `grace`.
//   Without retain() calls memory still stays bounded: at most `max_pods` Pods are tracked, the
//   least recently updated unseen ones go first.
// - events_for(uid): a copy, oldest first; empty when none (or before the first list).
// - Thread-safe. The cache's status() is informational: Events only refine progress words, so
//   a cluster that refuses to list Events (RBAC) still runs workspaces.
//
// Usage:
//   EventCache events(client, "/api/v1/events?fieldSelector=involvedObject.kind=Pod");
//   events.start();
//   events.retain(uids_of_current_pods);
//   observe_pod(pod, events.events_for(uid), upstream);
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "kubernetes/watch_cache.h"

namespace k4ds::kubernetes {

struct EventCacheOptions {
  std::size_t per_pod = 8;
  std::size_t max_pods = 4096;
  std::chrono::seconds grace{60};
  WatchCacheOptions watch{.what = "the Events of workspace Pods"};
};

class EventStore : public WatchStore {
 public:
  explicit EventStore(EventCacheOptions options) : options_(std::move(options)) {}
  void replace(std::vector<boost::json::object> items) override;
  void apply(const WatchEvent& event) override;

  std::vector<boost::json::object> events_for(const std::string& pod_uid) const;
  void retain(const std::set<std::string>& live_pod_uids);
  std::size_t pods() const;  // how many Pods have Events kept, for tests

 private:
  struct PodEvents {
    std::deque<boost::json::object> events;  // oldest first, at most per_pod
    std::chrono::steady_clock::time_point updated;
    bool seen = false;  // the Pod was among the live ones at some retain()
  };
  void insert(PodEvents& pod, boost::json::object event);
  void bound();

  EventCacheOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, PodEvents> by_pod_;  // by the Pod's uid
};

class EventCache {
 public:
  EventCache(std::shared_ptr<KubeClient> client, std::string path, EventCacheOptions options = {})
      : store_(options), watch_(std::move(client), std::move(path), store_, options.watch) {}
  void start() { watch_.start(); }
  void stop() { watch_.stop(); }
  bool wait_synced(std::chrono::milliseconds timeout) const { return watch_.wait_synced(timeout); }
  Status status() const { return watch_.status(); }
  int lists() const { return watch_.lists(); }

  std::vector<boost::json::object> events_for(const std::string& pod_uid) const { return store_.events_for(pod_uid); }
  void retain(const std::set<std::string>& live_pod_uids) { store_.retain(live_pod_uids); }
  std::size_t pods() const { return store_.pods(); }

 private:
  EventStore store_;  // before watch_: the watch's thread uses it until watch_ is destroyed
  WatchCache watch_;
};

}  // namespace k4ds::kubernetes

// WatchCache: objects of one kind as the cluster has them, kept current by one list and then a
// watch on a background thread, so reading them costs no API call in steady state. The same
// machinery serves the workspaces' Pods, their Events and the cluster's Nodes; what is kept of
// each change is up to a WatchStore (ObjectStore keeps every object; EventCache keeps a few per
// Pod).
//
// Contract
// - start() begins: list `path` (a collection, with a labelSelector / fieldSelector as the API
//   server takes them), hand the items to store.replace(), then watch from the list's
//   resourceVersion and hand every ADDED / MODIFIED / DELETED to store.apply(). Each watch ends
//   after `watch_duration` (the API server's timeout, ended by a BOOKMARK) and the next resumes
//   from the newest version seen. A 410 Gone (the version expired) → list again; the store
//   keeps its contents meanwhile. Any other failure → the cache is stale (status() says why),
//   waits (backoff from retry_first, doubling up to retry_max) and lists again.
// - status() is ok once listed and while current; unavailable with the cluster's error before
//   the first list and while stale, so callers never act on old news.
// - stop() (and the destructor) ends the watch within ~100 ms and joins the thread.
// - The store is called on the cache's thread only; readers of the store run on any thread, so
//   a store locks its own data. Thread-safe; start/stop from one thread.
//
// Usage:
//   ObjectCache pods(client, "/api/v1/pods?labelSelector=app.kubernetes.io/managed-by=k4ds",
//                    {.what = "the workspaces' Pods"});
//   pods.start();
//   pods.wait_synced(std::chrono::seconds(5));
//   auto snapshot = pods.objects();   // Result<std::vector<json::object>>
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "kubernetes/client.h"

namespace k4ds::kubernetes {

struct WatchCacheOptions {
  std::chrono::seconds watch_duration{300};
  std::chrono::milliseconds retry_first{500};
  std::chrono::milliseconds retry_max{30000};
  std::string what = "the objects";  // for logs: "cannot read the workspaces' Pods: …"
};

// Where a WatchCache puts what it reads.
class WatchStore {
 public:
  virtual ~WatchStore() = default;
  virtual void replace(std::vector<boost::json::object> items) = 0;  // after each list
  virtual void apply(const WatchEvent& event) = 0;                  // ADDED, MODIFIED, DELETED
};

class WatchCache {
 public:
  WatchCache(std::shared_ptr<KubeClient> client, std::string path, WatchStore& store, WatchCacheOptions options = {});
  ~WatchCache();
  WatchCache(const WatchCache&) = delete;
  WatchCache& operator=(const WatchCache&) = delete;

  void start();
  void stop();

  Status status() const;
  // Waits until the cache holds a current list (true) or `timeout` passes (false).
  bool wait_synced(std::chrono::milliseconds timeout) const;
  int lists() const { return lists_; }  // how often it listed (first sync included), for tests and logs

 private:
  void run();
  bool list();  // replaces the store's contents; false on failure (error_ set)
  void fail(const Status& status);
  void wait(std::chrono::milliseconds d);

  std::shared_ptr<KubeClient> client_;
  std::string path_;
  WatchStore& store_;
  WatchCacheOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> lists_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::string version_;  // "" = list first
  bool synced_ = false;
  Status error_;
};

// "<namespace>/<name>" of an object ("/<name>" for cluster-wide kinds such as Node).
std::string object_key(const boost::json::object& object);

// Every object of the collection, by object_key, with a generation that moves on every change
// (so derived values can be cached until it does). `trim`, when given, keeps only what the
// reader needs of each object (a Node's status lists every image on it: tens of KiB per Node).
class ObjectStore : public WatchStore {
 public:
  using Trim = std::function<boost::json::object(const boost::json::object&)>;
  explicit ObjectStore(Trim trim = {}) : trim_(std::move(trim)) {}
  void replace(std::vector<boost::json::object> items) override;
  void apply(const WatchEvent& event) override;
  std::vector<boost::json::object> snapshot() const;
  uint64_t generation() const { return generation_; }

 private:
  Trim trim_;
  mutable std::mutex mu_;
  std::map<std::string, boost::json::object> objects_;
  std::atomic<uint64_t> generation_ = 0;
};

// A WatchCache with an ObjectStore: the usual pairing. Given several collections (objects that
// go together, such as the workspaces' Pods and the Services and NetworkPolicies they own), one
// list + watch each: objects(i) reads collection i, and the cache is current (status, synced)
// only while every one of them is.
class ObjectCache {
 public:
  ObjectCache(std::shared_ptr<KubeClient> client, std::string path, WatchCacheOptions options = {},
              ObjectStore::Trim trim = {})
      : ObjectCache(std::move(client), std::vector<std::string>{std::move(path)}, std::move(options), std::move(trim)) {}
  ObjectCache(std::shared_ptr<KubeClient> client, const std::vector<std::string>& paths, WatchCacheOptions options = {},
              ObjectStore::Trim trim = {});
  void start();
  void stop();
  // The current objects of collection i; the cache's error while it has never listed or is stale.
  Result<std::vector<boost::json::object>> objects(std::size_t collection = 0) const;
  bool wait_synced(std::chrono::milliseconds timeout) const;
  Status status() const;
  int lists() const;
  uint64_t generation() const;

 private:
  struct Collection {
    Collection(std::shared_ptr<KubeClient> client, std::string path, WatchCacheOptions options, ObjectStore::Trim trim)
        : store(std::move(trim)), watch(std::move(client), std::move(path), store, std::move(options)) {}
    ObjectStore store;  // before watch: the watch's thread uses it until watch is destroyed
    WatchCache watch;
  };
  std::vector<std::unique_ptr<Collection>> collections_;
};

}  // namespace k4ds::kubernetes

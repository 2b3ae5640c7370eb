// PodCache: k4ds's Pods as the cluster has them, kept current by one list and then a watch on
// a background thread, so reading them costs no API call in steady state.
//
// Contract
// - start() begins: list the Pods matching `path` (a collection with a labelSelector), then
//   watch from the list's resourceVersion; each watch ends after `watch_duration` (the API
//   server's timeout, ended by a BOOKMARK) and the next resumes from the newest version seen.
//   A 410 Gone (the version expired) → list again. Any other failure → the cache is marked
//   stale, waits (backoff from retry_first, doubling up to retry_max) and lists again.
// - pods() is the current snapshot; unavailable while the cache has never listed or is stale
//   after a failure, with the cluster's error, so callers never act on old news.
// - stop() (and the destructor) ends the watch within ~100 ms and joins the thread.
// - Thread-safe; start/stop from one thread.
//
// Usage:
//   PodCache cache(client, "/api/v1/pods?labelSelector=app.kubernetes.io/managed-by=k4ds");
//   cache.start();
//   cache.wait_synced(std::chrono::seconds(5));
//   auto pods = cache.pods();
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/result.h"
#include "kubernetes/client.h"

namespace k4ds::kubernetes {

struct PodCacheOptions {
  std::chrono::seconds watch_duration{300};
  std::chrono::milliseconds retry_first{500};
  std::chrono::milliseconds retry_max{30000};
};

class PodCache {
 public:
  PodCache(std::shared_ptr<KubeClient> client, std::string path, PodCacheOptions options = {});
  ~PodCache();
  PodCache(const PodCache&) = delete;
  PodCache& operator=(const PodCache&) = delete;

  void start();
  void stop();

  Result<std::vector<boost::json::object>> pods() const;
  // Waits until the cache holds a current list (true) or `timeout` passes (false).
  bool wait_synced(std::chrono::milliseconds timeout) const;
  int lists() const { return lists_; }  // how often it listed (first sync included), for tests and logs

 private:
  void run();
  bool list();  // replaces the contents; false on failure (error_ set)
  void fail(const Status& status);
  void wait(std::chrono::milliseconds d);

  std::shared_ptr<KubeClient> client_;
  std::string path_;
  PodCacheOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> lists_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::map<std::string, boost::json::object> pods_;  // by "<namespace>/<name>"
  std::string version_;                             // "" = list first
  bool synced_ = false;
  Status error_ = unavailable("the Pods have not been read from the cluster yet");
};

}  // namespace k4ds::kubernetes

// The test API server's state: the objects (in creation order, as lists return them), the
// resource version counter, the history of changes that watches replay, Pod logs, the request
// counter and the injected failures of the /_test hooks, kept in a state file when asked.
//
// Contract
// - One mutex (`mu`) guards every member; `changed` is notified on every change a watch or a
//   log follower waits for (record(), a log append, a compaction).
// - Objects are immutable snapshots (shared with the history): a change stores a new one.
// - record() appends to the history and, with a state file, writes {"rv", "store", "logs"} to it
//   before the change is answered (as etcd keeps a change before the API server answers).
// - A Store made from an existing state file is the same API server restarted: the same
//   objects and logs, versions go on from the saved one, and every version up to it counts
//   as compacted (the watch cache starts empty: watches from before get 410 Gone).
//
// Usage:
//   Store store(state_file);               // "" for none
//   std::unique_lock lock(store.mu);
//   store.objects.put(key, std::make_shared<const json::object>(obj));
//   store.record("ADDED", key, store.objects.get(key));
#pragma once

#include <boost/json.hpp>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace k4ds::fake_apiserver {

using Object = std::shared_ptr<const boost::json::object>;

// Objects by path, iterated in the order they were first stored.
class ObjectMap {
 public:
  Object get(const std::string& key) const;  // nullptr when absent
  bool contains(const std::string& key) const { return index_.contains(key); }
  void put(const std::string& key, Object object);  // replaces in place, or appends
  Object erase(const std::string& key);              // the removed object, or nullptr
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  size_t size() const { return items_.size(); }

 private:
  std::list<std::pair<std::string, Object>> items_;
  std::unordered_map<std::string, std::list<std::pair<std::string, Object>>::iterator> index_;
};

struct Event {
  int64_t version;   // the resource version after the change
  std::string type;  // ADDED, MODIFIED, DELETED
  std::string key;   // the object's path
  Object object;
};

// An injected answer (POST /_test/fail): for the next request whose method is `method` (any
// when empty) and whose path contains `match`.
struct Failure {
  int code = 503;
  std::string retry_after;  // "" = no Retry-After header
  std::string method;
  std::string match;
};

class Store {
 public:
  // Reads `state_file` when it exists; throws std::runtime_error when it cannot be read.
  explicit Store(std::string state_file);

  std::mutex mu;
  std::condition_variable changed;

  ObjectMap objects;
  std::vector<Event> events;  // in version order
  std::map<std::string, std::string> logs;  // Pod path → its output so far
  int64_t version = 0;       // the newest resource version
  int64_t requests = 0;      // API requests answered (hooks are not counted)
  int64_t compacted = 0;     // watches from versions before this get 410
  int64_t compactions = 0;   // open watches end when this moves
  double slow_seconds = 0;   // the next API request waits this long
  std::vector<Failure> failures;

  // With `mu` held. Records a change at the current `version` for watches, saves the state
  // file, and wakes the waiting watches.
  void record(const std::string& type, const std::string& key, Object object);
  // With `mu` held. The output of the Pod at `pod_path` ("log of NAME\n" to begin with).
  std::string& log_of(const std::string& pod_path);
  // With `mu` held. The first event after `version`.
  std::vector<Event>::const_iterator events_after(int64_t version) const;

 private:
  void save() const;
  std::string state_file_;
};

}  // namespace k4ds::fake_apiserver

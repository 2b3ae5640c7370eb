// A small Kubernetes REST client: one HTTPS request per call, with the cluster's CA, client
// certificate or bearer token (TokenSource), a deadline on every call, and retries with
// exponential backoff for what is worth retrying (connection failures, 429, 5xx).
//
// Contract
// - Blocking and thread-safe; call from worker threads. Each call gets at most `options.attempts` tries and
//   each try at most `options.timeout`.
// - Kubernetes Status answers become k4ds codes: 404 not_found, 409 AlreadyExists
//   already_exists, other 409 aborted (a conflict: re-read and retry), 422/400 invalid_argument,
//   401 unauthenticated (after dropping a cached plugin token and trying once more),
//   403 permission_denied, 429/5xx/connection problems unavailable. Messages quote the API
//   server's message and name the cluster.
// - Not yet: patch / server-side apply, client-side rate limiting, several clusters at once.
//
// Usage:
//   KubeClient client(connection);
//   auto pod = client.create(pods_path("k4ds-alice"), pod_json);
//   auto got = client.get(pods_path("k4ds-alice") + "/" + name);
#pragma once

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "kubernetes/credentials.h"
#include "kubernetes/kubeconfig.h"

namespace k4ds::kubernetes {

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK
  boost::json::object object;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};  // per try
  int attempts = 4;
  std::chrono::milliseconds first_backoff{100};  // doubled after every failed try
};

class KubeClient {
 public:
  explicit KubeClient(ClusterConnection connection, ClientOptions options = {});
  ~KubeClient();

  Result<boost::json::value> get(const std::string& path);
  Result<boost::json::value> create(const std::string& collection_path, const boost::json::object& object);
  Result<boost::json::value> remove(const std::string& path);  // not_found when absent
  Result<std::string> get_text(const std::string& path);       // logs: the body as it came
  int requests_sent() const { return requests_; }              // every try, for the tests

  // Streams the changes of a collection after `resource_version` (bookmarks included) for up
  // to `duration`, or until on_event returns false; returns the newest resourceVersion seen, to
  // watch on from. aborted when the version has expired (410 Gone): list again and watch from
  // the list's version. No retries here: the caller's loop resumes from the returned version.
  // When `cancel` turns true (from any thread) the watch ends within 100 ms: unavailable.
  Result<std::string> watch(const std::string& path, const std::string& resource_version,
                            std::chrono::seconds duration,
                            const std::function<bool(const WatchEvent&)>& on_event,
                            const std::atomic<bool>* cancel = nullptr);

  // GET `path` (with its query) and hand the body to on_data as it arrives, for up to
  // `duration` or until on_data returns false or *cancel turns true: logs with follow=true.
  // ok when the server ended the body (the container stopped); not_found; unavailable.
  Status stream_text(const std::string& path, std::chrono::seconds duration,
                     const std::function<bool(std::string_view)>& on_data, const std::atomic<bool>* cancel = nullptr);

 private:
  Result<std::string> open_stream(const std::string& path, const std::string& resource_version,
                                  std::chrono::seconds duration, const std::function<bool(const WatchEvent&)>& on_event,
                                  const std::function<bool(std::string_view)>* on_data,
                                  const std::atomic<bool>* cancel);
  Result<std::string> call(std::string_view method, const std::string& path, const std::string& body);
  Result<boost::json::value> call_json(std::string_view method, const std::string& path,
                                       const std::string& body);

  ClusterConnection connection_;
  ClientOptions options_;
  TokenSource tokens_;
  std::atomic<int> requests_ = 0;  // calls may come from several worker threads
};

// The REST path of the collection an object belongs to, from its apiVersion, kind and
// namespace: "/api/v1/namespaces/k4ds-alice/pods", "/apis/networking.k8s.io/v1/…".
Result<std::string> collection_path(const boost::json::object& object);

}  // namespace k4ds::kubernetes

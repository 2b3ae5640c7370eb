// A small Kubernetes REST client: one HTTPS request per call, with the cluster's CA, client
// certificate or bearer token (TokenSource), a deadline on every call, client-side rate
// limiting, and retries with exponential backoff for what is worth retrying (connection
// failures, 429, 5xx).
//
// Contract
// - Blocking and thread-safe; call from worker threads. Each call gets at most `options.attempts` tries and
//   each try at most `options.timeout`.
// - Rate limit: every try of a non-watch request (get, create, replace, remove, get_text,
//   stream_text) first takes a token from one bucket per client (options.qps / options.burst,
//   default 20 / 40, as client-go), waiting when there is none. Watches are long-lived and not
//   limited. A 429 or 5xx answer with Retry-After: N waits at least N seconds before the next
//   try; when N is more than options.max_retry_after the call gives up at once (unavailable,
//   saying when the cluster wants to be asked again).
// - Kubernetes Status answers become k4ds codes: 404 not_found, 409 AlreadyExists
//   already_exists, other 409 aborted (a conflict: re-read and retry), 422/400 invalid_argument,
//   401 unauthenticated (after dropping a cached plugin token and trying once more),
//   403 permission_denied (but resource_exhausted when a ResourceQuota is used up),
//   429/5xx/connection problems unavailable. Messages quote the API
//   server's message and name the cluster.
// - apply is server-side apply (PATCH, application/apply-patch+yaml) as field manager "k4ds":
//   the object is created when absent and otherwise brought to the fields k4ds sets, in one
//   call, with no read first and no resourceVersion race; fields others set are kept. With
//   force, k4ds takes over fields another manager set (a conflict otherwise: aborted).
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
#include "kubernetes/rate_limiter.h"

namespace k4ds::kubernetes {

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED, BOOKMARK
  boost::json::object object;
};

// The field manager k4ds's server-side applies are recorded under (metadata.managedFields).
inline constexpr std::string_view kFieldManager = "k4ds";

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};  // per try
  int attempts = 4;
  std::chrono::milliseconds first_backoff{100};  // doubled after every failed try
  double qps = 20;  // requests per second on average; <= 0 = no limit
  int burst = 40;   // requests at once before qps applies
  std::chrono::seconds max_retry_after{30};  // a longer Retry-After ends the call: unavailable
};

class KubeClient {
 public:
  explicit KubeClient(ClusterConnection connection, ClientOptions options = {});
  ~KubeClient();

  Result<boost::json::value> get(const std::string& path);
  Result<boost::json::value> create(const std::string& collection_path, const boost::json::object& object);
  // PUT: the whole object, with metadata.resourceVersion for optimistic concurrency
  // (aborted when someone changed it first: read again and retry).
  Result<boost::json::value> replace(const std::string& path, const boost::json::object& object);
  // Server-side apply of `object` at its own path ("<collection>/<name>").
  Result<boost::json::value> apply(const std::string& path, const boost::json::object& object, bool force = true);
  Result<boost::json::value> remove(const std::string& path);  // not_found when absent
  Result<std::string> get_text(const std::string& path);       // logs: the body as it came
  int requests_sent() const { return requests_; }              // every try, for the tests
  // Changes the rate limit (the runtime applies its configured qps / burst).
  void set_rate_limit(double qps, int burst) { limiter_.set(qps, burst); }
  double rate_limit_qps() const { return limiter_.qps(); }
  int rate_limit_burst() const { return limiter_.burst(); }

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
                                  const std::atomic<bool>* cancel, bool rate_limited);
  Result<std::string> call(std::string_view method, const std::string& path, const std::string& body,
                           std::string_view content_type = "application/json");
  Result<boost::json::value> call_json(std::string_view method, const std::string& path, const std::string& body,
                                       std::string_view content_type = "application/json");

  ClusterConnection connection_;
  ClientOptions options_;
  TokenSource tokens_;
  TokenBucket limiter_;
  std::atomic<int> requests_ = 0;  // calls may come from several worker threads
};

// The REST path of the collection an object belongs to, from its apiVersion, kind and
// namespace: "/api/v1/namespaces/k4ds-alice/pods", "/apis/networking.k8s.io/v1/…".
Result<std::string> collection_path(const boost::json::object& object);

}  // namespace k4ds::kubernetes

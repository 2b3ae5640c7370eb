// The bearer token for a cluster, wherever it comes from: a static token, a token file (the
// service account's, re-read at every call because the kubelet rotates it), or an exec
// credential plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`: the ExecCredential
// protocol), whose answer is cached until shortly before its expirationTimestamp.
//
// Contract: token() is thread-safe and blocks while a plugin runs (at most `plugin_timeout`).
// invalidate() drops a cached plugin token (call it when the API server answers 401).
// Errors: unauthenticated (the plugin failed or gave no token: its stderr is quoted),
// unavailable (a token file cannot be read right now).
//
// Usage:
//   TokenSource tokens(connection);
//   auto t = tokens.token();             // "" when the connection uses no token
//   if (t && !t->empty()) request.set(http::field::authorization, "Bearer " + *t);
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "common/result.h"
#include "kubernetes/kubeconfig.h"

namespace k4ds::kubernetes {

class TokenSource {
 public:
  using Clock = std::chrono::system_clock;
  explicit TokenSource(ClusterConnection connection,
                       std::function<Clock::time_point()> now = [] { return Clock::now(); },
                       std::chrono::seconds plugin_timeout = std::chrono::seconds(30));

  Result<std::string> token();
  void invalidate();
  int plugin_runs() const;  // how often the exec plugin ran (tests, metrics)

 private:
  Result<std::string> run_plugin();

  ClusterConnection connection_;
  std::function<Clock::time_point()> now_;
  std::chrono::seconds plugin_timeout_;
  mutable std::mutex mutex_;
  std::string cached_;
  Clock::time_point cached_until_{};
  int runs_ = 0;
};

// "2026-11-28T15:04:05Z" or with a fraction / offset; nullopt when not RFC 3339.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339_time(std::string_view text);

}  // namespace k4ds::kubernetes

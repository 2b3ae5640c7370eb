// A small pool of LDAP connections that share one identity: the service account, or nobody
// (anonymous searches, or connections used only to check users' passwords).
//
// Contract
// - with(fn) runs fn on a connection and gives it back. Connections are reused; one that
//   failed (Connection::broken()) is thrown away, and a new one is opened for the next call.
// - A reused connection may have died while idle (the server restarted, an idle timeout): when
//   fn fails with Code::unavailable on a reused connection that is now broken, fn runs once
//   more on a fresh one. So the first login after the directory comes back works.
// - At most `size` connections exist; when all are busy a caller waits up to the operation
//   timeout, then gets Code::unavailable.
// - A directory that times out (as opposed to refusing connections, which fails at once) would
//   hold a worker thread for every login. After such a failure the pool answers
//   Code::unavailable at once, without the network, for one operation timeout; then it tries
//   again. Pools of one directory share this state (QuietState): a hanging directory hangs for
//   searches and password checks alike. Any slow Code::unavailable counts, whichever step of
//   the call it came from.
// - A fresh connection binds as the service account when one is configured; the directory
//   refusing it is Code::unavailable naming bind_dn (the admin must fix it).
// - Thread-safe.
//
// Usage:
//   Pool pool(settings, 4, Identity{dn, password});
//   Result<SearchResult> r = pool.with<SearchResult>([&](Connection& c) {
//     return c.search(base, Scope::subtree, filter, attrs, 2);
//   });
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "directory/ldap_connection.h"

namespace k4ds::ldap {

struct Identity {
  std::string dn;
  std::string password;
};

// "The directory just timed out": shared by the pools of one directory.
struct QuietState {
  std::mutex mutex;
  std::chrono::steady_clock::time_point until{};
  Status reason;
};

class Pool {
 public:
  Pool(ConnectionSettings settings, std::size_t size, std::optional<Identity> identity,
       std::shared_ptr<QuietState> quiet = nullptr);
  ~Pool();

  Status run(const std::function<Status(Connection&)>& fn);
  template <class T, class F>
  Result<T> with(F&& fn) {
    std::optional<Result<T>> out;
    Status s = run([&](Connection& c) -> Status {
      out.emplace(fn(c));
      return out->status();
    });
    if (!s.ok()) return s;
    return std::move(*out);
  }

  std::size_t idle() const;  // for tests: connections kept for reuse

 private:
  Result<std::unique_ptr<Connection>> acquire(bool& reused);
  void release(std::unique_ptr<Connection> conn);

  using Steady = std::chrono::steady_clock;

  ConnectionSettings settings_;
  std::size_t size_;
  std::shared_ptr<QuietState> quiet_;
  std::optional<Identity> identity_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;  // idle + in use
};

}  // namespace k4ds::ldap

// Rate limit for failed logins, per user name and per client address, so that guessing
// passwords is slow for one account (a targeted attack) and for one address (spraying many
// accounts).
//
// Contract: a sliding window. Once `per_user` failures for a user name (or `per_address`
// failures from an address) fall inside the last `window`, further attempts are refused until
// the oldest of those failures leaves the window; check() then says how long to wait. Limits
// apply before the password is checked, so a limited account cannot be unlocked by guessing
// right. A successful login forgets the user name's failures (not the address's). Uses the
// injected Clock, so tests control time. Thread-safe. Memory is bounded: at most `max_keys`
// names and addresses are remembered; old entries are evicted first.
//
// Usage:
//   LoginLimiter limiter(services.clock, LoginLimits{});
//   if (auto limited = limiter.check("alice", "10.0.0.7")) return refuse(limited->retry_after);
//   if (!password_ok) limiter.record_failure("alice", "10.0.0.7");
//   else limiter.record_success("alice");
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/services.h"

namespace k4ds {

struct LoginLimits {
  int per_user = 5;
  int per_address = 20;
  std::chrono::seconds window = std::chrono::minutes(5);
  std::size_t max_keys = 100'000;  // per kind (user names, addresses)
};

struct LoginLimited {
  enum class Scope { user, address };
  Scope scope = Scope::user;
  std::chrono::seconds retry_after{0};  // at least 1s
  // "too many failed logins for this account; try again in 4 minutes"
  std::string message() const;
};

class LoginLimiter {
 public:
  LoginLimiter(std::shared_ptr<Clock> clock, LoginLimits limits);

  // nullopt when an attempt is allowed now. The per-user limit is reported first.
  std::optional<LoginLimited> check(std::string_view user, std::string_view address) const;
  void record_failure(std::string_view user, std::string_view address);
  void record_success(std::string_view user);

  // How many keys are remembered (for tests of the memory bound).
  std::size_t tracked_keys() const;

 private:
  // Failure times of one key, oldest first; at most `limit` are kept (older ones no longer
  // matter for the decision).
  using Failures = std::deque<TimePoint>;
  using Table = std::unordered_map<std::string, Failures>;

  std::optional<std::chrono::seconds> limited_for(const Table& table, const std::string& key,
                                                  int limit, TimePoint now) const;
  void add(Table& table, std::string key, int limit, TimePoint now);
  void evict(Table& table, TimePoint now);

  std::shared_ptr<Clock> clock_;
  LoginLimits limits_;
  mutable std::mutex mutex_;
  Table users_;
  Table addresses_;
};

// "4 minutes", "1 minute", "30 seconds": a wait for people (rounded up).
std::string describe_wait(std::chrono::seconds wait);

}  // namespace k4ds

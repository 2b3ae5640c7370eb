// TokenBucket: client-side rate limiting of API calls, as client-go's default limiter does
// (qps 20, burst 40 for k4ds): up to `burst` calls at once, then `qps` per second on average.
//
// Contract
// - reserve() takes one token and returns how long the caller must wait before sending: zero
//   while tokens are left; otherwise the time until its token has refilled. Reservations queue
//   up in call order (the bucket may go negative), so a burst of N calls from any number of
//   threads ends no earlier than (N - burst) / qps after the first.
// - qps <= 0 means no limit. set() changes the rate at once (keeping the tokens on hand, at most
//   the new burst). Thread-safe.
//
// Usage:
//   TokenBucket bucket(20, 40);
//   std::this_thread::sleep_for(bucket.reserve());
//   send();
#pragma once

#include <chrono>
#include <mutex>

namespace k4ds::kubernetes {

class TokenBucket {
 public:
  TokenBucket(double qps, int burst);

  void set(double qps, int burst);
  std::chrono::nanoseconds reserve() { return reserve(std::chrono::steady_clock::now()); }
  // As reserve(), at a given time (tests: no dependence on how fast the machine is).
  std::chrono::nanoseconds reserve(std::chrono::steady_clock::time_point now);
  double qps() const;
  int burst() const;

 private:
  void refill(std::chrono::steady_clock::time_point now);

  mutable std::mutex mu_;
  double qps_;
  int burst_;
  double tokens_;  // may go below 0: calls already promised a later slot
  std::chrono::steady_clock::time_point updated_;
};

}  // namespace k4ds::kubernetes

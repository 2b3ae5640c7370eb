// Activity: when a workspace last had traffic through this gateway, for "last activity" in the
// portal and CLI and for stopping idle workspaces.
//
// Contract: one Activity per workspace, shared by every route snapshot of it (RouteTable carries
// it over when the route changes), so nothing is lost when routes are updated. touch() is on
// the request path and in WebSocket tunnels: lock-free, and it writes the shared cache line at
// most once per second. Times are Unix milliseconds rounded down to the second; seen() never
// goes backwards. The gateway's flusher (Gateway::flush_activity) writes what moved to the store.
//
// Usage:
//   route.activity->touch(now_ms);                    // per request / per tunnelled chunk
//   if (int64_t at = a.seen(); at > a.written()) { record(id, at); a.set_written(at); }
#pragma once

#include <atomic>
#include <cstdint>

namespace k4ds {

class Activity {
 public:
  // `stored_ms`: the time the store already has (nothing to write until it moves past it).
  explicit Activity(int64_t stored_ms = 0) : seen_(stored_ms), written_(stored_ms) {}
  void touch(int64_t now_ms) {
    const int64_t second = now_ms - now_ms % 1000;
    if (seen_.load(std::memory_order_relaxed) < second) seen_.store(second, std::memory_order_relaxed);
  }
  int64_t seen() const { return seen_.load(std::memory_order_relaxed); }

  // For the flusher only (one at a time, under its own lock): the time last written.
  int64_t written() const { return written_; }
  void set_written(int64_t ms) { written_ = ms; }

 private:
  std::atomic<int64_t> seen_;
  int64_t written_;
};

}  // namespace k4ds

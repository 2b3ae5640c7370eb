// ChangeNotifier: lets coroutines wait, without holding a thread, for the store's next commit.
//
// Contract: generation() increases on every store commit. wait(seen, timeout) completes at once
// if the generation already moved past `seen`, else when the next commit happens or the
// timeout passes (returns true if a change happened). Safe with many io threads: each waiter's
// timer is cancelled on the waiter's own executor.
//
// Usage:
//   uint64_t seen = notifier.generation();
//   poll_something();
//   bool changed = co_await notifier.wait(seen, std::chrono::seconds(15));
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>

#include "store/store.h"

namespace k4ds {

class ChangeNotifier {
 public:
  explicit ChangeNotifier(Store& store);
  ~ChangeNotifier();

  uint64_t generation() const { return generation_.load(); }
  boost::asio::awaitable<bool> wait(uint64_t seen, std::chrono::milliseconds timeout);

 private:
  void notify_all();

  std::atomic<uint64_t> generation_{0};
  std::mutex mutex_;
  std::list<std::shared_ptr<boost::asio::steady_timer>> waiters_;
  Subscription subscription_;
};

}  // namespace k4ds

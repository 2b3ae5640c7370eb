// ChangeHub: the in-process half of the change feed — the committed revision, the subscribers
// and the waiters of wait_for_change.
//
// Contract
// - publish(revision) is called after a commit. It returns only once every subscriber has been
//   called with that revision or a newer one (deliveries may coalesce: a subscriber that sees
//   revision 7 reads list_changes to catch up on 6). Calls are serialized: one callback at a
//   time, revisions non-decreasing.
// - Cancelling a subscription (Subscription's destructor) waits for an in-flight call of that
//   callback on another thread to finish; after it returns the callback is never called again.
//   Cancelling from inside any callback (including its own) does not wait and cannot deadlock.
// - A write from inside a callback does not deadlock: its revision is delivered by the
//   enclosing publish loop once the current round finishes.
// - Subscriptions hold only a weak reference, so one may outlive the store.
//
// Usage:
//   auto hub = std::make_shared<ChangeHub>(initial_revision);
//   Subscription sub = ChangeHub::subscribe(hub, [](int64_t rev) { wake(); });
//   hub->publish(8);
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "store/store.h"

namespace k4ds::sqlite {

class ChangeHub {
 public:
  explicit ChangeHub(int64_t revision) : revision_(revision), delivered_(revision) {}

  static Subscription subscribe(const std::shared_ptr<ChangeHub>& hub,
                                std::function<void(int64_t)> on_commit);
  void publish(int64_t revision);
  int64_t wait_for_change(int64_t after, std::chrono::milliseconds timeout);
  int64_t revision() const;

 private:
  struct Entry {
    std::function<void(int64_t)> fn;
    bool active = true;
  };
  void cancel(const std::shared_ptr<Entry>& entry);
  void deliver();

  // Guards revision_, entries_, calling_.
  mutable std::mutex mu_;
  std::condition_variable revision_cv_;  // wait_for_change
  std::condition_variable calls_cv_;     // cancel() waiting for an in-flight call
  int64_t revision_;
  std::vector<std::shared_ptr<Entry>> entries_;
  const Entry* calling_ = nullptr;

  // Held while delivering, so calls are one at a time and in revision order.
  std::mutex deliver_mu_;
  int64_t delivered_;  // guarded by deliver_mu_
};

}  // namespace k4ds::sqlite

#include "store/sqlite/change_hub.h"

#include <algorithm>
#include <utility>

namespace k4ds::sqlite {

namespace {
// The hub this thread is delivering for, if any: lets a callback cancel or write re-entrantly.
thread_local const ChangeHub* tls_delivering = nullptr;
}  // namespace

Subscription ChangeHub::subscribe(const std::shared_ptr<ChangeHub>& hub,
                                  std::function<void(int64_t)> on_commit) {
  auto entry = std::make_shared<Entry>();
  entry->fn = std::move(on_commit);
  {
    std::lock_guard lock(hub->mu_);
    hub->entries_.push_back(entry);
  }
  std::weak_ptr<ChangeHub> weak = hub;
  return Subscription([weak, entry] {
    if (auto h = weak.lock()) h->cancel(entry);
  });
}

void ChangeHub::cancel(const std::shared_ptr<Entry>& entry) {
  std::unique_lock lock(mu_);
  entry->active = false;
  std::erase(entries_, entry);
  // On the delivering thread the in-flight call (if it is this entry) is our caller: waiting
  // for it would wait for ourselves.
  if (tls_delivering == this) return;
  calls_cv_.wait(lock, [&] { return calling_ != entry.get(); });
}

void ChangeHub::publish(int64_t revision) {
  {
    std::lock_guard lock(mu_);
    if (revision > revision_) revision_ = revision;
  }
  revision_cv_.notify_all();
  // A write made by a callback: the enclosing deliver() loop picks the new revision up.
  if (tls_delivering == this) return;
  deliver();
}

void ChangeHub::deliver() {
  std::lock_guard deliver_lock(deliver_mu_);
  // Restored on exit, not cleared: a callback may itself be delivering for another store.
  const ChangeHub* outer = std::exchange(tls_delivering, this);
  for (;;) {
    std::vector<std::shared_ptr<Entry>> snapshot;
    int64_t target;
    {
      std::lock_guard lock(mu_);
      target = revision_;
      if (target <= delivered_) break;
      snapshot = entries_;
    }
    delivered_ = target;
    for (const auto& entry : snapshot) {
      {
        std::lock_guard lock(mu_);
        if (!entry->active) continue;
        calling_ = entry.get();
      }
      try {
        entry->fn(target);
      } catch (...) {
        // A subscriber must only schedule work; one that throws must not stop the others.
      }
      {
        std::lock_guard lock(mu_);
        calling_ = nullptr;
      }
      calls_cv_.notify_all();
    }
  }
  tls_delivering = outer;
}

int64_t ChangeHub::wait_for_change(int64_t after, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  revision_cv_.wait_for(lock, timeout, [&] { return revision_ > after; });
  return revision_;
}

int64_t ChangeHub::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

}  // namespace k4ds::sqlite

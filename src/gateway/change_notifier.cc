#include "gateway/change_notifier.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace k4ds {

namespace asio = boost::asio;

ChangeNotifier::ChangeNotifier(Store& store)
    : subscription_(store.subscribe([this](int64_t) { notify_all(); })) {}

ChangeNotifier::~ChangeNotifier() { subscription_.reset(); }

void ChangeNotifier::notify_all() {
  std::lock_guard lock(mutex_);
  generation_.fetch_add(1);
  for (auto& timer : waiters_) {
    // steady_timer is not thread-safe: cancel it on the executor (strand) it waits on.
    asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  }
}

asio::awaitable<bool> ChangeNotifier::wait(uint64_t seen, std::chrono::milliseconds timeout) {
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto timer = std::make_shared<asio::steady_timer>(executor, timeout);
  std::list<std::shared_ptr<asio::steady_timer>>::iterator it;
  {
    std::lock_guard lock(mutex_);
    // Checked under the lock so a commit between the caller's poll and here is never missed.
    if (generation_.load() != seen) co_return true;
    it = waiters_.insert(waiters_.end(), timer);
  }
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  {
    std::lock_guard lock(mutex_);
    waiters_.erase(it);
  }
  co_return generation_.load() != seen;
}

}  // namespace k4ds

// Deadline: one timer per connection (or per tunnel direction) whose deadline moves at every
// phase for the price of a clock read, instead of a timer re-arm per read and write.
//
// Contract
// - expires_after(d) sets the deadline of the phase about to start to now + d; expires_never()
//   clears it (for waits that have no deadline of their own). Neither touches the timer when a
//   wait is already pending that is due no later than the new deadline: the common case, since
//   phases of one connection mostly use the same durations.
// - When the timer fires it compares the clock with the current deadline: if the deadline has
//   passed, it marks the deadline fired() and runs `on_expire` (which cancels the connection's
//   sockets, so the pending operation ends with operation_aborted); otherwise it re-arms for the
//   deadline that was set since. So a phase is never given more than its own duration.
// - Not thread-safe: use it, and let it fire, on the one executor its connection runs on.
//   Destroying it cancels the timer; `on_expire` never runs after that.
//
// Usage:
//   Deadline deadline(executor, [&] { socket.cancel(); });
//   deadline.expires_after(30s);
//   auto [ec, n] = co_await socket.async_read_some(buf, as_tuple(use_awaitable));
//   if (deadline.fired()) ec = beast::error::timeout;
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace k4ds {

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;

  Deadline(const boost::asio::any_io_executor& executor, std::function<void()> on_expire)
      : state_(std::make_shared<State>(executor, std::move(on_expire))) {}
  ~Deadline() {
    state_->on_expire = nullptr;
    state_->timer.cancel();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void expires_after(Clock::duration d) { expires_at(Clock::now() + d); }
  void expires_at(Clock::time_point at) {
    State& s = *state_;
    s.deadline = at;
    s.fired = false;
    if (!s.waiting || at < s.due) start(state_, at);
  }
  void expires_never() {
    state_->deadline = Clock::time_point::max();
    state_->fired = false;
  }
  // Whether the current deadline passed (and on_expire ran).
  bool fired() const { return state_->fired; }

 private:
  struct State {
    State(const boost::asio::any_io_executor& ex, std::function<void()> f) : timer(ex), on_expire(std::move(f)) {}
    boost::asio::steady_timer timer;
    std::function<void()> on_expire;
    Clock::time_point deadline = Clock::time_point::max();
    Clock::time_point due{};
    bool waiting = false;
    bool fired = false;
    uint64_t wait_id = 0;  // only the latest wait acts
  };

  static void start(const std::shared_ptr<State>& state, Clock::time_point at) {
    State& s = *state;
    s.waiting = true;
    s.due = at;
    const uint64_t id = ++s.wait_id;
    s.timer.expires_at(at);
    s.timer.async_wait([state, id](boost::system::error_code ec) {
      State& s = *state;
      if (ec || id != s.wait_id || !s.on_expire) return;  // re-armed, or destroyed
      s.waiting = false;
      if (s.deadline == Clock::time_point::max()) return;  // nothing to watch now
      if (Clock::now() < s.deadline) {
        start(state, s.deadline);  // the deadline moved on since this wait began
        return;
      }
      s.fired = true;
      s.on_expire();
    });
  }

  std::shared_ptr<State> state_;
};

}  // namespace k4ds

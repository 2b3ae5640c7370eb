// Deadline (gateway/deadline.h): the lazily re-armed per-connection timer behind every relay
// phase's deadline. It must fire when the current deadline passes, never earlier, also when the
// deadline moved later or earlier while a wait was pending, and never after expires_never() or
// its destruction.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "gateway/deadline.h"

namespace k4ds {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

TEST(Deadline, FiresWhenTheDeadlinePasses) {
  boost::asio::io_context io;
  int fired = 0;
  Deadline deadline(io.get_executor(), [&] { ++fired; });
  const auto start = Clock::now();
  Clock::time_point when{};
  Deadline watched(io.get_executor(), [&] { when = Clock::now(); });  // a second one, same executor
  watched.expires_after(50ms);
  deadline.expires_after(50ms);
  io.run_for(300ms);
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(deadline.fired());
  ASSERT_NE(when, Clock::time_point{});
  EXPECT_GE(when - start, 50ms);
}

TEST(Deadline, AMovedLaterDeadlineIsHonouredNotTheFirstOne) {
  boost::asio::io_context io;
  Clock::time_point when{};
  Deadline deadline(io.get_executor(), [&] { when = Clock::now(); });
  const auto start = Clock::now();
  deadline.expires_after(40ms);
  boost::asio::steady_timer later(io, 20ms);  // the next phase begins at 20 ms, for 100 ms
  later.async_wait([&](boost::system::error_code) { deadline.expires_after(100ms); });
  io.run_for(400ms);
  ASSERT_NE(when, Clock::time_point{}) << "the moved deadline must still fire";
  EXPECT_GE(when - start, 120ms) << "it fired at the first deadline, not the moved one";
}

TEST(Deadline, AnEarlierDeadlineFiresEarly) {
  boost::asio::io_context io;
  Clock::time_point when{};
  Deadline deadline(io.get_executor(), [&] { when = Clock::now(); });
  const auto start = Clock::now();
  deadline.expires_after(10s);
  deadline.expires_after(30ms);  // a shorter phase: must not wait for the 10 s timer
  io.run_for(500ms);
  ASSERT_NE(when, Clock::time_point{}) << "a deadline earlier than the pending wait must fire";
  EXPECT_LT(when - start, 400ms);
}

TEST(Deadline, NeverAndDestructionDoNotFire) {
  boost::asio::io_context io;
  int fired = 0;
  Deadline cleared(io.get_executor(), [&] { ++fired; });
  cleared.expires_after(20ms);
  cleared.expires_never();
  {
    Deadline destroyed(io.get_executor(), [&] { ++fired; });
    destroyed.expires_after(20ms);
  }
  io.run_for(150ms);
  EXPECT_EQ(fired, 0);
  EXPECT_FALSE(cleared.fired());
  // And it can be used again after a wait without a deadline.
  cleared.expires_after(20ms);
  io.restart();
  io.run_for(150ms);
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace k4ds

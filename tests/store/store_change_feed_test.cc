// Conformance: the change feed seen from outside — subscribers, unsubscription, wait_for_change
// — and many writers at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "store_test_support.h"

namespace k4ds::testing {
namespace {

using namespace std::chrono_literals;

class StoreChangeFeedTest : public StoreTest {};

TEST_P(StoreChangeFeedTest, SubscriberIsCalledAfterCommitWithTheNewRevision) {
  std::vector<int64_t> seen;
  std::vector<bool> visible;  // was the write readable when the callback ran?
  Subscription sub = store().subscribe([&](int64_t rev) {
    seen.push_back(rev);
    visible.push_back(read_tx(store(), [](Tx& tx) { return tx.get_user("alice"); }).ok());
  });
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("alice")); }));
  ASSERT_STATUS_OK(store().write([](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(tx.create_user(make_user("bob")).status());
    return tx.create_user(make_user("carol")).status();
  }));
  EXPECT_THAT(seen, ::testing::ElementsAre(1, 3));  // one call per commit, its last revision
  EXPECT_THAT(visible, ::testing::ElementsAre(true, true));
}

TEST_P(StoreChangeFeedTest, UnsubscribedCallbacksAreNotCalled) {
  std::atomic<int> kept{0}, dropped{0};
  Subscription keep = store().subscribe([&](int64_t) { ++kept; });
  {
    Subscription drop = store().subscribe([&](int64_t) { ++dropped; });
    ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("a")); }));
  }
  Subscription moved = store().subscribe([&](int64_t) { ++dropped; });
  Subscription target = std::move(moved);
  target.reset();
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("b")); }));
  EXPECT_EQ(kept.load(), 2);
  EXPECT_EQ(dropped.load(), 1);
}

TEST_P(StoreChangeFeedTest, CallbackMayUnsubscribeItselfWithoutDeadlock) {
  int calls = 0;
  Subscription sub;
  sub = store().subscribe([&](int64_t) {
    ++calls;
    sub.reset();
  });
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("a")); }));
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("b")); }));
  EXPECT_EQ(calls, 1);
}

// Unsubscribing from another thread while the callback runs waits for it to finish, and no
// call starts after reset() returns.
TEST_P(StoreChangeFeedTest, UnsubscribeWaitsForAnInFlightCallback) {
  std::atomic<bool> in_callback{false}, release{false}, finished{false};
  std::atomic<int> calls{0};
  Subscription sub = store().subscribe([&](int64_t) {
    ++calls;
    in_callback = true;
    while (!release) std::this_thread::sleep_for(1ms);
    finished = true;
  });
  std::thread writer([&] {
    EXPECT_STATUS_OK(write_tx(store(), [](Tx& tx) { return tx.create_user(make_user("a")); }));
  });
  while (!in_callback) std::this_thread::sleep_for(1ms);
  std::thread releaser([&] {
    std::this_thread::sleep_for(50ms);
    release = true;
  });
  sub.reset();
  EXPECT_TRUE(finished.load());  // reset() returned only after the callback did
  writer.join();
  releaser.join();
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("b")); }));
  EXPECT_EQ(calls.load(), 1);
}

TEST_P(StoreChangeFeedTest, WaitForChangeWakesOnAWriteFromAnotherThread) {
  int64_t start = revision();
  std::thread writer([&] {
    std::this_thread::sleep_for(50ms);
    EXPECT_STATUS_OK(write_tx(store(), [](Tx& tx) { return tx.create_user(make_user("a")); }));
  });
  auto t0 = std::chrono::steady_clock::now();
  int64_t rev = store().wait_for_change(start, 10s);
  auto waited = std::chrono::steady_clock::now() - t0;
  writer.join();
  EXPECT_EQ(rev, start + 1);
  EXPECT_LT(waited, 5s);
}

TEST_P(StoreChangeFeedTest, WaitForChangeTimesOutWithoutAWrite) {
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_user(make_user("a")); }));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(store().wait_for_change(1, 100ms), 1);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 90ms);
  // Already past `after`: returns at once.
  t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(store().wait_for_change(0, 10s), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

// N threads × M writes: every write commits, the feed has no gaps and no duplicates, and a
// read-modify-write counter proves the writes were serialized.
TEST_P(StoreChangeFeedTest, ConcurrentWritersAllCommitWithAGapFreeFeed) {
  constexpr int kThreads = 4;
  constexpr int kWritesEach = 40;
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.create_workspace(make_workspace("counter", "x", "c")); }));
  std::mutex seen_mu;
  std::vector<int64_t> seen;
  Subscription sub = store().subscribe([&](int64_t rev) {
    std::lock_guard lock(seen_mu);
    seen.push_back(rev);
  });

  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesEach; ++i) {
        Status s = store().write([&](Tx& tx) -> Status {
          std::string name = "u" + std::to_string(t) + "-" + std::to_string(i);
          K4DS_RETURN_IF_ERROR(tx.create_user(make_user(name)).status());
          Result<Workspace> w = tx.get_workspace("counter");
          if (!w) return w.status();
          w->reason = std::to_string(std::stoi(w->reason.empty() ? "0" : w->reason) + 1);
          return tx.update_workspace(*w).status();
        });
        if (!s.ok()) {
          ++failures;
          ADD_FAILURE() << s.to_string();
        }
        // Readers run alongside the writers.
        EXPECT_STATUS_OK(read_tx(store(), [](Tx& tx) { return tx.list_users(); }));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  ASSERT_EQ(failures.load(), 0);

  constexpr int64_t kExpected = 1 + 2 * kThreads * kWritesEach;
  EXPECT_EQ(revision(), kExpected);
  std::vector<Change> feed = changes();
  ASSERT_EQ(static_cast<int64_t>(feed.size()), kExpected);
  for (size_t i = 0; i < feed.size(); ++i) EXPECT_EQ(feed[i].revision, static_cast<int64_t>(i + 1));
  EXPECT_EQ(read([](Tx& tx) { return tx.list_users(); })->size(),
            static_cast<size_t>(kThreads * kWritesEach));
  Workspace counter = *read([](Tx& tx) { return tx.get_workspace("counter"); });
  EXPECT_EQ(counter.reason, std::to_string(kThreads * kWritesEach));
  EXPECT_EQ(counter.version, kExpected);

  std::lock_guard lock(seen_mu);
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), kExpected);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreChangeFeedTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace k4ds::testing

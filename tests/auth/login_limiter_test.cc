#include "auth/login_limiter.h"

#include <gtest/gtest.h>

#include "auth/auth_test_support.h"

namespace k4ds {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using testing::FakeClock;

class LoginLimiterTest : public ::testing::Test {
 protected:
  std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
  LoginLimiter limiter_{clock_, LoginLimits{.per_user = 5, .per_address = 20,
                                            .window = minutes(5), .max_keys = 1000}};
};

TEST_F(LoginLimiterTest, FiveFailuresLimitTheAccount) {
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(limiter_.check("alice", "10.0.0.1")) << "attempt " << i;
    limiter_.record_failure("alice", "10.0.0.1");
    clock_->advance(seconds(10));
  }
  auto limited = limiter_.check("alice", "10.0.0.1");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->scope, LoginLimited::Scope::user);
  // The first failure was 50 s ago: it leaves the 5-minute window in 250 s.
  EXPECT_EQ(limited->retry_after, seconds(250));
  EXPECT_EQ(limited->message(), "too many failed logins for this account; try again in 5 minutes");
  // Another address does not help: the account is what is limited.
  EXPECT_TRUE(limiter_.check("alice", "10.0.0.2"));
  // Another account from the same address is fine.
  EXPECT_FALSE(limiter_.check("bob", "10.0.0.1"));
}

TEST_F(LoginLimiterTest, WindowExpiryAllowsAgain) {
  for (int i = 0; i < 5; ++i) limiter_.record_failure("alice", "a");
  ASSERT_TRUE(limiter_.check("alice", "a"));
  clock_->advance(minutes(5) - seconds(1));
  auto limited = limiter_.check("alice", "a");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->retry_after, seconds(1));
  clock_->advance(seconds(1));
  EXPECT_FALSE(limiter_.check("alice", "a"));
}

TEST_F(LoginLimiterTest, SlidingWindowFreesOneSlotAtATime) {
  for (int i = 0; i < 5; ++i) {
    limiter_.record_failure("alice", "a");
    clock_->advance(minutes(1));
  }
  // Failures at 0,1,2,3,4 min; now = 5 min: the first just left the window.
  EXPECT_FALSE(limiter_.check("alice", "a"));
  limiter_.record_failure("alice", "a");
  auto limited = limiter_.check("alice", "a");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->retry_after, minutes(1));
}

TEST_F(LoginLimiterTest, UserNamesAreCaseFolded) {
  for (int i = 0; i < 5; ++i) limiter_.record_failure(i % 2 ? "Alice" : "ALICE", "a");
  EXPECT_TRUE(limiter_.check("alice", "b"));
}

TEST_F(LoginLimiterTest, SuccessForgetsTheAccountsFailuresNotTheAddresss) {
  for (int i = 0; i < 4; ++i) limiter_.record_failure("alice", "a");
  limiter_.record_success("alice");
  for (int i = 0; i < 4; ++i) limiter_.record_failure("alice", "a");
  EXPECT_FALSE(limiter_.check("alice", "a"));
}

TEST_F(LoginLimiterTest, AddressLimitIsIndependentOfUsers) {
  // 20 different accounts from one address: each account is fine, the address is not.
  for (int i = 0; i < 20; ++i) limiter_.record_failure("user" + std::to_string(i), "10.9.9.9");
  auto limited = limiter_.check("newuser", "10.9.9.9");
  ASSERT_TRUE(limited);
  EXPECT_EQ(limited->scope, LoginLimited::Scope::address);
  EXPECT_EQ(limited->message(), "too many failed logins for your address; try again in 5 minutes");
  EXPECT_FALSE(limiter_.check("newuser", "10.9.9.8"));
  EXPECT_FALSE(limiter_.check("user1", "10.9.9.8"));
}

TEST_F(LoginLimiterTest, MemoryIsBounded) {
  for (int i = 0; i < 5000; ++i) {
    limiter_.record_failure("u" + std::to_string(i), "addr" + std::to_string(i));
  }
  EXPECT_LE(limiter_.tracked_keys(), 2000u);
  // The newest entries are kept.
  for (int i = 0; i < 4; ++i) limiter_.record_failure("u4999", "x");
  EXPECT_TRUE(limiter_.check("u4999", "y"));
}

TEST_F(LoginLimiterTest, ExpiredEntriesAreEvictedFirst) {
  for (int i = 0; i < 999; ++i) limiter_.record_failure("old" + std::to_string(i), "a");
  clock_->advance(minutes(10));
  for (int i = 0; i < 4; ++i) limiter_.record_failure("fresh", "b");
  limiter_.record_failure("another", "c");  // crosses max_keys: the old ones go
  EXPECT_LE(limiter_.tracked_keys(), 10u);
}

TEST(DescribeWait, RoundsUpForPeople) {
  EXPECT_EQ(describe_wait(seconds(0)), "1 second");
  EXPECT_EQ(describe_wait(seconds(30)), "30 seconds");
  EXPECT_EQ(describe_wait(seconds(60)), "1 minute");
  EXPECT_EQ(describe_wait(seconds(61)), "2 minutes");
  EXPECT_EQ(describe_wait(seconds(240)), "4 minutes");
}

}  // namespace
}  // namespace k4ds

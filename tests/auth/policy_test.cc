// The access rule and its cache.
#include "auth/policy.h"

#include <gtest/gtest.h>

#include <thread>

namespace k4ds {
namespace {

Share user_share(std::string ws, std::string user) {
  return Share{.workspace_id = std::move(ws), .kind = PrincipalKind::user,
               .principal = std::move(user)};
}

Share group_share(std::string ws, std::string group) {
  return Share{.workspace_id = std::move(ws), .kind = PrincipalKind::group,
               .principal = std::move(group)};
}

const AccessWorkspace kAliceX{.id = "ws-1", .owner = "alice", .name = "x"};

struct PolicyCase {
  std::string label;
  AccessUser user;
  std::vector<Share> shares;
  bool allowed;
  AccessBasis basis;
};
void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.label; }

class DecideAccess : public ::testing::TestWithParam<PolicyCase> {};

TEST_P(DecideAccess, Decides) {
  const PolicyCase& c = GetParam();
  Decision d = decide_access({.user = c.user, .workspace = kAliceX, .shares = c.shares});
  EXPECT_EQ(d.allowed, c.allowed) << c.label << ": " << d.reason;
  EXPECT_EQ(d.basis, c.basis) << c.label;
  EXPECT_FALSE(d.reason.empty()) << c.label;
}

INSTANTIATE_TEST_SUITE_P(
    Table, DecideAccess,
    ::testing::Values(
        PolicyCase{"owner", {.name = "alice"}, {}, true, AccessBasis::owner},
        PolicyCase{"admin", {.name = "root", .admin = true}, {}, true, AccessBasis::admin},
        PolicyCase{"user share", {.name = "bob"}, {user_share("ws-1", "bob")}, true,
                   AccessBasis::user_share},
        PolicyCase{"group share, member",
                   {.name = "bob", .groups = {"ml", "data"}},
                   {group_share("ws-1", "data")}, true, AccessBasis::group_share},
        PolicyCase{"user share wins over group share",
                   {.name = "bob", .groups = {"data"}},
                   {group_share("ws-1", "data"), user_share("ws-1", "bob")}, true,
                   AccessBasis::user_share},
        PolicyCase{"stranger", {.name = "eve"}, {}, false, AccessBasis::no_grant},
        PolicyCase{"group share, not a member",
                   {.name = "eve", .groups = {"ml"}},
                   {group_share("ws-1", "data")}, false, AccessBasis::no_grant},
        // A user named like a group, or a group named like the user, grants nothing.
        PolicyCase{"user share for a group of the same name",
                   {.name = "eve", .groups = {"bob"}},
                   {user_share("ws-1", "bob")}, false, AccessBasis::no_grant},
        PolicyCase{"group share named like the user",
                   {.name = "eve"},
                   {group_share("ws-1", "eve")}, false, AccessBasis::no_grant},
        PolicyCase{"share of another workspace",
                   {.name = "bob", .groups = {"data"}},
                   {user_share("ws-2", "bob"), group_share("ws-2", "data")}, false,
                   AccessBasis::no_grant},
        PolicyCase{"names are case-sensitive", {.name = "Alice"}, {}, false,
                   AccessBasis::no_grant},
        PolicyCase{"disabled owner", {.name = "alice", .disabled = true}, {}, false,
                   AccessBasis::disabled_user},
        PolicyCase{"disabled admin", {.name = "root", .admin = true, .disabled = true}, {},
                   false, AccessBasis::disabled_user},
        PolicyCase{"disabled but shared",
                   {.name = "bob", .disabled = true},
                   {user_share("ws-1", "bob")}, false, AccessBasis::disabled_user},
        PolicyCase{"anonymous", {.name = ""}, {user_share("ws-1", "")}, false,
                   AccessBasis::no_grant}));

TEST(DecideAccess, DenialSaysWhoseItIsAndWhatToDo) {
  Decision d = decide_access({.user = {.name = "eve"}, .workspace = kAliceX});
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.reason, "this workspace belongs to alice; ask alice to share it with you");
}

TEST(DecideAccess, DisabledReasonSaysWhatToDo) {
  Decision d = decide_access({.user = {.name = "alice", .disabled = true}, .workspace = kAliceX});
  EXPECT_EQ(d.reason, "your account is disabled; ask your k4ds administrator to enable it");
}

TEST(DecideAccess, GroupGrantNamesTheGroup) {
  Decision d = decide_access({.user = {.name = "bob", .groups = {"data"}},
                              .workspace = kAliceX,
                              .shares = {group_share("ws-1", "data")}});
  EXPECT_EQ(d.reason, "alice shared this workspace with your group data");
}

// ---- PolicyCache -----------------------------------------------------------------------------

const Decision kAllowed{true, "you own this workspace", AccessBasis::owner};
const Decision kDenied{false, "no", AccessBasis::no_grant};

TEST(PolicyCache, StoresPerSessionAndWorkspace) {
  PolicyCache cache;
  uint64_t gen = cache.generation();
  EXPECT_FALSE(cache.get("s1", "ws-1").has_value());
  cache.put("s1", "ws-1", kAllowed, gen);
  cache.put("s2", "ws-1", kDenied, gen);
  ASSERT_TRUE(cache.get("s1", "ws-1").has_value());
  EXPECT_TRUE(cache.get("s1", "ws-1")->allowed);
  EXPECT_FALSE(cache.get("s2", "ws-1")->allowed);
  EXPECT_FALSE(cache.get("s1", "ws-2").has_value());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(PolicyCache, InvalidateDropsEverything) {
  PolicyCache cache;
  cache.put("s1", "ws-1", kAllowed, cache.generation());
  cache.invalidate_all();
  EXPECT_FALSE(cache.get("s1", "ws-1").has_value());
  cache.put("s1", "ws-1", kDenied, cache.generation());
  ASSERT_TRUE(cache.get("s1", "ws-1").has_value());
  EXPECT_FALSE(cache.get("s1", "ws-1")->allowed);
}

TEST(PolicyCache, DecisionComputedBeforeAnInvalidationIsNotStored) {
  PolicyCache cache;
  uint64_t read_at = cache.generation();
  // ...decide_access() runs on data read now; meanwhile a share is revoked...
  cache.invalidate_all();
  cache.put("s1", "ws-1", kAllowed, read_at);
  EXPECT_FALSE(cache.get("s1", "ws-1").has_value());
}

TEST(PolicyCache, KeysDoNotCollide) {
  PolicyCache cache;
  uint64_t gen = cache.generation();
  cache.put("ab", "c", kAllowed, gen);
  EXPECT_FALSE(cache.get("a", "bc").has_value());
  std::string long_session(300, 's');
  cache.put(long_session, "ws-1", kAllowed, gen);
  EXPECT_TRUE(cache.get(long_session, "ws-1").has_value());
}

TEST(PolicyCache, BoundedSize) {
  PolicyCache cache(64);
  uint64_t gen = cache.generation();
  for (int i = 0; i < 10'000; ++i) cache.put("s" + std::to_string(i), "ws", kAllowed, gen);
  EXPECT_LE(cache.size(), 64u);
  EXPECT_GT(cache.size(), 0u);
  // Stale entries are swept to make room after an invalidation.
  cache.invalidate_all();
  gen = cache.generation();
  for (int i = 0; i < 64; ++i) cache.put("t" + std::to_string(i), "ws", kDenied, gen);
  EXPECT_LE(cache.size(), 64u);
}

TEST(PolicyCache, ConcurrentUse) {
  PolicyCache cache(1000);
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20'000; ++i) {
        std::string session = "s" + std::to_string((i * 7 + t) % 200);
        uint64_t gen = cache.generation();
        std::optional<Decision> d = cache.get(session, "ws-1");
        if (d && !d->allowed) wrong++;  // only "allowed" is ever stored
        if (!d) cache.put(session, "ws-1", kAllowed, gen);
      }
    });
  }
  std::thread invalidator([&] {
    while (!stop) cache.invalidate_all();
  });
  for (std::thread& t : threads) t.join();
  stop = true;
  invalidator.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.size(), 1000u);
}

}  // namespace
}  // namespace k4ds

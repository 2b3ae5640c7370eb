// Conformance: the access rules are one ordered list, replaced as a whole with optimistic
// concurrency, reported on the change feed; shares can be listed by whom they name.
#include "store_test_support.h"

namespace k4ds::testing {
namespace {

using ::testing::ElementsAre;

class StorePolicyTest : public StoreTest {};

TEST_P(StorePolicyTest, ANewStoreLetsEveryoneLaunchEverything) {
  Result<AccessPolicy> policy = read([](Tx& tx) { return tx.get_policy(); });
  ASSERT_STATUS_OK(policy);
  EXPECT_EQ(policy->version, 0);
  ASSERT_EQ(policy->rules.size(), 1u);
  const AccessRule& seed = policy->rules[0];
  EXPECT_EQ(seed.id, "r1");
  EXPECT_EQ(seed.effect, RuleEffect::allow);
  EXPECT_EQ(seed.action, RuleAction::launch);
  EXPECT_THAT(seed.who, ElementsAre("*"));
  EXPECT_THAT(seed.environments, ElementsAre("*"));
  EXPECT_THAT(seed.sizes, ElementsAre("*"));
  EXPECT_TRUE(seed.owners.empty());
}

TEST_P(StorePolicyTest, ReplaceKeepsOrderAndEveryFieldAndRefusesAStaleVersion) {
  AccessPolicy next{.rules = {
      AccessRule{.id = "r2", .effect = RuleEffect::deny, .action = RuleAction::launch,
                 .who = {"group:contractors", "user:carl"}, .environments = {"*"},
                 .sizes = {"gpu", "large"}, .description = "GPUs cost money"},
      AccessRule{.id = "r3", .effect = RuleEffect::allow, .action = RuleAction::access,
                 .who = {"group:analysts"}, .owners = {"group:analysts"}},
      AccessRule{.id = "r1", .effect = RuleEffect::allow, .action = RuleAction::admin, .who = {"*"}},
  }, .updated_by = "admin", .updated_at = 1234, .version = 0};
  int64_t before = revision();
  Result<AccessPolicy> stored = write([&](Tx& tx) { return tx.replace_policy(next); });
  ASSERT_STATUS_OK(stored);
  EXPECT_GT(stored->version, 0);

  Result<AccessPolicy> got = read([](Tx& tx) { return tx.get_policy(); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->version, stored->version);
  EXPECT_EQ(got->updated_by, "admin");
  EXPECT_EQ(got->updated_at, 1234);
  ASSERT_EQ(got->rules.size(), 3u);
  EXPECT_EQ(got->rules[0].id, "r2");
  EXPECT_EQ(got->rules[0].effect, RuleEffect::deny);
  EXPECT_THAT(got->rules[0].who, ElementsAre("group:contractors", "user:carl"));
  EXPECT_THAT(got->rules[0].sizes, ElementsAre("gpu", "large"));
  EXPECT_EQ(got->rules[0].description, "GPUs cost money");
  EXPECT_EQ(got->rules[1].action, RuleAction::access);
  EXPECT_THAT(got->rules[1].owners, ElementsAre("group:analysts"));
  EXPECT_EQ(got->rules[2].action, RuleAction::admin);

  std::vector<std::string> feed;
  for (const Change& c : changes(before)) feed.push_back(std::string(record_kind_name(c.kind)) + " " + c.key);
  EXPECT_THAT(feed, ElementsAre("policy rules"));

  // Someone else's edit based on the version before: refused, nothing changed.
  next.rules.pop_back();
  Result<AccessPolicy> stale = write([&](Tx& tx) { return tx.replace_policy(next); });
  EXPECT_CODE(stale, Code::aborted);
  EXPECT_NE(stale.status().message().find("read them again"), std::string::npos);
  EXPECT_EQ(read([](Tx& tx) { return tx.get_policy(); })->rules.size(), 3u);

  // An empty list is allowed: then nothing is allowed (default deny).
  AccessPolicy none{.version = got->version};
  ASSERT_STATUS_OK(write([&](Tx& tx) { return tx.replace_policy(none); }));
  EXPECT_TRUE(read([](Tx& tx) { return tx.get_policy(); })->rules.empty());
}

TEST_P(StorePolicyTest, SharesAreListedByWhomTheyName) {
  ASSERT_STATUS_OK(store().write([](Tx& tx) -> Status {
    for (const char* id : {"w1", "w2", "w3"}) {
      K4DS_RETURN_IF_ERROR(tx.create_workspace(make_workspace(id, "alice", std::string("ws") + id)).status());
    }
    K4DS_RETURN_IF_ERROR(tx.create_share({.workspace_id = "w2", .principal = "bob"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_share({.workspace_id = "w1", .principal = "bob"}).status());
    K4DS_RETURN_IF_ERROR(tx.create_share({.workspace_id = "w3", .kind = PrincipalKind::group, .principal = "bob"}).status());
    return tx.create_share({.workspace_id = "w3", .principal = "carol"}).status();
  }));
  auto ids = [&](PrincipalKind kind, const char* who) {
    std::vector<std::string> out;
    Result<std::vector<Share>> listed = read([&](Tx& tx) { return tx.list_shares_with(kind, who); });
    for (const Share& s : *listed) out.push_back(s.workspace_id);
    return out;
  };
  EXPECT_THAT(ids(PrincipalKind::user, "bob"), ElementsAre("w1", "w2"));
  EXPECT_THAT(ids(PrincipalKind::group, "bob"), ElementsAre("w3"));
  EXPECT_TRUE(ids(PrincipalKind::user, "dan").empty());
}

TEST_P(StorePolicyTest, QuotasArePutReadListedAndDeletedWithVersions) {
  EXPECT_EQ(read([](Tx& tx) { return tx.get_quota("default"); }).status().code(), Code::not_found);
  int64_t before = revision();
  Quota fresh{.subject = "group:analysts", .workspaces = 3, .memory_bytes = int64_t{64} << 30,
              .updated_by = "admin", .updated_at = 77};
  Result<Quota> created = write([&](Tx& tx) { return tx.put_quota(fresh); });
  ASSERT_STATUS_OK(created);
  EXPECT_GT(created->version, before);
  ASSERT_STATUS_OK(write([](Tx& tx) { return tx.put_quota(Quota{.subject = "default", .gpus = 0}); }));

  Result<Quota> got = read([](Tx& tx) { return tx.get_quota("group:analysts"); });
  ASSERT_STATUS_OK(got);
  EXPECT_EQ(got->workspaces, 3);
  EXPECT_EQ(got->cpu_millis, std::nullopt) << "a limit not set stays not set";
  EXPECT_EQ(got->memory_bytes, int64_t{64} << 30);
  EXPECT_EQ(got->gpus, std::nullopt);
  EXPECT_EQ(got->updated_by, "admin");
  EXPECT_EQ(got->updated_at, 77);
  Result<Quota> zero = read([](Tx& tx) { return tx.get_quota("default"); });
  ASSERT_STATUS_OK(zero);
  EXPECT_EQ(zero->gpus, 0) << "0 is a limit, not 'unset'";

  // Creating over an existing one, or updating with a stale version, is refused.
  EXPECT_EQ(write([&](Tx& tx) { return tx.put_quota(fresh); }).status().code(), Code::aborted);
  Quota next = *got;
  next.workspaces.reset();
  next.cpu_millis = 8000;
  Result<Quota> updated = write([&](Tx& tx) { return tx.put_quota(next); });
  ASSERT_STATUS_OK(updated);
  EXPECT_EQ(write([&](Tx& tx) { return tx.put_quota(next); }).status().code(), Code::aborted);
  Quota missing{.subject = "user:nobody", .version = 5};
  EXPECT_EQ(write([&](Tx& tx) { return tx.put_quota(missing); }).status().code(), Code::not_found);

  Result<std::vector<Quota>> listed = read([](Tx& tx) { return tx.list_quotas(); });
  ASSERT_STATUS_OK(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].subject, "default");
  EXPECT_EQ((*listed)[1].subject, "group:analysts");
  EXPECT_EQ((*listed)[1].workspaces, std::nullopt);
  EXPECT_EQ((*listed)[1].cpu_millis, 8000);

  ASSERT_STATUS_OK(write([](Tx& tx) -> Result<bool> {
    K4DS_RETURN_IF_ERROR(tx.delete_quota("default"));
    return true;
  }));
  EXPECT_EQ(write([](Tx& tx) -> Result<bool> {
              K4DS_RETURN_IF_ERROR(tx.delete_quota("default"));
              return true;
            }).status().code(),
            Code::not_found);
  std::vector<std::string> feed;
  for (const Change& c : changes(before)) {
    feed.push_back(std::string(record_kind_name(c.kind)) + " " + change_op_name(c.op) + " " + c.key);
  }
  EXPECT_THAT(feed, ElementsAre("quota created group:analysts", "quota created default",
                                "quota updated group:analysts", "quota deleted default"));
}

INSTANTIATE_TEST_SUITE_P(Backends, StorePolicyTest, ::testing::ValuesIn(store_backends()),
                         backend_name);

}  // namespace
}  // namespace k4ds::testing

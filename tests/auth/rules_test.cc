// The operator's access rules: first match wins, default deny, every answer names its rule.
#include "auth/rules.h"

#include <gtest/gtest.h>

#include "auth/policy.h"

namespace k4ds {
namespace {

AccessRule launch_rule(std::string id, RuleEffect effect, std::vector<std::string> who,
                       std::vector<std::string> envs, std::vector<std::string> sizes) {
  return AccessRule{.id = std::move(id), .effect = effect, .action = RuleAction::launch,
                    .who = std::move(who), .environments = std::move(envs), .sizes = std::move(sizes)};
}

Catalog test_catalog() {
  Catalog c;
  c.environments = {Environment{.name = "jupyter-python"}, Environment{.name = "jupyter-r"}};
  c.sizes = {Size{.name = "small"}, Size{.name = "gpu"}};
  return c;
}

TEST(RulesTest, TheFirstMatchingRuleDecidesAndNoMatchIsANo) {
  AccessPolicy policy{.rules = {
      launch_rule("r2", RuleEffect::deny, {"group:contractors"}, {"*"}, {"gpu"}),
      launch_rule("r1", RuleEffect::allow, {"*"}, {"*"}, {"*"}),
  }};
  RuleSubject contractor{"carl", {"contractors"}};
  RuleVerdict gpu = evaluate_launch(policy, contractor, "jupyter-python", "gpu");
  EXPECT_FALSE(gpu.allowed);
  EXPECT_TRUE(gpu.matched);
  EXPECT_EQ(gpu.position, 1u);
  EXPECT_EQ(gpu.rule_id, "r2");
  EXPECT_NE(gpu.explanation.find("deny group:contractors to launch any environment in size gpu"),
            std::string::npos) << gpu.explanation;
  EXPECT_TRUE(evaluate_launch(policy, contractor, "jupyter-python", "small").allowed);
  EXPECT_TRUE(evaluate_launch(policy, RuleSubject{"ann", {}}, "jupyter-python", "gpu").allowed);

  AccessPolicy empty;
  RuleVerdict none = evaluate_launch(empty, contractor, "jupyter-python", "small");
  EXPECT_FALSE(none.allowed);
  EXPECT_FALSE(none.matched);
  EXPECT_NE(none.explanation.find("no rule lets you launch environment jupyter-python in size small"),
            std::string::npos) << none.explanation;
}

TEST(RulesTest, RulesOfOtherActionsAndOtherPeopleAreSkipped) {
  AccessPolicy policy{.rules = {
      AccessRule{.id = "a", .effect = RuleEffect::deny, .action = RuleAction::admin, .who = {"*"}},
      launch_rule("b", RuleEffect::deny, {"user:bob"}, {"*"}, {"*"}),
      launch_rule("c", RuleEffect::allow, {"group:analysts"}, {"jupyter-r"}, {"*"}),
  }};
  EXPECT_TRUE(evaluate_launch(policy, RuleSubject{"ann", {"analysts"}}, "jupyter-r", "small").allowed);
  EXPECT_FALSE(evaluate_launch(policy, RuleSubject{"ann", {"analysts"}}, "jupyter-python", "small").matched);
  EXPECT_EQ(evaluate_launch(policy, RuleSubject{"bob", {"analysts"}}, "jupyter-r", "small").rule_id, "b");
  // "user:bob" must not match a group called bob, nor "group:analysts" a user called analysts.
  EXPECT_FALSE(evaluate_launch(policy, RuleSubject{"analysts", {"bob"}}, "jupyter-r", "small").matched);
}

TEST(RulesTest, AnUnaskedPartMatchesAnything) {
  AccessPolicy policy{.rules = {launch_rule("r", RuleEffect::deny, {"*"}, {"*"}, {"gpu"})}};
  EXPECT_TRUE(evaluate_launch(policy, RuleSubject{"x", {}}, std::nullopt, "gpu").matched);
  EXPECT_TRUE(evaluate_launch(policy, RuleSubject{"x", {}}, "jupyter-r", std::nullopt).matched);
  EXPECT_FALSE(evaluate_launch(policy, RuleSubject{"x", {}}, "jupyter-r", "small").matched);
}

TEST(RulesTest, AccessAndAdminRules) {
  AccessPolicy policy{.rules = {
      AccessRule{.id = "keep-out", .effect = RuleEffect::deny, .action = RuleAction::access,
                 .who = {"group:contractors"}, .owners = {"*"}},
      AccessRule{.id = "team", .effect = RuleEffect::allow, .action = RuleAction::access,
                 .who = {"group:analysts"}, .owners = {"group:analysts"}},
      AccessRule{.id = "ops", .effect = RuleEffect::allow, .action = RuleAction::admin,
                 .who = {"group:platform"}},
  }};
  RuleSubject alice{"alice", {"analysts"}};
  auto team = evaluate_access(policy, RuleSubject{"bob", {"analysts"}}, alice);
  ASSERT_TRUE(team);
  EXPECT_TRUE(team->allowed);
  EXPECT_EQ(team->rule_id, "team");
  auto contractor = evaluate_access(policy, RuleSubject{"carl", {"analysts", "contractors"}}, alice);
  ASSERT_TRUE(contractor);
  EXPECT_FALSE(contractor->allowed);
  EXPECT_FALSE(evaluate_access(policy, RuleSubject{"dan", {}}, alice).has_value()) << "shares decide";
  EXPECT_TRUE(evaluate_admin(policy, RuleSubject{"ola", {"platform"}}).allowed);
  EXPECT_FALSE(evaluate_admin(policy, RuleSubject{"bob", {"analysts"}}).allowed);
}

TEST(RulesTest, DecideAccessPutsRulesAfterOwnerAndAdminAndBeforeShares) {
  AccessPolicy policy{.rules = {AccessRule{.id = "no-bob", .effect = RuleEffect::deny,
                                           .action = RuleAction::access, .who = {"user:bob"},
                                           .owners = {"*"}}}};
  AccessRequest request{.user = {.name = "bob"},
                        .workspace = {.id = "w1", .owner = "alice", .name = "nb"},
                        .shares = {Share{.workspace_id = "w1", .principal = "bob"}},
                        .policy = &policy};
  Decision d = decide_access(request);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.basis, AccessBasis::rule);
  EXPECT_NE(d.reason.find("no-bob"), std::string::npos) << d.reason;

  request.user.name = "alice";  // the owner: never locked out by a rule
  EXPECT_TRUE(decide_access(request).allowed);
  request.user = {.name = "bob", .admin = true};
  EXPECT_EQ(decide_access(request).basis, AccessBasis::admin);
  request.user = {.name = "carol"};
  request.shares.push_back(Share{.workspace_id = "w1", .principal = "carol"});
  EXPECT_EQ(decide_access(request).basis, AccessBasis::user_share);
}

TEST(RulesTest, NormalizeRefusesWhatCannotWorkAndFillsDefaults) {
  Catalog catalog = test_catalog();
  AccessPolicy policy{.rules = {AccessRule{.effect = RuleEffect::allow, .action = RuleAction::launch,
                                           .who = {"group:analysts"}},
                                AccessRule{.id = "r4", .effect = RuleEffect::allow,
                                           .action = RuleAction::access, .who = {"*"}}}};
  ASSERT_TRUE(normalize_policy(policy, catalog).ok());
  EXPECT_EQ(policy.rules[0].id, "r5") << "new ids continue after the highest";
  EXPECT_EQ(policy.rules[0].environments, std::vector<std::string>{"*"});
  EXPECT_EQ(policy.rules[1].owners, std::vector<std::string>{"*"});

  auto refused = [&](AccessRule rule) {
    AccessPolicy p{.rules = {std::move(rule)}};
    Status s = normalize_policy(p, catalog);
    EXPECT_EQ(s.code(), Code::invalid_argument);
    return s.message();
  };
  EXPECT_NE(refused(AccessRule{.action = RuleAction::launch}).find("rules[0].who"), std::string::npos);
  EXPECT_NE(refused(AccessRule{.action = RuleAction::launch, .who = {"bob"}}).find("user:NAME"), std::string::npos);
  EXPECT_NE(refused(AccessRule{.action = RuleAction::launch, .who = {"user:Bob!"}}).find("rules[0].who"),
            std::string::npos);
  EXPECT_NE(refused(AccessRule{.action = RuleAction::launch, .who = {"*"}, .sizes = {"gpu2"}})
                .find("there is no size \"gpu2\"; known: small, gpu"),
            std::string::npos);
  EXPECT_NE(refused(AccessRule{.action = RuleAction::admin, .who = {"*"}, .owners = {"*"}}).find("has no owners"),
            std::string::npos);
  EXPECT_NE(refused(AccessRule{.id = "R1!", .action = RuleAction::admin, .who = {"*"}}).find("rules[0].id"),
            std::string::npos);
  AccessPolicy dup{.rules = {AccessRule{.id = "x", .action = RuleAction::admin, .who = {"*"}},
                             AccessRule{.id = "x", .action = RuleAction::admin, .who = {"*"}}}};
  EXPECT_NE(normalize_policy(dup, catalog).message().find("used by another rule"), std::string::npos);
}

TEST(RulesTest, DescriptionsReadAsSentences) {
  EXPECT_EQ(describe_rule(launch_rule("r", RuleEffect::allow, {"*"}, {"*"}, {"*"})),
            "allow everyone to launch any environment in any size");
  EXPECT_EQ(describe_rule(AccessRule{.effect = RuleEffect::allow, .action = RuleAction::access,
                                     .who = {"group:a", "user:b"}, .owners = {"group:a"}}),
            "allow group:a, user:b to reach workspaces of group:a");
  EXPECT_EQ(describe_rule(AccessRule{.effect = RuleEffect::deny, .action = RuleAction::admin, .who = {"user:x"}}),
            "deny user:x to act as administrators");
}

}  // namespace
}  // namespace k4ds

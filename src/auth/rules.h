// The operator's access rules (model.h AccessPolicy): evaluation, validation and wording.
//
// Contract: pure functions over a policy snapshot. For one question the rules of that action
// are read in order and the first whose `who` and targets all match decides; none matching is
// a "no" (default deny) — the seeded first rule lets everyone launch everything, so a new
// install works until an operator narrows it. Every answer names the rule that decided (its id
// and 1-based position) and says in plain words why, so `k4ds policy check` and the refusals
// the user sees can explain themselves.
//
// Where each action is asked:
//   launch — the API, when a workspace is launched or started (environment and size).
//   access — the gateway (auth/policy.h decide_access), after owner and admin and before shares:
//            a deny rule overrides a share, an allow rule grants without one.
//   admin  — effective admin = the user's admin flag, or an allow admin rule matching first.
//
// Usage:
//   RuleSubject who{.name = "bob", .groups = {"contractors"}};
//   RuleVerdict v = evaluate_launch(policy, who, "jupyter-python", "gpu");
//   if (!v.allowed) return permission_denied(v.explanation);
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/catalog.h"
#include "model/model.h"

namespace k4ds {

struct RuleSubject {
  std::string name;
  std::vector<std::string> groups;
};

struct RuleVerdict {
  bool allowed = false;
  bool matched = false;  // false: no rule of this action matched (default deny)
  std::size_t position = 0;  // 1-based, when matched
  std::string rule_id;
  std::string explanation;  // "rule 2 (deny group:contractors launching any environment in size gpu) decided"
};

// nullopt environment or size: that part is not asked (e.g. `policy check bob env:python`).
RuleVerdict evaluate_launch(const AccessPolicy& policy, const RuleSubject& who,
                            std::optional<std::string_view> environment,
                            std::optional<std::string_view> size);
// Whether a rule speaks about `who` reaching a workspace of `owner` (with the owner's groups).
// nullopt when no access rule matches: then shares decide.
std::optional<RuleVerdict> evaluate_access(const AccessPolicy& policy, const RuleSubject& who,
                                           const RuleSubject& owner);
RuleVerdict evaluate_admin(const AccessPolicy& policy, const RuleSubject& who);

// "allow group:analysts to reach workspaces of group:analysts"
std::string describe_rule(const AccessRule& rule);
const char* rule_effect_name(RuleEffect effect);
const char* rule_action_name(RuleAction action);
std::optional<RuleEffect> parse_rule_effect(std::string_view text);
std::optional<RuleAction> parse_rule_action(std::string_view text);

// A rule an admin may store: known effect/action, `who` entries "*", "user:NAME" or
// "group:NAME" with valid names, environment and size names from the catalog (or "*"), targets
// only where the action has them. Missing targets default to ["*"]. `field` prefixes messages
// ("rules[2]"). Returns the normalized rule.
Result<AccessRule> normalize_rule(AccessRule rule, const Catalog& catalog, std::string_view field);
// Every rule normalized, ids unique (missing ids are assigned "r<next>").
Status normalize_policy(AccessPolicy& policy, const Catalog& catalog);

}  // namespace k4ds

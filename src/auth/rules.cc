#include "auth/rules.h"

#include <algorithm>
#include <set>

#include "model/validation.h"

namespace k4ds {
namespace {

constexpr std::string_view kAny = "*";
constexpr std::size_t kMaxRules = 1000;
constexpr std::size_t kMaxEntries = 200;
constexpr std::size_t kMaxDescription = 500;

bool contains(const std::vector<std::string>& items, std::string_view value) {
  return std::find(items.begin(), items.end(), value) != items.end();
}

// "*", "user:NAME" or "group:NAME" against a person.
bool principal_matches(const std::vector<std::string>& patterns, const RuleSubject& subject) {
  for (const std::string& p : patterns) {
    if (p == kAny) return true;
    if (p.starts_with("user:") && std::string_view(p).substr(5) == subject.name) return true;
    if (p.starts_with("group:") && contains(subject.groups, std::string_view(p).substr(6))) return true;
  }
  return false;
}

bool name_matches(const std::vector<std::string>& patterns, std::optional<std::string_view> name) {
  if (!name) return true;  // not asked
  return contains(patterns, kAny) || contains(patterns, *name);
}

std::string list_text(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string targets_text(const std::vector<std::string>& items, std::string_view any_word,
                         std::string_view some_word) {
  if (contains(items, kAny)) return std::string(any_word);
  return std::string(some_word) + " " + list_text(items);
}

std::string who_text(const std::vector<std::string>& who) {
  return contains(who, kAny) ? "everyone" : list_text(who);
}

RuleVerdict decided_by(const AccessPolicy& policy, std::size_t index) {
  const AccessRule& rule = policy.rules[index];
  return RuleVerdict{.allowed = rule.effect == RuleEffect::allow,
                     .matched = true,
                     .position = index + 1,
                     .rule_id = rule.id,
                     .explanation = "rule " + std::to_string(index + 1) + " (" + rule.id + ": " +
                                    describe_rule(rule) + ") decided"};
}

RuleVerdict no_rule(std::string_view what) {
  return RuleVerdict{.explanation = "no rule lets you " + std::string(what) +
                                    ", and what no rule allows is refused"};
}

Status check_principals(const std::vector<std::string>& items, std::string_view field) {
  if (items.size() > kMaxEntries) {
    return invalid_argument(std::string(field) + ": at most " + std::to_string(kMaxEntries) + " entries");
  }
  for (const std::string& p : items) {
    if (p == kAny) continue;
    Status s;
    if (p.starts_with("user:")) {
      s = validate_user_name(std::string_view(p).substr(5));
    } else if (p.starts_with("group:")) {
      s = validate_group_name(std::string_view(p).substr(6));
    } else {
      return invalid_argument(std::string(field) + ": \"" + p +
                              "\" is not a principal; write \"*\", \"user:NAME\" or \"group:NAME\"");
    }
    if (!s.ok()) return invalid_argument(std::string(field) + ": " + s.message());
  }
  return ok_status();
}

template <class T>
Status check_catalog_names(const std::vector<std::string>& items, const std::vector<T>& known,
                           std::string_view what, std::string_view field) {
  if (items.size() > kMaxEntries) {
    return invalid_argument(std::string(field) + ": at most " + std::to_string(kMaxEntries) + " entries");
  }
  for (const std::string& name : items) {
    if (name == kAny) continue;
    bool found = std::any_of(known.begin(), known.end(), [&](const T& k) { return k.name == name; });
    if (!found) {
      std::string names;
      for (const T& k : known) names += (names.empty() ? "" : ", ") + k.name;
      return invalid_argument(std::string(field) + ": there is no " + std::string(what) + " \"" +
                              name + "\"; known: " + (names.empty() ? "(none)" : names) + ", or \"*\"");
    }
  }
  return ok_status();
}

}  // namespace

const char* rule_effect_name(RuleEffect effect) { return effect == RuleEffect::allow ? "allow" : "deny"; }

const char* rule_action_name(RuleAction action) {
  switch (action) {
    case RuleAction::launch: return "launch";
    case RuleAction::access: return "access";
    case RuleAction::admin: return "admin";
  }
  return "launch";
}

std::optional<RuleEffect> parse_rule_effect(std::string_view text) {
  if (text == "allow") return RuleEffect::allow;
  if (text == "deny") return RuleEffect::deny;
  return std::nullopt;
}

std::optional<RuleAction> parse_rule_action(std::string_view text) {
  if (text == "launch") return RuleAction::launch;
  if (text == "access") return RuleAction::access;
  if (text == "admin") return RuleAction::admin;
  return std::nullopt;
}

std::string describe_rule(const AccessRule& rule) {
  std::string out = std::string(rule_effect_name(rule.effect)) + " " + who_text(rule.who);
  switch (rule.action) {
    case RuleAction::launch:
      out += " to launch " + targets_text(rule.environments, "any environment", "environment") +
             " in " + targets_text(rule.sizes, "any size", "size");
      break;
    case RuleAction::access:
      out += " to reach " + (contains(rule.owners, kAny) ? std::string("anyone's workspaces")
                                                         : "workspaces of " + list_text(rule.owners));
      break;
    case RuleAction::admin: out += " to act as administrators"; break;
  }
  return out;
}

RuleVerdict evaluate_launch(const AccessPolicy& policy, const RuleSubject& who,
                            std::optional<std::string_view> environment,
                            std::optional<std::string_view> size) {
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    const AccessRule& rule = policy.rules[i];
    if (rule.action != RuleAction::launch || !principal_matches(rule.who, who)) continue;
    if (!name_matches(rule.environments, environment) || !name_matches(rule.sizes, size)) continue;
    return decided_by(policy, i);
  }
  std::string what = "launch";
  if (environment) what += " environment " + std::string(*environment);
  if (size) what += " in size " + std::string(*size);
  return no_rule(what);
}

std::optional<RuleVerdict> evaluate_access(const AccessPolicy& policy, const RuleSubject& who,
                                           const RuleSubject& owner) {
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    const AccessRule& rule = policy.rules[i];
    if (rule.action != RuleAction::access || !principal_matches(rule.who, who)) continue;
    if (!principal_matches(rule.owners, owner)) continue;
    return decided_by(policy, i);
  }
  return std::nullopt;
}

RuleVerdict evaluate_admin(const AccessPolicy& policy, const RuleSubject& who) {
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    const AccessRule& rule = policy.rules[i];
    if (rule.action != RuleAction::admin || !principal_matches(rule.who, who)) continue;
    return decided_by(policy, i);
  }
  return no_rule("act as an administrator");
}

Result<AccessRule> normalize_rule(AccessRule rule, const Catalog& catalog, std::string_view field) {
  const std::string f(field);
  if (rule.who.empty()) {
    return invalid_argument(f + ".who: name who the rule is for: \"*\", \"user:NAME\" or \"group:NAME\"");
  }
  K4DS_RETURN_IF_ERROR(check_principals(rule.who, f + ".who"));
  if (rule.description.size() > kMaxDescription) {
    return invalid_argument(f + ".description: at most " + std::to_string(kMaxDescription) + " characters");
  }
  auto refuse_targets = [&](const std::vector<std::string>& items, std::string_view name,
                            std::string_view action) -> Status {
    if (items.empty()) return ok_status();
    return invalid_argument(f + "." + std::string(name) + ": a rule for \"" + std::string(action) +
                            "\" has no " + std::string(name));
  };
  switch (rule.action) {
    case RuleAction::launch:
      K4DS_RETURN_IF_ERROR(refuse_targets(rule.owners, "owners", "launch"));
      if (rule.environments.empty()) rule.environments = {std::string(kAny)};
      if (rule.sizes.empty()) rule.sizes = {std::string(kAny)};
      K4DS_RETURN_IF_ERROR(check_catalog_names(rule.environments, catalog.environments,
                                               "environment", f + ".environments"));
      K4DS_RETURN_IF_ERROR(check_catalog_names(rule.sizes, catalog.sizes, "size", f + ".sizes"));
      break;
    case RuleAction::access:
      K4DS_RETURN_IF_ERROR(refuse_targets(rule.environments, "environments", "access"));
      K4DS_RETURN_IF_ERROR(refuse_targets(rule.sizes, "sizes", "access"));
      if (rule.owners.empty()) rule.owners = {std::string(kAny)};
      K4DS_RETURN_IF_ERROR(check_principals(rule.owners, f + ".owners"));
      break;
    case RuleAction::admin:
      K4DS_RETURN_IF_ERROR(refuse_targets(rule.environments, "environments", "admin"));
      K4DS_RETURN_IF_ERROR(refuse_targets(rule.sizes, "sizes", "admin"));
      K4DS_RETURN_IF_ERROR(refuse_targets(rule.owners, "owners", "admin"));
      break;
  }
  return rule;
}

Status normalize_policy(AccessPolicy& policy, const Catalog& catalog) {
  if (policy.rules.size() > kMaxRules) {
    return invalid_argument("at most " + std::to_string(kMaxRules) + " rules");
  }
  std::set<std::string> ids;
  int next = 1;
  for (const AccessRule& rule : policy.rules) {
    if (rule.id.size() > 1 && rule.id[0] == 'r' &&
        std::all_of(rule.id.begin() + 1, rule.id.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        rule.id.size() < 9) {
      next = std::max(next, std::stoi(rule.id.substr(1)) + 1);
    }
  }
  for (std::size_t i = 0; i < policy.rules.size(); ++i) {
    const std::string field = "rules[" + std::to_string(i) + "]";
    AccessRule& rule = policy.rules[i];
    if (rule.id.empty()) rule.id = "r" + std::to_string(next++);
    if (rule.id.size() > 32 || !std::all_of(rule.id.begin(), rule.id.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
        })) {
      return invalid_argument(field + ".id: \"" + rule.id + "\" may contain only a-z, 0-9 and \"-\" (at most 32)");
    }
    if (!ids.insert(rule.id).second) {
      return invalid_argument(field + ".id: \"" + rule.id + "\" is used by another rule");
    }
    Result<AccessRule> normalized = normalize_rule(std::move(rule), catalog, field);
    if (!normalized) return normalized.status();
    rule = std::move(normalized).value();
  }
  return ok_status();
}

}  // namespace k4ds

// Access rules (admin): read, replace, add, remove, and explain a decision (policy check).
// The rules live in the store as one ordered list; the gateway picks up a change from the
// change feed, so it is obeyed without a restart (and open connections are re-checked).
#include <boost/json.hpp>

#include "api/handler_util.h"
#include "api/json_encode.h"
#include "auth/access_facts.h"
#include "auth/policy.h"
#include "auth/rules.h"
#include "model/validation.h"

namespace k4ds::api {

namespace json = boost::json;

namespace {


json::array strings_json(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.push_back(json::value(item));
  return out;
}

json::object rule_json(const AccessRule& rule, std::size_t position) {
  return json::object{{"id", rule.id},
                      {"position", position},
                      {"effect", rule_effect_name(rule.effect)},
                      {"action", rule_action_name(rule.action)},
                      {"who", strings_json(rule.who)},
                      {"environments", strings_json(rule.environments)},
                      {"sizes", strings_json(rule.sizes)},
                      {"owners", strings_json(rule.owners)},
                      {"description", rule.description},
                      {"summary", describe_rule(rule)}};
}

json::object policy_json(const AccessPolicy& policy) {
  json::array items;
  for (std::size_t i = 0; i < policy.rules.size(); ++i) items.push_back(rule_json(policy.rules[i], i + 1));
  json::object out = list_json(std::move(items));
  out["version"] = policy.version;
  out["updated_by"] = policy.updated_by;
  out["updated_at"] = optional_time_json(policy.updated_at);
  return out;
}

Result<AccessRule> parse_rule(const JsonBody& body, const std::string& where) {
  auto prefixed = [&](const Status& s) { return invalid_argument(where + s.message()); };
  AccessRule rule;
  auto id = body.string("id");
  if (!id) return prefixed(id.status());
  rule.id = id->value_or("");
  auto effect = body.string("effect");
  if (!effect) return prefixed(effect.status());
  auto parsed_effect = parse_rule_effect(effect->value_or(""));
  if (!parsed_effect) return invalid_argument(where + "field \"effect\" must be \"allow\" or \"deny\"");
  rule.effect = *parsed_effect;
  auto action = body.string("action");
  if (!action) return prefixed(action.status());
  auto parsed_action = parse_rule_action(action->value_or(""));
  if (!parsed_action) {
    return invalid_argument(where + "field \"action\" must be \"launch\" (environments and sizes), "
                                    "\"access\" (reaching others' workspaces) or \"admin\"");
  }
  rule.action = *parsed_action;
  for (auto [name, target] : {std::pair{"who", &rule.who}, std::pair{"environments", &rule.environments},
                              std::pair{"sizes", &rule.sizes}, std::pair{"owners", &rule.owners}}) {
    auto list = body.strings(name);
    if (!list) return prefixed(list.status());
    *target = list->value_or(std::vector<std::string>{});
  }
  auto description = body.string("description");
  if (!description) return prefixed(description.status());
  rule.description = description->value_or("");
  return rule;
}

// Read-modify-write of the whole list; normalize_policy checks every rule against the catalog.
Reply change_policy(ApiCore& core, ApiCall& call, const std::function<Status(AccessPolicy&)>& change) {
  AccessPolicy stored;
  auto catalog = core.catalog();
  // One write transaction: the read and the replace cannot interleave with another writer's.
  Status s = core.store.write([&](Tx& tx) -> Status {
    auto policy = tx.get_policy();
    if (!policy) return policy.status();
    K4DS_RETURN_IF_ERROR(change(*policy));
    K4DS_RETURN_IF_ERROR(normalize_policy(*policy, *catalog));
    policy->updated_by = call.user().name;
    policy->updated_at = to_unix_ms(core.services.clock->now());
    auto replaced = tx.replace_policy(*policy);
    if (!replaced) return replaced.status();
    stored = std::move(replaced).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return ok_json(call, policy_json(stored));
}

}  // namespace

Reply handle_list_rules(ApiCore& core, ApiCall& call) {
  Result<AccessPolicy> policy = read_value(core.store, [](Tx& tx) { return tx.get_policy(); });
  if (!policy) return fail(call, policy.status());
  return ok_json(call, policy_json(*policy));
}

Reply handle_replace_rules(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes, {"rules", "version"});
  if (!body) return fail(call, body.status());
  auto version = body->integer("version");
  if (!version) return fail(call, version.status());
  if (!*version) {
    return fail(call, invalid_argument("field \"version\" is required: the version you read from GET "
                                       "/api/v1/rules, so a concurrent change is not overwritten"));
  }
  auto items = body->objects("rules", {"id", "effect", "action", "who", "environments", "sizes",
                                      "owners", "description"});
  if (!items) return fail(call, items.status());
  std::vector<AccessRule> rules;
  if (*items) {
    for (std::size_t i = 0; i < (*items)->size(); ++i) {
      Result<AccessRule> rule = parse_rule((**items)[i], "rules[" + std::to_string(i) + "]: ");
      if (!rule) return fail(call, rule.status());
      rules.push_back(std::move(rule).value());
    }
  }
  return change_policy(core, call, [&](AccessPolicy& policy) -> Status {
    if (policy.version != **version) {
      return aborted("the rules changed since you read them (now version " +
                     std::to_string(policy.version) + ", yours " + std::to_string(**version) +
                     "); read them again and redo your change");
    }
    policy.rules = rules;
    return ok_status();
  });
}

Reply handle_add_rule(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes,
                                          {"id", "effect", "action", "who", "environments", "sizes",
                                           "owners", "description", "position"});
  if (!body) return fail(call, body.status());
  Result<AccessRule> rule = parse_rule(*body, "");
  if (!rule) return fail(call, rule.status());
  auto position = body->integer("position");
  if (!position) return fail(call, position.status());
  return change_policy(core, call, [&](AccessPolicy& policy) -> Status {
    const int64_t last = static_cast<int64_t>(policy.rules.size()) + 1;
    int64_t at = position->value_or(last);
    if (at < 1 || at > last) {
      return invalid_argument("field \"position\" must be between 1 (first) and " + std::to_string(last) + " (last)");
    }
    policy.rules.insert(policy.rules.begin() + (at - 1), *rule);
    return ok_status();
  });
}

Reply handle_delete_rule(ApiCore& core, ApiCall& call) {
  const std::string& id = call.param("rule");
  Reply reply = change_policy(core, call, [&](AccessPolicy& policy) -> Status {
    auto erased = std::erase_if(policy.rules, [&](const AccessRule& r) { return r.id == id; });
    if (erased == 0) return not_found("there is no rule " + id + "; list them with GET /api/v1/rules");
    return ok_status();
  });
  if (auto* response = std::get_if<HttpResponse>(&reply); response && response->result_int() == 200) {
    return no_content_reply(call.request);
  }
  return reply;
}

// GET /api/v1/policy/check?user=U and one of workspace=OWNER/NAME, environment=E and/or size=S,
// admin=true: what k4ds would decide for that user, and which rule (or fact) decided.
Reply handle_policy_check(ApiCore& core, ApiCall& call) {
  const std::string user_name = call.query_value("user").value_or("");
  if (Status v = validate_user_name(user_name); !v.ok()) {
    return fail(call, invalid_argument("query parameter \"user\": " + v.message()));
  }
  const auto workspace = call.query_value("workspace");
  const auto environment = call.query_value("environment");
  const auto size = call.query_value("size");
  const std::optional<bool> admin_flag = parse_bool(call.query_value("admin").value_or("false"));
  if (!admin_flag) return fail(call, invalid_argument("query parameter \"admin\" must be true or false"));
  const bool admin_question = *admin_flag;
  const int asked = (workspace ? 1 : 0) + ((environment || size) ? 1 : 0) + (admin_question ? 1 : 0);
  if (asked != 1) {
    return fail(call, invalid_argument("ask one thing: workspace=OWNER/NAME, environment=E and/or "
                                       "size=S, or admin=true"));
  }
  json::object out;
  Status s = core.store.read([&](Tx& tx) -> Status {
    Result<User> user = tx.get_user(user_name);
    if (!user && user.status().code() == Code::not_found) {
      return not_found("there is no user named " + user_name);
    }
    if (!user) return user.status();
    auto policy = tx.get_policy();
    if (!policy) return policy.status();
    auto groups = groups_of(tx, user_name);
    if (!groups) return groups.status();
    const RuleSubject subject{user_name, *groups};
    auto rule_fields = [&](const RuleVerdict& v) {
      out["allowed"] = v.allowed;
      out["explanation"] = v.explanation;
      out["rule"] = v.matched ? json::value(rule_json(policy->rules[v.position - 1], v.position)) : json::value(nullptr);
    };
    if (admin_question) {
      if (user->admin) {
        out = {{"allowed", true}, {"explanation", user_name + " has the admin flag"}, {"rule", nullptr}};
      } else {
        rule_fields(evaluate_admin(*policy, subject));
      }
    } else if (environment || size) {
      rule_fields(evaluate_launch(*policy, subject, environment, size));
    } else {
      auto slash = workspace->find('/');
      if (slash == std::string::npos) return invalid_argument("workspace must be OWNER/NAME, e.g. alice/analysis");
      Result<Workspace> ws = tx.find_workspace(workspace->substr(0, slash), workspace->substr(slash + 1));
      if (!ws && ws.status().code() == Code::not_found) return not_found("there is no workspace " + *workspace);
      if (!ws) return ws.status();
      auto owner_groups = groups_of(tx, ws->owner);
      if (!owner_groups) return owner_groups.status();
      auto shares = tx.list_shares(ws->id);
      if (!shares) return shares.status();
      Result<bool> admin = effective_admin(tx, *user);
      if (!admin) return admin.status();
      AccessRequest request{.user = {.name = user_name, .admin = *admin, .disabled = user->disabled, .groups = *groups},
                            .workspace = {.id = ws->id, .owner = ws->owner, .name = ws->name},
                            .owner_groups = *owner_groups,
                            .shares = *shares,
                            .policy = &*policy};
      Decision decision = decide_access(request);
      out = {{"allowed", decision.allowed}, {"explanation", decision.reason}, {"rule", nullptr}};
      if (decision.basis == AccessBasis::rule) {
        auto verdict = evaluate_access(*policy, subject, RuleSubject{ws->owner, *owner_groups});
        if (verdict) out["rule"] = rule_json(policy->rules[verdict->position - 1], verdict->position);
      }
    }
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return ok_json(call, out);
}

}  // namespace k4ds::api

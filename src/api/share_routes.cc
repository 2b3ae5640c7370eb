// Shares: the owner (or an admin) lets users and groups reach a workspace. Revoking one makes
// the gateway close that person's open connections to it (gateway.cc, revalidate_live).
#include <boost/json.hpp>

#include <algorithm>

#include "api/handler_util.h"
#include "api/json_encode.h"
#include "auth/access_facts.h"
#include "model/validation.h"

namespace k4ds::api {

namespace json = boost::json;

namespace {

constexpr std::size_t kMaxSharesPerRequest = 100;

struct Grantee {
  PrincipalKind kind;
  std::string name;
};

std::string grantee_text(PrincipalKind kind, std::string_view name) {
  return std::string(kind == PrincipalKind::user ? "user:" : "group:") + std::string(name);
}

// "user:bob" or "group:analysts".
Result<Grantee> parse_grantee(std::string_view text) {
  Grantee g;
  if (text.starts_with("user:")) {
    g = {PrincipalKind::user, std::string(text.substr(5))};
    K4DS_RETURN_IF_ERROR(validate_user_name(g.name));
  } else if (text.starts_with("group:")) {
    g = {PrincipalKind::group, std::string(text.substr(6))};
    K4DS_RETURN_IF_ERROR(validate_group_name(g.name));
  } else {
    return invalid_argument("\"" + std::string(text) +
                            "\" names no one to share with; write user:NAME or group:NAME");
  }
  return g;
}

// The grantee must exist; sharing with the owner is pointless and refused.
Status check_grantee(Tx& tx, const Workspace& ws, const Grantee& g) {
  if (g.kind == PrincipalKind::user) {
    if (g.name == ws.owner) {
      return invalid_argument(g.name + " owns " + ws.owner + "/" + ws.name + " already; share it with someone else");
    }
    Result<User> user = tx.get_user(g.name);
    if (!user && user.status().code() == Code::not_found) {
      return invalid_argument("there is no user named " + g.name +
                              "; check the spelling (a directory user appears after their first login)");
    }
    return user.status();
  }
  Result<Group> group = tx.get_group(g.name);
  if (!group && group.status().code() == Code::not_found) {
    return invalid_argument("there is no group named " + g.name + "; check the spelling or ask your admin");
  }
  return group.status();
}

json::object share_json(const Share& share) {
  return json::object{{"with", grantee_text(share.kind, share.principal)},
                      {"kind", share.kind == PrincipalKind::user ? "user" : "group"},
                      {"principal", share.principal},
                      {"created_by", share.created_by},
                      {"created_at", time_json(share.created_at)}};
}

json::object shares_json(const std::vector<Share>& shares) {
  json::array items;
  for (const Share& s : shares) items.push_back(share_json(s));
  return list_json(std::move(items));
}

}  // namespace

Reply handle_list_shares(ApiCore& core, ApiCall& call) {
  std::vector<Share> shares;
  Status s = core.store.read([&](Tx& tx) -> Status {
    Result<Workspace> ws = visible_workspace(tx, call);
    if (!ws) return ws.status();
    auto listed = tx.list_shares(ws->id);
    if (!listed) return listed.status();
    shares = std::move(listed).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return ok_json(call, shares_json(shares));
}

Reply handle_add_shares(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes, {"with"});
  if (!body) return fail(call, body.status());
  auto with = body->strings("with");
  if (!with) return fail(call, with.status());
  if (!*with || (*with)->empty()) {
    return fail(call, invalid_argument("field \"with\" is required: a list such as [\"user:bob\", \"group:analysts\"]"));
  }
  if ((*with)->size() > kMaxSharesPerRequest) {
    return fail(call, invalid_argument("at most " + std::to_string(kMaxSharesPerRequest) + " entries in \"with\""));
  }
  std::vector<Grantee> grantees;
  for (const std::string& text : **with) {
    Result<Grantee> g = parse_grantee(text);
    if (!g) return fail(call, g.status());
    grantees.push_back(std::move(g).value());
  }
  std::vector<Share> shares;
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    Result<Workspace> ws = visible_workspace(tx, call);
    if (!ws) return ws.status();
    auto existing = tx.list_shares(ws->id);
    if (!existing) return existing.status();
    const int64_t now_ms = to_unix_ms(core.services.clock->now());
    for (const Grantee& g : grantees) {
      K4DS_RETURN_IF_ERROR(check_grantee(tx, *ws, g));
      bool already = std::any_of(existing->begin(), existing->end(), [&](const Share& e) {
        return e.kind == g.kind && e.principal == g.name;
      });
      if (already) continue;  // sharing twice is not an error
      Share share{.workspace_id = ws->id, .kind = g.kind, .principal = g.name,
                  .created_by = call.user().name, .created_at = now_ms};
      Result<Share> created = tx.create_share(share);
      if (!created) return created.status();
      existing->push_back(std::move(created).value());
    }
    auto listed = tx.list_shares(ws->id);
    if (!listed) return listed.status();
    shares = std::move(listed).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return ok_json(call, shares_json(shares));
}

Reply handle_remove_share(ApiCore& core, ApiCall& call) {
  Result<Grantee> g = parse_grantee(call.param("with"));
  if (!g) return fail(call, g.status());
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    Result<Workspace> ws = visible_workspace(tx, call);
    if (!ws) return ws.status();
    return tx.delete_share(ws->id, g->kind, g->name);
  });
  if (!s.ok()) return fail(call, s);
  return no_content_reply(call.request);
}

// Workspaces others shared with the caller, directly or through one of their groups.
Result<std::vector<Workspace>> shared_with(Tx& tx, const User& user) {
  std::vector<Share> shares;
  auto direct = tx.list_shares_with(PrincipalKind::user, user.name);
  if (!direct) return direct.status();
  shares = std::move(direct).value();
  auto groups = groups_of(tx, user.name);
  if (!groups) return groups.status();
  for (const std::string& group : *groups) {
    auto via = tx.list_shares_with(PrincipalKind::group, group);
    if (!via) return via.status();
    shares.insert(shares.end(), via->begin(), via->end());
  }
  std::vector<std::string> ids;
  for (const Share& share : shares) ids.push_back(share.workspace_id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<Workspace> out;
  for (const std::string& id : ids) {
    Result<Workspace> ws = tx.get_workspace(id);
    if (!ws) return ws.status();
    if (ws->owner != user.name) out.push_back(std::move(ws).value());
  }
  std::sort(out.begin(), out.end(), [](const Workspace& a, const Workspace& b) {
    return std::tie(a.owner, a.name) < std::tie(b.owner, b.name);
  });
  return out;
}

}  // namespace k4ds::api

// Groups (admin): list, create, get, change, members, delete.
#include <boost/json.hpp>

#include <algorithm>

#include "api/handler_util.h"
#include "api/json_encode.h"
#include "model/validation.h"

namespace k4ds::api {

namespace json = boost::json;

namespace {

Result<Group> get_group(Tx& tx, std::string_view name) {
  Result<Group> group = tx.get_group(name);
  if (!group && group.status().code() == Code::not_found) {
    return not_found("there is no group named " + std::string(name) +
                     "; list them with GET /api/v1/groups");
  }
  return group;
}

// Members must be existing users; the list is kept sorted and unique.
Result<std::vector<std::string>> checked_members(Tx& tx, std::vector<std::string> members) {
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  for (const auto& member : members) {
    Result<User> user = tx.get_user(member);
    if (!user && user.status().code() == Code::not_found) {
      return invalid_argument("there is no user named " + member +
                              "; create the user first or leave them out of \"members\"");
    }
    if (!user) return user.status();
  }
  return members;
}

Reply group_reply(const ApiCall& call, const Group& group,
                  boost::beast::http::status status = boost::beast::http::status::ok) {
  return json_reply(call.request, status, group_json(group));
}

// Read-modify-write of one group.
Reply change_group(ApiCore& core, ApiCall& call, const std::function<Status(Tx&, Group&)>& change) {
  Group updated;
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    Result<Group> group = get_group(tx, call.param("group"));
    if (!group) return group.status();
    K4DS_RETURN_IF_ERROR(change(tx, *group));
    group->updated_at = to_unix_ms(core.services.clock->now());
    Result<Group> stored = tx.update_group(*group);
    if (!stored) return stored.status();
    updated = std::move(stored).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return group_reply(call, updated);
}

}  // namespace

Reply handle_list_groups(ApiCore& core, ApiCall& call) {
  std::vector<Group> groups;
  Status s = core.store.read([&](Tx& tx) -> Status {
    auto listed = tx.list_groups();
    if (!listed) return listed.status();
    groups = std::move(listed).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  json::array items;
  for (const auto& group : groups) items.push_back(group_json(group));
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_create_group(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes,
                                          {"name", "description", "members"});
  if (!body) return fail(call, body.status());
  auto name = body->string("name");
  auto description = body->string("description");
  auto members = body->strings("members");
  for (const Status& s : {name.status(), description.status(), members.status()}) {
    if (!s.ok()) return fail(call, s);
  }
  if (!*name) return fail(call, invalid_argument("field \"name\" is required"));
  if (Status v = validate_group_name(**name); !v.ok()) return fail(call, v);
  Group created;
  Status s = core.store.write([&](Tx& tx) -> Status {
    auto checked = checked_members(tx, members->value_or(std::vector<std::string>{}));
    if (!checked) return checked.status();
    int64_t now_ms = to_unix_ms(core.services.clock->now());
    Result<Group> stored = tx.create_group(Group{.name = **name,
                                                 .description = description->value_or(""),
                                                 .members = std::move(checked).value(),
                                                 .created_at = now_ms,
                                                 .updated_at = now_ms});
    if (!stored && stored.status().code() == Code::already_exists) {
      return already_exists("a group named " + **name + " already exists");
    }
    if (!stored) return stored.status();
    created = std::move(stored).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return group_reply(call, created, boost::beast::http::status::created);
}

Reply handle_get_group(ApiCore& core, ApiCall& call) {
  Group found;
  Status s = core.store.read([&](Tx& tx) -> Status {
    Result<Group> group = get_group(tx, call.param("group"));
    if (!group) return group.status();
    found = std::move(group).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return group_reply(call, found);
}

Reply handle_patch_group(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body =
      JsonBody::parse(call.request, core.options.max_body_bytes, {"description", "members"});
  if (!body) return fail(call, body.status());
  auto description = body->string("description");
  auto members = body->strings("members");
  for (const Status& s : {description.status(), members.status()}) {
    if (!s.ok()) return fail(call, s);
  }
  return change_group(core, call, [&](Tx& tx, Group& group) -> Status {
    if (*description) group.description = **description;
    if (*members) {
      auto checked = checked_members(tx, **members);
      if (!checked) return checked.status();
      group.members = std::move(checked).value();
    }
    return ok_status();
  });
}

Reply handle_add_group_member(ApiCore& core, ApiCall& call) {
  return change_group(core, call, [&](Tx& tx, Group& group) -> Status {
    std::vector<std::string> members = group.members;
    members.push_back(call.param("user"));
    auto checked = checked_members(tx, std::move(members));
    if (!checked) return checked.status();
    group.members = std::move(checked).value();
    return ok_status();
  });
}

Reply handle_remove_group_member(ApiCore& core, ApiCall& call) {
  return change_group(core, call, [&](Tx&, Group& group) -> Status {
    // Removing someone who is not a member is not an error: the result is what was asked.
    std::erase(group.members, call.param("user"));
    return ok_status();
  });
}

Reply handle_delete_group(ApiCore& core, ApiCall& call) {
  Status s = core.store.write([&](Tx& tx) -> Status {
    Status deleted = tx.delete_group(call.param("group"));
    if (deleted.code() != Code::not_found) return deleted;
    return not_found("there is no group named " + call.param("group") +
                     "; list them with GET /api/v1/groups");
  });
  if (!s.ok()) return fail(call, s);
  return no_content_reply(call.request);
}

}  // namespace k4ds::api

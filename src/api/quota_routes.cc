// Admission and quotas: admins set limits per user, per group and for everyone; anyone reads
// their own limits and usage; admins see the capacity of the machines and who uses it. The
// launch and start handlers call check_admission (model/quota.h decides).
#include <boost/json.hpp>

#include "api/handler_util.h"
#include "api/json_encode.h"
#include "auth/access_facts.h"
#include "model/quota.h"
#include "model/validation.h"

namespace k4ds::api {

namespace json = boost::json;

namespace {

json::value limit_json(const std::optional<int64_t>& value, std::string (*format)(int64_t)) {
  if (!value) return nullptr;
  if (format) return json::value(format(*value));
  return json::value(*value);
}

json::object quota_json(const Quota& q) {
  return {{"subject", q.subject},
          {"workspaces", limit_json(q.workspaces, nullptr)},
          {"cpu", limit_json(q.cpu_millis, format_cpu)},
          {"memory", limit_json(q.memory_bytes, format_memory)},
          {"gpus", limit_json(q.gpus, nullptr)},
          {"updated_by", q.updated_by},
          {"updated_at", optional_time_json(q.updated_at)},
          {"version", q.version}};
}

// A limit from the request body: absent or null = not set; a quantity otherwise.
Status read_limit(const JsonBody& body, std::string_view field, std::optional<int64_t>& out,
                  Result<int64_t> (*parse)(std::string_view)) {
  if (parse) {
    auto text = body.string(field);
    if (!text) {
      return invalid_argument(text.status().message() + " such as \"4\" or \"500m\" (CPU), \"16Gi\" "
                              "(memory), or null for no limit");
    }
    if (!*text) return ok_status();
    Result<int64_t> value = parse(**text);
    if (!value) return invalid_argument("field \"" + std::string(field) + "\": " + value.status().message());
    out = *value;
    return ok_status();
  }
  auto number = body.integer(field);
  if (!number) return invalid_argument(number.status().message() + " (or null for no limit)");
  if (*number && **number < 0) {
    return invalid_argument("field \"" + std::string(field) + "\" must be 0 or more (or null for no limit)");
  }
  out = *number;
  return ok_status();
}

// A user's or group's quota names someone who exists, so a typo cannot silently limit no one.
Status check_subject_exists(Tx& tx, std::string_view subject) {
  if (subject.starts_with("user:")) {
    Result<User> user = tx.get_user(subject.substr(5));
    if (!user && user.status().code() == Code::not_found) {
      return invalid_argument("there is no user named " + std::string(subject.substr(5)) +
                              "; check the spelling (a directory user appears after their first login)");
    }
    return user.status();
  }
  if (subject.starts_with("group:")) {
    Result<Group> group = tx.get_group(subject.substr(6));
    if (!group && group.status().code() == Code::not_found) {
      return invalid_argument("there is no group named " + std::string(subject.substr(6)) +
                              "; check the spelling, or create the group first");
    }
    return group.status();
  }
  return ok_status();
}

struct UserQuota {
  QuotaLimits limits;
  QuotaUsage usage;
};

Result<UserQuota> user_quota(Tx& tx, const Catalog& catalog, const std::string& user,
                             std::string_view except_id = {}) {
  auto groups = groups_of(tx, user);
  if (!groups) return groups.status();
  auto quotas = tx.list_quotas();
  if (!quotas) return quotas.status();
  auto owned = tx.list_workspaces(WorkspaceFilter{.owner = user});
  if (!owned) return owned.status();
  return UserQuota{resolve_quota(user, *groups, *quotas), quota_usage(*owned, catalog, except_id)};
}

json::object usage_json(const QuotaLimit& limit, int64_t used, std::string (*format)(int64_t)) {
  return {{"limit", limit_json(limit.value, format)},
          {"from", limit.value ? json::value(limit.from) : json::value(nullptr)},
          {"used", format ? json::value(format(used)) : json::value(used)}};
}

}  // namespace

Status check_admission(ApiCore& core, Tx& tx, const ApiCall& call, const std::string& owner,
                       const std::string& size_name, std::string_view except_id) {
  auto catalog = core.catalog();
  const Size* size = catalog->find_size(size_name);
  if (!size) return invalid_argument("there is no size \"" + size_name + "\"; ask your admin");
  if (core.options.capacity) {
    if (std::optional<Capacity> capacity = core.options.capacity()) {
      K4DS_RETURN_IF_ERROR(fits_capacity(*capacity, *size));
    }
  }
  Result<UserQuota> quota = user_quota(tx, *catalog, owner, except_id);
  if (!quota) return quota.status();
  return admit(quota->limits, quota->usage, *size, owner == call.user().name, owner);
}

Reply handle_capacity(ApiCore& core, ApiCall& call) {
  auto catalog = core.catalog();
  Result<std::vector<Workspace>> all =
      read_value(core.store, [](Tx& tx) { return tx.list_workspaces(WorkspaceFilter{}); });
  if (!all) return fail(call, all.status());
  // Per owner, in the store's order (by owner, then name).
  std::vector<std::pair<std::string, std::vector<Workspace>>> owners;
  for (const Workspace& ws : *all) {
    if (owners.empty() || owners.back().first != ws.owner) owners.emplace_back(ws.owner, std::vector<Workspace>{});
    owners.back().second.push_back(ws);
  }
  QuotaUsage total;
  json::array users;
  for (const auto& [owner, owned] : owners) {
    QuotaUsage u = quota_usage(owned, *catalog);
    total.workspaces += u.workspaces;
    total.cpu_millis += u.cpu_millis;
    total.memory_bytes += u.memory_bytes;
    total.gpus += u.gpus;
    json::array active;
    for (const auto& name : u.active) active.emplace_back(name);
    users.push_back(json::object{{"user", owner}, {"workspaces", u.workspaces}, {"cpu", format_cpu(u.cpu_millis)},
                                 {"memory", format_memory(u.memory_bytes)}, {"memory_bytes", u.memory_bytes},
                                 {"gpus", u.gpus},
                                 {"active", std::move(active)}, {"all", owned.size()}});
  }
  json::value machines = nullptr;
  if (core.options.capacity) {
    if (std::optional<Capacity> c = core.options.capacity()) {
      machines = json::object{{"description", c->description}, {"cpu", format_cpu(c->cpu_millis)},
                              {"memory", format_memory(c->memory_bytes)}, {"gpus", c->gpus},
                              {"cpu_millis", c->cpu_millis}, {"memory_bytes", c->memory_bytes}};
    }
  }
  return ok_json(call, json::object{
      {"machines", std::move(machines)},
      {"in_use", json::object{{"workspaces", total.workspaces}, {"cpu", format_cpu(total.cpu_millis)},
                              {"memory", format_memory(total.memory_bytes)}, {"gpus", total.gpus},
                              {"cpu_millis", total.cpu_millis}, {"memory_bytes", total.memory_bytes}}},
      {"users", std::move(users)}});
}

Reply handle_list_quotas(ApiCore& core, ApiCall& call) {
  Result<std::vector<Quota>> quotas = read_value(core.store, [](Tx& tx) { return tx.list_quotas(); });
  if (!quotas) return fail(call, quotas.status());
  json::array items;
  for (const Quota& q : *quotas) items.push_back(quota_json(q));
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_get_quota(ApiCore& core, ApiCall& call) {
  const std::string& subject = call.param("subject");
  Result<Quota> quota = read_value(core.store, [&](Tx& tx) { return tx.get_quota(subject); });
  if (!quota) return fail(call, quota.status());
  return ok_json(call, quota_json(*quota));
}

Reply handle_put_quota(ApiCore& core, ApiCall& call) {
  const std::string& subject = call.param("subject");
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes,
                                          {"subject", "workspaces", "cpu", "memory", "gpus", "version"});
  if (!body) return fail(call, body.status());
  auto named = body->string("subject");  // optional; a GET's answer can be sent back as it is
  if (!named) return fail(call, named.status());
  if (*named && **named != subject) {
    return fail(call, invalid_argument("the body is the quota for " + **named + " but the address is " +
                                       subject + "; send it to /api/v1/quotas/" + **named));
  }
  Quota quota{.subject = subject, .updated_by = call.user().name,
              .updated_at = to_unix_ms(core.services.clock->now())};
  for (Status s : {read_limit(*body, "workspaces", quota.workspaces, nullptr),
                   read_limit(*body, "cpu", quota.cpu_millis, parse_cpu),
                   read_limit(*body, "memory", quota.memory_bytes, parse_memory),
                   read_limit(*body, "gpus", quota.gpus, nullptr)}) {
    if (!s.ok()) return fail(call, s);
  }
  auto version = body->integer("version");
  if (!version) return fail(call, version.status());
  Quota stored;
  auto put = [&](Tx& tx) -> Status {
    K4DS_RETURN_IF_ERROR(check_subject_exists(tx, subject));
    Quota next = quota;
    if (*version) {
      next.version = **version;  // the caller's read: a concurrent change is refused
    } else {
      Result<Quota> current = tx.get_quota(subject);  // no version given: replace what is there
      if (current) next.version = current->version;
      else if (current.status().code() != Code::not_found) return current.status();
    }
    Result<Quota> written = tx.put_quota(next);
    if (!written) return written.status();
    stored = std::move(written).value();
    return ok_status();
  };
  // With the caller's version a concurrent change is reported as it is (re-read, redo).
  Status s = *version ? core.store.write(put) : write_with_retry(core.store, put);
  if (!s.ok()) return fail(call, s);
  return ok_json(call, quota_json(stored));
}

Reply handle_delete_quota(ApiCore& core, ApiCall& call) {
  const std::string& subject = call.param("subject");
  Status s = write_with_retry(core.store, [&](Tx& tx) { return tx.delete_quota(subject); });
  if (!s.ok()) return fail(call, s);
  return no_content_reply(call.request);
}

Reply handle_get_my_quota(ApiCore& core, ApiCall& call) {
  std::string user = call.query_value("user").value_or(call.user().name);
  if (Status v = validate_user_name(user); !v.ok()) return fail(call, v);
  if (user != call.user().name && !call.admin()) {
    return fail(call, permission_denied("only admins may read other users' quotas"));
  }
  auto catalog = core.catalog();
  Result<UserQuota> quota = read_value(core.store, [&](Tx& tx) -> Result<UserQuota> {
    K4DS_RETURN_IF_ERROR(tx.get_user(user).status());
    return user_quota(tx, *catalog, user);
  });
  if (!quota) return fail(call, quota.status());
  const QuotaLimits& l = quota->limits;
  const QuotaUsage& u = quota->usage;
  json::array sizes;
  for (const Size& size : catalog->sizes) {
    Status fits = admit(l, u, size, user == call.user().name, user);
    sizes.push_back(json::object{{"name", size.name}, {"fits", fits.ok()},
                                 {"reason", fits.ok() ? json::value(nullptr) : json::value(fits.message())}});
  }
  json::array active;
  for (const auto& name : u.active) active.emplace_back(name);
  return ok_json(call, json::object{{"user", user},
                                    {"workspaces", usage_json(l.workspaces, u.workspaces, nullptr)},
                                    {"cpu", usage_json(l.cpu_millis, u.cpu_millis, format_cpu)},
                                    {"memory", usage_json(l.memory_bytes, u.memory_bytes, format_memory)},
                                    {"gpus", usage_json(l.gpus, u.gpus, nullptr)},
                                    {"active", std::move(active)},
                                    {"sizes", std::move(sizes)}});
}

}  // namespace k4ds::api

// What can be launched (environments, sizes) and what storage a user has (volumes).
#include <boost/json.hpp>

#include "api/handler_util.h"
#include "api/json_encode.h"
#include "model/validation.h"

namespace k4ds::api {

namespace json = boost::json;

Reply handle_list_environments(ApiCore& core, ApiCall& call) {
  auto catalog = core.catalog();
  json::array items;
  for (const auto& environment : catalog->environments) {
    items.push_back(environment_json(environment));
  }
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_list_sizes(ApiCore& core, ApiCall& call) {
  auto catalog = core.catalog();
  json::array items;
  for (const auto& size : catalog->sizes) items.push_back(size_json(size));
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_list_volumes(ApiCore& core, ApiCall& call) {
  std::optional<bool> all = parse_bool(call.query_value("all").value_or("false"));
  if (!all) return fail(call, invalid_argument("query parameter \"all\" must be true or false"));
  if (*all && !call.admin()) {
    return fail(call, permission_denied("only admins may list every user's volumes"));
  }
  std::vector<Volume> volumes;
  Status s = core.store.read([&](Tx& tx) -> Status {
    std::optional<std::string_view> owner;
    if (!*all) owner = call.user().name;
    auto listed = tx.list_volumes(owner);
    if (!listed) return listed.status();
    volumes = std::move(listed).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  json::array items;
  for (const auto& volume : volumes) items.push_back(volume_json(volume));
  return ok_json(call, list_json(std::move(items)));
}

Reply handle_create_volume(ApiCore& core, ApiCall& call) {
  Result<JsonBody> body = JsonBody::parse(call.request, core.options.max_body_bytes, {"name"});
  if (!body) return fail(call, body.status());
  auto name = body->string("name");
  if (!name) return fail(call, name.status());
  if (!*name) return fail(call, invalid_argument("field \"name\" is required, such as {\"name\": \"data\"}"));
  if (Status v = validate_catalog_name("volume", **name); !v.ok()) return fail(call, v);
  const std::string owner = call.user().name;
  Volume created;
  Status s = write_with_retry(core.store, [&](Tx& tx) -> Status {
    auto mine = tx.list_volumes(std::string_view(owner));
    if (!mine) return mine.status();
    for (const auto& v : *mine) {
      if (v.name == **name) return already_exists("you already have a volume named " + v.name);
    }
    auto stored = tx.create_volume(Volume{.id = random_uuid(*core.services.random),
                                          .owner = owner,
                                          .name = **name,
                                          .created_at = to_unix_ms(core.services.clock->now())});
    if (!stored) return stored.status();
    created = std::move(stored).value();
    return ok_status();
  });
  if (!s.ok()) return fail(call, s);
  return created_json(call, volume_json(created));
}

}  // namespace k4ds::api

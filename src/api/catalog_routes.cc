// What can be launched (environments, sizes) and what storage a user has (volumes).
#include <boost/json.hpp>

#include "api/handler_util.h"
#include "api/json_encode.h"

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

}  // namespace k4ds::api

#include "api/handler_util.h"

#include <charconv>

namespace k4ds::api {

namespace http = boost::beast::http;

Status write_with_retry(Store& store, const std::function<Status(Tx&)>& fn, int attempts) {
  Status s;
  for (int i = 0; i < attempts; ++i) {
    s = store.write(fn);
    if (s.code() != Code::aborted) return s;
  }
  return aborted("someone else kept changing this at the same time; try again");
}

std::vector<Group> all_groups(Tx& tx) {
  Result<std::vector<Group>> groups = tx.list_groups();
  return groups ? std::move(groups).value() : std::vector<Group>{};
}

std::vector<Group> all_groups(Store& store) {
  std::vector<Group> groups;
  (void)store.read([&](Tx& tx) {
    groups = all_groups(tx);
    return ok_status();
  });
  return groups;
}

Status workspace_not_found(std::string_view owner, std::string_view name) {
  return not_found("there is no workspace " + std::string(owner) + "/" + std::string(name) +
                   "; list yours with GET /api/v1/workspaces");
}

Result<Workspace> visible_workspace(Tx& tx, const ApiCall& call) {
  const std::string& owner = call.param("owner");
  const std::string& name = call.param("name");
  if (owner != call.user().name && !call.admin()) return workspace_not_found(owner, name);
  Result<Workspace> ws = tx.find_workspace(owner, name);
  if (!ws && ws.status().code() == Code::not_found) return workspace_not_found(owner, name);
  return ws;
}

Result<int64_t> parse_after_seq(const ApiCall& call) {
  std::optional<std::string> text = call.query_value("after");
  if (!text) {
    if (auto it = call.request.find("Last-Event-ID"); it != call.request.end()) {
      text = std::string(it->value());
    }
  }
  if (!text || text->empty()) return int64_t{0};
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < 0) {
    return invalid_argument("query parameter \"after\" must be an event seq (a whole number)");
  }
  return value;
}

HttpResponse ok_json(const ApiCall& call, const boost::json::value& body) {
  return json_reply(call.request, http::status::ok, body);
}

HttpResponse created_json(const ApiCall& call, const boost::json::value& body) {
  return json_reply(call.request, http::status::created, body);
}

}  // namespace k4ds::api

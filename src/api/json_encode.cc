#include "api/json_encode.h"

#include <algorithm>

#include "common/services.h"
#include "model/validation.h"

namespace k4ds::api {

namespace json = boost::json;

json::value time_json(int64_t unix_ms) { return json::string(format_rfc3339(from_unix_ms(unix_ms))); }

json::value optional_time_json(int64_t unix_ms) {
  if (unix_ms == 0) return nullptr;
  return time_json(unix_ms);
}

namespace {

json::array string_array(const std::vector<std::string>& items) {
  json::array out;
  out.reserve(items.size());
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

}  // namespace

json::object user_json(const User& user, const std::vector<Group>& groups) {
  json::array member_of;
  for (const auto& group : groups) {
    if (std::find(group.members.begin(), group.members.end(), user.name) != group.members.end()) {
      member_of.emplace_back(group.name);
    }
  }
  return {{"name", user.name},
          {"display_name", user.display_name},
          {"email", user.email},
          {"provider", user.provider},
          {"admin", user.admin},
          {"disabled", user.disabled},
          {"groups", std::move(member_of)},
          {"created_at", time_json(user.created_at)},
          {"updated_at", time_json(user.updated_at)},
          {"version", user.version}};
}

json::object group_json(const Group& group) {
  return {{"name", group.name},
          {"description", group.description},
          {"members", string_array(group.members)},
          {"created_at", time_json(group.created_at)},
          {"updated_at", time_json(group.updated_at)},
          {"version", group.version}};
}

json::object environment_json(const Environment& e) {
  return {{"name", e.name},
          {"display_name", e.display_name},
          {"description", e.description},
          {"version", e.version},
          {"default_size", e.default_size},
          {"available", e.available},
          {"unavailable_reason", e.unavailable_reason}};
}

json::object size_json(const Size& size) {
  return {{"name", size.name},
          {"description", size.description},
          {"cpu", format_cpu(size.cpu_millis)},
          {"memory", format_memory(size.memory_bytes)},
          {"gpus", size.gpus}};
}

json::object workspace_json(const Workspace& ws, const std::string& url,
                            const std::vector<std::string>& warnings) {
  return {{"id", ws.id},
          {"owner", ws.owner},
          {"name", ws.name},
          {"environment", ws.environment},
          {"size", ws.size},
          {"volumes", string_array(ws.volumes)},
          {"desired", desired_state_name(ws.desired)},
          {"phase", phase_name(ws.phase)},
          {"reason", ws.reason},
          {"url", url},
          {"created_at", time_json(ws.created_at)},
          {"updated_at", time_json(ws.updated_at)},
          {"last_activity_at", optional_time_json(ws.last_activity_at)},
          {"version", ws.version},
          {"warnings", string_array(warnings)}};
}

json::object event_json(const WorkspaceEvent& event) {
  return {{"seq", event.seq},
          {"time", time_json(event.time)},
          {"warning", event.warning},
          {"message", event.message}};
}

json::object volume_json(const Volume& volume) {
  json::object out{{"id", volume.id},
                   {"owner", volume.owner},
                   {"name", volume.name},
                   {"created_at", time_json(volume.created_at)}};
  if (!volume.zone.empty()) out["zone"] = volume.zone;  // where its storage is (a cluster's zone)
  return out;
}

json::object token_json(const ApiToken& token, const std::optional<std::string>& secret) {
  json::object out{{"id", token.id},
                   {"name", token.name},
                   {"prefix", token.prefix},
                   {"created_at", time_json(token.created_at)},
                   {"expires_at", optional_time_json(token.expires_at)},
                   {"last_used_at", optional_time_json(token.last_used_at)}};
  if (secret) out["token"] = *secret;
  return out;
}

json::object list_json(json::array items) { return {{"items", std::move(items)}}; }

}  // namespace k4ds::api

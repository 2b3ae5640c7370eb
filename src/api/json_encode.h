// JSON encoding of model types, as docs/api.md "Objects" describes them. Times become RFC 3339
// strings; "never" (0) becomes null where the document allows it. Secrets (password hashes,
// token hashes) are never encoded.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <vector>

#include "model/model.h"

namespace k4ds::api {

boost::json::value time_json(int64_t unix_ms);           // RFC 3339 string
boost::json::value optional_time_json(int64_t unix_ms);  // null when 0

boost::json::object user_json(const User& user, const std::vector<Group>& groups);
boost::json::object group_json(const Group& group);
boost::json::object environment_json(const Environment& environment);
boost::json::object size_json(const Size& size);
boost::json::object workspace_json(const Workspace& workspace, const std::string& url,
                                   const std::vector<std::string>& warnings = {});
boost::json::object event_json(const WorkspaceEvent& event);
boost::json::object volume_json(const Volume& volume);
// With `secret` set, the object also carries "token" (shown once, at creation).
boost::json::object token_json(const ApiToken& token,
                               const std::optional<std::string>& secret = std::nullopt);

// {"items": [...]}
boost::json::object list_json(boost::json::array items);

}  // namespace k4ds::api

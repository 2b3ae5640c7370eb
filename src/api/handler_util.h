// Helpers shared by the route handlers (not part of the API's interface).
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <vector>

#include "api/http_util.h"
#include "api/routes.h"

namespace k4ds::api {

// Runs fn in a write transaction, re-running it when another writer got there first
// (Code::aborted), at most `attempts` times.
Status write_with_retry(Store& store, const std::function<Status(Tx&)>& fn, int attempts = 3);

// Every group, for the "groups" of a User; empty if the store cannot say.
std::vector<Group> all_groups(Tx& tx);
std::vector<Group> all_groups(Store& store);

// The workspace {owner}/{name} if the caller may see it (owner or admin). Anyone else gets the
// same not_found as for a workspace that does not exist: existence is not revealed.
Result<Workspace> visible_workspace(Tx& tx, const ApiCall& call);
Status workspace_not_found(std::string_view owner, std::string_view name);

// ?after=SEQ, else the Last-Event-ID header (SSE reconnects), else 0.
Result<int64_t> parse_after_seq(const ApiCall& call);

// The reply for a Status-returning handler step.
inline Reply fail(const ApiCall& call, const Status& status) {
  return error_reply(call.request, status);
}
HttpResponse ok_json(const ApiCall& call, const boost::json::value& body);
HttpResponse created_json(const ApiCall& call, const boost::json::value& body);

}  // namespace k4ds::api

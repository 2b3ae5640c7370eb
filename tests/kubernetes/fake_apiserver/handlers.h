// The REST semantics of the test API server: create (POST to a collection), get, list (GET on
// a collection, with label and field selectors), replace (PUT, 409 when the resourceVersion
// sent is stale), server-side apply (PATCH, apply.cc), delete; and the /_test hooks that play
// the kubelet and inject failures. Watches and log follows stream: streams.h.
//
// Contract
// - handle() answers every request but the streams, whole; thread-safe (the store's lock).
// - Every API request (not the hooks) is counted, may be slowed (/_test/slow) or answered by an
//   injected failure (/_test/fail) before its bearer token is checked (401), and with
//   $K4DS_FAKE_APISERVER_LOG set is appended to that file as "METHOD path?query".
// - Objects get metadata.uid, resourceVersion, creationTimestamp and managedFields (one
//   {"manager", "operation"} per field manager: ?fieldManager=M or "unknown", "Update" for
//   POST/PUT, "Apply" for apply).
// - Errors are Status objects: 401 Unauthorized, 403 Forbidden (a ResourceQuota's `pods` used
//   up), 404 NotFound, 409 AlreadyExists / Conflict, 415 UnsupportedMediaType, 422 Invalid
//   (the schema check, validator.h), 400 BadRequest, 405 MethodNotAllowed.
//
// Usage:
//   Api api(store, validator, token);
//   Reply reply = api.handle(request);
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "reply.h"
#include "selectors.h"
#include "store.h"
#include "validator.h"

namespace k4ds::fake_apiserver {

class Api {
 public:
  Api(Store& store, Validator& validator, std::string token);

  Reply handle(const Request& request);
  bool authorized(const Request& request) const { return request.authorization == "Bearer " + token_; }
  Store& store() { return store_; }

 private:
  Reply hook(const Request& request);
  Reply api(const Request& request);
  Reply create(const std::string& collection, const Query& q, const std::string& body);
  Reply replace(const std::string& path, const Query& q, const std::string& body);
  Reply get(const std::string& path, const Query& q);
  Reply remove(const std::string& path);
  Reply apply(const Request& request, const std::string& path, const Query& q);  // apply.cc
  void log_request(const Request& request);

  Store& store_;
  Validator& validator_;
  std::string token_;
  std::string log_file_;  // $K4DS_FAKE_APISERVER_LOG
  std::mutex log_mu_;
};

// Helpers shared by the routes (handlers.cc), with the store's lock held where they read it.

// The body as a JSON object, or the 400 to answer.
bool parse_object(const std::string& body, boost::json::object& out, Reply& refused);
// metadata.<field> as text, "" when absent or not a string.
std::string meta_text(const boost::json::object& object, std::string_view field);
// The object's metadata, made an object when it is missing.
boost::json::object& metadata_of(boost::json::object& object);
// The answer of the quota admission plugin when one more Pod in `collection` would pass the
// namespace's `pods` quota (403 "exceeded quota"); nullopt when it fits. Store lock held.
std::optional<Reply> pods_over_quota(const Store& store, const std::string& collection, const std::string& pod);
// A new object stored at `key` (store lock held): uid, resourceVersion, creationTimestamp and
// managedFields [{manager, operation}] set, ADDED recorded. The answer: 201 with the object.
Reply store_new(Store& store, const std::string& key, boost::json::object object, const std::string& manager,
                const std::string& operation);
// The 409 of a stale resourceVersion.
Reply conflict_reply(const std::string& path);

}  // namespace k4ds::fake_apiserver

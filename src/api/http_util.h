// HTTP plumbing shared by the handlers: the error-code → status mapping, JSON replies and
// error bodies, request-body parsing with typed field access, cookies.
//
// Request bodies: an empty body reads as {}. Fields set to null count as absent. Unknown
// fields are refused (400, naming the field and the ones allowed) so a typo such as "admn"
// fails loudly instead of being ignored.
#pragma once

#include <boost/beast/http/status.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/api.h"
#include "common/result.h"

namespace k4ds::api {

// docs/api.md "Errors".
boost::beast::http::status http_status(Code code);

HttpResponse json_reply(const HttpRequest& request, boost::beast::http::status status,
                        const boost::json::value& body);
// {"code","message"} with the matching status; 429 carries Retry-After when retry_after > 0.
HttpResponse error_reply(const HttpRequest& request, const Status& status,
                         int64_t retry_after_seconds = 0);
HttpResponse no_content_reply(const HttpRequest& request);
HttpResponse text_reply(const HttpRequest& request, std::string body);

// The value of cookie `name` in the Cookie header(s), or "".
// Set-Cookie value of the portal session: HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS.
std::string session_cookie(std::string_view value, int64_t max_age_seconds, bool secure);
// The first cookie called `name` across every Cookie header (also a request or header),
// surrounding quotes removed; "" if absent. cookie_view is the same without a copy: a view into
// `fields`, valid while the Cookie header is (the gateway's hot path).
std::string cookie_value(const boost::beast::http::fields& fields, std::string_view name);
std::string_view cookie_view(const boost::beast::http::fields& fields, std::string_view name);
// True when Content-Type is application/json (parameters such as charset allowed).
bool has_json_content_type(const HttpRequest& request);
// Parses "true"/"false"/"1"/"0" from a query string; nullopt otherwise.
std::optional<bool> parse_bool(std::string_view text);

class JsonBody {
 public:
  static Result<JsonBody> parse(const HttpRequest& request, std::size_t max_bytes,
                                std::initializer_list<std::string_view> allowed_fields);

  Result<std::optional<std::string>> string(std::string_view field) const;
  Result<std::optional<bool>> boolean(std::string_view field) const;
  Result<std::optional<int64_t>> integer(std::string_view field) const;
  Result<std::optional<std::vector<std::string>>> strings(std::string_view field) const;
  bool has(std::string_view field) const;
  // A list of objects, each checked for unknown fields like the body itself ("rules[2]: …").
  Result<std::optional<std::vector<JsonBody>>> objects(
      std::string_view field, std::initializer_list<std::string_view> allowed_fields) const;

 private:
  const boost::json::value* field(std::string_view name) const;
  boost::json::value value_;
};

}  // namespace k4ds::api

#include "api/http_util.h"

#include "api/api_handler.h"

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>

namespace k4ds::api {

namespace http = boost::beast::http;
namespace json = boost::json;

http::status http_status(Code code) {
  switch (code) {
    case Code::ok: return http::status::ok;
    case Code::invalid_argument: return http::status::bad_request;
    case Code::unauthenticated: return http::status::unauthorized;
    case Code::permission_denied: return http::status::forbidden;
    case Code::not_found: return http::status::not_found;
    case Code::already_exists:
    case Code::aborted:
    case Code::failed_precondition: return http::status::conflict;
    case Code::resource_exhausted: return http::status::too_many_requests;
    case Code::unavailable: return http::status::service_unavailable;
    case Code::internal: return http::status::internal_server_error;
  }
  return http::status::internal_server_error;
}

namespace {

HttpResponse base_reply(const HttpRequest& request, http::status status) {
  HttpResponse response{status, request.version()};
  response.keep_alive(request.keep_alive());
  // Answers carry user data: never let a shared cache keep them.
  response.set(http::field::cache_control, "no-store");
  return response;
}

}  // namespace

HttpResponse json_reply(const HttpRequest& request, http::status status,
                        const json::value& body) {
  HttpResponse response = base_reply(request, status);
  response.set(http::field::content_type, "application/json");
  response.body() = json::serialize(body);
  response.prepare_payload();
  return response;
}

HttpResponse error_reply(const HttpRequest& request, const Status& status,
                         int64_t retry_after_seconds) {
  Code code = status.ok() ? Code::internal : status.code();
  HttpResponse response =
      json_reply(request, http_status(code),
                 json::object{{"code", code_name(code)}, {"message", status.message()}});
  if (code == Code::unauthenticated) response.set(http::field::www_authenticate, "Bearer");
  if (retry_after_seconds > 0) {
    response.set(http::field::retry_after, std::to_string(retry_after_seconds));
  }
  return response;
}

HttpResponse no_content_reply(const HttpRequest& request) {
  HttpResponse response = base_reply(request, http::status::no_content);
  response.prepare_payload();
  return response;
}

HttpResponse text_reply(const HttpRequest& request, std::string body) {
  HttpResponse response = base_reply(request, http::status::ok);
  response.set(http::field::content_type, "text/plain; charset=utf-8");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string session_cookie(std::string_view value, int64_t max_age_seconds, bool secure) {
  std::string cookie = std::string(kSessionCookie) + "=" + std::string(value) +
                       "; Path=/; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age_seconds);
  if (secure) cookie += "; Secure";
  return cookie;
}

std::string_view cookie_view(const http::fields& fields, std::string_view name) {
  auto [begin, end] = fields.equal_range(http::field::cookie);
  for (auto it = begin; it != end; ++it) {
    std::string_view header = it->value();
    while (!header.empty()) {
      auto semi = header.find(';');
      std::string_view pair = trim(header.substr(0, semi));
      header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (trim(pair.substr(0, eq)) != name) continue;
      std::string_view value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return value;
    }
  }
  return {};
}

std::string cookie_value(const http::fields& fields, std::string_view name) {
  return std::string(cookie_view(fields, name));
}

bool has_json_content_type(const HttpRequest& request) {
  auto it = request.find(http::field::content_type);
  if (it == request.end()) return false;
  std::string_view value = it->value();
  value = trim(value.substr(0, value.find(';')));
  std::string lower(value);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "application/json";
}

std::optional<bool> parse_bool(std::string_view text) {
  if (text == "true" || text == "1" || text.empty()) return true;  // "?all" alone means true
  if (text == "false" || text == "0") return false;
  return std::nullopt;
}

namespace {

Status check_fields(const json::object& object, std::initializer_list<std::string_view> allowed_fields,
                    const std::string& where) {
  for (const auto& [key, value] : object) {
    if (std::find(allowed_fields.begin(), allowed_fields.end(), std::string_view(key)) ==
        allowed_fields.end()) {
      std::string allowed;
      for (auto f : allowed_fields) allowed += (allowed.empty() ? "" : ", ") + std::string(f);
      return invalid_argument(where + "unknown field \"" + std::string(key) + "\"; allowed: " +
                              (allowed.empty() ? "none" : allowed));
    }
  }
  return ok_status();
}

}  // namespace

Result<JsonBody> JsonBody::parse(const HttpRequest& request, std::size_t max_bytes,
                                 std::initializer_list<std::string_view> allowed_fields) {
  const std::string& text = request.body();
  if (text.size() > max_bytes) {
    return invalid_argument("the request body is larger than " + std::to_string(max_bytes) +
                            " bytes");
  }
  JsonBody body;
  if (std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); })) {
    body.value_ = json::object();
    return body;
  }
  boost::system::error_code ec;
  body.value_ = json::parse(text, ec);
  if (ec) return invalid_argument("the request body is not valid JSON: " + ec.message());
  if (!body.value_.is_object()) {
    return invalid_argument("the request body must be a JSON object ({...})");
  }
  K4DS_RETURN_IF_ERROR(check_fields(body.value_.as_object(), allowed_fields, ""));
  return body;
}

Result<std::optional<std::vector<JsonBody>>> JsonBody::objects(
    std::string_view name, std::initializer_list<std::string_view> allowed_fields) const {
  const json::value* v = field(name);
  if (!v) return std::optional<std::vector<JsonBody>>();
  if (!v->is_array()) return invalid_argument("field \"" + std::string(name) + "\" must be a list of objects");
  std::vector<JsonBody> out;
  for (std::size_t i = 0; i < v->as_array().size(); ++i) {
    const json::value& item = v->as_array()[i];
    const std::string where = std::string(name) + "[" + std::to_string(i) + "]";
    if (!item.is_object()) return invalid_argument(where + " must be an object ({...})");
    K4DS_RETURN_IF_ERROR(check_fields(item.as_object(), allowed_fields, where + ": "));
    JsonBody element;
    element.value_ = item;
    out.push_back(std::move(element));
  }
  return std::optional(std::move(out));
}

const json::value* JsonBody::field(std::string_view name) const {
  const json::value* v = value_.as_object().if_contains(name);
  return v && !v->is_null() ? v : nullptr;
}

bool JsonBody::has(std::string_view name) const { return field(name) != nullptr; }

Result<std::optional<std::string>> JsonBody::string(std::string_view name) const {
  const json::value* v = field(name);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return invalid_argument("field \"" + std::string(name) + "\" must be a string");
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<bool>> JsonBody::boolean(std::string_view name) const {
  const json::value* v = field(name);
  if (!v) return std::optional<bool>();
  if (!v->is_bool()) {
    return invalid_argument("field \"" + std::string(name) + "\" must be true or false");
  }
  return std::optional<bool>(v->as_bool());
}

Result<std::optional<int64_t>> JsonBody::integer(std::string_view name) const {
  const json::value* v = field(name);
  if (!v) return std::optional<int64_t>();
  if (v->is_int64()) return std::optional<int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return std::optional<int64_t>(static_cast<int64_t>(v->as_uint64()));
  }
  return invalid_argument("field \"" + std::string(name) + "\" must be a whole number");
}

Result<std::optional<std::vector<std::string>>> JsonBody::strings(std::string_view name) const {
  const json::value* v = field(name);
  if (!v) return std::optional<std::vector<std::string>>();
  std::string error = "field \"" + std::string(name) + "\" must be a list of strings";
  if (!v->is_array()) return invalid_argument(error);
  std::vector<std::string> out;
  for (const auto& item : v->as_array()) {
    if (!item.is_string()) return invalid_argument(error);
    out.emplace_back(item.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

}  // namespace k4ds::api

#include "cli/client.h"

#include <cstdlib>

#include <boost/json.hpp>

namespace k4ds::cli {
namespace {

namespace json = boost::json;

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

// A user or workspace name as the server accepts them: DNS-label characters.
bool plausible_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Code code_for_http_status(int http_status) {
  switch (http_status) {
    case 400:
    case 422:
      return Code::invalid_argument;
    case 401:
      return Code::unauthenticated;
    case 403:
      return Code::permission_denied;
    case 404:
      return Code::not_found;
    case 409:
      return Code::failed_precondition;
    case 429:
      return Code::resource_exhausted;
    case 502:
    case 503:
    case 504:
      return Code::unavailable;
    default:
      return Code::internal;
  }
}

int exit_code_for(Code code) {
  switch (code) {
    case Code::ok:
      return exit_code::kOk;
    case Code::invalid_argument:
      return exit_code::kInvalidInput;
    case Code::unauthenticated:
      return exit_code::kUnauthenticated;
    case Code::permission_denied:
      return exit_code::kPermissionDenied;
    case Code::not_found:
      return exit_code::kNotFound;
    case Code::already_exists:
    case Code::aborted:
    case Code::failed_precondition:
      return exit_code::kConflict;
    case Code::unavailable:
      return exit_code::kUnavailable;
    case Code::resource_exhausted:
      return exit_code::kRateLimited;
    case Code::internal:
      return exit_code::kError;
  }
  return exit_code::kError;
}

Status status_from_response(const HttpResponse& response) {
  if (response.status / 100 == 2) return ok_status();
  Code code = code_for_http_status(response.status);
  std::string message;
  boost::system::error_code ec;
  json::value body = json::parse(response.body, ec);
  if (!ec && body.is_object()) {
    if (const json::value* m = body.get_object().if_contains("message"); m && m->is_string())
      message = std::string(m->get_string());
  }
  if (message.empty()) {
    message = "the server answered HTTP " + std::to_string(response.status);
    if (!response.reason.empty()) message += " " + response.reason;
    if (response.status == 404) message += "; is this a k4ds server of a matching version?";
    else if (response.status >= 500) message += "; try again later or ask your admin";
  }
  return Status(code, std::move(message));
}

Result<WorkspaceRef> parse_workspace_ref(std::string_view text, std::string_view default_owner) {
  auto slash = text.find('/');
  WorkspaceRef ref;
  if (slash == std::string_view::npos) {
    ref.owner = std::string(default_owner);
    ref.name = std::string(text);
  } else {
    ref.owner = std::string(text.substr(0, slash));
    ref.name = std::string(text.substr(slash + 1));
  }
  if (!plausible_name(ref.owner) || !plausible_name(ref.name)) {
    return invalid_argument("'" + std::string(text) +
                            "' is not a workspace name; use NAME for your own workspace or "
                            "OWNER/NAME (admins), e.g. analysis or alice/analysis");
  }
  return ref;
}

Result<json::value> parse_json_body(std::string_view body) {
  if (body.empty()) return json::value(nullptr);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) {
    return Status(Code::internal, "the server sent an answer that is not JSON (" + ec.message() +
                                      "); is the URL a k4ds server?");
  }
  return v;
}

Result<ApiClient> ApiClient::connect(const GlobalOptions& options) {
  std::string path = cli_config_path();
  Result<CliConfig> config = load_cli_config(path);
  if (!config) return config.status();
  std::string server = options.server;
  if (server.empty()) server = env_or_empty("K4DS_URL");
  if (server.empty()) server = config->server;
  if (server.empty()) return Status(Code::unauthenticated, "not logged in; run k4ds login URL");
  Result<ServerUrl> url = parse_server_url(server);
  if (!url) return url.status();
  // The saved token only goes to the server it came from.
  std::string token = env_or_empty("K4DS_TOKEN");
  if (token.empty() && url->text() == config->server) token = config->token;
  if (token.empty()) {
    return Status(Code::unauthenticated,
                  "not logged in to " + url->text() + "; run k4ds login " + url->text());
  }
  // The config's user is only known to own the token that came from the config.
  const bool saved_token = token == config->token;
  ApiClient client(HttpClient(*url), std::move(token), std::move(config.value()), std::move(path));
  if (saved_token) client.user_ = client.config_.user;
  return client;
}

Result<json::value> ApiClient::call(std::string method, const std::string& target,
                                    const json::value* body) {
  HttpRequest req{.method = std::move(method), .target = target};
  req.headers.emplace_back("Authorization", "Bearer " + token_);
  req.headers.emplace_back("Accept", "application/json");
  if (body != nullptr) {
    req.body = json::serialize(*body);
    req.headers.emplace_back("Content-Type", "application/json");
  }
  Result<HttpResponse> res = http_.send(req);
  if (!res) return res.status();
  K4DS_RETURN_IF_ERROR(status_from_response(*res));
  if (res->status == 204) return json::value(nullptr);
  return parse_json_body(res->body);
}

Result<json::value> ApiClient::get(const std::string& target) {
  return call("GET", target, nullptr);
}
Result<json::value> ApiClient::post(const std::string& target, const json::value& body) {
  return call("POST", target, &body);
}
Result<json::value> ApiClient::patch(const std::string& target, const json::value& body) {
  return call("PATCH", target, &body);
}
Result<json::value> ApiClient::put(const std::string& target) {
  return call("PUT", target, nullptr);
}
Result<json::value> ApiClient::put(const std::string& target, const json::value& body) {
  return call("PUT", target, &body);
}
Result<json::value> ApiClient::del(const std::string& target) {
  return call("DELETE", target, nullptr);
}

Status ApiClient::stream(const std::string& target, const HttpClient::DataHandler& on_data) {
  HttpRequest req{.method = "GET", .target = target};
  req.headers.emplace_back("Authorization", "Bearer " + token_);
  Result<HttpResponse> res = http_.stream(req, on_data);
  if (!res) return res.status();
  return status_from_response(*res);
}

Result<std::string> ApiClient::user() {
  if (!user_.empty()) return user_;
  Result<json::value> me = get("/api/v1/whoami");
  if (!me) return me.status();
  const json::value* name = me->is_object() ? me->get_object().if_contains("name") : nullptr;
  if (name == nullptr || !name->is_string())
    return Status(Code::internal, "the server's whoami answer has no user name");
  return user_ = std::string(name->get_string());
}

Result<WorkspaceRef> ApiClient::workspace(std::string_view text) {
  if (text.find('/') != std::string_view::npos) return parse_workspace_ref(text, "");
  Result<std::string> me = user();
  if (!me) return me.status();
  return parse_workspace_ref(text, *me);
}

std::string ApiClient::workspace_path(const WorkspaceRef& ref) {
  return "/api/v1/workspaces/" + encode_path_segment(ref.owner) + "/" +
         encode_path_segment(ref.name);
}

}  // namespace k4ds::cli

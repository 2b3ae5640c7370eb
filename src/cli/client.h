// The CLI's view of the k4ds REST API (docs/api.md): who we are, where the server is, and how
// answers turn into values, errors and exit codes.
//
// Contract: ApiClient::connect() resolves the server URL and token, in order of precedence:
// the global `--server` flag, then `K4DS_URL`/`K4DS_TOKEN`, then the CLI config file
// (cli_config.h).
// With no token it fails with Code::unauthenticated ("not logged in; run k4ds login URL").
// Calls return the parsed JSON body (null for 204) or a Status carrying the server's message,
// with the Code derived from the HTTP status, so exit_code_for() is stable (docs/cli.md).
//
// Usage:
//   Result<ApiClient> api = ApiClient::connect(options);
//   if (!api) return api.status();
//   Result<boost::json::value> me = api->get("/api/v1/whoami");
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "cli/cli_config.h"
#include "cli/http_client.h"
#include "common/result.h"

namespace k4ds::cli {

// Flags every verb understands (registered on the top-level app).
struct GlobalOptions {
  std::string server;  // --server URL
};

// Exit codes (docs/cli.md). Stable: scripts rely on them.
namespace exit_code {
constexpr int kOk = 0;
constexpr int kError = 1;
constexpr int kUsage = 2;
constexpr int kUnauthenticated = 3;
constexpr int kPermissionDenied = 4;
constexpr int kNotFound = 5;
constexpr int kConflict = 6;
constexpr int kUnavailable = 7;
constexpr int kRateLimited = 8;
constexpr int kInvalidInput = 9;
}  // namespace exit_code

Code code_for_http_status(int http_status);
int exit_code_for(Code code);

// Turns a non-2xx answer into a Status: the server's {"message"} when it sent one, else a
// sentence naming the HTTP status.
Status status_from_response(const HttpResponse& response);

// "name" → {default_owner, name}; "owner/name" → {owner, name}.
struct WorkspaceRef {
  std::string owner;
  std::string name;
  std::string text() const { return owner + "/" + name; }
};
Result<WorkspaceRef> parse_workspace_ref(std::string_view text, std::string_view default_owner);

class ApiClient {
 public:
  static Result<ApiClient> connect(const GlobalOptions& options);

  Result<boost::json::value> get(const std::string& target);
  Result<boost::json::value> post(const std::string& target, const boost::json::value& body);
  Result<boost::json::value> patch(const std::string& target, const boost::json::value& body);
  Result<boost::json::value> put(const std::string& target);
  Result<boost::json::value> put(const std::string& target, const boost::json::value& body);
  Result<boost::json::value> del(const std::string& target);
  // Follows a streamed answer (SSE, logs), handing body bytes to on_data as they arrive.
  Status stream(const std::string& target, const HttpClient::DataHandler& on_data);

  // The user the token belongs to: from the config, else asked of the server (whoami).
  Result<std::string> user();
  // A workspace reference, defaulting the owner to user().
  Result<WorkspaceRef> workspace(std::string_view text);
  // "/api/v1/workspaces/{owner}/{name}" with both segments encoded.
  static std::string workspace_path(const WorkspaceRef& ref);

  const ServerUrl& server() const { return http_.server(); }
  const std::string& config_path() const { return config_path_; }
  const CliConfig& config() const { return config_; }

 private:
  ApiClient(HttpClient http, std::string token, CliConfig config, std::string config_path)
      : http_(std::move(http)), token_(std::move(token)), config_(std::move(config)),
        config_path_(std::move(config_path)) {}
  Result<boost::json::value> call(std::string method, const std::string& target,
                                  const boost::json::value* body);

  HttpClient http_;
  std::string token_;
  CliConfig config_;
  std::string config_path_;
  std::string user_;  // resolved lazily
};

// Parses a JSON body; an empty body is null.
Result<boost::json::value> parse_json_body(std::string_view body);

}  // namespace k4ds::cli

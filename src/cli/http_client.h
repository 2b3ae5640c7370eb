// A small synchronous HTTP/1.1 client for the CLI, over plain TCP or TLS (Boost.Beast).
//
// Contract: one request per connection (the CLI makes a handful of calls per run). Every
// connect/write/read has a deadline (`timeout`); a followed stream (stream()) has none after the
// response head, relying on TCP keep-alive and the server's `: keep-alive` comments instead.
// https URLs verify the server certificate against the system store and the host name.
// Transport failures come back as Code::unavailable with a message that says what to do;
// HTTP error statuses are NOT failures here (the caller maps them, see client.h).
//
// Usage:
//   Result<ServerUrl> url = parse_server_url("http://localhost:8080");
//   HttpClient http(*url);
//   Result<HttpResponse> r = http.send({.method = "GET", .target = "/api/v1/whoami",
//                                       .headers = {{"Authorization", "Bearer k4ds_…"}}});
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace k4ds::cli {

// A k4ds server's base URL, parsed and normalised.
struct ServerUrl {
  std::string scheme;       // "http" or "https"
  std::string host;         // for DNS/connect: "localhost", "::1"
  std::string host_header;  // for the Host header: "localhost:8080", "[::1]:8080"
  int port = 0;             // explicit or the scheme's default
  std::string base_path;    // "" or "/k4ds" (no trailing slash); prefixed to every target
  // Canonical text: "http://localhost:8080" (what the CLI saves and shows).
  std::string text() const;
};

// Accepts "http://host[:port][/path]", "https://…" and, for convenience, "host:port" (http).
// Refuses other schemes, user info, queries and fragments with invalid_argument.
Result<ServerUrl> parse_server_url(std::string_view text);

// Percent-encodes one path segment (user, workspace or token names).
std::string encode_path_segment(std::string_view segment);

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // "/api/v1/whoami" (base_path is prefixed by the client)
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpResponse {
  int status = 0;
  std::string reason;  // "Not Found"
  std::string body;
  std::string content_type;
  std::vector<std::string> set_cookies;  // every Set-Cookie header value

  // Value of cookie `name` from Set-Cookie, or "" if the response did not set it.
  std::string cookie(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(ServerUrl server, std::chrono::seconds timeout = std::chrono::seconds(30))
      : server_(std::move(server)), timeout_(timeout) {}

  // Sends the request and reads the whole response.
  Result<HttpResponse> send(const HttpRequest& request);

  // Sends the request; if the answer is 2xx, passes body bytes to on_data as they arrive until
  // the server ends the body or on_data returns false. Otherwise reads the (short) error body
  // into the returned response. The returned response never holds a 2xx body.
  using DataHandler = std::function<bool(std::string_view)>;
  Result<HttpResponse> stream(const HttpRequest& request, const DataHandler& on_data);

  const ServerUrl& server() const { return server_; }

 private:
  ServerUrl server_;
  std::chrono::seconds timeout_;
};

}  // namespace k4ds::cli

// Requests and answers of the test API server as plain values (no sockets), and the Status
// object a real API server answers errors with:
//   {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": R, "message": M,
//    "code": C[, "details": {"name": N, "kind": K}]}
//
// Contract: header-only, no state. Paths and queries are raw (not percent-decoded).
//
// Usage:
//   return status_reply(404, "NotFound", "\"web\" not found", {"web", "pods"});
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace k4ds::fake_apiserver {

struct Request {
  std::string method;  // GET, POST, PUT, PATCH, DELETE, …
  std::string path;    // before '?'
  std::string query;   // after '?', "" when none
  std::string body;
  std::string authorization;  // the Authorization header
  std::string content_type;
};

struct Reply {
  int code = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type / -Length
};

// What a Status is about: details.name / details.kind ("pods"), left out when empty.
struct About {
  std::string name;
  std::string kind;
};

inline boost::json::object status_object(int code, std::string_view reason, std::string_view message,
                                         const About& about = {}) {
  boost::json::object s{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
                        {"reason", reason},  {"message", message}, {"code", code}};
  if (!about.name.empty() || !about.kind.empty()) {
    boost::json::object details;
    if (!about.name.empty()) details["name"] = about.name;
    if (!about.kind.empty()) details["kind"] = about.kind;
    s["details"] = std::move(details);
  }
  return s;
}

inline Reply json_reply(int code, const boost::json::value& body) {
  return Reply{code, boost::json::serialize(body), "application/json", {}};
}

inline Reply text_reply(int code, std::string body) { return Reply{code, std::move(body), "text/plain", {}}; }

inline Reply status_reply(int code, std::string_view reason, std::string_view message, const About& about = {}) {
  return json_reply(code, status_object(code, reason, message, about));
}

}  // namespace k4ds::fake_apiserver

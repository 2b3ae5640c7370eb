// Health probe: one HTTP/1.0 GET over a workspace's upstream ("unix:/path" or "host:port").
//
// Usage:
//   std::optional<int> code = http_probe("unix:/run/x.sock", "/api", 500ms);
//   bool healthy = code && *code < 500;
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace k4ds::local {

// The response's status code, or nullopt when nothing answered within the timeout.
std::optional<int> http_probe(const std::string& upstream, const std::string& path,
                              std::chrono::milliseconds timeout);
// Full response text (head and body) of GET path; for tests and diagnostics.
std::optional<std::string> http_get(const std::string& upstream, const std::string& path,
                                    std::chrono::milliseconds timeout);

}  // namespace k4ds::local

// Validation of `rd`, the place a browser is sent back to after login.
//
// Contract: validate_redirect() accepts only
//   - a relative path that starts with exactly one "/" ("/lab?x=1"), or
//   - an absolute http(s) URL whose host is the portal host or a workspace host
//     ("<owner>-<name>.<domain>") of the configured domain, with an allowed scheme and port;
// and refuses everything else with Code::invalid_argument (the caller falls back to "/").
// Browsers are more lenient than RFC 3986 (they drop tabs and newlines, read "\" as "/",
// accept "https:evil.com"), so besides a Boost.URL parse the raw text is checked: no control
// characters or spaces, no backslashes, no userinfo, no "%" in the authority, no encoded
// control characters, no "//" or dot segments in the path (also after percent-decoding), no
// non-ASCII, at most kMaxRedirectLength bytes. The accepted value is returned unchanged.
//
// `rd` must already be decoded once from the query string (as the HTTP layer does).
//
// Usage:
//   RedirectPolicy policy{.domain = "localhost", .ports = {8080}};
//   Result<std::string> target = validate_redirect(query["rd"], policy);
//   std::string location = target ? *target : "/";
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k4ds {

inline constexpr std::size_t kMaxRedirectLength = 2048;

struct RedirectPolicy {
  std::string domain;       // workspaces answer on <owner>-<name>.<domain>
  std::string portal_host;  // empty = the domain
  // Schemes accepted in absolute URLs. With TLS on at the gateway, set allow_http = false.
  // Behind a load balancer that terminates TLS, the public scheme is https: keep allow_https.
  bool allow_http = true;
  bool allow_https = true;
  // Effective ports accepted (the explicit port, or 80/443 when none is written). Empty means
  // only the scheme's default port.
  std::vector<uint16_t> ports;
};

Result<std::string> validate_redirect(std::string_view rd, const RedirectPolicy& policy);

}  // namespace k4ds

// Host header normalization and classification: the first decision on every request.
//
// Contract: pure functions, no I/O. Every routing and redirect decision is taken on the output
// of normalize_host(), never on the raw header, so upper case, a trailing dot or a port can't
// change the outcome ("ALICE-X.localhost.:8080" routes exactly like "alice-x.localhost").
// normalize_host() refuses anything that is not a plain DNS name or IP literal with an
// optional port (Code::invalid_argument): userinfo ("a@b"), percent escapes, backslashes,
// whitespace, empty labels, a bad port. IPv6 literals keep their brackets ("[::1]").
//
// classify_host() decides what a normalized host is:
//   the portal host (the configured portal_host, or the domain when that is empty) → portal;
//   exactly one label "<owner>-<name>" followed by "." + domain → workspace;
//   anything else → unknown ("a.alice-x.localhost", "alice-x.localhost.evil",
//   "evil-localhost" are all unknown).
//
// Usage:
//   Result<NormalizedHost> h = normalize_host(req[http::field::host]);
//   if (!h) return bad_request(h.status());
//   HostClass c = classify_host(h->host, config.domain, config.portal_host);
//   if (c.kind == HostKind::workspace) route(c.owner, c.name);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k4ds {

inline constexpr std::size_t kMaxHostLength = 253;

struct NormalizedHost {
  std::string host;              // lowercase, no trailing dot, no port; "[::1]" for IPv6
  std::optional<uint16_t> port;  // the explicit port, if any (1..65535)
};

Result<NormalizedHost> normalize_host(std::string_view host_header);

// Lowercases and drops one trailing dot; for configured names (domain, portal host), which are
// trusted but may be written in any case.
std::string canonical_host_name(std::string_view name);

enum class HostKind { portal, workspace, unknown };

struct HostClass {
  HostKind kind = HostKind::unknown;
  std::string owner;  // set for workspace
  std::string name;   // set for workspace
};

// `host` must come from normalize_host(). `domain` and `portal_host` are the configured values
// (any case, optional trailing dot); an empty portal_host means the domain itself.
HostClass classify_host(std::string_view host, std::string_view domain,
                        std::string_view portal_host);

// normalize_host() then classify_host(); garbage is unknown.
HostClass classify_host_header(std::string_view host_header, std::string_view domain,
                               std::string_view portal_host);

// Whether `host` equals workspace_host(owner, name, domain) (model.h), without building it.
bool is_workspace_host(std::string_view host, std::string_view owner, std::string_view name,
                       std::string_view domain);

}  // namespace k4ds

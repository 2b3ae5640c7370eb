// PortalAssets: serves the portal web app (built by npm from portal/ and compiled into the
// binary by portal/embed.cmake) on the portal host. k4ds needs no Node.js at run time.
//
// Contract
// - owns() is true only for GET/HEAD on a path that is not the server's own (/api/, /login,
//   /logout, /_k4ds/, /healthz) and that is "/", an embedded file, or a page of the app (any
//   other path outside /assets/ asked for as text/html: deep links and reloads of client-side
//   routes get index.html). Everything else goes on to the API, which answers 404 in JSON.
// - Only embedded files are ever served: a path is looked up as an exact key, never joined to
//   a directory, so "..", encoded slashes and the like name nothing.
// - Hashed build outputs (/assets/…) are cached for a year as immutable; everything else
//   (index.html, favicon) is revalidated every time. Every answer has a strong ETag and honours
//   If-None-Match with 304, and carries a strict Content-Security-Policy (no inline script,
//   nothing from other origins, no framing), nosniff and a no-referrer policy.
// - handle() is a pure function of the request (no I/O): safe on any thread.
//
// Usage:
//   PortalAssets portal;  // the embedded build
//   if (portal.owns(request)) return portal.handle(request);
#pragma once

#include <span>
#include <string_view>

#include "api/api.h"

namespace k4ds {

struct EmbeddedFile {
  std::string_view path;  // "/index.html", "/assets/index-3f9a1c.js"
  std::string_view data;
  std::string_view etag;  // quoted, e.g. "\"6b2f0c1d9e8a7b3c4d5e\""
};

// The portal build compiled into this binary (generated at build time).
std::span<const EmbeddedFile> embedded_portal_files();

// The Content-Security-Policy of every portal answer.
inline constexpr std::string_view kPortalCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// "text/javascript; charset=utf-8" for "/assets/x.js"; application/octet-stream if unknown.
std::string_view content_type_for(std::string_view path);
// True when an If-None-Match header value matches etag ("*", a list, weak forms).
bool etag_matches(std::string_view if_none_match, std::string_view etag);

class PortalAssets {
 public:
  explicit PortalAssets(std::span<const EmbeddedFile> files = embedded_portal_files());

  bool owns(const HttpRequest& request) const;
  // The answer for a request that owns() accepted.
  HttpResponse handle(const HttpRequest& request) const;

  // The file a request path resolves to (index.html for "/" and page routes when
  // accepts_html), or null. Exposed for tests.
  const EmbeddedFile* resolve(std::string_view path, bool accepts_html) const;

 private:
  const EmbeddedFile* find(std::string_view path) const;

  std::span<const EmbeddedFile> files_;
  const EmbeddedFile* index_ = nullptr;
};

}  // namespace k4ds

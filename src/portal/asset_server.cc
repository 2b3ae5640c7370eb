#include "portal/asset_server.h"

#include <algorithm>
#include <array>
#include <utility>

namespace k4ds {

namespace http = boost::beast::http;

namespace {

// Paths the rest of the server answers, whatever the Accept header says.
bool reserved(std::string_view path) {
  constexpr std::array<std::string_view, 5> kServerPaths{"/api", "/login", "/logout", "/_k4ds",
                                                         "/healthz"};
  return std::any_of(kServerPaths.begin(), kServerPaths.end(), [&](std::string_view p) {
    return path == p || (path.starts_with(p) && path[p.size()] == '/');
  });
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find_first_of("?#"));
}

bool accepts_html(const HttpRequest& request) {
  return request[http::field::accept].find("text/html") != std::string_view::npos;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view content_type_for(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  auto slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string_view ext = name.substr(dot);
  for (const auto& [suffix, type] : kTypes) {
    if (ext == suffix) return type;
  }
  return "application/octet-stream";
}

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    auto comma = if_none_match.find(',');
    std::string_view candidate = trim(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    if (candidate == "*") return true;
    if (candidate.starts_with("W/")) candidate.remove_prefix(2);  // weak comparison (RFC 9110 13.1.2)
    if (candidate == etag) return true;
  }
  return false;
}

PortalAssets::PortalAssets(std::span<const EmbeddedFile> files) : files_(files) {
  index_ = find("/index.html");
}

const EmbeddedFile* PortalAssets::find(std::string_view path) const {
  for (const EmbeddedFile& file : files_) {
    if (file.path == path) return &file;
  }
  return nullptr;
}

const EmbeddedFile* PortalAssets::resolve(std::string_view path, bool html) const {
  if (!path.starts_with('/') || reserved(path)) return nullptr;
  if (path == "/") return index_;
  if (const EmbeddedFile* file = find(path)) return file;
  // A page of the app (a client-side route): the app itself decides what it shows. A missing
  // build output stays a 404, so a stale tab asking for an old bundle fails visibly.
  if (html && !path.starts_with("/assets/")) return index_;
  return nullptr;
}

bool PortalAssets::owns(const HttpRequest& request) const {
  if (request.method() != http::verb::get && request.method() != http::verb::head) return false;
  return resolve(path_of(request.target()), accepts_html(request)) != nullptr;
}

HttpResponse PortalAssets::handle(const HttpRequest& request) const {
  const std::string_view path = path_of(request.target());
  const EmbeddedFile* file = resolve(path, accepts_html(request));
  const bool not_modified = file && etag_matches(request[http::field::if_none_match], file->etag);
  HttpResponse res{file == nullptr ? http::status::not_found
                   : not_modified  ? http::status::not_modified
                                   : http::status::ok,
                   request.version()};
  res.set("Content-Security-Policy", kPortalCsp);
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  if (file == nullptr) {
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    res.body() = "Nothing is served at this address; check the link, or go to / for the portal.\n";
    res.prepare_payload();
    return res;
  }
  res.set(http::field::etag, file->etag);
  // Build outputs under /assets/ carry a content hash in their names: a new build gets new
  // names, so browsers may keep these forever. The rest must be revalidated (cheap: a 304).
  res.set(http::field::cache_control, file->path.starts_with("/assets/")
                                          ? "public, max-age=31536000, immutable"
                                          : "no-cache");
  // A page route is the app only for browsers (Accept: text/html); scripts get the API's 404.
  if (file == index_ && path != "/" && path != "/index.html") res.set(http::field::vary, "Accept");
  if (not_modified) return res;  // 304: no body, no Content-Length
  res.set(http::field::content_type, content_type_for(file->path));
  if (request.method() == http::verb::head) {
    res.content_length(file->data.size());  // what GET would send, without the body
  } else {
    res.body().assign(file->data.data(), file->data.size());
    res.prepare_payload();
  }
  return res;
}

}  // namespace k4ds

#include "gateway/host.h"

#include <algorithm>

#include <boost/asio/ip/address_v6.hpp>

#include "model/validation.h"

namespace k4ds {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

Status bad_host(std::string_view why) {
  return invalid_argument("the Host header is not a valid host name (" + std::string(why) +
                          "); use a plain name such as alice-analysis.localhost");
}

// "8080" → 8080; refuses empty, signs, leading garbage, 0 and > 65535.
std::optional<uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

// Checks a lowercased DNS name (trailing dot already removed): LDH labels of 1..63 characters.
// Underscores are refused: no k4ds host has one, and some resolvers and cookie code treat them
// differently from browsers.
Status check_dns_name(std::string_view name) {
  if (name.empty()) return bad_host("it is empty");
  if (name.size() > kMaxHostLength) return bad_host("it is longer than 253 characters");
  std::size_t label_len = 0;
  for (char c : name) {
    if (!is_name_char(c)) return bad_host("it contains a character not allowed in a host name");
    if (c == '.') {
      if (label_len == 0) return bad_host("it has an empty label");
      label_len = 0;
    } else if (++label_len > kMaxHostLabelLength) {
      return bad_host("a label is longer than 63 characters");
    }
  }
  if (label_len == 0) return bad_host("it has an empty label");
  return ok_status();
}

}  // namespace

std::string canonical_host_name(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = lower(c);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

Result<NormalizedHost> normalize_host(std::string_view header) {
  if (header.empty()) return bad_host("it is empty");
  // Generous bound: the longest name plus brackets and a port.
  if (header.size() > kMaxHostLength + 8) return bad_host("it is too long");

  NormalizedHost out;
  std::string_view host_part = header;
  std::string_view port_part;
  bool has_port = false;

  if (header.front() == '[') {
    std::size_t close = header.find(']');
    if (close == std::string_view::npos) return bad_host("an IPv6 literal is not closed");
    std::string_view rest = header.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad_host("unexpected text after an IPv6 literal");
      port_part = rest.substr(1);
      has_port = true;
    }
    std::string_view literal = header.substr(1, close - 1);
    for (char c : literal) {
      bool ok = (c >= '0' && c <= '9') || (lower(c) >= 'a' && lower(c) <= 'f') || c == ':' ||
                c == '.';
      if (!ok) return bad_host("an IPv6 literal contains a character it may not");
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address_v6(std::string(literal), ec);
    if (ec) return bad_host("an IPv6 literal is not a valid address");
    out.host = "[" + addr.to_string() + "]";  // canonical text: "[0:0::1]" == "[::1]"
  } else {
    std::size_t colon = header.find(':');
    if (colon != std::string_view::npos) {
      if (header.find(':', colon + 1) != std::string_view::npos) {
        return bad_host("an IPv6 address must be written in brackets");
      }
      host_part = header.substr(0, colon);
      port_part = header.substr(colon + 1);
      has_port = true;
    }
    // Only one trailing dot is dropped, so "a.localhost.." still fails as an empty label.
    std::string name = canonical_host_name(host_part);
    if (Status s = check_dns_name(name); !s.ok()) return s;
    out.host = std::move(name);
  }

  if (has_port) {
    std::optional<uint16_t> port = parse_port(port_part);
    if (!port) return bad_host("the port is not a number from 1 to 65535");
    out.port = *port;
  }
  return out;
}

namespace {

// `name` as canonical_host_name() would make it: a view of it when it already is (configured
// names usually are; this runs per request), else a lower-cased copy held in `storage`.
std::string_view canonical_view(std::string_view name, std::string& storage) {
  const bool canonical = (name.empty() || name.back() != '.') &&
                         std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  if (canonical) return name;
  storage = canonical_host_name(name);
  return storage;
}

}  // namespace

HostClass classify_host(std::string_view host, std::string_view domain,
                        std::string_view portal_host) {
  std::string dom_storage, portal_storage;
  const std::string_view dom = canonical_view(domain, dom_storage);
  const std::string_view portal = portal_host.empty() ? dom : canonical_view(portal_host, portal_storage);
  HostClass out;
  if (host.empty() || dom.empty()) return out;
  if (host == portal) {
    out.kind = HostKind::portal;
    return out;
  }
  // "<label>." + domain, with exactly one label: the character before the domain must be a dot
  // ("evil-localhost" is not under "localhost") and the label itself must not contain one.
  if (host.size() <= dom.size() + 1) return out;
  std::string_view suffix = host.substr(host.size() - dom.size());
  if (suffix != dom || host[host.size() - dom.size() - 1] != '.') return out;
  std::string_view label = host.substr(0, host.size() - dom.size() - 1);
  if (label.find('.') != std::string_view::npos) return out;
  std::optional<WorkspaceLabel> parts = split_workspace_label(label);
  if (!parts) return out;
  out.kind = HostKind::workspace;
  out.owner = std::move(parts->owner);
  out.name = std::move(parts->name);
  return out;
}

HostClass classify_host_header(std::string_view host_header, std::string_view domain,
                               std::string_view portal_host) {
  Result<NormalizedHost> normalized = normalize_host(host_header);
  if (!normalized) return HostClass{};
  return classify_host(normalized->host, domain, portal_host);
}

bool is_workspace_host(std::string_view host, std::string_view owner, std::string_view name,
                       std::string_view domain) {
  if (host.size() != owner.size() + name.size() + domain.size() + 2) return false;
  if (!host.starts_with(owner) || host[owner.size()] != '-') return false;
  host.remove_prefix(owner.size() + 1);
  if (!host.starts_with(name) || host[name.size()] != '.') return false;
  return host.substr(name.size() + 1) == domain;
}

}  // namespace k4ds

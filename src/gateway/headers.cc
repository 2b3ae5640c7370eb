#include "gateway/headers.h"

#include <algorithm>
#include <charconv>

#include "gateway/host.h"
#include "gateway/http_tokens.h"

namespace k4ds {
namespace {

namespace http = boost::beast::http;

// Beast has no enum values for these.
constexpr std::string_view kXForwardedFor = "X-Forwarded-For";
constexpr std::string_view kXForwardedProto = "X-Forwarded-Proto";
constexpr std::string_view kXForwardedHost = "X-Forwarded-Host";

using http_tokens::ascii_lower;
using http_tokens::for_each_element;
using http_tokens::iequals;
using http_tokens::safe_list_element;
using http_tokens::trim_ows;

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// Splits a comma list ("a, b,,c") into trimmed, non-empty elements.
std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> out;
  for_each_element(value, [&](std::string_view item) {
    out.push_back(item);
    return true;
  });
  return out;
}

// The first element of the first header named `name`, or "" if there is none.
std::string_view first_element(const HttpFields& fields, std::string_view name) {
  auto it = fields.find(name);
  if (it == fields.end()) return {};
  std::string_view first;
  for_each_element(it->value(), [&](std::string_view item) {
    first = item;
    return false;
  });
  return first;
}

// The character as identity-header names are compared: lower case, "_" read as "-".
char name_char(char c) { return c == '_' ? '-' : ascii_lower(c); }

}  // namespace

void strip_hop_by_hop(HttpFields& fields, HopByHopOptions options) {
  // The names a Connection header nominates, as views into that header's value: they stay
  // valid until the Connection (or Proxy-Connection) fields themselves are erased, last. A
  // request nominating more than kInline names is rare enough to pay for a vector.
  constexpr std::size_t kInline = 16;
  std::array<std::string_view, kInline> inline_names;
  std::vector<std::string_view> more_names;
  std::size_t count = 0;
  bool connection_says_upgrade = false;
  for (const auto& f : fields) {
    if (f.name() != http::field::connection && f.name() != http::field::proxy_connection) {
      continue;
    }
    for_each_element(f.value(), [&](std::string_view token) {
      if (iequals(token, "upgrade")) connection_says_upgrade = true;
      if (count < kInline) {
        inline_names[count] = token;
      } else {
        more_names.push_back(token);
      }
      ++count;
      return true;
    });
  }
  std::string upgrade_value;
  if (auto it = fields.find(http::field::upgrade); it != fields.end()) {
    upgrade_value = std::string(it->value());
  }
  bool keep = options.keep_upgrade && connection_says_upgrade && !upgrade_value.empty() &&
              safe_list_element(upgrade_value);

  for (std::size_t i = 0; i < count; ++i) {
    std::string_view name = i < kInline ? inline_names[i] : more_names[i - kInline];
    // Removing these because a client named them would drop the Host an upstream needs or,
    // worse, the body length, letting the body be read as a second request (smuggling).
    if (http_tokens::kept_when_named(name)) continue;
    // Erased below with the other hop-by-hop fields (the names above point into them).
    if (iequals(name, "connection") || iequals(name, "proxy-connection")) continue;
    fields.erase(name);  // field names compare case-insensitively
  }
  // One pass comparing enum values (erasing by name would search the field set nine times).
  for (auto it = fields.begin(); it != fields.end();) {
    it = http_tokens::is_hop_by_hop(it->name()) ? fields.erase(it) : std::next(it);
  }
  if (keep) {
    fields.set(http::field::upgrade, upgrade_value);
    fields.set(http::field::connection, "Upgrade");
  }
}

bool is_identity_header(std::string_view name) {
  // Compared character by character (no lower-cased copy: this runs for every header of every
  // relayed request).
  auto same = [](std::string_view n, std::string_view pattern) {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
      if (name_char(n[i]) != pattern[i]) return false;
    }
    return true;
  };
  static constexpr std::string_view kPrefixes[] = {"x-k4ds-", "x-auth-request-"};
  static constexpr std::string_view kNames[] = {
      "remote-user",      "remote-groups",      "remote-email",
      "remote-name",      "x-forwarded-user",   "x-forwarded-groups",
      "x-forwarded-email", "x-forwarded-preferred-username", "x-remote-user"};
  for (std::string_view p : kPrefixes) {
    if (name.size() > p.size() && same(name, p)) return true;
  }
  for (std::string_view n : kNames) {
    if (name.size() == n.size() && same(name, n)) return true;
  }
  return false;
}

void strip_identity_headers(HttpFields& fields) {
  for (auto it = fields.begin(); it != fields.end();) {
    if (is_identity_header(it->name_string())) {
      it = fields.erase(it);
    } else {
      ++it;
    }
  }
}

void strip_k4ds_cookies(HttpFields& fields, std::initializer_list<std::string_view> cookie_names) {
  auto ours = [&](std::string_view pair) {
    std::string_view name = trim_ows(pair.substr(0, pair.find('=')));
    return std::any_of(cookie_names.begin(), cookie_names.end(),
                       [&](std::string_view n) { return iequals(name, n); });
  };
  auto for_each_pair = [](std::string_view value, auto&& f) {
    while (true) {
      std::size_t semi = value.find(';');
      f(trim_ows(value.substr(0, semi)));
      if (semi == std::string_view::npos) break;
      value.remove_prefix(semi + 1);
    }
  };
  // First look, without copying anything: most requests carry none of ours... except the
  // gateway's own cookie on every request to a workspace, which is why the rest is cheap too.
  bool any = false;
  for (const auto& f : fields) {
    if (f.name() == http::field::cookie) for_each_pair(f.value(), [&](std::string_view p) { any = any || ours(p); });
  }
  if (!any) return;
  std::vector<std::string> rewritten;
  for (const auto& f : fields) {
    if (f.name() != http::field::cookie) continue;
    std::string kept;
    bool dropped_here = false;
    for_each_pair(f.value(), [&](std::string_view pair) {
      if (ours(pair)) {
        dropped_here = true;
      } else if (!pair.empty()) {
        if (!kept.empty()) kept += "; ";
        kept += pair;
      }
    });
    // An untouched header is kept exactly as sent, separators included.
    rewritten.push_back(dropped_here ? std::move(kept) : std::string(f.value()));
  }
  fields.erase(http::field::cookie);
  for (const std::string& v : rewritten) {
    if (!v.empty()) fields.insert(http::field::cookie, v);
  }
}

std::string forwarded_proto(const HttpFields& fields, const ForwardedInfo& info) {
  if (info.trusted_peer) {
    std::string proto = to_lower(first_element(fields, kXForwardedProto));
    if (proto == "http" || proto == "https") return proto;
  }
  return std::string(info.proto);
}

void set_forwarded_headers(HttpFields& fields, const ForwardedInfo& info) {
  std::string xff;
  std::string_view host = info.host;
  if (info.trusted_peer) {
    for (const auto& f : fields) {
      if (!iequals(f.name_string(), kXForwardedFor)) continue;
      for (std::string_view hop : split_list(f.value())) {
        if (!safe_list_element(hop)) continue;
        if (!xff.empty()) xff += ", ";
        xff += hop;
      }
    }
    std::string_view client_host = first_element(fields, kXForwardedHost);
    if (!client_host.empty() && normalize_host(client_host).ok()) host = client_host;
  } else {
    // Apps build absolute URLs and client addresses from these; from an untrusted peer they
    // are lies, so none survive.
    // One pass over the request's fields (erasing by name would search the set twelve times).
    static constexpr std::string_view kUntrusted[] = {
        "Forwarded", "X-Real-IP", "X-Forwarded-Port", "X-Forwarded-Prefix",
        "X-Forwarded-Server", "X-Forwarded-Uri", "X-Forwarded-Method", "X-Original-URL",
        "X-Original-URI", "X-Original-Method", "X-Client-IP", "True-Client-IP"};
    for (auto it = fields.begin(); it != fields.end();) {
      const std::string_view name = it->name_string();
      if (std::any_of(std::begin(kUntrusted), std::end(kUntrusted), [&](std::string_view n) { return iequals(name, n); })) {
        it = fields.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::string proto = forwarded_proto(fields, info);
  if (!xff.empty()) xff += ", ";
  xff += info.client_addr;
  fields.set(kXForwardedFor, xff);
  fields.set(kXForwardedProto, proto);
  fields.set(kXForwardedHost, host);
}

void set_identity_headers(HttpFields& fields, std::string_view user,
                          const std::vector<std::string>& groups, bool also_remote_headers) {
  strip_identity_headers(fields);
  if (!safe_list_element(user)) return;  // a bug upstream of us; send no identity at all
  std::string group_list;
  for (const std::string& g : groups) {
    if (!safe_list_element(g)) continue;
    if (!group_list.empty()) group_list += ",";
    group_list += g;
  }
  fields.set("X-K4DS-User", user);
  fields.set("X-K4DS-Groups", group_list);
  if (also_remote_headers) {
    fields.set("Remote-User", user);
    fields.set("Remote-Groups", group_list);
  }
}

Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& cidrs) {
  TrustedProxies out;
  for (const std::string& entry : cidrs) {
    auto bad = [&] {
      return invalid_argument("trusted_proxies entry \"" + entry +
                              "\" is not an address or CIDR; write e.g. 10.0.0.0/8 or fd00::/8");
    };
    std::string_view text = entry;
    std::size_t slash = text.find('/');
    std::string_view addr_text = text.substr(0, slash);
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(std::string(addr_text), ec);
    if (ec) return bad();
    Network net;
    net.v6 = addr.is_v6();
    unsigned max_prefix = net.v6 ? 128 : 32;
    net.prefix = max_prefix;
    if (slash != std::string_view::npos) {
      std::string_view p = text.substr(slash + 1);
      unsigned prefix = 0;
      auto [ptr, err] = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (p.empty() || err != std::errc() || ptr != p.data() + p.size() || prefix > max_prefix) {
        return bad();
      }
      net.prefix = prefix;
    }
    if (net.v6) {
      net.bytes = addr.to_v6().to_bytes();
    } else {
      auto b = addr.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), net.bytes.begin());
    }
    out.networks_.push_back(net);
  }
  return out;
}

bool TrustedProxies::contains(const boost::asio::ip::address& address) const {
  auto matches = [](const Network& n, const unsigned char* bytes) {
    unsigned full = n.prefix / 8;
    unsigned rest = n.prefix % 8;
    if (!std::equal(n.bytes.begin(), n.bytes.begin() + full, bytes)) return false;
    if (rest == 0) return true;
    auto mask = static_cast<unsigned char>(0xff << (8 - rest));
    return (n.bytes[full] & mask) == (bytes[full] & mask);
  };
  std::array<unsigned char, 16> v6{};
  std::array<unsigned char, 4> v4{};
  bool has_v6 = false;
  bool has_v4 = false;
  if (address.is_v4()) {
    v4 = address.to_v4().to_bytes();
    has_v4 = true;
  } else {
    auto a6 = address.to_v6();
    v6 = a6.to_bytes();
    has_v6 = true;
    if (a6.is_v4_mapped()) {
      v4 = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a6).to_bytes();
      has_v4 = true;
    }
  }
  for (const Network& n : networks_) {
    if (n.v6 && has_v6 && matches(n, v6.data())) return true;
    if (!n.v6 && has_v4 && matches(n, v4.data())) return true;
  }
  return false;
}

bool is_trusted_proxy(const boost::asio::ip::address& address,
                      const std::vector<std::string>& cidrs) {
  Result<TrustedProxies> parsed = TrustedProxies::parse(cidrs);
  return parsed.ok() && parsed->contains(address);
}

}  // namespace k4ds

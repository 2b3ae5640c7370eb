// Header hygiene for relaying a client request to a workspace.
//
// Contract: pure functions over boost::beast::http::fields, no I/O. A workspace runs with its
// own auth off and believes the identity headers it receives, so before relaying the gateway:
//   1. strip_hop_by_hop()        — Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
//      Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization, and every header
//      named in a Connection value (except Host and Content-Length, whose removal would break
//      or desynchronise framing). With keep_upgrade, a real WebSocket upgrade keeps
//      "Upgrade" and a clean "Connection: Upgrade". After this the relay must frame the body
//      itself (Transfer-Encoding is gone): let the serializer set chunked/Content-Length.
//   2. strip_identity_headers()  — X-K4DS-*, Remote-*, X-Forwarded-User/…, X-Auth-Request-*,
//      X-Remote-User, in any case and with "_" for "-" (X_K4DS_USER, x_forwarded_user).
//   3. strip_k4ds_cookies()      — k4ds's own cookies, other cookies kept byte for byte.
//   4. set_forwarded_headers()   — X-Forwarded-For/-Proto/-Host from the gateway's view; a
//      client's values are kept (appended, for -For) only when the peer is a trusted proxy.
//   5. set_identity_headers()    — X-K4DS-User/-Groups (and Remote-User/-Groups if asked).
// Order matters: identity is set last, so nothing the client sent can survive under it.
//
// Usage:
//   TrustedProxies trusted = TrustedProxies::parse(config.trusted_proxies).value();
//   strip_hop_by_hop(req.base(), {.keep_upgrade = websocket::is_upgrade(req)});
//   strip_identity_headers(req.base());
//   strip_k4ds_cookies(req.base(), {"k4ds_session", "k4ds_ws"});
//   set_forwarded_headers(req.base(), {.client_addr = peer.to_string(), .proto = "https",
//                                      .host = host, .trusted_peer = trusted.contains(peer)});
//   set_identity_headers(req.base(), user.name, groups, config.remote_user_headers);
#pragma once

#include <array>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include "common/result.h"

namespace k4ds {

using HttpFields = boost::beast::http::fields;

struct HopByHopOptions {
  bool keep_upgrade = false;  // the request is a WebSocket upgrade the gateway will tunnel
};
void strip_hop_by_hop(HttpFields& fields, HopByHopOptions options = {});

// True if `name` is one the gateway owns (compared case-insensitively, "_" read as "-").
bool is_identity_header(std::string_view name);
void strip_identity_headers(HttpFields& fields);

// Removes the named cookies (compared case-insensitively: no workspace should receive anything
// that resembles a k4ds credential) from every Cookie header; drops a header left empty.
// Allocates only when there is something to remove.
void strip_k4ds_cookies(HttpFields& fields, std::initializer_list<std::string_view> cookie_names);

// Arguments of one call: the views must outlive the call only.
struct ForwardedInfo {
  std::string_view client_addr;  // the TCP peer, "203.0.113.7" or "2001:db8::1"
  std::string_view proto;        // "http" or "https", as the gateway's listener sees it
  std::string_view host;         // the Host the gateway routed on
  bool trusted_peer = false;     // the peer is a configured proxy (see TrustedProxies)
};
// The scheme the browser used: the client's X-Forwarded-Proto when the peer is trusted and
// the value is http or https, else info.proto. Decides whether cookies are marked Secure.
std::string forwarded_proto(const HttpFields& fields, const ForwardedInfo& info);
void set_forwarded_headers(HttpFields& fields, const ForwardedInfo& info);

void set_identity_headers(HttpFields& fields, std::string_view user,
                          const std::vector<std::string>& groups, bool also_remote_headers);

// The configured proxy addresses: CIDRs ("10.0.0.0/8", "fd00::/8") or single addresses.
// IPv4-mapped IPv6 peers (::ffff:10.1.2.3) match IPv4 networks.
class TrustedProxies {
 public:
  static Result<TrustedProxies> parse(const std::vector<std::string>& cidrs);
  bool contains(const boost::asio::ip::address& address) const;
  bool empty() const { return networks_.empty(); }

 private:
  struct Network {
    bool v6 = false;
    std::array<unsigned char, 16> bytes{};
    unsigned prefix = 0;
  };
  std::vector<Network> networks_;
};

// Convenience for one-off checks; parse TrustedProxies once on the hot path.
bool is_trusted_proxy(const boost::asio::ip::address& address,
                      const std::vector<std::string>& cidrs);

}  // namespace k4ds

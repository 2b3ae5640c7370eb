// Gateway: the path of every request to a workspace host. Host → route (in-memory snapshot fed
// by the store's change feed) → credential (host-bound cookie or API token) → policy verdict
// (cached; blocking checks on the gateway's own worker threads) → sanitized headers → pooled
// upstream connection → streaming relay or WebSocket tunnel.
//
// Contract
// - Unauthenticated browsers are redirected to the portal's login with `rd`; API clients
//   (Accept: application/json, X-Requested-With, or a bearer token) get 401 JSON instead.
// - Unknown workspace → 404 page; denied → 403 page naming the owner; not running → 503 page
//   linking to the portal; upstream not answering → 502 page.
// - Revocation: on every relevant store change the gateway drops cached verdicts and re-checks
//   each live relayed connection (WebSockets included), closing those no longer allowed.
// - Route and policy changes are applied on the gateway's worker threads, never on I/O threads.
// - Activity: every allowed request, WebSocket traffic and forward-auth check marks the
//   workspace active (see activity.h); the marks reach the store every activity_flush.
//
// - WebSockets: once the upgrade is answered, the client and upstream sockets are handed to a
//   detached tunnel (tunnel.h) and serve() returns false; the tunnel keeps the connection's
//   live-connection entry, so revocation still reaches it.
//
// Usage (the listener calls serve() for hosts classified as workspaces):
//   Gateway gateway(store, auth, services, options);
//   GatewayConnection per_connection;  // one per client connection, across its requests
//   bool keep_alive = co_await gateway.serve(stream, buffer, header_parser, host, context,
//                                            per_connection, deadline);
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/api.h"
#include "auth/authenticator.h"
#include "gateway/headers.h"
#include "gateway/host.h"
#include "gateway/live_connections.h"
#include "gateway/relay.h"
#include "gateway/route_table.h"
#include "gateway/workspace_gate.h"
#include "store/store.h"

namespace k4ds {

struct GatewayOptions {
  std::string domain = "localhost";
  std::string portal_host;  // empty = domain
  std::vector<std::string> trusted_proxies;
  bool remote_user_headers = false;  // also set Remote-User/Remote-Groups
  RelayTimeouts timeouts;
  std::size_t header_limit = 16 * 1024;
  int worker_threads = 2;
  // How often the workspaces' last activity (requests, WebSocket traffic, forward-auth checks)
  // is written to the store; also written when the gateway stops.
  std::chrono::milliseconds activity_flush = std::chrono::seconds(30);
};

using HeaderParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// What the gateway keeps for one client connection across its requests (the listener owns it).
struct GatewayConnection {
  UpstreamConnection upstream;  // kept alive while requests go to the same upstream
  std::optional<bool> client_trusted;  // the peer is a trusted proxy (one getpeername per connection)
  // In the gateway's live connections from the first allowed request until the connection ends
  // (or, after an upgrade, until its tunnel ends).
  std::unique_ptr<LiveConnections::Registration> live;
  // The last verdict, reused while the credential, the workspace and the gate's generation are
  // the same: no hashing, cache lookup or copy per request on a kept-alive connection.
  struct RememberedVerdict {
    Credential credential;
    std::string workspace_id;
    uint64_t generation = 0;
    GateVerdict verdict;
  };
  std::optional<RememberedVerdict> verdict;
};

class Gateway {
 public:
  Gateway(Store& store, Authenticator& auth, Services services, GatewayOptions options);
  ~Gateway();

  // Serves one request whose header has been read. Returns whether the client connection may
  // carry another request (false after an upgrade: the client socket then belongs to a tunnel).
  // `connection` is what the gateway keeps for this client connection (its kept-alive upstream
  // connection is reused when the next request goes to the same upstream). `deadline` is the
  // client connection's: each relay phase sets it; firing cancels the client and upstream sockets.
  boost::asio::awaitable<bool> serve(boost::beast::tcp_stream& client, boost::beast::flat_buffer& buffer,
                                     HeaderParser& header, const HostClass& host,
                                     const RequestContext& context, GatewayConnection& connection,
                                     Deadline& deadline);

  WorkspaceGate& gate();
  std::shared_ptr<const RouteTable> routes() const;
  // Re-reads routes and re-checks live connections now (normally driven by the change feed).
  void refresh_now();
  // Writes last activity that moved since the last flush (normally every activity_flush).
  Status flush_activity();
  std::size_t live_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace k4ds

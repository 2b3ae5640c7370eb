// Relay: streams one HTTP exchange between a client connection and a workspace's upstream,
// never buffering bodies, and tunnels WebSocket (or any Upgrade) connections byte for byte.
//
// Contract
// - relay_exchange() writes the (already sanitized) request header to the upstream, streams the
//   request body as it arrives, reads the upstream's response, strips its hop-by-hop fields and
//   frames it for the client (wire.h), and streams it back as it arrives. Bodies of any size
//   pass in fixed-size pieces.
// - A 101 Switching Protocols answer is passed on and ends the exchange with `upgraded` set; the
//   caller then hands both sockets to a tunnel (tunnel.h) and lets the request path end.
// - Both sockets must be in non-blocking mode (connect_upstream() sets it on the upstream's; the
//   listener on every client socket it accepts): writes are tried at once and only what the peer cannot take yet
//   is written asynchronously; data already buffered is parsed without another read.
// - Errors are values: the result says whether the client connection may be kept alive and
//   whether the upstream connection may be reused. Nothing throws for network errors.
// - Deadlines: every upstream read/write and every client read/write has one, set on the client
//   connection's Deadline (deadline.h; firing cancels both sockets' operations), so moving it
//   per phase costs a clock read, not a timer re-arm.
//
// Usage:
//   UpstreamConnection upstream = co_await connect_upstream(route.upstream, timeouts);
//   RelayResult r = co_await relay_exchange(client, client_buffer, request_parser, version, keep_alive,
//                                           upstream, timeouts, deadline);
//   if (r.upgraded) start_tunnel({client.release_socket(), upstream.stream->release_socket()}, ...);
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "gateway/chunk_pool.h"
#include "gateway/deadline.h"
#include "gateway/route_table.h"

namespace k4ds {

using UpstreamStream = boost::beast::basic_stream<boost::asio::generic::stream_protocol>;

struct RelayTimeouts {
  std::chrono::seconds connect{10};
  std::chrono::seconds response_header{300};  // the workspace may take long to answer
  std::chrono::seconds body_idle{300};        // no bytes either way for this long ends it
  std::chrono::seconds tunnel_idle{3600};     // a WebSocket with no traffic either way is closed after this
};

// Holds the upstream's bytes while an exchange reads them; its 16 KiB block comes from the
// I/O thread's pool (chunk_pool.h) and goes back between exchanges.
using UpstreamReadBuffer = boost::beast::basic_flat_buffer<ChunkAllocator<char>>;

// A connection to one upstream, reusable across requests of one client connection.
struct UpstreamConnection {
  Upstream target;  // which upstream this is connected to (compared, not formatted, per request)
  std::unique_ptr<UpstreamStream> stream;
  UpstreamReadBuffer buffer;
  bool usable() const { return stream && stream->socket().is_open(); }
};

// Connects to upstream; on failure returns a closed connection and sets `error`.
boost::asio::awaitable<UpstreamConnection> connect_upstream(const Upstream& upstream,
                                                            std::chrono::seconds timeout,
                                                            boost::system::error_code& error);

using RequestParser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;

struct RelayResult {
  bool client_keep_alive = false;
  bool upstream_reusable = false;
  bool response_started = false;  // if false, the caller may still answer with an error page
  bool upgraded = false;          // 101 sent: the caller runs tunnel()
  boost::system::error_code error;
};

// `request` holds a parser whose header was read and sanitized (and set to HTTP/1.1 for the
// upstream); `client_version` and `client_keep_alive` are what the client sent before that.
// Interim answers (1xx other than 101) reach HTTP/1.1 clients before the final one. Revocation
// interrupts a relay by closing the client socket (the relay then ends with an error).
boost::asio::awaitable<RelayResult> relay_exchange(boost::beast::tcp_stream& client,
                                                   boost::beast::flat_buffer& client_buffer,
                                                   RequestParser& request,
                                                   unsigned client_version,
                                                   bool client_keep_alive,
                                                   UpstreamConnection& upstream,
                                                   const RelayTimeouts& timeouts,
                                                   Deadline& deadline);

}  // namespace k4ds

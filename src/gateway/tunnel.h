// Tunnel: after an HTTP Upgrade (a WebSocket) has been answered, copies bytes between the client
// and the workspace, both ways, on its own. The request path that set it up returns, so its
// coroutine frames, parser and buffers are freed: an idle WebSocket costs its two sockets, one
// timer and this small object (bench/websocket.sh measures memory per idle WebSocket).
//
// Contract
// - start_tunnel() takes both sockets and the bytes already read past the upgrade on either
//   side (delivered first), starts the tunnel on the client socket's executor and returns at
//   once. Call it on that executor (the client connection's I/O thread).
// - The tunnel ends when either side closes or fails, or when no byte has arrived from either
//   side for `idle`; then both sockets are shut down and closed and `keep` is released, on the
//   executor. Closing the client socket (revocation does, through the reference start_tunnel
//   returns) ends it too. The reference is valid for as long as `keep` is held.
// - An idle tunnel holds only a 256-byte buffer per direction for its waiting reads: a message
//   that fits arrives with the read that ends the wait; a bigger one continues in a per-thread
//   buffer. What the other side takes at once is written at once; only a write the peer cannot
//   take in full keeps a copy of the rest until it completes (at most one chunk per direction).
// - `activity` (may be null) is touched whenever bytes arrive from either side.
// - Destroying the io_context (the listener's destruction) ends every tunnel on it: their
//   pending waits are destroyed, and with them the tunnel, its sockets and `keep`.
//
// Usage (the gateway, once relay_exchange() reported `upgraded`):
//   tcp::socket& socket = start_tunnel({.client = client_stream.release_socket(),
//                                       .upstream = upstream.stream->release_socket()},
//                                      {.idle = 1h, .activity = route.activity, .keep = registration});
//   live_connection.client = &socket;  // revocation now closes the tunnel
#pragma once

#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "gateway/activity.h"

namespace k4ds {

using UpstreamSocket = boost::asio::generic::stream_protocol::socket;

struct TunnelEnds {
  boost::asio::ip::tcp::socket client;
  UpstreamSocket upstream;
  std::string from_client;    // read from the client behind the upgrade request, for the upstream
  std::string from_upstream;  // read from the upstream behind its 101 answer, for the client
};

struct TunnelOptions {
  std::chrono::seconds idle{3600};
  std::shared_ptr<Activity> activity;
  std::shared_ptr<void> keep;  // held while the tunnel lasts (the gateway's live-connection entry)
};

boost::asio::ip::tcp::socket& start_tunnel(TunnelEnds ends, TunnelOptions options);

}  // namespace k4ds

#include "gateway/relay.h"

#include <unistd.h>

#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/netns.h"
#include "gateway/chunk_pool.h"
#include "gateway/draining_read.h"
#include "gateway/wire.h"

namespace k4ds {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Bytes relayed per step; bounded so a multi-GB body uses the same memory as a small one.
constexpr std::size_t kChunk = kRelayChunk;

bool would_block(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

// Parses what `buffer` already holds into the parser's body buffer, synchronously: a response
// whose body arrived with its header needs no further read, and no trip through the event loop
// (an asynchronous read that needs no I/O still completes through a posted handler).
template <class Buffer, bool isRequest>
boost::system::error_code parse_buffered(http::parser<isRequest, http::buffer_body>& parser, Buffer& buffer) {
  while (buffer.size() > 0 && !parser.is_done() && parser.get().body().size > 0) {
    boost::system::error_code ec;
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more || ec == http::error::need_buffer) return {};
    if (ec) return ec;
    if (used == 0) return {};
  }
  return {};
}

// Sends what the serializer has ready with non-blocking writes (both sockets are in
// non-blocking mode): most complete at once, without the posted completion and the loop trip
// an asynchronous write costs. would_block means the rest needs an asynchronous write.
template <class Stream, class Serializer>
boost::system::error_code write_now(Stream& out, Serializer& serializer) {
  boost::system::error_code ec;
  http::write(out, serializer, ec);
  if (ec == http::error::need_buffer) ec = {};  // the piece we have is out: not an error
  return ec;
}

// Sends all of `bytes`: at once if the socket takes them (most often), else the rest
// asynchronously under the idle deadline.
template <class Socket>
awaitable<boost::system::error_code> send_all(Socket& socket, std::string_view bytes, std::chrono::seconds idle,
                                              Deadline& deadline) {
  boost::system::error_code ec;
  const std::size_t sent = socket.write_some(asio::buffer(bytes.data(), bytes.size()), ec);
  if (!ec && sent == bytes.size()) co_return ec;
  if (ec && !would_block(ec)) co_return ec;
  bytes.remove_prefix(ec ? 0 : sent);
  deadline.expires_after(idle);
  auto [wec, n] = co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()), kAsTuple);
  if (deadline.fired()) wec = beast::error::timeout;
  co_return wec;
}

// Streams the body of `parser` (header already written through `serializer`) from `in` to
// `out`. Returns the first error (need_buffer is the normal "give me more" signal, not one).
template <class InStream, class InBuffer, class OutStream, bool isRequest>
awaitable<boost::system::error_code> stream_body(InStream& in, InBuffer& in_buffer,
                                                 http::parser<isRequest, http::buffer_body>& parser,
                                                 OutStream& out,
                                                 http::serializer<isRequest, http::buffer_body>& serializer,
                                                 std::chrono::seconds idle, Deadline& deadline,
                                                 Chunk& buf) {
  auto& body = parser.get().body();
  do {
    if (!parser.is_done()) {
      if (!buf) buf = make_chunk();
      body.data = buf.get();
      body.size = kChunk;
      if (auto ec = parse_buffered(parser, in_buffer)) co_return ec;
      if (body.size == kChunk && !parser.is_done()) {  // nothing buffered for the body: read
        deadline.expires_after(idle);
        auto [ec, n] = co_await http::async_read(in, in_buffer, parser, kAsTuple);
        if (deadline.fired()) ec = beast::error::timeout;
        if (ec == http::error::need_buffer) ec = {};
        if (ec) co_return ec;
      }
      body.size = kChunk - body.size;
      body.data = buf.get();
      body.more = !parser.is_done();
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    if (auto ec = write_now(out, serializer); would_block(ec)) {
      deadline.expires_after(idle);
      auto [wec, n] = co_await http::async_write(out, serializer, kAsTuple);
      if (deadline.fired()) wec = beast::error::timeout;
      if (wec == http::error::need_buffer) wec = {};
      if (wec) co_return wec;
    } else if (ec) {
      co_return ec;
    }
  } while (!parser.is_done() && !serializer.is_done());
  co_return boost::system::error_code{};
}

}  // namespace

awaitable<UpstreamConnection> connect_upstream(const Upstream& upstream, std::chrono::seconds timeout,
                                               boost::system::error_code& error) {
  UpstreamConnection connection;
  connection.target = upstream;
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  connection.stream = std::make_unique<UpstreamStream>(executor);
  std::vector<asio::generic::stream_protocol::endpoint> endpoints;
  if (upstream.kind == Upstream::Kind::unix_socket) {
    endpoints.emplace_back(asio::local::stream_protocol::endpoint(upstream.path));
  } else {
    boost::system::error_code not_an_address;
    auto address = asio::ip::make_address(upstream.host, not_an_address);
    if (!not_an_address && upstream.netns_pid > 0) {
      // A port in the workspace's private network: the socket is made there, then connected.
      const int domain = address.is_v6() ? AF_INET6 : AF_INET;
      Result<int> fd = socket_in_network_of(upstream.netns_pid, domain);
      if (!fd) {
        error = asio::error::host_unreachable;
        connection.stream.reset();
        co_return connection;
      }
      boost::system::error_code assign_ec;
      connection.stream->socket().assign(asio::generic::stream_protocol(domain, IPPROTO_TCP), *fd, assign_ec);
      if (assign_ec) {
        ::close(*fd);
        error = assign_ec;
        connection.stream.reset();
        co_return connection;
      }
      endpoints.emplace_back(asio::ip::tcp::endpoint(address, upstream.port));
    } else if (!not_an_address) {
      endpoints.emplace_back(asio::ip::tcp::endpoint(address, upstream.port));
    } else if (upstream.netns_pid > 0) {
      error = asio::error::host_not_found;  // only addresses are used inside a private network
      connection.stream.reset();
      co_return connection;
    } else {
      // A name (a cluster Service: "<pod>.<namespace>.svc"): resolved under the connect deadline.
      auto resolver = std::make_shared<asio::ip::tcp::resolver>(executor);
      asio::steady_timer timer(executor, timeout);
      timer.async_wait([resolver](boost::system::error_code ec) {
        if (!ec) resolver->cancel();  // the shared_ptr keeps it alive even if we are gone
      });
      const std::string service = std::to_string(upstream.port);  // no temporaries across co_await (GCC 12)
      auto [rec, results] = co_await resolver->async_resolve(upstream.host, service, kAsTuple);
      timer.cancel();
      if (rec) {
        error = rec == asio::error::operation_aborted ? asio::error::timed_out : rec;
        connection.stream.reset();
        co_return connection;
      }
      for (const auto& entry : results) endpoints.emplace_back(entry.endpoint());
    }
  }
  boost::system::error_code ec = asio::error::host_not_found;
  for (const auto& endpoint : endpoints) {  // the first that accepts
    connection.stream->expires_after(timeout);
    auto [connect_ec] = co_await connection.stream->async_connect(endpoint, kAsTuple);
    ec = connect_ec;
    if (!ec) break;
    connection.stream = std::make_unique<UpstreamStream>(executor);
  }
  connection.stream->expires_never();  // later phases use the connection's Deadline
  error = ec;
  if (ec) {
    connection.stream.reset();
  } else {
    boost::system::error_code ignored;
    // The relay writes with non-blocking sends first (write_now); asynchronous operations work
    // the same either way.
    connection.stream->socket().non_blocking(true, ignored);
    if (upstream.kind == Upstream::Kind::tcp) {
      connection.stream->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      enable_inq(connection.stream->socket().native_handle());  // reads know when it is drained
    }
  }
  co_return connection;
}

awaitable<RelayResult> relay_exchange(beast::tcp_stream& client, beast::flat_buffer& client_buffer,
                                      RequestParser& request, unsigned client_version, bool client_keep_alive,
                                      UpstreamConnection& upstream, const RelayTimeouts& timeouts,
                                      Deadline& deadline) {
  RelayResult result;
  // The upstream read buffer goes back to the pool when the exchange is over (unless bytes
  // beyond this response are in it), so an idle kept-alive connection holds no chunk.
  struct ReleaseReadBuffer {
    UpstreamReadBuffer& buffer;
    ~ReleaseReadBuffer() {
      if (buffer.size() == 0) buffer.shrink_to_fit();
    }
  } release_read_buffer{upstream.buffer};
  auto& req = request.get();
  const bool is_head = req.method() == http::verb::head;
  auto& upstream_socket = upstream.stream->socket();
  WireBuffer out;  // what goes out next, to either side

  // Request: a bodyless one (most) goes out in one write of its header; a body is streamed as
  // it arrives, the header with its first piece.
  if (request.is_done()) {
    append_request_head(req, out);
    if (auto ec = co_await send_all(upstream_socket, out.view(), timeouts.body_idle, deadline)) {
      result.error = ec;
      co_return result;
    }
    out.clear();
  } else {
    Chunk buf;
    http::request_serializer<http::buffer_body> request_serializer{req};
    if (auto ec = co_await stream_body(client, client_buffer, request, *upstream.stream, request_serializer,
                                       timeouts.body_idle, deadline, buf)) {
      result.error = ec;
      co_return result;
    }
  }

  // Response: parsed as it arrives and written to the client in its final form (wire.h), each
  // piece as soon as it is parsed. Nothing is held beyond what one read brought.
  // Interim answers (100 Continue, 103 Early Hints) come before the final one, each with its own
  // parser; an HTTP/1.0 client never sees them (it would take them for the answer).
  std::optional<UpstreamResponseParser> response;
  auto next_response = [&] {
    response.emplace(out, UpstreamResponseParser::Options{.client_version = client_version,
                                                          .client_keep_alive = client_keep_alive,
                                                          .head_request = is_head});
    response->header_limit(64 * 1024);
    response->body_limit(boost::none);  // streamed, never held
    response->eager(true);
    if (is_head) response->skip(true);
  };
  next_response();
  auto interim = [&] { return response->status() >= 100 && response->status() < 200 && !response->upgrade(); };
  // Room for a whole chunk reads a typical response (header and body) in one recv.
  upstream.buffer.reserve(kChunk);
  auto& client_socket = client.socket();
  for (;;) {
    if (upstream.buffer.size() > 0 && !response->is_done()) {
      boost::system::error_code ec;
      const std::size_t used = response->put(upstream.buffer.data(), ec);
      upstream.buffer.consume(used);
      if (ec && ec != http::error::need_more) {
        result.error = ec;
        co_return result;
      }
    }
    if (response->is_done() && interim() && client_version < 11) out.clear();
    if (!out.empty()) {
      result.response_started = true;  // from here on the client may have received bytes
      if (auto ec = co_await send_all(client_socket, out.view(), timeouts.body_idle, deadline)) {
        result.error = ec;
        co_return result;
      }
      out.clear();
      if (response->upgrade()) {
        deadline.expires_never();
        result.upgraded = true;  // the caller runs tunnel(), after freeing what the exchange held
        co_return result;
      }
    }
    if (response->is_done() && interim()) {
      next_response();
      continue;
    }
    if (response->is_done()) break;
    deadline.expires_after(response->is_header_done() ? timeouts.body_idle : timeouts.response_header);
    auto [ec, n] = co_await upstream_socket.async_read_some(
        DrainingRead(upstream.buffer.prepare(read_size(upstream.buffer.capacity(), upstream.buffer.size()))),
        kAsTuple);
    if (deadline.fired()) ec = beast::error::timeout;
    if (ec == asio::error::eof && response->is_header_done()) {
      response->put_eof(ec);  // a body that ends with the connection ends here; any other is cut short
      if (ec) {
        result.error = ec;
        co_return result;
      }
      continue;  // sends what put_eof() added (the last chunk), then is done
    }
    if (ec) {
      result.error = ec;
      co_return result;
    }
    upstream.buffer.commit(n);
  }
  result.client_keep_alive = response->client_keep_alive();
  result.upstream_reusable = response->keep_alive() && response->framed();
  co_return result;
}

}  // namespace k4ds

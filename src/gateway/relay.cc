#include "gateway/relay.h"

#include <unistd.h>

#include <memory>
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

bool has_no_body(http::status status) {
  unsigned code = static_cast<unsigned>(status);
  return (code >= 100 && code < 200) || code == 204 || code == 304;
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
    }
  }
  co_return connection;
}

awaitable<RelayResult> relay_exchange(beast::tcp_stream& client, beast::flat_buffer& client_buffer,
                                      RequestParser& request, bool client_keep_alive,
                                      UpstreamConnection& upstream, const RelayTimeouts& timeouts,
                                      const ResponseHook& on_response, Deadline& deadline) {
  RelayResult result;
  Chunk buf;  // one body buffer for both directions, only if there is a body
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
  const unsigned client_version = req.version();

  // Request: the body as it arrives; the header goes out with the first piece of it (one write
  // for a bodyless request instead of two: syscalls are most of the gateway's cost).
  http::request_serializer<http::buffer_body> request_serializer{req};
  if (auto ec = co_await stream_body(client, client_buffer, request, *upstream.stream,
                                     request_serializer, timeouts.body_idle, deadline, buf)) {
    result.error = ec;
    co_return result;
  }

  // Response header.
  http::response_parser<http::buffer_body> response;
  response.body_limit(boost::none);  // streamed, never held
  response.header_limit(64 * 1024);
  if (is_head) response.skip(true);
  // Beast reads as much as the buffer has room for (at least 512 bytes): room for a whole chunk
  // reads a typical response (header and body) in one recv instead of three.
  upstream.buffer.reserve(kChunk);
  deadline.expires_after(timeouts.response_header);
  auto [rec, rn] = co_await http::async_read_header(*upstream.stream, upstream.buffer, response, kAsTuple);
  if (deadline.fired()) rec = beast::error::timeout;
  if (rec) {
    result.error = rec;
    co_return result;
  }
  auto& res = response.get();
  const bool upstream_keep_alive = res.keep_alive();
  const bool upgrade = res.result() == http::status::switching_protocols;
  const bool framed = response.chunked() || response.content_length().has_value();
  on_response(res.base());

  bool keep_alive = client_keep_alive && !upgrade;
  if (!upgrade && !is_head && !has_no_body(res.result()) && !response.content_length()) {
    // The hook removed Transfer-Encoding; frame the body for this client ourselves.
    if (client_version >= 11) {
      res.chunked(true);
    } else {
      keep_alive = false;  // HTTP/1.0: the end of the body is the end of the connection
    }
  }
  res.keep_alive(keep_alive);
  res.version(client_version);

  http::response_serializer<http::buffer_body> response_serializer{res};
  result.response_started = true;  // from here on the client may have received bytes
  if (upgrade) {
    deadline.expires_after(timeouts.body_idle);
    auto [wec, wn] = co_await http::async_write_header(client, response_serializer, kAsTuple);
    if (deadline.fired()) wec = beast::error::timeout;
    deadline.expires_never();
    if (wec) {
      result.error = wec;
      co_return result;
    }
    result.upgraded = true;  // the caller runs tunnel(), after freeing what the exchange held
    co_return result;
  }
  // The header goes out together with the first piece of the body.
  if (auto ec = co_await stream_body(*upstream.stream, upstream.buffer, response, client,
                                     response_serializer, timeouts.body_idle, deadline, buf)) {
    result.error = ec;
    co_return result;
  }
  result.client_keep_alive = keep_alive;
  result.upstream_reusable = upstream_keep_alive && framed && response.is_done();
  co_return result;
}

}  // namespace k4ds

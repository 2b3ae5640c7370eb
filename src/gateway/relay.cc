#include "gateway/relay.h"

#include <unistd.h>

#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/netns.h"
#include "common/services.h"

namespace k4ds {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// Bytes relayed per step; bounded so a multi-GB body uses the same memory as a small one.
constexpr std::size_t kChunk = 16 * 1024;
constexpr std::size_t kTunnelChunk = 4 * 1024;

// Streams the body of `parser` (header already written through `serializer`) from `in` to
// `out`. Returns the first error (need_buffer is the normal "give me more" signal, not one).
template <class InStream, class OutStream, bool isRequest>
awaitable<boost::system::error_code> stream_body(InStream& in, beast::flat_buffer& in_buffer,
                                                 http::parser<isRequest, http::buffer_body>& parser,
                                                 OutStream& out,
                                                 http::serializer<isRequest, http::buffer_body>& serializer,
                                                 std::chrono::seconds idle, Deadline& deadline,
                                                 std::unique_ptr<char[]>& buf) {
  auto& body = parser.get().body();
  do {
    if (!parser.is_done()) {
      if (!buf) buf = std::make_unique<char[]>(kChunk);
      body.data = buf.get();
      body.size = kChunk;
      deadline.expires_after(idle);
      auto [ec, n] = co_await http::async_read(in, in_buffer, parser, kAsTuple);
      if (deadline.fired()) ec = beast::error::timeout;
      if (ec == http::error::need_buffer) ec = {};
      if (ec) co_return ec;
      body.size = kChunk - body.size;
      body.data = buf.get();
      body.more = !parser.is_done();
    } else {
      body.data = nullptr;
      body.size = 0;
      body.more = false;
    }
    deadline.expires_after(idle);
    auto [ec, n] = co_await http::async_write(out, serializer, kAsTuple);
    if (deadline.fired()) ec = beast::error::timeout;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return ec;
  } while (!parser.is_done() && !serializer.is_done());
  co_return boost::system::error_code{};
}

// Copies bytes from one socket to the other until either side closes, an error, or `idle` passes
// with no byte read (or one write not finishing). An idle tunnel holds no buffer: it waits for
// readability, then reads into a per-thread buffer and writes what it can at once; only a
// write the peer cannot take in full keeps a copy of the rest while it completes.
template <class From, class To>
awaitable<void> pump(From& from, To& to, std::chrono::seconds idle, Deadline& deadline, Activity* activity) {
  thread_local char scratch[kTunnelChunk];  // used only between two suspensions
  std::string rest;
  for (;;) {
    deadline.expires_after(idle);
    auto [ec] = co_await from.socket().async_wait(asio::socket_base::wait_read, kAsTuple);
    if (ec || deadline.fired()) break;
    const std::size_t n = from.socket().read_some(asio::buffer(scratch), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
    if (ec) break;
    if (activity) activity->touch(to_unix_ms(std::chrono::system_clock::now()));
    const std::size_t sent = to.socket().write_some(asio::buffer(scratch, n), ec);
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) break;
    if (sent < n) {
      rest.assign(scratch + sent, n - sent);
      deadline.expires_after(idle);
      auto [wec, wn] = co_await asio::async_write(to, asio::buffer(rest), kAsTuple);
      if (wec || deadline.fired()) break;
      std::string().swap(rest);
    }
  }
  boost::system::error_code ignored;
  to.socket().shutdown(asio::socket_base::shutdown_send, ignored);
}

}  // namespace

awaitable<void> tunnel(beast::tcp_stream& client, beast::flat_buffer& client_buffer,
                       UpstreamConnection& upstream, std::chrono::seconds idle, Activity* activity) {
  auto& server = *upstream.stream;
  auto close_both = [&client, &server] {
    boost::system::error_code ignored;
    client.socket().cancel(ignored);
    server.socket().cancel(ignored);
  };
  Deadline up(client.get_executor(), close_both);
  Deadline down(client.get_executor(), close_both);
  // Bytes that arrived behind the upgrade (a first WebSocket frame) are already buffered.
  if (client_buffer.size() > 0) {
    up.expires_after(idle);
    auto [ec, n] = co_await asio::async_write(server, client_buffer.data(), kAsTuple);
    if (ec || up.fired()) co_return;
  }
  if (upstream.buffer.size() > 0) {
    down.expires_after(idle);
    auto [ec, n] = co_await asio::async_write(client, upstream.buffer.data(), kAsTuple);
    if (ec || down.fired()) co_return;
  }
  // Both buffers are done with: give their memory back for the tunnel's (long) life.
  client_buffer.clear();
  client_buffer.shrink_to_fit();
  upstream.buffer.clear();
  upstream.buffer.shrink_to_fit();
  boost::system::error_code ec;
  client.socket().non_blocking(true, ec);  // for the direct read_some/write_some in pump()
  if (!ec) server.socket().non_blocking(true, ec);
  if (ec) co_return;
  client.expires_never();
  server.expires_never();
  using namespace asio::experimental::awaitable_operators;
  co_await (pump(client, server, idle, up, activity) || pump(server, client, idle, down, activity));
}

namespace {

bool has_no_body(http::status status) {
  unsigned code = static_cast<unsigned>(status);
  return (code >= 100 && code < 200) || code == 204 || code == 304;
}

}  // namespace

awaitable<UpstreamConnection> connect_upstream(const Upstream& upstream, std::chrono::seconds timeout,
                                               boost::system::error_code& error) {
  UpstreamConnection connection;
  connection.key = format_upstream(upstream);
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
  } else if (upstream.kind == Upstream::Kind::tcp) {
    boost::system::error_code ignored;
    connection.stream->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  co_return connection;
}

awaitable<RelayResult> relay_exchange(beast::tcp_stream& client, beast::flat_buffer& client_buffer,
                                      RequestParser& request, bool client_keep_alive,
                                      UpstreamConnection& upstream, const RelayTimeouts& timeouts,
                                      const ResponseHook& on_response, Deadline& deadline) {
  RelayResult result;
  std::unique_ptr<char[]> buf;  // one body buffer for both directions, only if there is a body
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

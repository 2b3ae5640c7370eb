#include "gateway/listener.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include <thread>
#include <vector>

#include "common/logging.h"
#include "gateway/change_notifier.h"
#include "gateway/deadline.h"
#include "gateway/draining_read.h"
#include "gateway/gateway.h"
#include "gateway/headers.h"
#include "gateway/host.h"
#include "gateway/tls_front.h"
#include "gateway/wire.h"

#include <openssl/rand.h>

namespace k4ds {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kAsTuple = asio::as_tuple(use_awaitable);

namespace {

HttpResponse json_error(http::status status, std::string_view code, std::string_view message,
                        unsigned version, bool keep_alive) {
  HttpResponse res{status, version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::cache_control, "no-store");
  res.body() = boost::json::serialize(boost::json::object{{"code", code}, {"message", message}});
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

// Splits "host:port" / "[v6]:port"; throws std::invalid_argument with a readable message.
tcp::endpoint parse_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    throw std::invalid_argument("listen address \"" + listen + "\" has no port; use host:port");
  }
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) throw std::invalid_argument("listen address \"" + listen + "\": \"" + host + "\" is not an IP address");
  int port = std::stoi(listen.substr(colon + 1));
  if (port < 0 || port > 65535) throw std::invalid_argument("listen port must be 0..65535");
  return {address, static_cast<uint16_t>(port)};
}

}  // namespace

struct Listener::Impl {
  Impl(ListenerOptions o, ApiHandler a, Store& store, Gateway* g)
      : options(std::move(o)),
        api(std::move(a)),
        gateway(g),
        ios(make_contexts(options.io_threads)),
        io(*ios[0]),
        pool(static_cast<std::size_t>(options.worker_threads)),
        acceptor(io),
        tls_acceptor(io),
        internal_acceptor(io),
        notifier(store),
        trusted(TrustedProxies::parse(options.trusted_proxies).value()) {
    if (options.portal_host.empty()) options.portal_host = options.domain;
  }

  // One single-threaded io_context per I/O thread: a connection lives on one of them for its
  // whole life, so its handlers need no strand (no locking, no cross-thread hops per operation).
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(int n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (int i = 0; i < std::max(n, 1); ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }
  // The context the next accepted connection runs on (round robin; accept loops run on ios[0]).
  asio::io_context& next_context() { return *ios[next_io++ % ios.size()]; }

  ListenerOptions options;
  ApiHandler api;
  Gateway* gateway;
  std::vector<std::unique_ptr<asio::io_context>> ios;
  asio::io_context& io;  // ios[0]: acceptors, signals
  std::size_t next_io = 0;  // touched only by the accept loops, all on ios[0]
  asio::thread_pool pool;
  tcp::acceptor acceptor;
  tcp::acceptor tls_acceptor;       // HTTPS, when TLS is on
  tcp::acceptor internal_acceptor;  // 127.0.0.1: decrypted connections from the TLS front
  std::unique_ptr<TlsFront> tls;
  std::string handoff_secret;
  ChangeNotifier notifier;
  TrustedProxies trusted;
  std::shared_ptr<spdlog::logger> log = component_logger("gateway");

  // Where a connection came from: the plain port, or the TLS front (secure, with the client's
  // address in its hand-off line).
  enum class Origin { plain, tls };
  awaitable<void> accept_loop(tcp::acceptor& from, Origin origin);
  awaitable<void> tls_accept_loop();
  awaitable<void> serve(tcp::socket socket, Origin origin);
  awaitable<bool> read_handoff(beast::tcp_stream& stream, beast::flat_buffer& buffer, std::string& client);
  HttpResponse https_redirect(const http::request_parser<http::empty_body>& header, const HostClass& host) const;
  awaitable<void> reject(beast::tcp_stream& stream, boost::system::error_code ec);
  awaitable<bool> pump_stream(beast::tcp_stream& stream, StreamReply reply, unsigned version);
  template <class F>
  auto on_pool(F f) -> awaitable<decltype(f())>;
};

template <class F>
auto Listener::Impl::on_pool(F f) -> awaitable<decltype(f())> {
  // Blocking work (the store) runs on the worker pool; the coroutine resumes on its own executor.
  co_return co_await asio::co_spawn(
      pool, [&]() -> awaitable<decltype(f())> { co_return f(); }, use_awaitable);
}

awaitable<void> Listener::Impl::accept_loop(tcp::acceptor& from, Origin origin) {
  for (;;) {
    auto [ec, socket] = co_await from.async_accept(next_context(), kAsTuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      log->warn("accept failed: {}", ec.message());
      continue;
    }
    // Headers and bodies go out in separate writes; without TCP_NODELAY the kernel would hold
    // the second one back until the client's delayed ACK (~40 ms per response).
    boost::system::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    // The relay tries its writes at once, and its reads learn when the socket is drained
    // (draining_read.h).
    socket.non_blocking(true, nodelay_ec);
    enable_inq(socket.native_handle());
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve(std::move(socket), origin), [this](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        log->error("connection ended by an unexpected error: {}", ex.what());
      }
    });
  }
}

awaitable<void> Listener::Impl::tls_accept_loop() {
  const tcp::endpoint inner = internal_acceptor.local_endpoint();
  for (;;) {
    auto [ec, socket] = co_await tls_acceptor.async_accept(next_context(), kAsTuple);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      log->warn("accept failed on the TLS port: {}", ec.message());
      continue;
    }
    boost::system::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);
    auto executor = socket.get_executor();
    asio::co_spawn(executor, tls->serve(std::move(socket), inner, handoff_secret), asio::detached);
  }
}

// The TLS front's first line: who the client is. Anything else on the internal port is dropped.
awaitable<bool> Listener::Impl::read_handoff(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                             std::string& client) {
  stream.expires_after(options.request_timeout);
  for (;;) {
    auto data = buffer.cdata();
    std::string_view seen(static_cast<const char*>(data.data()), data.size());
    if (auto eol = seen.find("\r\n"); eol != std::string_view::npos) {
      auto parsed = parse_handoff(seen.substr(0, eol + 2), handoff_secret);
      buffer.consume(eol + 2);
      stream.expires_never();
      if (!parsed) co_return false;
      client = *parsed;
      co_return true;
    }
    if (seen.size() > kMaxHandoffLine) co_return false;
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kMaxHandoffLine), kAsTuple);
    if (ec) co_return false;
    buffer.commit(n);
  }
}

// 308 to the same URL over HTTPS, for a host that is ours (never an open redirect).
HttpResponse Listener::Impl::https_redirect(const http::request_parser<http::empty_body>& header,
                                            const HostClass& host) const {
  HttpResponse res{http::status::permanent_redirect, header.get().version()};
  std::string name = host.kind == HostKind::portal ? options.portal_host
                                                   : host.owner + "-" + host.name + "." + options.domain;
  boost::system::error_code ec;
  const uint16_t port = tls_acceptor.local_endpoint(ec).port();
  res.set(http::field::location, "https://" + name + (port == 443 ? "" : ":" + std::to_string(port)) +
                                     std::string(header.get().target()));
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

awaitable<void> Listener::Impl::serve(tcp::socket socket, Origin origin) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  boost::system::error_code peer_ec;
  auto peer = stream.socket().remote_endpoint(peer_ec);
  std::string peer_address = peer_ec ? std::string() : peer.address().to_string();
  bool trusted_peer = !peer_ec && trusted.contains(peer.address());
  const bool via_tls = origin == Origin::tls;
  if (via_tls) {
    if (!co_await read_handoff(stream, buffer, peer_address)) co_return;
    trusted_peer = false;  // the TLS front is the edge: nothing forwarded is believed
  }

  // The gateway's state for this client connection: its kept-alive upstream connection, its last
  // verdict, its entry among the live connections (which revocation closes).
  GatewayConnection relayed;
  // The deadline of the current phase (waiting for a request, relaying it): one lazily re-armed
  // timer per connection. It cancels the pending operations instead of closing the socket (as
  // the stream's own timeout would), so a client that began a request and stalled gets its 408.
  Deadline deadline(stream.get_executor(), [&stream, &relayed] {
    boost::system::error_code ignored;
    stream.socket().cancel(ignored);
    if (relayed.upstream.stream) relayed.upstream.stream->socket().cancel(ignored);
  });
  for (;;) {
    http::request_parser<http::empty_body> header;
    header.header_limit(static_cast<std::uint32_t>(options.header_limit));

    stream.expires_never();
    deadline.expires_after(options.idle_timeout);
    // Straight from the socket (wire.h): Beast's composed read costs more than the parsing.
    boost::system::error_code ec = co_await read_header(stream.socket(), buffer, header);
    std::size_t n = 0;
    const bool timed_out = deadline.fired();
    deadline.expires_never();
    if (timed_out) ec = beast::error::timeout;
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) {
      co_return;
    }
    if (ec) {
      if (ec == beast::error::timeout && buffer.size() == 0 && !header.got_some()) co_return;  // idle
      co_await reject(stream, ec);
      co_return;
    }

    // Behind a trusted load balancer the client and its scheme come from X-Forwarded-*.
    RequestContext context{.client_address = peer_address};
    context.secure = via_tls || forwarded_proto(header.get(), {.proto = "http", .trusted_peer = trusted_peer}) == "https";
    if (trusted_peer) {
      auto xff = header.get()["X-Forwarded-For"];
      auto comma = xff.rfind(',');
      auto last = xff.substr(comma == std::string_view::npos ? 0 : comma + 1);
      while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
      boost::system::error_code addr_ec;
      auto forwarded = asio::ip::make_address(std::string(last), addr_ec);
      if (!addr_ec) context.client_address = forwarded.to_string();
    }

    HostClass host = classify_host_header(header.get()[http::field::host], options.domain, options.portal_host);
    // Load balancers probe health by address, whatever the host.
    const bool health_probe = header.get().target() == "/healthz";
    if (health_probe) host.kind = HostKind::portal;
    // Forward-auth checks come from an ingress controller that addresses k4ds by whatever name
    // reaches it (in a cluster, its Service's: "k4ds.k4ds.svc.cluster.local"), so they are
    // answered on any host that is not a workspace's. They decide on the original URL's host.
    if (host.kind == HostKind::unknown && header.get().target().starts_with("/_k4ds/auth/")) {
      host.kind = HostKind::portal;
    }

    // With TLS on, the plain port only sends browsers to HTTPS (after a trusted load balancer
    // that terminated TLS itself, the request is already secure).
    if (tls && !via_tls && !context.secure && !health_probe && (host.kind == HostKind::portal || host.kind == HostKind::workspace)) {
      HttpResponse redirect = https_redirect(header, host);
      stream.expires_after(options.write_timeout);
      co_await http::async_write(stream, redirect, kAsTuple);
      stream.socket().shutdown(tcp::socket::shutdown_both, peer_ec);
      co_return;
    }

    if (host.kind == HostKind::workspace && gateway) {
      bool keep_alive = co_await gateway->serve(stream, buffer, header, host, context, relayed, deadline);
      if (!keep_alive) {
        stream.socket().shutdown(tcp::socket::shutdown_both, peer_ec);
        co_return;
      }
      continue;
    }

    const bool keep_alive = header.get().keep_alive();
    const unsigned version = header.get().version();
    Reply reply;
    if (host.kind == HostKind::portal) {
      if (header.content_length() && *header.content_length() > options.api_body_limit) {
        co_await reject(stream, http::error::body_limit);
        co_return;
      }
      http::request_parser<http::string_body> parser{std::move(header)};
      parser.body_limit(options.api_body_limit);  // chunked bodies are checked as they arrive
      if (!parser.is_done()) {
        stream.expires_after(options.request_timeout);
        std::tie(ec, n) = co_await http::async_read(stream, buffer, parser, kAsTuple);
        if (ec) {
          co_await reject(stream, ec);
          co_return;
        }
      }
      HttpRequest request = parser.release();
      try {
        reply = co_await on_pool([&] { return api(request, context); });
      } catch (const std::exception& e) {
        log->error("request {} {} failed: {}", std::string(request.method_string()),
                   std::string(request.target()), e.what());
        reply = json_error(http::status::internal_server_error, "internal",
                           "the server hit an unexpected error; it has been logged", version, keep_alive);
      }
    } else {
      // The body (if any) is not read: the connection closes after this answer.
      reply = json_error(http::status::not_found, "not_found",
                         "nothing is served at this address; check the URL", version,
                         keep_alive && header.is_done());
    }

    if (auto* full = std::get_if<HttpResponse>(&reply)) {
      // HSTS from the portal covers every workspace host too (they are its subdomains).
      if (context.secure && host.kind == HostKind::portal) {
        full->set(http::field::strict_transport_security, "max-age=31536000; includeSubDomains");
      }
      full->version(version);
      full->keep_alive(keep_alive && full->keep_alive());
      if (!full->has_content_length() && !full->chunked()) full->prepare_payload();
      stream.expires_after(options.write_timeout);
      auto [wec, wn] = co_await http::async_write(stream, *full, kAsTuple);
      if (wec || !full->keep_alive()) {
        stream.socket().shutdown(tcp::socket::shutdown_both, peer_ec);
        co_return;
      }
    } else {
      co_await pump_stream(stream, std::move(std::get<StreamReply>(reply)), version);
      stream.socket().shutdown(tcp::socket::shutdown_both, peer_ec);
      co_return;
    }
  }
}

// Answers a request that could not be read (timeout, limits, malformed) and closes.
awaitable<void> Listener::Impl::reject(beast::tcp_stream& stream, boost::system::error_code ec) {
  http::status status = http::status::bad_request;
  std::string message = "the request could not be parsed: " + ec.message();
  if (ec == beast::error::timeout) {
    status = http::status::request_timeout;
    message = "the request was not received in time; send it again";
  } else if (ec == http::error::header_limit) {
    status = http::status::request_header_fields_too_large;
    message = "the request headers are larger than " + std::to_string(options.header_limit) +
              " bytes; send fewer or smaller headers (cookies included)";
  } else if (ec == http::error::body_limit) {
    status = http::status::payload_too_large;
    message = "the request body is larger than " + std::to_string(options.api_body_limit) + " bytes";
  }
  auto res = json_error(status, "invalid_argument", message, 11, false);
  stream.expires_after(options.write_timeout);
  co_await http::async_write(stream, res, kAsTuple);
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

awaitable<bool> Listener::Impl::pump_stream(beast::tcp_stream& stream, StreamReply reply, unsigned version) {
  struct Closer {
    StreamReply& r;
    ~Closer() {
      if (r.close) r.close();
    }
  } closer{reply};
  reply.head.version(version);
  reply.head.chunked(true);
  reply.head.keep_alive(false);
  http::response_serializer<http::empty_body> serializer{reply.head};
  stream.expires_after(options.write_timeout);
  auto [ec, n] = co_await http::async_write_header(stream, serializer, kAsTuple);
  if (ec) co_return false;

  auto write_chunk = [&](std::string_view text) -> awaitable<bool> {
    stream.expires_after(options.write_timeout);
    auto [wec, wn] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(text)), kAsTuple);
    co_return !wec;
  };

  const auto keepalive = std::chrono::duration_cast<std::chrono::milliseconds>(options.stream_keepalive);
  const auto wait = reply.poll_every.count() > 0 ? std::min(reply.poll_every, keepalive) : keepalive;
  auto last_write = std::chrono::steady_clock::now();
  // Comment lines exist only in Server-Sent Events; a plain text stream (logs) gets none.
  const bool event_stream = reply.head[http::field::content_type].starts_with("text/event-stream");
  for (;;) {
    uint64_t seen = notifier.generation();
    std::optional<std::string> chunk;
    try {
      chunk = co_await on_pool([&] { return reply.next(std::chrono::milliseconds(0)); });
    } catch (const std::exception& e) {
      log->error("event stream failed: {}", e.what());
      break;
    }
    if (!chunk) break;
    if (!chunk->empty()) {
      if (!co_await write_chunk(*chunk)) co_return false;
      last_write = std::chrono::steady_clock::now();
      continue;
    }
    bool changed = co_await notifier.wait(seen, wait);
    // A comment line now and then keeps proxies from closing the stream and finds dead clients.
    if (event_stream && !changed && std::chrono::steady_clock::now() - last_write >= keepalive) {
      if (!co_await write_chunk(": keep-alive\n\n")) co_return false;
      last_write = std::chrono::steady_clock::now();
    }
  }
  stream.expires_after(options.write_timeout);
  auto [lec, ln] = co_await asio::async_write(stream, http::make_chunk_last(), kAsTuple);
  co_return !lec;
}

Listener::Listener(ListenerOptions options, ApiHandler api, Store& store, Gateway* gateway)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(api), store, gateway)) {}

Listener::~Listener() {
  stop();
  impl_->pool.join();
}

namespace {

Status listen_on(tcp::acceptor& acceptor, const std::string& address, std::string_view flag) {
  tcp::endpoint endpoint;
  try {
    endpoint = parse_listen(address);
  } catch (const std::exception& e) {
    return invalid_argument(e.what());
  }
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return unavailable("cannot listen on " + address + ": " + ec.message() +
                       (ec == asio::error::address_in_use
                            ? "; another program uses that port: stop it or choose another with " + std::string(flag)
                            : ""));
  }
  return ok_status();
}

std::string random_secret() {
  unsigned char bytes[24];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for the TLS hand-off secret");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

Status Listener::bind() {
  K4DS_RETURN_IF_ERROR(listen_on(impl_->acceptor, impl_->options.listen, "--listen"));
  if (impl_->options.tls_listen.empty()) return ok_status();
  auto front = TlsFront::create({.cert_file = impl_->options.tls_cert, .key_file = impl_->options.tls_key});
  if (!front) return front.status();
  impl_->tls = std::move(front).value();
  impl_->handoff_secret = random_secret();
  K4DS_RETURN_IF_ERROR(listen_on(impl_->tls_acceptor, impl_->options.tls_listen, "tls.listen"));
  return listen_on(impl_->internal_acceptor, "127.0.0.1:0", "tls.listen");
}

uint16_t Listener::tls_port() const {
  if (!impl_->tls) return 0;
  boost::system::error_code ec;
  auto endpoint = impl_->tls_acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

uint16_t Listener::port() const {
  boost::system::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void Listener::run() {
  asio::co_spawn(impl_->io, impl_->accept_loop(impl_->acceptor, Impl::Origin::plain), asio::detached);
  if (impl_->tls) {
    asio::co_spawn(impl_->io, impl_->accept_loop(impl_->internal_acceptor, Impl::Origin::tls), asio::detached);
    asio::co_spawn(impl_->io, impl_->tls_accept_loop(), asio::detached);
  }
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->ios.size(); ++i) {
    threads.emplace_back([this, i] {
      // Kept running while idle (it has no acceptor), until stop().
      auto work = asio::make_work_guard(*impl_->ios[i]);
      impl_->ios[i]->run();
    });
  }
  impl_->io.run();
  for (auto& t : threads) t.join();
}

void Listener::run_until_signal() {
  asio::signal_set signals(impl_->io, SIGINT, SIGTERM);
  signals.async_wait([this](boost::system::error_code ec, int sig) {
    if (ec) return;
    impl_->log->info("signal {} received; stopping", sig);
    stop();
  });
  run();
}

void Listener::stop() {
  asio::post(impl_->io, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    impl_->tls_acceptor.close(ec);
    impl_->internal_acceptor.close(ec);
  });
  for (auto& io : impl_->ios) io->stop();
}

}  // namespace k4ds

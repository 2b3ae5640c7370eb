#include "cli/http_client.h"

#include <array>
#include <charconv>
#include <exception>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace k4ds::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxBody = 64 * 1024 * 1024;  // a whole (non-streamed) answer
constexpr std::size_t kMaxErrorBody = 1024 * 1024;

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// One request/response exchange: its inputs, its outcome, and where it failed.
struct Exchange {
  const ServerUrl& server;
  const HttpRequest& request;
  const HttpClient::DataHandler* on_data;  // null: read the whole body
  std::chrono::seconds timeout;
  ssl::context* tls = nullptr;
  HttpResponse response;
  std::optional<Status> failure;

  void fail(std::string_view stage, const beast::error_code& ec) {
    std::string where = server.text();
    std::string msg;
    if (ec == asio::error::connection_refused) {
      msg = "cannot reach the k4ds server at " + where +
            " (connection refused); is it running? start it with k4ds up";
    } else if (stage == "resolve") {
      msg = "cannot reach the k4ds server at " + where + " (cannot resolve host " + server.host +
            ": " + ec.message() + "); check the URL";
    } else if (ec == beast::error::timeout && stage == "connect") {
      msg = "cannot reach the k4ds server at " + where + " (no answer within " +
            std::to_string(timeout.count()) + " s); check the URL and your network";
    } else if (ec == beast::error::timeout) {
      msg = "the k4ds server at " + where + " did not answer within " +
            std::to_string(timeout.count()) + " s; try again later";
    } else if (stage == "tls") {
      msg = "secure connection to " + where + " failed (" + ec.message() +
            "); check that the server's certificate is valid for " + server.host;
    } else {
      msg = "connection to the k4ds server at " + where + " failed while " + std::string(stage) +
            " (" + ec.message() + "); try again";
    }
    failure = Status(Code::unavailable, std::move(msg));
  }
};

template <class Stream>
asio::awaitable<void> talk(Stream& stream, Exchange& x) {
  auto& socket_layer = beast::get_lowest_layer(stream);
  http::request<http::string_body> req;
  req.method_string(x.request.method);
  req.target(x.server.base_path + x.request.target);
  req.version(11);
  req.set(http::field::host, x.server.host_header);
  req.set(http::field::user_agent, "k4ds-cli/0.1");
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : x.request.headers) req.set(name, value);
  req.body() = x.request.body;
  req.prepare_payload();

  socket_layer.expires_after(x.timeout);
  if (auto [ec, n] = co_await http::async_write(stream, req, kTuple); ec) {
    x.fail("sending the request", ec);
    co_return;
  }

  beast::flat_buffer buffer;
  if (x.on_data == nullptr) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxBody);
    if (auto [ec, n] = co_await http::async_read(stream, buffer, parser, kTuple); ec) {
      x.fail("reading the answer", ec);
      co_return;
    }
    auto& res = parser.get();
    x.response.status = res.result_int();
    x.response.reason = std::string(res.reason());
    x.response.content_type = std::string(res[http::field::content_type]);
    for (auto [it, end] = res.equal_range(http::field::set_cookie); it != end; ++it)
      x.response.set_cookies.emplace_back(it->value());
    x.response.body = std::move(res.body());
    co_return;
  }

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  if (auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple); ec) {
    x.fail("reading the answer", ec);
    co_return;
  }
  auto& res = parser.get();
  x.response.status = res.result_int();
  x.response.reason = std::string(res.reason());
  x.response.content_type = std::string(res[http::field::content_type]);
  const bool success = x.response.status / 100 == 2;
  // A followed stream may be quiet for a long time; the socket's keep-alive detects a dead peer.
  if (success) socket_layer.expires_never();
  std::array<char, 8192> chunk;
  while (!parser.is_done()) {
    res.body().data = chunk.data();
    res.body().size = chunk.size();
    auto [ec, n] = co_await http::async_read_some(stream, buffer, parser, kTuple);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::end_of_stream || ec == asio::error::eof) break;
    if (ec) {
      x.fail("reading the answer", ec);
      co_return;
    }
    std::string_view got(chunk.data(), chunk.size() - res.body().size);
    if (success) {
      if (!got.empty() && !(*x.on_data)(got)) co_return;
    } else {
      x.response.body.append(got);
      if (x.response.body.size() > kMaxErrorBody) break;
    }
  }
}

asio::awaitable<void> run_exchange(Exchange& x) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] =
      co_await resolver.async_resolve(x.server.host, std::to_string(x.server.port), kTuple);
  if (rec) {
    x.fail("resolve", rec);
    co_return;
  }
  beast::tcp_stream tcp_stream(executor);
  tcp_stream.expires_after(x.timeout);
  if (auto [ec, ep] = co_await tcp_stream.async_connect(endpoints, kTuple); ec) {
    x.fail("connect", ec);
    co_return;
  }
  tcp_stream.socket().set_option(asio::socket_base::keep_alive(true));
  if (x.server.scheme != "https") {
    co_await talk(tcp_stream, x);
    beast::error_code ignored;
    tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> tls_stream(std::move(tcp_stream), *x.tls);
  if (!SSL_set_tlsext_host_name(tls_stream.native_handle(), x.server.host.c_str())) {
    x.fail("tls", beast::error_code(static_cast<int>(::ERR_get_error()),
                                    asio::error::get_ssl_category()));
    co_return;
  }
  tls_stream.set_verify_mode(ssl::verify_peer);
  tls_stream.set_verify_callback(ssl::host_name_verification(x.server.host));
  beast::get_lowest_layer(tls_stream).expires_after(x.timeout);
  if (auto [ec] = co_await tls_stream.async_handshake(ssl::stream_base::client, kTuple); ec) {
    x.fail("tls", ec);
    co_return;
  }
  co_await talk(tls_stream, x);
}

Result<HttpResponse> perform(const ServerUrl& server, const HttpRequest& request,
                             const HttpClient::DataHandler* on_data,
                             std::chrono::seconds timeout) {
  asio::io_context ioc;
  std::optional<ssl::context> tls;
  if (server.scheme == "https") {
    tls.emplace(ssl::context::tls_client);
    tls->set_default_verify_paths();
  }
  Exchange x{server, request, on_data, timeout, tls ? &*tls : nullptr, {}, std::nullopt};
  std::exception_ptr error;
  asio::co_spawn(ioc, run_exchange(x), [&](std::exception_ptr e) { error = e; });
  ioc.run();
  if (error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      return Status(Code::internal, std::string("HTTP request failed: ") + e.what());
    }
  }
  if (x.failure) return *x.failure;
  return std::move(x.response);
}

}  // namespace

std::string ServerUrl::text() const { return scheme + "://" + host_header + base_path; }

Result<ServerUrl> parse_server_url(std::string_view text) {
  std::string input(text);
  if (input.find("://") == std::string::npos) input = "http://" + input;
  auto parsed = boost::urls::parse_uri(input);
  const std::string what = "'" + std::string(text) + "' is not a valid server URL";
  if (!parsed) return invalid_argument(what + "; use e.g. http://localhost:8080");
  boost::urls::url_view u = *parsed;
  ServerUrl url;
  url.scheme = std::string(u.scheme());
  for (char& c : url.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.scheme != "http" && url.scheme != "https")
    return invalid_argument(what + " (only http:// and https:// are supported)");
  if (u.has_userinfo())
    return invalid_argument(what + " (leave out user:password@; k4ds login asks for them)");
  if (u.has_query() || u.has_fragment())
    return invalid_argument(what + " (leave out the ?query and #fragment)");
  url.host = std::string(u.host_address());
  if (url.host.empty()) return invalid_argument(what + " (it has no host)");
  const bool ipv6 = u.host_type() == boost::urls::host_type::ipv6;
  const int default_port = url.scheme == "https" ? 443 : 80;
  url.port = default_port;
  if (u.has_port() && !u.port().empty()) {
    std::string_view p = u.port();
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), url.port);
    if (ec != std::errc() || end != p.data() + p.size() || url.port < 1 || url.port > 65535)
      return invalid_argument(what + " (the port must be 1-65535)");
  }
  url.host_header = ipv6 ? "[" + url.host + "]" : url.host;
  for (char& c : url.host_header)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (url.port != default_port) url.host_header += ":" + std::to_string(url.port);
  url.base_path = std::string(u.encoded_path());
  while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
  return url;
}

std::string encode_path_segment(std::string_view segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : segment) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
  }
  return out;
}

std::string HttpResponse::cookie(std::string_view name) const {
  for (const std::string& header : set_cookies) {
    std::string_view pair(header);
    pair = pair.substr(0, pair.find(';'));
    auto eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = pair.substr(0, eq);
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    if (key == name) return std::string(pair.substr(eq + 1));
  }
  return "";
}

Result<HttpResponse> HttpClient::send(const HttpRequest& request) {
  return perform(server_, request, nullptr, timeout_);
}

Result<HttpResponse> HttpClient::stream(const HttpRequest& request, const DataHandler& on_data) {
  return perform(server_, request, &on_data, timeout_);
}

}  // namespace k4ds::cli

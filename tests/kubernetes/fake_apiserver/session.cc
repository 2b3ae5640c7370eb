// A connection of the test API server (see session.h): Beast's synchronous HTTP over an asio
// TLS stream, one thread per connection.
#include "session.h"

#include <poll.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "streams.h"

namespace k4ds::fake_apiserver {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = ssl::stream<tcp::socket>;

namespace {

// A chunked 200 answer written as the stream produces it.
class ChunkedSink : public Sink {
 public:
  explicit ChunkedSink(TlsStream& stream) : stream_(stream) {}

  bool begin(std::string_view content_type) override {
    http::response<http::empty_body> res{http::status::ok, 11};
    res.set(http::field::content_type, content_type);
    res.keep_alive(false);
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    beast::error_code ec;
    http::write_header(stream_, serializer, ec);
    began_ = !ec;
    return began_;
  }
  bool write(std::string_view data) override {
    if (data.empty()) return true;
    beast::error_code ec;
    asio::write(stream_, http::make_chunk(asio::buffer(data.data(), data.size())), ec);
    return !ec;
  }
  bool closed() override {
    pollfd p{stream_.next_layer().native_handle(), POLLRDHUP, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
  }
  void finish() {
    if (!began_) return;
    beast::error_code ec;
    asio::write(stream_, http::make_chunk_last(), ec);
  }

 private:
  TlsStream& stream_;
  bool began_ = false;
};

bool send(TlsStream& stream, const Reply& reply, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(reply.code), 11};
  res.set(http::field::content_type, reply.content_type);
  for (const auto& [name, value] : reply.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  res.body() = reply.body;
  res.prepare_payload();
  beast::error_code ec;
  http::write(stream, res, ec);
  return !ec;
}

std::string header(const http::request<http::string_body>& req, http::field field) {
  auto it = req.find(field);
  return it == req.end() ? "" : std::string(it->value());
}

Request to_request(const http::request<http::string_body>& req) {
  std::string_view target = req.target();
  size_t mark = target.find('?');
  return Request{.method = std::string(req.method_string()),
                 .path = std::string(target.substr(0, mark)),
                 .query = mark == std::string_view::npos ? "" : std::string(target.substr(mark + 1)),
                 .body = req.body(),
                 .authorization = header(req, http::field::authorization),
                 .content_type = header(req, http::field::content_type)};
}

}  // namespace

void serve_connection(tcp::socket socket, ssl::context& tls, Api& api) {
  TlsStream stream(std::move(socket), tls);
  beast::error_code ec;
  stream.handshake(ssl::stream_base::server, ec);
  beast::flat_buffer buffer;
  while (!ec) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(256 * 1024 * 1024);
    http::read(stream, buffer, parser, ec);
    if (ec) break;
    const http::request<http::string_body>& req = parser.get();
    const Request request = to_request(req);
    std::string_view path = request.path;
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    const bool get = request.method == "GET";
    const bool follow = get && path.ends_with("/log") && request.query.find("follow=true") != std::string::npos;
    const bool watching = get && !follow && request.query.find("watch=true") != std::string::npos;
    if (follow || watching) {  // streams: the connection ends with them
      if (!api.authorized(request)) {
        send(stream, status_reply(401, "Unauthorized", "Unauthorized"), false);
        break;
      }
      ChunkedSink sink(stream);
      if (follow) {
        if (auto reply = follow_log(api.store(), request, sink)) send(stream, *reply, false);
      } else {
        watch(api.store(), request, sink);
      }
      sink.finish();
      break;
    }
    const bool keep_alive = req.keep_alive();
    if (!send(stream, api.handle(request), keep_alive) || !keep_alive) break;
  }
  // No TLS close_notify exchange (it would wait for the client's): every answer is complete
  // by its length or its last chunk.
  stream.next_layer().shutdown(tcp::socket::shutdown_both, ec);
  stream.next_layer().close(ec);
}

}  // namespace k4ds::fake_apiserver

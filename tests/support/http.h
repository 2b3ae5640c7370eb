// Test helpers: a blocking HTTP/1.1 client over loopback (Beast) and raw-byte exchanges for
// malformed-request tests. Header-only so every test suite can use it.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>

namespace k4ds::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using TestResponse = http::response<http::string_body>;

inline void set_socket_timeout(tcp::socket& socket, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = timeout.count() / 1000;
  tv.tv_usec = (timeout.count() % 1000) * 1000;
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// A keep-alive client connection to 127.0.0.1:port.
class TestClient {
 public:
  explicit TestClient(uint16_t port, std::string host = "localhost")
      : socket_(io_), host_(std::move(host)), port_(port) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    set_socket_timeout(socket_, std::chrono::seconds(10));
  }

  TestResponse send(http::verb verb, std::string target, std::string body = {},
                    std::initializer_list<std::pair<std::string, std::string>> headers = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, host_ + ":" + std::to_string(port_));
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() && req[http::field::content_type].empty()) {
      req.set(http::field::content_type, "application/json");
    }
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(socket_, req);
    TestResponse res;
    http::read(socket_, buffer_, res);
    return res;
  }

  tcp::socket& socket() { return socket_; }
  beast::flat_buffer& buffer() { return buffer_; }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string host_;
  uint16_t port_;
};

// Sends raw bytes and returns everything the server sends until it closes or `timeout` passes.
inline std::string raw_exchange(uint16_t port, const std::string& bytes,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_socket_timeout(socket, timeout);
  boost::system::error_code ec;
  asio::write(socket, asio::buffer(bytes), ec);
  std::string out;
  char buf[4096];
  for (;;) {
    std::size_t n = socket.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  return out;
}

}  // namespace k4ds::testing

// A test upstream standing in for a workspace: answers every HTTP request with a JSON echo of
// what it received (method, target, headers, body size) and echoes WebSocket messages.
// Listens on 127.0.0.1:0 or on a Unix socket. Header-only; runs on its own threads.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace k4ds::testing {

class EchoUpstream {
 public:
  // unix_path empty = TCP on 127.0.0.1 with a free port.
  explicit EchoUpstream(std::string unix_path = {}) : unix_path_(std::move(unix_path)) {
    if (unix_path_.empty()) {
      tcp_acceptor_ = std::make_unique<boost::asio::ip::tcp::acceptor>(
          io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
      port_ = tcp_acceptor_->local_endpoint().port();
    } else {
      ::unlink(unix_path_.c_str());
      unix_acceptor_ = std::make_unique<boost::asio::local::stream_protocol::acceptor>(
          io_, boost::asio::local::stream_protocol::endpoint(unix_path_));
    }
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~EchoUpstream() {
    stopping_ = true;
    boost::system::error_code ec;
    if (tcp_acceptor_) tcp_acceptor_->close(ec);
    if (unix_acceptor_) unix_acceptor_->close(ec);
    // Wake the blocking accept with a connection of our own.
    try {
      if (tcp_acceptor_) {
        boost::asio::ip::tcp::socket s(io_);
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
      } else {
        boost::asio::local::stream_protocol::socket s(io_);
        s.connect(boost::asio::local::stream_protocol::endpoint(unix_path_), ec);
      }
    } catch (...) {
    }
    thread_.join();
    {
      std::lock_guard lock(mutex_);
      for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // unblock workers still reading
    }
    for (auto& t : workers_) t.join();
  }

  std::string upstream() const { return unix_path_.empty() ? "127.0.0.1:" + std::to_string(port_) : "unix:" + unix_path_; }
  int connections() const { return connections_.load(); }
  int open_websockets() const { return open_websockets_.load(); }

 private:
  template <class Socket>
  void serve(Socket socket) {
    namespace http = boost::beast::http;
    namespace websocket = boost::beast::websocket;
    ++connections_;
    const int fd = socket.native_handle();
    {
      std::lock_guard lock(mutex_);
      open_fds_.push_back(fd);
    }
    struct Forget {
      EchoUpstream* self;
      int fd;
      ~Forget() {
        std::lock_guard lock(self->mutex_);
        std::erase(self->open_fds_, fd);
      }
    } forget{this, fd};
    boost::beast::flat_buffer buffer;
    boost::system::error_code ec;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(boost::none);
      http::read(socket, buffer, parser, ec);
      if (ec) return;
      auto req = parser.release();
      if (websocket::is_upgrade(req)) {
        websocket::stream<Socket> ws(std::move(socket));
        ws.accept(req, ec);
        if (ec) return;
        ++open_websockets_;
        for (;;) {
          boost::beast::flat_buffer message;
          ws.read(message, ec);
          if (ec) break;
          ws.text(ws.got_text());
          ws.write(message.data(), ec);
          if (ec) break;
        }
        --open_websockets_;
        return;
      }
      boost::json::object headers;
      for (const auto& field : req) headers[std::string(field.name_string())] = std::string(field.value());
      boost::json::object echo{{"method", std::string(req.method_string())},
                               {"target", std::string(req.target())},
                               {"headers", headers},
                               {"body_size", req.body().size()}};
      http::response<http::string_body> res{http::status::ok, req.version()};
      res.set(http::field::content_type, "application/json");
      if (req.target() == "/hop") res.set("Connection", "X-Upstream-Secret");
      if (req.target() == "/hop") res.set("X-Upstream-Secret", "must-not-leak");
      res.body() = boost::json::serialize(echo);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      http::write(socket, res, ec);
      if (ec || !res.keep_alive()) return;
    }
  }

  void accept_loop() {
    while (!stopping_) {
      boost::system::error_code ec;
      if (tcp_acceptor_) {
        boost::asio::ip::tcp::socket socket(io_);
        tcp_acceptor_->accept(socket, ec);
        if (ec || stopping_) return;
        std::lock_guard lock(mutex_);
        workers_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
      } else {
        boost::asio::local::stream_protocol::socket socket(io_);
        unix_acceptor_->accept(socket, ec);
        if (ec || stopping_) return;
        std::lock_guard lock(mutex_);
        workers_.emplace_back([this, s = std::move(socket)]() mutable { serve(std::move(s)); });
      }
    }
  }

  boost::asio::io_context io_;
  std::string unix_path_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> tcp_acceptor_;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> unix_acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> open_websockets_{0};
  std::mutex mutex_;
  std::vector<std::thread> workers_;
  std::vector<int> open_fds_;
  std::thread thread_;
};

}  // namespace k4ds::testing

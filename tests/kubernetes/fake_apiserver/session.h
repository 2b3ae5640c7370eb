// One client connection of the test API server: TLS handshake, then HTTP/1.1 requests read
// and answered in turn (keep-alive honoured) until the client closes, asks to close, or a
// stream (watch, log follow) ends, which always closes the connection.
//
// Contract
// - Blocking: run on a thread of its own per connection; returns when the connection is done.
// - Streams are sent chunked with "Connection: close"; every other answer has a Content-Length.
// - A watch or log follow without the bearer token gets the 401 Status; other requests go to
//   Api::handle(), which checks the token itself after the injected failures.
//
// Usage:
//   std::thread([s = std::move(socket), &tls, &api]() mutable { serve_connection(std::move(s), tls, api); }).detach();
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>

#include "handlers.h"

namespace k4ds::fake_apiserver {

void serve_connection(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls, Api& api);

}  // namespace k4ds::fake_apiserver

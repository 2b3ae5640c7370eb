// Listener: the HTTP front door of a k4ds server. Accepts connections, reads requests with
// limits and deadlines, and dispatches by host: the portal host goes to the API handler;
// workspace hosts go to the gateway relay (issue 3); anything else gets a friendly 404.
//
// Contract
// - Every phase has a deadline: idle keep-alive wait, reading one request, writing a reply.
//   Oversized headers get 431, oversized API bodies 413, malformed requests 400, a client too
//   slow to send its request 408; none of these stop the server.
// - The API handler blocks (it calls the store), so it runs on the worker pool, never on an
//   I/O thread. Streaming replies are pumped without holding a worker while idle: the listener
//   waits for the store's change feed (or a keep-alive interval) asynchronously.
// - Threads: io_threads single-threaded io_contexts, one thread each; every connection stays on
//   the one it was given when accepted (round robin), so its handlers never need a strand.
// - bind() then run(); stop() may be called from any thread (or a signal handler via the
//   listener's own signal handling in run_until_signal()).
//
// Usage:
//   Listener listener(options, [&](const HttpRequest& r, const RequestContext& c) {
//     return api.handle(r, c); }, store);
//   if (Status s = listener.bind(); !s.ok()) die(s);
//   std::cout << "port " << listener.port() << "\n";
//   listener.run();  // until stop()
//
// TLS: with tls_listen set, bind() also loads the certificate (a bad one is an error here) and
// listens for HTTPS; decrypted connections reach serve() through an internal loopback port
// (see tls_front.h), so they are served by the same code as plain ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "api/api.h"
#include "common/result.h"
#include "store/store.h"

namespace k4ds {

using ApiHandler = std::function<Reply(const HttpRequest&, const RequestContext&)>;

struct ListenerOptions {
  std::string listen = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  std::string domain = "localhost";
  std::string portal_host;  // empty = domain
  // Peers whose X-Forwarded-For/-Proto are believed (a load balancer terminating TLS).
  std::vector<std::string> trusted_proxies;
  int io_threads = 2;
  int worker_threads = 4;
  std::size_t header_limit = 16 * 1024;
  std::size_t api_body_limit = 1024 * 1024;
  std::chrono::seconds idle_timeout{75};     // waiting for the next request on a connection
  std::chrono::seconds request_timeout{30};  // reading one request once it has begun
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds stream_keepalive{15};  // comment lines on idle event streams
  // TLS termination (gateway/tls_front.h): on when tls_listen is set. Plain `listen` then only
  // redirects to HTTPS (308), and the portal sends HSTS (includeSubDomains: every workspace).
  std::string tls_listen;  // "0.0.0.0:443"
  std::string tls_cert;    // PEM certificate (wildcard *.<domain> plus <domain>), then intermediates
  std::string tls_key;     // PEM private key; both files are re-read when they change
};

class Gateway;

class Listener {
 public:
  // `gateway` serves workspace hosts; null = workspace hosts get 404 (API-only servers, tests).
  Listener(ListenerOptions options, ApiHandler api, Store& store, Gateway* gateway = nullptr);
  ~Listener();
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Opens and binds the listening socket. Code::unavailable if the address is in use.
  Status bind();
  uint16_t port() const;
  // The HTTPS port, 0 without TLS.
  uint16_t tls_port() const;
  // Runs the I/O threads until stop(); returns after they have all finished.
  void run();
  // Like run(), but also stops on SIGINT/SIGTERM.
  void run_until_signal();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace k4ds

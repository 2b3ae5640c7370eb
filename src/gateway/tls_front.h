// TlsFront: TLS termination for the listener. It accepts TLS connections with a certificate
// and key read from files (a wildcard certificate for *.<domain> and <domain>), and relays the
// decrypted bytes over loopback to the listener's internal port, behind a one-line hand-off
// that carries a per-process secret and the client's address. The listener then serves the
// connection exactly like a plain one, marked secure (so cookies get Secure, URLs https, and
// the portal sends HSTS). Keeping TLS in front of the plain serving code means every request
// path (API, gateway relay, WebSockets) works unchanged under TLS.
//
// Contract
// - create() loads the certificate now: a missing or bad pair is a start-up error that names
//   the file. Afterwards the files are checked for changes at most once a second as
//   connections arrive; a changed, valid pair is used for new connections without a restart;
//   an invalid one is logged and the previous pair kept.
// - Only TLS 1.2 and 1.3. The handshake has a deadline; a client that stalls is dropped.
// - The hand-off line is "K4DS-TLS <secret> <client address>\r\n". parse_handoff() accepts
//   exactly that with the right secret (compared in constant time), so a local user who finds
//   the internal port cannot claim another address or a TLS connection.
//
// Usage:
//   auto front = TlsFront::create({.cert_file = "/etc/k4ds/tls.crt", .key_file = "/etc/k4ds/tls.key"});
//   co_spawn(io, (*front)->serve(std::move(client), inner_endpoint, secret), detached);
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k4ds {

struct TlsFrontOptions {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM private key
  std::chrono::seconds handshake_timeout{10};
};

class TlsFront {
 public:
  static Result<std::unique_ptr<TlsFront>> create(TlsFrontOptions options);

  // Handshakes with `client`, connects to `inner` and relays both ways until either side ends.
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket client,
                                     boost::asio::ip::tcp::endpoint inner, std::string secret);

  // Re-reads the files if they changed since the last look (at most once a second).
  void reload_if_changed();

 private:
  explicit TlsFront(TlsFrontOptions options) : options_(std::move(options)) {}
  Result<std::shared_ptr<boost::asio::ssl::context>> load() const;
  std::shared_ptr<boost::asio::ssl::context> context();

  TlsFrontOptions options_;
  std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  std::string loaded_stamp_;  // mtimes and sizes of both files when last loaded
  std::chrono::steady_clock::time_point last_check_{};
};

inline constexpr std::size_t kMaxHandoffLine = 128;

std::string handoff_line(std::string_view secret, std::string_view client_address);
// The client address, or nullopt if the line is not a valid hand-off with this secret.
std::optional<std::string> parse_handoff(std::string_view line, std::string_view secret);

}  // namespace k4ds

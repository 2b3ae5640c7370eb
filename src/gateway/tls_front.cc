#include "gateway/tls_front.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "common/logging.h"

namespace k4ds {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::string_view kHandoffPrefix = "K4DS-TLS ";
constexpr std::size_t kRelayChunk = 16 * 1024;

std::string file_stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "missing";
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
         std::to_string(st.st_size);
}

// Copies from one stream to the other until `from` ends or either fails.
template <class From, class To>
asio::awaitable<void> pump(From& from, To& to) {
  std::vector<char> chunk(kRelayChunk);
  for (;;) {
    auto [rec, n] = co_await from.async_read_some(asio::buffer(chunk), kAsTuple);
    if (n > 0) {
      auto [wec, written] = co_await asio::async_write(to, asio::buffer(chunk.data(), n), kAsTuple);
      if (wec) co_return;
    }
    if (rec) co_return;
  }
}

}  // namespace

std::string handoff_line(std::string_view secret, std::string_view client_address) {
  return std::string(kHandoffPrefix) + std::string(secret) + " " + std::string(client_address) + "\r\n";
}

std::optional<std::string> parse_handoff(std::string_view line, std::string_view secret) {
  if (line.size() > kMaxHandoffLine || !line.starts_with(kHandoffPrefix) || !line.ends_with("\r\n")) {
    return std::nullopt;
  }
  line.remove_prefix(kHandoffPrefix.size());
  line.remove_suffix(2);
  auto space = line.find(' ');
  if (space == std::string_view::npos || space != secret.size()) return std::nullopt;
  if (CRYPTO_memcmp(line.data(), secret.data(), secret.size()) != 0) return std::nullopt;
  std::string address(line.substr(space + 1));
  boost::system::error_code ec;
  asio::ip::make_address(address, ec);
  if (ec) return std::nullopt;
  return address;
}

Result<std::unique_ptr<TlsFront>> TlsFront::create(TlsFrontOptions options) {
  std::unique_ptr<TlsFront> front(new TlsFront(std::move(options)));
  auto context = front->load();
  if (!context) return context.status();
  front->context_ = std::move(context).value();
  front->loaded_stamp_ = file_stamp(front->options_.cert_file) + " " + file_stamp(front->options_.key_file);
  front->last_check_ = std::chrono::steady_clock::now();
  return front;
}

Result<std::shared_ptr<ssl::context>> TlsFront::load() const {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                           ssl::context::single_dh_use,
                       ec);
  context->use_certificate_chain_file(options_.cert_file, ec);
  if (ec) {
    return failed_precondition("cannot use the TLS certificate " + options_.cert_file + ": " + ec.message() +
                               "; it must be a PEM file with the certificate first, then any intermediates");
  }
  context->use_private_key_file(options_.key_file, ssl::context::pem, ec);
  if (ec) {
    return failed_precondition("cannot use the TLS key " + options_.key_file + ": " + ec.message() +
                               "; it must be the PEM private key that belongs to " + options_.cert_file);
  }
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return failed_precondition("the TLS key " + options_.key_file + " does not belong to the certificate " +
                               options_.cert_file);
  }
  return context;
}

void TlsFront::reload_if_changed() {
  {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (now - last_check_ < std::chrono::seconds(1)) return;
    last_check_ = now;
  }
  std::string stamp = file_stamp(options_.cert_file) + " " + file_stamp(options_.key_file);
  {
    std::lock_guard lock(mutex_);
    if (stamp == loaded_stamp_) return;
    loaded_stamp_ = stamp;  // a bad pair is reported once, not at every connection
  }
  auto context = load();
  auto log = component_logger("gateway");
  if (!context) {
    log->error("TLS certificate not reloaded, the previous one stays in use: {}", context.status().message());
    return;
  }
  std::lock_guard lock(mutex_);
  context_ = std::move(context).value();
  log->info("TLS certificate reloaded from {}", options_.cert_file);
}

std::shared_ptr<ssl::context> TlsFront::context() {
  std::lock_guard lock(mutex_);
  return context_;
}

namespace {

// Both ends of one relayed connection, shared by its two directions.
struct Relay {
  Relay(tcp::socket client, ssl::context& context) : tls(std::move(client), context), backend(tls.get_executor()) {}
  ssl::stream<tcp::socket> tls;
  tcp::socket backend;
  bool done = false;
  void close() {
    done = true;
    boost::system::error_code ignored;
    tls.lowest_layer().close(ignored);
    backend.close(ignored);
  }
};

// Client → server. When the client stops sending, the server is told (half close).
asio::awaitable<void> client_to_server(std::shared_ptr<Relay> relay, [[maybe_unused]] std::shared_ptr<ssl::context> keep) {
  co_await pump(relay->tls, relay->backend);
  boost::system::error_code ignored;
  if (!relay->done) relay->backend.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> TlsFront::serve(tcp::socket client, tcp::endpoint inner, std::string secret) {
  reload_if_changed();
  boost::system::error_code ec;
  const auto peer = client.remote_endpoint(ec);
  if (ec) co_return;
  std::shared_ptr<ssl::context> context = this->context();  // kept alive for this connection
  auto relay = std::make_shared<Relay>(std::move(client), *context);

  asio::steady_timer deadline(relay->tls.get_executor());
  deadline.expires_after(options_.handshake_timeout);
  deadline.async_wait([relay](boost::system::error_code wait_ec) {
    if (!wait_ec) relay->close();
  });
  auto [hec] = co_await relay->tls.async_handshake(ssl::stream_base::server, kAsTuple);
  deadline.cancel();
  if (hec) co_return;

  auto [cec] = co_await relay->backend.async_connect(inner, kAsTuple);
  if (cec) co_return;
  relay->backend.set_option(tcp::no_delay(true), ec);
  const std::string line = handoff_line(secret, peer.address().to_string());
  auto [wec, wn] = co_await asio::async_write(relay->backend, asio::buffer(line), kAsTuple);
  if (wec) co_return;

  asio::co_spawn(relay->tls.get_executor(), client_to_server(relay, context), asio::detached);
  // Server → client; when the server side ends (it closed the connection), everything closes.
  co_await pump(relay->backend, relay->tls);
  relay->close();
}

}  // namespace k4ds

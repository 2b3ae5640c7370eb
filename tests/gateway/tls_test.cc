// TLS termination end to end: HTTPS to the portal and to a workspace (through the real gateway
// and a real upstream), the plain port redirecting to HTTPS, HSTS, Secure cookies, the client's
// address kept across the TLS hand-off, and a renewed certificate picked up without a restart.
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <openssl/x509.h>

#include <fstream>

#include "gateway/gateway_fixture.h"
#include "gateway/tls_front.h"

namespace k4ds {
namespace {

namespace ssl = boost::asio::ssl;

// A CA and a server certificate for localhost and *.localhost, made with openssl.
void make_certificate(const std::string& dir, const std::string& name, int serial) {
  const std::string cmd =
      "cd '" + dir + "' && "
      "([ -f ca.key ] || openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 "
      "-subj '/CN=k4ds test CA' >/dev/null 2>&1) && "
      "openssl req -newkey rsa:2048 -nodes -keyout new.key -out new.csr -subj '/CN=localhost' >/dev/null 2>&1 && "
      "printf 'subjectAltName=DNS:localhost,DNS:*.localhost\\n' > ext && "
      "openssl x509 -req -in new.csr -CA ca.crt -CAkey ca.key -set_serial " + std::to_string(serial) +
      " -out new.crt -days 2 -extfile ext >/dev/null 2>&1 && "
      "mv new.key " + name + ".key && mv new.crt " + name + ".crt";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}

class TlsTest : public GatewayTest {
 protected:
  void customize(ListenerOptions& options) override {
    char tmpl[] = "/tmp/k4ds-tls-XXXXXX";
    tls_dir_ = ::mkdtemp(tmpl);
    make_certificate(tls_dir_, "server", 1001);
    options.tls_listen = "127.0.0.1:0";
    options.tls_cert = tls_dir_ + "/server.crt";
    options.tls_key = tls_dir_ + "/server.key";
  }
  void TearDown() override {
    GatewayTest::TearDown();
    std::filesystem::remove_all(tls_dir_);
  }

  struct TlsAnswer {
    TestResponse response;
    long serial = -1;  // of the certificate the server presented
  };

  // One HTTPS request to the TLS port, checking the chain against the test CA (and the name,
  // for the portal: OpenSSL refuses wildcards directly under a one-label name like localhost).
  TlsAnswer tls_request(const std::string& host, http::verb method, const std::string& target,
                        std::vector<std::pair<std::string, std::string>> headers = {}, std::string body = "") {
    ssl::context ctx(ssl::context::tls_client);
    ctx.load_verify_file(tls_dir_ + "/ca.crt");
    boost::asio::io_context io;
    boost::beast::ssl_stream<boost::beast::tcp_stream> stream(io, ctx);
    stream.set_verify_mode(ssl::verify_peer);
    if (host == "localhost") stream.set_verify_callback(ssl::host_name_verification(host));
    SSL_set_tlsext_host_name(stream.native_handle(), host.c_str());
    boost::beast::get_lowest_layer(stream).connect({boost::asio::ip::make_address("127.0.0.1"), listener_->tls_port()});
    boost::beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    stream.handshake(ssl::stream_base::client);
    TlsAnswer answer;
    if (X509* cert = SSL_get1_peer_certificate(stream.native_handle())) {
      answer.serial = ASN1_INTEGER_get(X509_get_serialNumber(cert));
      X509_free(cert);
    }
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host + ":" + std::to_string(listener_->tls_port()));
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::read(stream, buffer, answer.response);
    return answer;
  }

  std::string tls_dir_;
};

TEST_F(TlsTest, ThePortalAnswersOverHttpsWithHstsAndSecureCookies) {
  ASSERT_NE(listener_->tls_port(), 0);
  TlsAnswer login = tls_request("localhost", http::verb::post, "/login",
                                {{"Content-Type", "application/x-www-form-urlencoded"}},
                                "username=alice&password=alice-password&rd=");
  EXPECT_EQ(login.serial, 1001);
  EXPECT_EQ(login.response[http::field::strict_transport_security], "max-age=31536000; includeSubDomains");
  std::string cookie = set_cookie_header(login.response, kPortalCookie);
  ASSERT_FALSE(cookie.empty()) << login.response;
  EXPECT_NE(cookie.find("Secure"), std::string::npos) << cookie;
}

TEST_F(TlsTest, AWorkspaceOverHttpsSeesHttpsAndTheRealClientAddress) {
  auto token = auth_->create_token("alice", "tls", std::nullopt);
  ASSERT_TRUE(token.ok());
  TlsAnswer res = tls_request("alice-nb.localhost", http::verb::get, "/api/contents",
                              {{"Authorization", "Bearer " + token->secret}, {"X-Forwarded-For", "6.6.6.6"},
                               {"X-Forwarded-Proto", "http"}});
  ASSERT_EQ(res.response.result(), http::status::ok) << res.response.body();
  auto echo = boost::json::parse(res.response.body()).as_object();
  auto& headers = echo["headers"].as_object();
  EXPECT_EQ(headers["X-Forwarded-Proto"].as_string(), "https");
  EXPECT_EQ(headers["X-Forwarded-For"].as_string(), "127.0.0.1") << "the client's own claim is not believed";
  EXPECT_EQ(headers["X-K4DS-User"].as_string(), "alice");
}

TEST_F(TlsTest, ThePlainPortRedirectsOurHostsToHttpsAndNothingElse) {
  auto redirected = get_as("", "alice-nb", "/tree?x=1");
  EXPECT_EQ(redirected.result(), http::status::permanent_redirect);
  EXPECT_EQ(redirected[http::field::location],
            "https://alice-nb.localhost:" + std::to_string(listener_->tls_port()) + "/tree?x=1");
  EXPECT_EQ(upstream_->connections(), 0);

  TestClient other(port_, "evil.example");
  auto foreign = other.send(http::verb::get, "/steal");
  EXPECT_EQ(foreign.result(), http::status::not_found) << "no open redirect for hosts that are not ours";
  TestClient probe(port_);
  // Served as is (this test's API answers 404 to everything), not redirected: load balancers
  // probe plain HTTP.
  auto health = probe.send(http::verb::get, "/healthz");
  EXPECT_EQ(health.result(), http::status::not_found);
  EXPECT_NE(health.body().find("no API in this test"), std::string::npos) << health.body();
}

TEST_F(TlsTest, ARenewedCertificateIsUsedWithoutARestartAndABrokenOneIsNot) {
  EXPECT_EQ(tls_request("localhost", http::verb::get, "/healthz").serial, 1001);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // file times change visibly
  make_certificate(tls_dir_, "server", 2002);
  long seen = 0;
  for (int i = 0; i < 30 && seen != 2002; ++i) {
    seen = tls_request("localhost", http::verb::get, "/healthz").serial;
    if (seen != 2002) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(seen, 2002) << "the renewed certificate was not picked up";

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  std::ofstream(tls_dir_ + "/server.crt") << "not a certificate\n";
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  TlsAnswer still = tls_request("localhost", http::verb::get, "/login");
  EXPECT_EQ(still.serial, 2002) << "a broken file must not replace a working certificate";
  EXPECT_EQ(still.response.result(), http::status::ok);
}

// A WebSocket over HTTPS: the TLS front relays to the listener, whose request path hands the
// decrypted connection to a tunnel; revoking the share closes it all the way to the client.
TEST_F(TlsTest, AWebSocketOverHttpsTunnelsAndClosesWhenAccessIsRevoked) {
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_share(Share{.workspace_id = workspace_id_, .principal = "bob"}).status();
                    }).ok());
  gateway_->refresh_now();
  auto token = auth_->create_token("bob", "wss", std::nullopt);
  ASSERT_TRUE(token.ok());

  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(tls_dir_ + "/ca.crt");
  boost::asio::io_context io;
  boost::beast::websocket::stream<boost::beast::ssl_stream<boost::beast::tcp_stream>> ws(io, ctx);
  const std::string host = "alice-nb.localhost";
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), host.c_str());
  auto& tcp = boost::beast::get_lowest_layer(ws);
  tcp.connect({boost::asio::ip::make_address("127.0.0.1"), listener_->tls_port()});
  tcp.expires_after(std::chrono::seconds(10));
  ws.next_layer().handshake(ssl::stream_base::client);
  ws.set_option(boost::beast::websocket::stream_base::decorator(
      [&](boost::beast::websocket::request_type& req) { req.set(http::field::authorization, "Bearer " + token->secret); }));
  ws.handshake(host + ":" + std::to_string(listener_->tls_port()), "/api/kernels/k1/channels");
  ws.write(boost::asio::buffer(std::string("over tls")));
  boost::beast::flat_buffer echo;
  ws.read(echo);
  EXPECT_EQ(boost::beast::buffers_to_string(echo.data()), "over tls");
  EXPECT_EQ(gateway_->live_connections(), 1u);

  const auto revoked_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(store_->write([&](Tx& tx) { return tx.delete_share(workspace_id_, PrincipalKind::user, "bob"); }).ok());
  tcp.expires_after(std::chrono::seconds(5));  // bounds the read below
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  ws.read(buffer, ec);
  EXPECT_TRUE(ec) << "the WebSocket must be closed after the share is revoked";
  EXPECT_NE(ec, boost::beast::error::timeout) << "closed by the 5 s bound, not by the revocation";
  EXPECT_LT(std::chrono::steady_clock::now() - revoked_at, std::chrono::seconds(1));
}

TEST(TlsHandoffTest, OnlyTheExactLineWithTheSecretIsBelieved) {
  const std::string secret = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(parse_handoff(handoff_line(secret, "192.0.2.7"), secret), "192.0.2.7");
  EXPECT_EQ(parse_handoff(handoff_line(secret, "2001:db8::1"), secret), "2001:db8::1");
  EXPECT_FALSE(parse_handoff(handoff_line("f" + secret.substr(1), "192.0.2.7"), secret));
  EXPECT_FALSE(parse_handoff(handoff_line(secret, "not-an-address"), secret));
  EXPECT_FALSE(parse_handoff("K4DS-TLS " + secret + " 192.0.2.7\n", secret));
  EXPECT_FALSE(parse_handoff("GET / HTTP/1.1\r\n", secret));
  EXPECT_FALSE(parse_handoff(handoff_line(secret, std::string(200, '1')), secret));
}

}  // namespace
}  // namespace k4ds

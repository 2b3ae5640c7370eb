// WebSocket (Upgrade) tunnels through the gateway once the request path has handed them off
// (tunnel.h): bytes that arrive right behind the upgrade on either side, messages far larger
// than one read, the live-connection registry following the tunnel, revocation of a plain
// request in flight, a kept-alive connection seeing a policy change on its next request, and
// the listener's destruction ending every tunnel.
#include <poll.h>

#include <boost/beast/websocket.hpp>

#include "gateway/gateway_fixture.h"

namespace k4ds {
namespace {

using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Waits up to `limit` for `done()`.
template <class F>
bool eventually(F done, Clock::duration limit = 3s) {
  const auto until = Clock::now() + limit;
  while (Clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// Whether `socket` has something to read (data, or its end) within `timeout`. Asio's blocking
// reads ignore SO_RCVTIMEO, so tests that must not hang wait with poll() first.
bool readable_within(tcp::socket& socket, Clock::duration timeout) {
  pollfd p{.fd = socket.native_handle(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count())) == 1;
}

// Reads from `socket` until `data` holds `want`; false on an error, the end, or 5 s of silence.
bool read_until_contains(tcp::socket& socket, std::string& data, std::string_view want) {
  char chunk[4096];
  while (data.find(want) == std::string::npos) {
    if (!readable_within(socket, 5s)) return false;
    boost::system::error_code ec;
    std::size_t n = socket.read_some(boost::asio::buffer(chunk), ec);
    if (ec) return false;
    data.append(chunk, n);
  }
  return true;
}

using TunnelTest = GatewayTest;

TEST_F(TunnelTest, BytesRightBehindTheUpgradeOnEitherSideGetThrough) {
  // An upstream that answers the upgrade and sends its first bytes in the same write; the client
  // sends its first bytes in the same write as the upgrade request (the gateway has read them
  // with the request header and must pass them on once the tunnel stands).
  boost::asio::io_context io;
  tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  add_workspace("alice", "raw", "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port()));
  gateway_->refresh_now();
  std::string alice = sign_in("alice", "alice-password", "alice-raw");

  std::string upstream_saw;
  std::thread upstream([&] {
    tcp::socket socket(io);
    acceptor.accept(socket);
    if (!read_until_contains(socket, upstream_saw, "\r\n\r\n")) return;
    boost::asio::write(socket, boost::asio::buffer(std::string(
                                   "HTTP/1.1 101 Switching Protocols\r\nUpgrade: raw-test\r\n"
                                   "Connection: Upgrade\r\n\r\nhello-from-upstream")));
    if (read_until_contains(socket, upstream_saw, "hello-from-clientping")) {
      boost::asio::write(socket, boost::asio::buffer(std::string("pong")));
    }
  });

  tcp::socket client(io);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  boost::asio::write(client, boost::asio::buffer("GET /raw HTTP/1.1\r\nHost: " + ws_host("alice-raw") + ":" +
                                                 std::to_string(port_) + "\r\nCookie: " + kWorkspaceCookie + "=" +
                                                 alice + "\r\nConnection: Upgrade\r\nUpgrade: raw-test\r\n\r\n" +
                                                 "hello-from-client"));
  std::string got;
  EXPECT_TRUE(read_until_contains(client, got, "hello-from-upstream")) << got;
  EXPECT_TRUE(got.starts_with("HTTP/1.1 101")) << got;
  boost::asio::write(client, boost::asio::buffer(std::string("ping")));
  std::string reply;
  EXPECT_TRUE(read_until_contains(client, reply, "pong")) << reply;
  upstream.join();
  EXPECT_NE(upstream_saw.find("hello-from-client"), std::string::npos);
  EXPECT_EQ(upstream_saw.find(std::string(kWorkspaceCookie) + "="), std::string::npos) << "the cookie must not leak";
}

TEST_F(TunnelTest, MessagesLargerThanOneReadPassBothWaysIntact) {
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, alice, "alice-nb"));
  ws.binary(true);
  std::string big(3 * 1024 * 1024 + 7, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131 + i / 4096) & 0xff);
  for (int round = 0; round < 2; ++round) {
    ws.write(boost::asio::buffer(big));
    boost::beast::flat_buffer echo;
    ws.read(echo);
    ASSERT_EQ(echo.size(), big.size());
    EXPECT_TRUE(boost::beast::buffers_to_string(echo.data()) == big) << "the echo differs from what was sent";
  }
}

// The tunnel's waiting read takes up to 256 bytes; messages around that size (a frame header
// adds 2 to 14 bytes) end exactly at, just before and just after the end of that read.
TEST_F(TunnelTest, MessagesAroundTheWaitingReadsSizePassInOrder) {
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, alice, "alice-nb"));
  ws.binary(true);
  for (std::size_t size : {1u, 240u, 248u, 249u, 250u, 251u, 252u, 253u, 254u, 255u, 256u, 257u, 1000u, 70000u, 3u}) {
    std::string message(size, '\0');
    for (std::size_t i = 0; i < size; ++i) message[i] = static_cast<char>((i * 7 + size) & 0xff);
    ws.write(boost::asio::buffer(message));
    boost::beast::flat_buffer echo;
    ws.read(echo);
    ASSERT_EQ(boost::beast::buffers_to_string(echo.data()), message) << "message of " << size << " bytes";
  }
}

TEST_F(TunnelTest, ATunnelKeepsItsLiveEntryAndGivesItBackWhenItEnds) {
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, alice, "alice-nb"));
  // The request path has ended; the tunnel holds the connection's entry.
  EXPECT_EQ(gateway_->live_connections(), 1u);
  EXPECT_EQ(upstream_->open_websockets(), 1);
  ws.close(boost::beast::websocket::close_code::normal);
  EXPECT_TRUE(eventually([&] { return gateway_->live_connections() == 0; }))
      << gateway_->live_connections() << " live connections left after the WebSocket closed";
  EXPECT_TRUE(eventually([&] { return upstream_->open_websockets() == 0; }));
}

TEST_F(TunnelTest, DestroyingTheListenerEndsItsTunnels) {
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, alice, "alice-nb"));
  listener_->stop();
  thread_.join();
  listener_.reset();
  EXPECT_EQ(gateway_->live_connections(), 0u);
  ASSERT_TRUE(readable_within(ws.next_layer(), 2s)) << "the WebSocket stayed open after the listener was destroyed";
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  ws.read(buffer, ec);
  EXPECT_TRUE(ec) << "the WebSocket must be closed when the listener is gone";
  EXPECT_TRUE(eventually([&] { return upstream_->open_websockets() == 0; }));
}

TEST_F(TunnelTest, RevocationClosesAPlainRequestInFlight) {
  boost::asio::io_context io;
  // Listens (the kernel completes the connection) but never answers: the request stays in flight.
  tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::string id = add_workspace("alice", "slow", "127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_share(Share{.workspace_id = id, .principal = "bob"}).status();
                    }).ok());
  gateway_->refresh_now();
  std::string bob = sign_in("bob", "bob-password", "alice-slow");

  tcp::socket client(io);
  client.connect({boost::asio::ip::make_address("127.0.0.1"), port_});
  http::request<http::empty_body> req{http::verb::get, "/wait", 11};
  req.set(http::field::host, ws_host("alice-slow") + ":" + std::to_string(port_));
  req.set(http::field::cookie, std::string(kWorkspaceCookie) + "=" + bob);
  http::write(client, req);
  ASSERT_TRUE(eventually([&] { return gateway_->live_connections() == 1; }));

  const auto revoked_at = Clock::now();
  ASSERT_TRUE(store_->write([&](Tx& tx) { return tx.delete_share(id, PrincipalKind::user, "bob"); }).ok());
  bool ended = false;
  while (readable_within(client, 2s)) {  // whatever the gateway manages to say, the connection must end
    char chunk[4096];
    boost::system::error_code ec;
    client.read_some(boost::asio::buffer(chunk), ec);
    if (ec) {
      ended = true;
      break;
    }
  }
  EXPECT_TRUE(ended) << "the request in flight was not ended by the revocation";
  EXPECT_LT(Clock::now() - revoked_at, 1s);
}

TEST_F(TunnelTest, AKeptAliveConnectionSeesAGroupChangeOnItsNextRequest) {
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  TestClient client(port_, ws_host("alice-nb"));
  const std::string cookie = std::string(kWorkspaceCookie) + "=" + alice;
  auto first = client.send(http::verb::get, "/", {}, {{"Cookie", cookie}});
  ASSERT_EQ(first.result(), http::status::ok) << first.body();
  EXPECT_EQ(boost::json::parse(first.body()).at("headers").at("X-K4DS-Groups").as_string(), "");

  ASSERT_TRUE(store_->write([&](Tx& tx) {
                      return tx.create_group(Group{.name = "team", .members = {"alice"}}).status();
                    }).ok());
  gateway_->refresh_now();
  // Same connection: the verdict it remembered is from before the change.
  auto second = client.send(http::verb::get, "/", {}, {{"Cookie", cookie}});
  ASSERT_EQ(second.result(), http::status::ok) << second.body();
  EXPECT_EQ(boost::json::parse(second.body()).at("headers").at("X-K4DS-Groups").as_string(), "team");
}

}  // namespace
}  // namespace k4ds

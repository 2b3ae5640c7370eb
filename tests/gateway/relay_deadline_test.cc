// The relay's deadlines (one lazily re-armed Deadline per client connection, one idle timer per
// tunnel): an upstream that never answers ends in a 502 once the response deadline passes, and
// a WebSocket tunnel with no traffic either way is closed once the tunnel's idle deadline passes.
#include "gateway/gateway_fixture.h"

namespace k4ds {
namespace {

using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

class RelayDeadlineTest : public GatewayTest {
 protected:
  void customize_gateway(GatewayOptions& options) override {
    options.timeouts.response_header = 1s;
    options.timeouts.tunnel_idle = 1s;
  }
};

TEST_F(RelayDeadlineTest, AnUpstreamThatNeverAnswersGets502WhenTheResponseDeadlinePasses) {
  boost::asio::io_context io;
  // Listens (the kernel completes the connection) but never reads or answers.
  tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  add_workspace("alice", "silent", "127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
  gateway_->refresh_now();
  std::string alice = sign_in("alice", "alice-password", "alice-silent");

  const auto start = Clock::now();
  TestResponse res = get_as(alice, "alice-silent", "/");
  const auto took = Clock::now() - start;
  EXPECT_EQ(res.result(), http::status::bad_gateway) << res.body();
  EXPECT_GE(took, 900ms) << "answered before the response deadline";
  EXPECT_LT(took, 5s) << "the response deadline did not end the wait";
}

TEST_F(RelayDeadlineTest, AnIdleWebSocketIsClosedWhenTheTunnelDeadlinePasses) {
  std::string alice = sign_in("alice", "alice-password", "alice-nb");
  boost::asio::io_context io;
  WebSocket ws(io);
  ASSERT_NO_FATAL_FAILURE(open_websocket(ws, alice, "alice-nb"));
  // Traffic keeps it open past the idle deadline...
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(500ms);
    ws.write(boost::asio::buffer(std::string("ping")));
    boost::beast::flat_buffer echo;
    ws.read(echo);
    EXPECT_EQ(boost::beast::buffers_to_string(echo.data()), "ping");
  }
  // ...then silence closes it.
  const auto idle_since = Clock::now();
  testing::set_socket_timeout(ws.next_layer(), 5s);
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  ws.read(buffer, ec);
  const auto took = Clock::now() - idle_since;
  EXPECT_TRUE(ec) << "the idle tunnel must be closed";
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 4s);
}

}  // namespace
}  // namespace k4ds

// The relay end to end against a scripted upstream that answers byte for byte as told, in
// pieces and with pauses: responses that arrive slowly (a read that drained the socket must
// still see the bytes that come later), bodies framed every way, and connection reuse.
#include "gateway/gateway_fixture.h"

#include <sys/socket.h>

#include <atomic>
#include <stdexcept>
#include <mutex>

namespace k4ds {
namespace {

using tcp = boost::asio::ip::tcp;
namespace asio = boost::asio;

// Answers each request on a connection with the next scripted reply: pieces written with a
// pause before each, then the connection kept or closed.
class ScriptedUpstream {
 public:
  struct Piece {
    std::string bytes;
    std::chrono::milliseconds pause{0};
  };
  struct Reply {
    std::vector<Piece> pieces;
    bool close = false;
  };

  explicit ScriptedUpstream(std::vector<Reply> replies)
      : replies_(std::move(replies)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedUpstream() {
    boost::system::error_code ignored;
    stopping_ = true;
    acceptor_.close(ignored);
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int connections() const { return connections_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    std::size_t next = 0;
    while (!stopping_ && next < replies_.size()) {
      boost::system::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      ++connections_;
      testing::set_socket_timeout(socket, std::chrono::seconds(10));
      std::string buffered;
      while (next < replies_.size()) {
        // One request head (these tests send no bodies).
        std::size_t end;
        while ((end = buffered.find("\r\n\r\n")) == std::string::npos) {
          char chunk[4096];
          const std::size_t n = socket.read_some(asio::buffer(chunk), ec);
          if (ec) break;
          buffered.append(chunk, n);
        }
        if (ec) break;
        {
          std::lock_guard lock(mutex_);
          requests_.push_back(buffered.substr(0, end + 4));
        }
        buffered.erase(0, end + 4);
        const Reply& reply = replies_[next++];
        for (const Piece& piece : reply.pieces) {
          std::this_thread::sleep_for(piece.pause);
          asio::write(socket, asio::buffer(piece.bytes), ec);
        }
        if (reply.close) break;
      }
    }
  }

  std::vector<Reply> replies_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::mutex mutex_;
  std::vector<std::string> requests_;
};

// One recv() that honours the test socket's receive timeout (Asio's blocking read_some would
// wait past it): the bytes, or "" at the end of the stream, or a failure after the timeout.
std::string recv_some(tcp::socket& socket) {
  char chunk[4096];
  const ssize_t n = ::recv(socket.native_handle(), chunk, sizeof chunk, 0);
  if (n < 0) throw std::runtime_error("nothing received within the socket's timeout");
  return std::string(chunk, static_cast<std::size_t>(n));
}

class RelayWireTest : public GatewayTest {
 protected:
  // Sends one request per verb on one client connection and reads the response to each.
  std::vector<TestResponse> exchange(const std::string& cookie, const std::string& label,
                                     std::initializer_list<http::verb> verbs) {
    TestClient client(port_, ws_host(label));
    std::vector<TestResponse> out;
    for (http::verb verb : verbs) {
      http::request<http::empty_body> req{verb, "/r" + std::to_string(out.size()), 11};
      req.set(http::field::host, ws_host(label) + ":" + std::to_string(port_));
      req.set(http::field::cookie, std::string(kWorkspaceCookie) + "=" + cookie);
      http::write(client.socket(), req);
      http::response_parser<http::string_body> parser;
      if (verb == http::verb::head) parser.skip(true);
      http::read(client.socket(), client.buffer(), parser);
      out.push_back(parser.release());
    }
    return out;
  }

  // A GET written byte for byte, for what Beast's client would not send or read as asked.
  std::string raw_get(const std::string& cookie, const std::string& label, std::string_view version) {
    return "GET / " + std::string(version) + "\r\nHost: " + ws_host(label) + ":" + std::to_string(port_) +
           "\r\nCookie: " + std::string(kWorkspaceCookie) + "=" + cookie + "\r\n\r\n";
  }

  std::string use(const ScriptedUpstream& upstream, const std::string& name) {
    add_workspace("alice", name, upstream.address());
    gateway_->refresh_now();
    return sign_in("alice", "alice-password", "alice-" + name);
  }
};

TEST_F(RelayWireTest, AResponseThatArrivesInSlowPiecesIsRelayedWhole) {
  // Each pause follows a read that emptied the socket: the relay must wait for readiness and
  // still read what comes later (a lost readiness event would hang until the deadline).
  ScriptedUpstream upstream({{.pieces = {{"HTTP/1.1 200 OK\r\nContent-Le"},
                                         {"ngth: 10\r\n\r\n", std::chrono::milliseconds(80)},
                                         {"01234", std::chrono::milliseconds(80)},
                                         {"56789", std::chrono::milliseconds(80)}}},
                             {.pieces = {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", std::chrono::milliseconds(50)},
                                         {"ok", std::chrono::milliseconds(50)}}}});
  std::string alice = use(upstream, "slow");
  auto responses = exchange(alice, "alice-slow", {http::verb::get, http::verb::get});
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0].result(), http::status::ok);
  EXPECT_EQ(responses[0].body(), "0123456789");
  EXPECT_EQ(responses[1].body(), "ok");
  EXPECT_EQ(upstream.connections(), 1) << "the kept-alive upstream connection is reused";
}

TEST_F(RelayWireTest, BodiesFramedEveryWayReachTheClientAndTheConnectionSurvives) {
  ScriptedUpstream upstream({
      {.pieces = {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n4\r\nchun\r\n"},
                  {"3\r\nked\r\n0\r\nX-Sum: 1\r\n\r\n", std::chrono::milliseconds(30)}}},
      {.pieces = {{"HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\n\r\n"}}},
      {.pieces = {{"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil "},
                  {"the end", std::chrono::milliseconds(30)}},
       .close = true},
  });
  std::string alice = use(upstream, "framed");
  auto responses = exchange(alice, "alice-framed", {http::verb::get, http::verb::get, http::verb::get});
  ASSERT_EQ(responses.size(), 3u);
  EXPECT_EQ(responses[0].body(), "chunked");
  EXPECT_TRUE(responses[0][http::field::trailer].empty());
  EXPECT_EQ(responses[1].result(), http::status::not_modified);
  EXPECT_EQ(responses[1][http::field::etag], "\"v1\"");
  EXPECT_EQ(responses[2].body(), "until the end") << "a body ended by the upstream's close is re-framed";
  EXPECT_TRUE(responses[2].keep_alive()) << "so the client's connection outlives the upstream's";
  EXPECT_EQ(upstream.connections(), 1) << "a 304 leaves the upstream connection in step, so it is reused";
}

TEST_F(RelayWireTest, HopByHopFieldsOfTheResponseStayBehind) {
  ScriptedUpstream upstream({{.pieces = {{"HTTP/1.1 200 OK\r\nX-Private: 1\r\nConnection: keep-alive, X-Private\r\n"
                                          "Keep-Alive: timeout=5\r\nX-Public: 2\r\nContent-Length: 1\r\n\r\nx"}}}});
  std::string alice = use(upstream, "hop");
  auto responses = exchange(alice, "alice-hop", {http::verb::get});
  ASSERT_EQ(responses.size(), 1u);
  EXPECT_TRUE(responses[0]["X-Private"].empty());
  EXPECT_TRUE(responses[0][http::field::keep_alive].empty());
  EXPECT_EQ(responses[0]["X-Public"], "2");
  EXPECT_EQ(responses[0].body(), "x");
}

TEST_F(RelayWireTest, AHeadAnswerKeepsItsLengthAndTheNextRequestWorks) {
  ScriptedUpstream upstream({{.pieces = {{"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"}}},
                             {.pieces = {{"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"}}}});
  std::string alice = use(upstream, "head");
  auto responses = exchange(alice, "alice-head", {http::verb::head, http::verb::get});
  ASSERT_EQ(responses.size(), 2u);
  EXPECT_EQ(responses[0][http::field::content_length], "5000");
  EXPECT_EQ(responses[1].body(), "next");
  EXPECT_EQ(upstream.connections(), 1);
}

TEST_F(RelayWireTest, AnHttp10ClientGetsAnHttp10Answer) {
  ScriptedUpstream upstream({{.pieces = {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"}}}});
  std::string alice = use(upstream, "old");
  TestClient client(port_, ws_host("alice-old"));
  const std::string request = raw_get(alice, "alice-old", "HTTP/1.0");
  asio::write(client.socket(), asio::buffer(request));
  std::string answer;
  for (std::string piece; !(piece = recv_some(client.socket())).empty();) answer += piece;
  // Reaching here means the gateway closed: HTTP/1.0 without a length ends the body that way.
  EXPECT_TRUE(answer.starts_with("HTTP/1.0 200 OK\r\n")) << answer;
  EXPECT_TRUE(answer.ends_with("\r\n\r\nhello")) << answer;
  EXPECT_EQ(answer.find("chunked"), std::string::npos) << answer;
}

TEST_F(RelayWireTest, InterimAnswersPassBeforeTheFinalOneAndTheConnectionStaysInStep) {
  ScriptedUpstream upstream({{.pieces = {{"HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"},
                                         {"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal", std::chrono::milliseconds(30)}}},
                             {.pieces = {{"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext"}}}});
  std::string alice = use(upstream, "hints");
  TestClient client(port_, ws_host("alice-hints"));
  const std::string request = raw_get(alice, "alice-hints", "HTTP/1.1");
  asio::write(client.socket(), asio::buffer(request));
  std::string answer;
  while (answer.find("final") == std::string::npos) {
    std::string piece = recv_some(client.socket());
    ASSERT_FALSE(piece.empty()) << "the gateway closed before the final answer; so far: " << answer;
    answer += piece;
  }
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\n"))
      << answer;
  // The next request on the same connection gets its own answer, not a leftover.
  asio::write(client.socket(), asio::buffer(request));
  http::response<http::string_body> next;
  http::read(client.socket(), client.buffer(), next);
  EXPECT_EQ(next.body(), "next");
  EXPECT_EQ(upstream.connections(), 1);
}

}  // namespace
}  // namespace k4ds

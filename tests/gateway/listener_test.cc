// The listener over real loopback sockets: dispatch by host, limits, deadlines, error bodies,
// and streaming replies woken by the store's change feed.
#include "gateway/listener.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "support/http.h"

namespace k4ds {
namespace {

using namespace std::chrono_literals;
using testing::raw_exchange;
using testing::TestClient;
namespace http = boost::beast::http;

class ListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/k4ds-listener-XXXXXX";
    dir_ = mkdtemp(tmpl);
    auto opened = open_sqlite_store(dir_ + "/k4ds.db");
    ASSERT_TRUE(opened.ok()) << opened.status().to_string();
    store_ = std::move(opened.value());
  }
  void TearDown() override {
    if (listener_) listener_->stop();
    if (thread_.joinable()) thread_.join();
    listener_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start(ApiHandler handler, ListenerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    listener_ = std::make_unique<Listener>(options, std::move(handler), *store_);
    ASSERT_TRUE(listener_->bind().ok());
    port_ = listener_->port();
    thread_ = std::thread([this] { listener_->run(); });
  }

  static HttpResponse text(http::status status, std::string body) {
    HttpResponse res{status, 11};
    res.set(http::field::content_type, "text/plain");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Listener> listener_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(ListenerTest, PortalRequestsReachTheApiOverKeepAlive) {
  std::atomic<int> calls{0};
  std::string seen_address;
  start([&](const HttpRequest& req, const RequestContext& ctx) {
    ++calls;
    seen_address = ctx.client_address;
    return text(http::status::ok, std::string(req.target()));
  });
  TestClient client(port_);
  auto first = client.send(http::verb::get, "/api/v1/whoami");
  auto second = client.send(http::verb::get, "/api/v1/sizes");  // same connection
  EXPECT_EQ(first.result(), http::status::ok);
  EXPECT_EQ(first.body(), "/api/v1/whoami");
  EXPECT_EQ(second.body(), "/api/v1/sizes");
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(seen_address, "127.0.0.1");
}

TEST_F(ListenerTest, HostMatchingIsNormalizedAndUnknownHostsGetJson404) {
  std::atomic<int> calls{0};
  start([&](const HttpRequest&, const RequestContext&) {
    ++calls;
    return text(http::status::ok, "portal");
  });
  EXPECT_EQ(TestClient(port_, "LOCALHOST.").send(http::verb::get, "/").body(), "portal");
  for (const char* host : {"evil.com", "localhost.evil", "evil-localhost", "a.b.localhost"}) {
    auto res = TestClient(port_, host).send(http::verb::get, "/api/v1/whoami");
    EXPECT_EQ(res.result(), http::status::not_found) << host;
    EXPECT_NE(res.body().find("\"code\":\"not_found\""), std::string::npos) << host;
  }
  EXPECT_EQ(calls.load(), 1);
  // Health probes come by address.
  EXPECT_EQ(TestClient(port_, "127.0.0.1").send(http::verb::get, "/healthz").body(), "portal");
}

TEST_F(ListenerTest, OversizedHeadersGet431AndTheServerKeepsServing) {
  start([&](const HttpRequest&, const RequestContext&) { return text(http::status::ok, "fine"); });
  std::string big_cookie(20 * 1024, 'a');
  std::string reply = raw_exchange(
      port_, "GET / HTTP/1.1\r\nHost: localhost\r\nCookie: x=" + big_cookie + "\r\n\r\n");
  EXPECT_NE(reply.find("HTTP/1.1 431"), std::string::npos) << reply.substr(0, 200);
  EXPECT_EQ(TestClient(port_).send(http::verb::get, "/").body(), "fine");
}

TEST_F(ListenerTest, OversizedBodiesGet413) {
  ListenerOptions options;
  options.api_body_limit = 1024;
  start([&](const HttpRequest&, const RequestContext&) { return text(http::status::ok, "fine"); },
        options);
  std::string body(4096, 'x');
  std::string reply = raw_exchange(port_, "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\n"
                                          "Content-Length: 4096\r\n\r\n" + body);
  EXPECT_NE(reply.find("HTTP/1.1 413"), std::string::npos) << reply.substr(0, 200);
}

TEST_F(ListenerTest, MalformedRequestsGet400) {
  start([&](const HttpRequest&, const RequestContext&) { return text(http::status::ok, "fine"); });
  for (std::string bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nHost localhost\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nContent-Length: -5\r\n\r\n")}) {
    std::string reply = raw_exchange(port_, bad);
    EXPECT_NE(reply.find("HTTP/1.1 400"), std::string::npos) << bad << " → " << reply.substr(0, 100);
  }
}

TEST_F(ListenerTest, SlowClientsGet408AndIdleConnectionsAreClosed) {
  ListenerOptions options;
  options.idle_timeout = 1s;
  options.request_timeout = 1s;
  start([&](const HttpRequest&, const RequestContext&) { return text(http::status::ok, "fine"); },
        options);
  auto begun = std::chrono::steady_clock::now();
  std::string reply = raw_exchange(port_, "GET / HTTP/1.1\r\nHost: local", 10s);  // never finishes
  EXPECT_NE(reply.find("HTTP/1.1 408"), std::string::npos) << reply;
  std::string idle = raw_exchange(port_, "", 10s);  // connects and says nothing
  EXPECT_EQ(idle, "");
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 8s) << "the server must close, not the client";
}

TEST_F(ListenerTest, AHandlerFailureIsA500JsonAndNotACrash) {
  start([&](const HttpRequest& req, const RequestContext&) -> Reply {
    if (req.target() == "/boom") throw std::runtime_error("broken invariant");
    return text(http::status::ok, "fine");
  });
  auto res = TestClient(port_).send(http::verb::get, "/boom");
  EXPECT_EQ(res.result(), http::status::internal_server_error);
  EXPECT_NE(res.body().find("\"code\":\"internal\""), std::string::npos);
  EXPECT_EQ(res.body().find("broken invariant"), std::string::npos) << "internals must not leak";
  EXPECT_EQ(TestClient(port_).send(http::verb::get, "/").body(), "fine");
}

TEST_F(ListenerTest, StreamsAreWokenByTheChangeFeed) {
  ListenerOptions options;
  options.stream_keepalive = 30s;  // far longer than the test waits: only a change can wake it
  start([&](const HttpRequest&, const RequestContext&) -> Reply {
    auto last = std::make_shared<int64_t>(-1);
    StreamReply reply;
    reply.head = http::response<http::empty_body>{http::status::ok, 11};
    reply.head.set(http::field::content_type, "text/event-stream");
    reply.next = [this, last](std::chrono::milliseconds) -> std::optional<std::string> {
      int64_t revision = store_->wait_for_change(0, 0ms);
      if (revision == *last) return std::string();
      *last = revision;
      if (revision >= 2) return std::nullopt;  // end after the second change
      return "data: " + std::to_string(revision) + "\n\n";
    };
    return reply;
  });
  TestClient client(port_);
  http::request<http::empty_body> req{http::verb::get, "/watch", 11};
  req.set(http::field::host, "localhost");
  http::write(client.socket(), req);
  http::response_parser<http::string_body> parser;
  parser.body_limit(1 << 20);
  http::read_header(client.socket(), client.buffer(), parser);
  EXPECT_EQ(parser.get()[http::field::content_type], "text/event-stream");

  auto add_user = [&](const char* name) {
    ASSERT_TRUE(store_->write([&](Tx& tx) { return tx.create_user(User{.name = name}).status(); }).ok());
  };
  std::thread writer([&] {
    std::this_thread::sleep_for(200ms);
    add_user("alice");
    std::this_thread::sleep_for(200ms);
    add_user("bob");
  });
  auto begun = std::chrono::steady_clock::now();
  http::read(client.socket(), client.buffer(), parser);  // until the last chunk
  writer.join();
  EXPECT_LT(std::chrono::steady_clock::now() - begun, 10s);
  EXPECT_NE(parser.get().body().find("data: 1\n\n"), std::string::npos) << parser.get().body();
}

TEST_F(ListenerTest, AnAddressInUseIsAClearError) {
  start([&](const HttpRequest&, const RequestContext&) { return text(http::status::ok, "fine"); });
  ListenerOptions options;
  options.listen = "127.0.0.1:" + std::to_string(port_);
  Listener second(options, [](const HttpRequest&, const RequestContext&) { return Reply{}; }, *store_);
  Status s = second.bind();
  EXPECT_EQ(s.code(), Code::unavailable);
  EXPECT_NE(s.message().find("choose another with --listen"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace k4ds

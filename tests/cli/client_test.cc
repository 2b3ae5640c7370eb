#include "cli/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "cli/http_client.h"
#include "cli/sse.h"

namespace k4ds::cli {
namespace {

TEST(ExitCodes, FollowTheDocumentedTableFromHttpStatus) {
  struct Case {
    int http;
    int exit;
  } cases[] = {{400, 9}, {401, 3}, {403, 4}, {404, 5}, {409, 6},
               {429, 8}, {500, 1}, {503, 7}, {502, 7}, {418, 1}};
  for (const Case& c : cases)
    EXPECT_EQ(exit_code_for(code_for_http_status(c.http)), c.exit) << "HTTP " << c.http;
}

TEST(ExitCodes, CoverEveryCode) {
  EXPECT_EQ(exit_code_for(Code::ok), 0);
  EXPECT_EQ(exit_code_for(Code::invalid_argument), 9);
  EXPECT_EQ(exit_code_for(Code::unauthenticated), 3);
  EXPECT_EQ(exit_code_for(Code::permission_denied), 4);
  EXPECT_EQ(exit_code_for(Code::not_found), 5);
  EXPECT_EQ(exit_code_for(Code::already_exists), 6);
  EXPECT_EQ(exit_code_for(Code::aborted), 6);
  EXPECT_EQ(exit_code_for(Code::failed_precondition), 6);
  EXPECT_EQ(exit_code_for(Code::unavailable), 7);
  EXPECT_EQ(exit_code_for(Code::resource_exhausted), 8);
  EXPECT_EQ(exit_code_for(Code::internal), 1);
}

TEST(StatusFromResponse, UsesTheServersMessage) {
  HttpResponse r{.status = 404,
                 .reason = "Not Found",
                 .body = R"({"code":"not_found","message":"workspace alice/x does not exist"})"};
  Status s = status_from_response(r);
  EXPECT_EQ(s.code(), Code::not_found);
  EXPECT_EQ(s.message(), "workspace alice/x does not exist");
}

TEST(StatusFromResponse, NamesTheStatusWhenTheBodyIsNotAnError) {
  HttpResponse r{.status = 502, .reason = "Bad Gateway", .body = "<html>oops</html>"};
  Status s = status_from_response(r);
  EXPECT_EQ(s.code(), Code::unavailable);
  EXPECT_EQ(s.message(),
            "the server answered HTTP 502 Bad Gateway; try again later or ask your admin");
  EXPECT_TRUE(status_from_response(HttpResponse{.status = 204}).ok());
}

TEST(WorkspaceRef, DefaultsTheOwner) {
  Result<WorkspaceRef> own = parse_workspace_ref("analysis", "alice");
  ASSERT_TRUE(own.ok());
  EXPECT_EQ(own->owner, "alice");
  EXPECT_EQ(own->name, "analysis");
  Result<WorkspaceRef> other = parse_workspace_ref("bob/report-2", "alice");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->text(), "bob/report-2");
}

TEST(WorkspaceRef, RefusesMalformedNames) {
  for (const char* bad : {"", "/x", "bob/", "a/b/c", "x y", "alice/../etc", "%2e"}) {
    Result<WorkspaceRef> r = parse_workspace_ref(bad, "alice");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::invalid_argument) << bad;
  }
  // No default owner (not known) and no owner given.
  EXPECT_EQ(parse_workspace_ref("x", "").status().code(), Code::invalid_argument);
}

TEST(WorkspaceRef, BuildsEncodedApiPaths) {
  EXPECT_EQ(ApiClient::workspace_path({"alice", "analysis"}), "/api/v1/workspaces/alice/analysis");
}

TEST(ServerUrlParsing, NormalisesWhatPeopleType) {
  struct Case {
    const char* in;
    const char* text;
    const char* host;
    int port;
    const char* host_header;
    const char* base;
  } cases[] = {
      {"http://localhost:8080", "http://localhost:8080", "localhost", 8080, "localhost:8080", ""},
      {"http://localhost:8080/", "http://localhost:8080", "localhost", 8080, "localhost:8080", ""},
      {"localhost:8080", "http://localhost:8080", "localhost", 8080, "localhost:8080", ""},
      {"https://K4DS.example.com", "https://k4ds.example.com", "K4DS.example.com", 443,
       "k4ds.example.com", ""},
      {"https://k4ds.example.com:443/", "https://k4ds.example.com", "k4ds.example.com", 443,
       "k4ds.example.com", ""},
      {"HTTP://h:80/k4ds/", "http://h/k4ds", "h", 80, "h", "/k4ds"},
      {"http://[::1]:9000", "http://[::1]:9000", "::1", 9000, "[::1]:9000", ""},
      {"http://127.0.0.1:1", "http://127.0.0.1:1", "127.0.0.1", 1, "127.0.0.1:1", ""},
  };
  for (const Case& c : cases) {
    Result<ServerUrl> u = parse_server_url(c.in);
    ASSERT_TRUE(u.ok()) << c.in << ": " << u.status().to_string();
    EXPECT_EQ(u->text(), c.text) << c.in;
    EXPECT_EQ(u->host, c.host) << c.in;
    EXPECT_EQ(u->port, c.port) << c.in;
    EXPECT_EQ(u->host_header, c.host_header) << c.in;
    EXPECT_EQ(u->base_path, c.base) << c.in;
  }
}

TEST(ServerUrlParsing, RefusesWhatItCannotUse) {
  for (const char* bad : {"ftp://h", "http://", "http://u:p@h:8080", "http://h/?x=1",
                          "http://h/#f", "http://h:99999", "http://h:0", "not a url"}) {
    Result<ServerUrl> u = parse_server_url(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.status().code(), Code::invalid_argument) << bad;
  }
}

TEST(PathSegments, ArePercentEncoded) {
  EXPECT_EQ(encode_path_segment("tok_AbC-1.2~"), "tok_AbC-1.2~");
  EXPECT_EQ(encode_path_segment("a/b c"), "a%2Fb%20c");
  EXPECT_EQ(encode_path_segment(".."), "..");
}

TEST(Cookies, FindsTheSessionCookie) {
  HttpResponse r;
  r.set_cookies = {"other=1; Path=/", "k4ds_session=abc=def; HttpOnly; Path=/; SameSite=Lax"};
  EXPECT_EQ(r.cookie("k4ds_session"), "abc=def");
  EXPECT_EQ(r.cookie("missing"), "");
}

TEST(HttpClient, UnreachableServerIsUnavailableWithAHint) {
  // Port 1 on loopback: nothing listens there in a test environment.
  HttpClient http(*parse_server_url("http://127.0.0.1:1"), std::chrono::seconds(5));
  Result<HttpResponse> r = http.send({.method = "GET", .target = "/healthz"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::unavailable);
  EXPECT_EQ(r.status().message(),
            "cannot reach the k4ds server at http://127.0.0.1:1 (connection refused); is it "
            "running? start it with k4ds up");
  EXPECT_EQ(exit_code_for(r.status().code()), 7);
}

// A one-connection HTTP server on loopback; `serve` gets the accepted socket after the request.
class OneShotServer {
 public:
  explicit OneShotServer(std::function<void(int)> serve) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(listen_fd_, 1), 0);
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, serve] {
      int c = ::accept(listen_fd_, nullptr, nullptr);
      std::string request;
      char buf[1024];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<std::size_t>(n));
      }
      serve(c);
      ::close(c);
    });
  }
  ~OneShotServer() {
    thread_.join();
    ::close(listen_fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

void send_text(int fd, std::string_view text) {
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

TEST(HttpClient, StreamDeliversBytesAsTheyArriveNotAtTheEnd) {
  std::atomic<bool> got_first{false};
  bool first_seen_before_end = false;
  std::string data;
  Result<HttpResponse> r = internal_error("not run");
  {
    OneShotServer server([&](int c) {
      send_text(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n6\r\nhello\n\r\n");
      // The stream stays open (as a watch does) until the client has seen the first bytes.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!got_first && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      first_seen_before_end = got_first;
      send_text(c, "6\r\nworld\n\r\n0\r\n\r\n");
    });
    HttpClient http(*parse_server_url(server.url()), std::chrono::seconds(10));
    r = http.stream({.method = "GET", .target = "/watch"}, [&](std::string_view bytes) {
      data.append(bytes);
      got_first = true;
      return true;
    });
  }
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(first_seen_before_end);
  EXPECT_EQ(data, "hello\nworld\n");
}

TEST(HttpClient, StreamReturnsTheErrorBodyInsteadOfStreamingIt) {
  bool called = false;
  Result<HttpResponse> r = internal_error("not run");
  {
    OneShotServer server([](int c) {
      send_text(c, "HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\n"
                   "Content-Length: 45\r\n\r\n"
                   "{\"code\":\"failed_precondition\",\"message\":\"no\"}");
    });
    HttpClient http(*parse_server_url(server.url()), std::chrono::seconds(10));
    r = http.stream({.method = "GET", .target = "/logs"}, [&](std::string_view) {
      called = true;
      return true;
    });
  }
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_FALSE(called);
  Status s = status_from_response(*r);
  EXPECT_EQ(s.code(), Code::failed_precondition);
  EXPECT_EQ(s.message(), "no");
}

TEST(Sse, ParsesEventsSplitAcrossChunks) {
  SseParser p;
  EXPECT_TRUE(p.feed(": keep-alive\n\nevent: workspace\nda").empty());
  auto events = p.feed("ta: {\"phase\":\"pending\"}\n\nevent: event\r\nid: 7\r\ndata: a\r\n"
                       "data: b\r\n\r\nevent: deleted\n\n");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].event, "workspace");
  EXPECT_EQ(events[0].data, "{\"phase\":\"pending\"}");
  EXPECT_EQ(events[1].event, "event");
  EXPECT_EQ(events[1].id, "7");
  EXPECT_EQ(events[1].data, "a\nb");
  EXPECT_EQ(events[2].event, "deleted");
  EXPECT_TRUE(p.feed("data: unfinished\n").empty());
}

}  // namespace
}  // namespace k4ds::cli

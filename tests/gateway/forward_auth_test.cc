// Forward-auth with a real nginx (Debian's package, own config in a temp dir) using
// auth_request in front of a test upstream, and the Traefik flavour over HTTP.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "gateway/gateway_fixture.h"

namespace k4ds {
namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";

uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class ForwardAuthTest : public GatewayTest {
 protected:
  void SetUp() override {
    GatewayTest::SetUp();
    ASSERT_EQ(::access(kNginx, X_OK), 0) << "nginx is missing: run scripts/install-deps.sh test";
    nginx_dir_ = dir_ + "/nginx";
    std::filesystem::create_directories(nginx_dir_ + "/tmp");
    nginx_port_ = free_port();
    std::string k4ds = "127.0.0.1:" + std::to_string(port_);
    std::ofstream(nginx_dir_ + "/nginx.conf") << R"(
worker_processes 1;
daemon off;
pid )" << nginx_dir_ << R"(/nginx.pid;
error_log )" << nginx_dir_ << R"(/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path )" << nginx_dir_ << R"(/tmp;
  proxy_temp_path )" << nginx_dir_ << R"(/tmp;
  fastcgi_temp_path )" << nginx_dir_ << R"(/tmp;
  uwsgi_temp_path )" << nginx_dir_ << R"(/tmp;
  scgi_temp_path )" << nginx_dir_ << R"(/tmp;
  server {
    listen 127.0.0.1:)" << nginx_port_ << R"(;
    location /_k4ds/ { proxy_pass http://)" << k4ds << R"(; proxy_set_header Host $http_host; }
    location / {
      auth_request /_k4ds_auth;
      auth_request_set $k4ds_user $upstream_http_remote_user;
      auth_request_set $k4ds_signin $upstream_http_x_k4ds_signin;
      proxy_set_header Remote-User $k4ds_user;
      error_page 401 = @signin;
      proxy_pass http://)" << upstream_->upstream() << R"(;
    }
    location = /_k4ds_auth {
      internal;
      proxy_pass http://)" << k4ds << R"(/_k4ds/auth/nginx;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      # As ingress-nginx's auth-url does in a cluster: the check is addressed to k4ds's Service.
      proxy_set_header Host k4ds.k4ds.svc.cluster.local;
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location @signin { return 302 $k4ds_signin; }
  }
}
)";
    nginx_pid_ = ::fork();
    if (nginx_pid_ == 0) {
      std::string conf = nginx_dir_ + "/nginx.conf";
      std::string err = nginx_dir_ + "/startup.log";
      ::execl(kNginx, kNginx, "-p", nginx_dir_.c_str(), "-e", err.c_str(), "-c", conf.c_str(), nullptr);
      _exit(127);
    }
    // Ready when it accepts connections.
    for (int i = 0; i < 100; ++i) {
      try {
        TestClient probe(nginx_port_);
        return;
      } catch (...) {
        std::this_thread::sleep_for(50ms);
      }
    }
    FAIL() << "nginx did not start; see " << nginx_dir_ << "/startup.log";
  }

  void TearDown() override {
    if (nginx_pid_ > 0) {
      ::kill(nginx_pid_, SIGTERM);
      int status = 0;
      ::waitpid(nginx_pid_, &status, 0);
    }
    GatewayTest::TearDown();
  }

  TestResponse via_nginx(const std::string& label, const std::string& target,
                         std::initializer_list<std::pair<std::string, std::string>> headers = {}) {
    TestClient client(nginx_port_, ws_host(label));
    std::vector<std::pair<std::string, std::string>> extra(headers);
    http::request<http::string_body> req{http::verb::get, target, 11};
    req.set(http::field::host, ws_host(label) + ":" + std::to_string(nginx_port_));
    for (const auto& [k, v] : extra) req.insert(k, v);
    http::write(client.socket(), req);
    TestResponse res;
    http::read(client.socket(), client.buffer(), res);
    return res;
  }

  std::string nginx_dir_;
  uint16_t nginx_port_ = 0;
  pid_t nginx_pid_ = -1;
};

TEST_F(ForwardAuthTest, NginxSendsStrangersToSignInWithoutReachingTheWorkspace) {
  auto res = via_nginx("alice-nb", "/tree?x=1");
  ASSERT_EQ(res.result(), http::status::found) << res.body();
  std::string original = "http://alice-nb.localhost:" + std::to_string(nginx_port_) + "/tree?x=1";
  EXPECT_EQ(res[http::field::location],
            "http://localhost:" + std::to_string(port_) + "/login?rd=" + url_encode(original));
  EXPECT_EQ(upstream_->connections(), 0);
}

TEST_F(ForwardAuthTest, NginxRelaysAllowedUsersWithTheirIdentityAndRefusesOthers) {
  auto alice = auth_->create_token("alice", "script", std::nullopt);
  auto bob = auth_->create_token("bob", "script", std::nullopt);
  ASSERT_TRUE(alice.ok() && bob.ok());
  auto ok = via_nginx("alice-nb", "/api/contents",
                      {{"Authorization", "Bearer " + alice->secret}, {"Remote-User", "admin"}});
  ASSERT_EQ(ok.result(), http::status::ok) << ok.body();
  auto headers = boost::json::parse(ok.body()).as_object()["headers"].as_object();
  EXPECT_EQ(headers["Remote-User"].as_string(), "alice") << "the client's Remote-User must not survive";

  auto denied = via_nginx("alice-nb", "/api/contents", {{"Authorization", "Bearer " + bob->secret}});
  EXPECT_EQ(denied.result(), http::status::forbidden);
}

TEST_F(ForwardAuthTest, AWorkspaceCookieWorksBehindNginxAndTheCallbackPassesThrough) {
  std::string cookie = sign_in("alice", "alice-password", "alice-nb");
  auto res = via_nginx("alice-nb", "/", {{"Cookie", std::string(kWorkspaceCookie) + "=" + cookie}});
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  // The login callback is routed to k4ds without the auth check; a bogus code is refused there.
  auto callback = via_nginx("alice-nb", "/_k4ds/callback?code=bogus&rd=/");
  EXPECT_EQ(callback.result(), http::status::unauthorized);
}

TEST_F(ForwardAuthTest, NginxFlavourNeverRedirectsAndTraefikFlavourDoes) {
  TestClient portal(port_);
  std::string original = "http://alice-nb.localhost:8443/lab";
  auto nginx = portal.send(http::verb::get, "/_k4ds/auth/nginx", {}, {{"X-Original-URL", original}});
  EXPECT_EQ(nginx.result(), http::status::unauthorized);
  EXPECT_FALSE(nginx["X-K4DS-Signin"].empty());

  auto traefik = portal.send(http::verb::get, "/_k4ds/auth/traefik", {},
                             {{"X-Forwarded-Proto", "http"},
                              {"X-Forwarded-Host", "alice-nb.localhost:8443"},
                              {"X-Forwarded-Uri", "/lab"},
                              {"X-Forwarded-Method", "GET"}});
  EXPECT_EQ(traefik.result(), http::status::found);
  EXPECT_EQ(traefik[http::field::location],
            "http://localhost:" + std::to_string(port_) + "/login?rd=" + url_encode(original));

  auto bob = auth_->create_token("bob", "script", std::nullopt);
  auto denied = portal.send(http::verb::get, "/_k4ds/auth/traefik", {},
                            {{"X-Forwarded-Proto", "http"},
                             {"X-Forwarded-Host", "alice-nb.localhost"},
                             {"X-Forwarded-Uri", "/"},
                             {"Authorization", "Bearer " + bob->secret}});
  EXPECT_EQ(denied.result(), http::status::forbidden);
  auto garbage = portal.send(http::verb::get, "/_k4ds/auth/nginx", {}, {{"X-Original-URL", "not a url"}});
  EXPECT_EQ(garbage.result(), http::status::bad_request);
}

}  // namespace
}  // namespace k4ds

// End to end on "Kubernetes": the real `k4ds up` with `runtime: {kind: kubernetes, upstream:
// pod_ip}` against the test API server (through a kubeconfig), the test playing the kubelet. A user
// launches through the API, the test sets the Pod Running + Ready at 127.0.0.1 where a small HTTP
// server listens, and a request through the gateway with the user's cookie reaches it. Stop
// deletes the Pod, Service and NetworkPolicy but keeps the volume. API calls are counted with the
// fake server's own counter: per launch, and over controller cycles in steady state (none).
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "fake_apiserver.h"
#include "kubernetes_test_support.h"
#include "server/jupyter_client.h"

namespace k4ds::kubernetes {
namespace {

using namespace k4ds::e2e;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// A tiny HTTP server on 127.0.0.1 standing in for the workspace's container.
class LoopbackWorkspace {
 public:
  LoopbackWorkspace() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      while (!stopping_) {
        tcp::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) continue;
        boost::beast::flat_buffer buffer;
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) continue;
        ++requests_;
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "text/plain");
        res.body() = "hello from the workspace at " + std::string(req.target());
        res.keep_alive(false);
        res.prepare_payload();
        http::write(socket, res, ec);
      }
    });
  }
  ~LoopbackWorkspace() {
    stopping_ = true;
    boost::system::error_code ec;
    tcp::socket wake(io_);
    wake.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);  // ends accept()
    thread_.join();
  }
  uint16_t port() const { return port_; }
  int requests() const { return requests_; }

 private:
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_ = false;
  std::atomic<int> requests_ = 0;
  std::thread thread_;
};

class KubernetesEndToEnd : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    if (HasFatalFailure()) return;
    api_ = std::make_shared<KubeClient>(connection(), fast());
    std::ofstream(dir_ / "kubeconfig") << "apiVersion: v1\nkind: Config\n"
                                          "clusters: [{name: fake, cluster: {server: 'https://localhost:" << port_
                                       << "', certificate-authority: ca.crt}}]\n"
                                          "users: [{name: k4ds, user: {token: secret-token}}]\n"
                                          "contexts: [{name: fake, context: {cluster: fake, user: k4ds}}]\n"
                                          "current-context: fake\n";
    std::ofstream(dir_ / "k4ds.yaml") << "environments:\n"
                                         "  - {name: web, image: 'registry.example.org/web:1', port: "
                                      << workspace_.port() << ", health_path: /}\n"
                                      << "  - {name: notebook, command: [/usr/bin/true], port: 0}\n"
                                      << "users:\n  - {name: alice, password: '" << kAlicePassword << "'}\n"
                                      << "runtime:\n  kind: kubernetes\n  kubeconfig: " << (dir_ / "kubeconfig").string()
                                      << "\n  upstream: pod_ip\n";
    server_ = std::make_unique<Server>(dir_, "server.log",
                                       std::vector<std::string>{"-c", (dir_ / "k4ds.yaml").string()});
    port_k4ds_ = server_->port();
    ASSERT_NE(port_k4ds_, 0) << "k4ds up did not start; it printed:\n" << server_->startup_output() << slurp(dir_ / "server.log");
    auto login = request(port_k4ds_, "localhost", http::verb::post, "/api/v1/login", {},
                         std::string(R"({"username":"alice","password":")") + kAlicePassword + "\"}");
    ASSERT_EQ(login.result(), http::status::ok) << login.body();
    cookie_ = std::string(kPortalCookie) + "=" + set_cookie_value(login, kPortalCookie);
  }
  void TearDown() override {
    if (server_) server_->stop();
    if (HasFailure() && !dir_.empty()) std::cerr << "k4ds log:\n" << slurp(dir_ / "server.log");
    server_.reset();
    FakeApiServer::TearDown();
  }

  TestResponse api(http::verb verb, const std::string& target, const std::string& body = {}) {
    return request(port_k4ds_, "localhost", verb, target, {{"Cookie", cookie_}}, body);
  }
  int64_t cluster_requests() {
    ++hook_calls_;
    auto r = api_->get("/_test/requests");  // a hook: not counted itself
    return r ? r->at("requests").as_int64() : -1;
  }
  // The API server's count minus the test's own calls (its polling of the Pods): k4ds's calls.
  struct Calls {
    int64_t server, test;
  };
  Calls calls_now() {
    int64_t server = cluster_requests();
    return {server, api_->requests_sent() - hook_calls_};
  }
  int64_t k4ds_calls_since(const Calls& before) {
    Calls now = calls_now();
    return (now.server - before.server) - (now.test - before.test);
  }
  std::vector<std::string> names(const std::string& collection) { return testing::object_names(*api_, collection); }
  // The workspace as the API shows it once `done` holds (or after `timeout`).
  json::value workspace_when(const std::function<bool(const json::value&)>& done, std::chrono::seconds timeout = 30s,
                             const std::string& name = "site") {
    json::value w;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto res = api(http::verb::get, "/api/v1/workspaces/alice/" + name);
      if (res.result() == http::status::ok) {
        w = parse(res.body());
        if (done(w)) break;
      }
      std::this_thread::sleep_for(100ms);
    }
    return w;
  }
  // Waits for the Pod the controller creates; returns its API path.
  std::string wait_for_pod() {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto pods = names("/api/v1/namespaces/k4ds-alice/pods");
      if (!pods.empty()) return "/api/v1/namespaces/k4ds-alice/pods/" + pods.front();
      std::this_thread::sleep_for(50ms);
    }
    ADD_FAILURE() << "no Pod was created within 30 s";
    return "";
  }
  void kubelet_sets(const std::string& pod, const std::string& status) {
    ++hook_calls_;
    auto r = api_->create("/_test/status?path=" + pod, json::parse(status).as_object());
    ASSERT_TRUE(r) << r.status().to_string();
  }

  LoopbackWorkspace workspace_;
  std::shared_ptr<KubeClient> api_;  // the test's view of the cluster
  int64_t hook_calls_ = 0;           // of api_'s calls, those to /_test/ hooks (not counted by the server)
  std::unique_ptr<Server> server_;
  uint16_t port_k4ds_ = 0;
  std::string cookie_;
};

TEST_F(KubernetesEndToEnd, LaunchRelayAndStop) {
  ASSERT_EQ(api(http::verb::get, "/api/v1/environments").result(), http::status::ok);
  const Calls before_launch = calls_now();
  auto launched = api(http::verb::post, "/api/v1/workspaces", R"({"environment":"web","name":"site"})");
  ASSERT_EQ(launched.result(), http::status::created) << launched.body();
  const std::string pod = wait_for_pod();
  ASSERT_FALSE(pod.empty());
  json::value starting = workspace_when([](const json::value& w) { return str(w, "phase") == "starting"; });
  EXPECT_EQ(str(starting, "phase"), "starting") << starting;

  kubelet_sets(pod, R"({"phase":"Running","podIP":"127.0.0.1","conditions":[{"type":"Ready","status":"True"}],
      "containerStatuses":[{"name":"workspace","ready":true,"state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}]})");
  json::value running = workspace_when([](const json::value& w) { return str(w, "phase") == "running"; });
  ASSERT_EQ(str(running, "phase"), "running") << running;
  const int64_t launch_calls = k4ds_calls_since(before_launch);
  std::cout << "API calls by k4ds from launch to running (k4ds up, first launch, per-user namespace, Pod Pending "
               "until the test made it Running): " << launch_calls << "\n";
  // GET Pod; create Namespace, PVC, Pod, Service, NetworkPolicy; nothing per observation while
  // the Pod is Pending (Events come from the watch). One more GET if a reconcile pass ran before
  // the watch delivered the new Pod (apply then finds it and creates nothing).
  EXPECT_GE(launch_calls, 6);
  EXPECT_LE(launch_calls, 7);

  // Through the gateway, with alice's cookie for her workspace host (the code exchange).
  const std::string host = "alice-site.localhost";
  std::string ws_cookie = sign_in(port_k4ds_, "alice", kAlicePassword, host);
  ASSERT_FALSE(ws_cookie.empty());
  auto relayed = request(port_k4ds_, host, http::verb::get, "/hello?x=1",
                         {{"Cookie", std::string(kWorkspaceCookie) + "=" + ws_cookie}});
  EXPECT_EQ(relayed.result(), http::status::ok) << relayed.base() << relayed.body();
  EXPECT_EQ(relayed.body(), "hello from the workspace at /hello?x=1");
  EXPECT_GE(workspace_.requests(), 1);
  auto anonymous = request(port_k4ds_, host, http::verb::get, "/hello");
  EXPECT_NE(anonymous.result(), http::status::ok) << "no cookie, no workspace";

  // Steady state: the controller observes every 2 s; over ~3 cycles it must not call the API
  // (the watch stays open; the fake server counts a watch when it opens).
  const int64_t steady_before = cluster_requests();
  std::this_thread::sleep_for(6500ms);
  const int64_t steady_calls = cluster_requests() - steady_before;
  std::cout << "API calls in 6.5 s of steady state (about 3 controller cycles): " << steady_calls << "\n";
  EXPECT_EQ(steady_calls, 0);

  auto stopped = api(http::verb::post, "/api/v1/workspaces/alice/site/stop", "{}");
  ASSERT_EQ(stopped.result(), http::status::ok) << stopped.body();
  json::value after = workspace_when([](const json::value& w) { return str(w, "phase") == "stopped"; });
  EXPECT_EQ(str(after, "phase"), "stopped") << after;
  EXPECT_TRUE(names("/api/v1/namespaces/k4ds-alice/pods").empty());
  EXPECT_TRUE(names("/api/v1/namespaces/k4ds-alice/services").empty());
  EXPECT_TRUE(names("/apis/networking.k8s.io/v1/namespaces/k4ds-alice/networkpolicies").empty());
  EXPECT_EQ(names("/api/v1/namespaces/k4ds-alice/persistentvolumeclaims").size(), 1u) << "volumes outlive workspaces";
}

TEST_F(KubernetesEndToEnd, ImageNotFoundIsExplained) {
  auto launched = api(http::verb::post, "/api/v1/workspaces", R"({"environment":"web","name":"site"})");
  ASSERT_EQ(launched.result(), http::status::created) << launched.body();
  const std::string pod = wait_for_pod();
  ASSERT_FALSE(pod.empty());
  kubelet_sets(pod, R"({"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True"}],"containerStatuses":[{"name":"workspace","ready":false,"state":{"waiting":{
      "reason":"ErrImagePull","message":"rpc error: code = NotFound desc = failed to pull and unpack image )"
                    R"(\"registry.example.org/web:1\": registry.example.org/web:1: not found"}}}]})");
  json::value failed = workspace_when([](const json::value& w) { return str(w, "phase") == "failed"; });
  EXPECT_EQ(str(failed, "phase"), "failed") << failed;
  EXPECT_NE(str(failed, "reason").find("environment image not found — ask your admin"), std::string::npos) << failed;
  // A failed workspace holds nothing on the cluster but its volume.
  for (int i = 0; i < 100 && !names("/api/v1/namespaces/k4ds-alice/pods").empty(); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(names("/api/v1/namespaces/k4ds-alice/pods").empty());
}

TEST_F(KubernetesEndToEnd, EnvironmentsAClusterCannotRunAreUnavailable) {
  auto envs = api(http::verb::get, "/api/v1/environments");
  ASSERT_EQ(envs.result(), http::status::ok) << envs.body();
  std::map<std::string, json::object> by_name;
  for (const auto& e : items(parse(envs.body()))) by_name[str(e, "name")] = e.as_object();
  ASSERT_TRUE(by_name.contains("web") && by_name.contains("notebook")) << envs.body();
  EXPECT_TRUE(by_name["web"].at("available").as_bool()) << "an image and a TCP port: " << envs.body();
  EXPECT_FALSE(by_name["notebook"].at("available").as_bool()) << envs.body();
  EXPECT_NE(std::string(by_name["notebook"].at("unavailable_reason").as_string()).find("no container image"),
            std::string::npos) << envs.body();
  auto launched = api(http::verb::post, "/api/v1/workspaces", R"({"environment":"notebook","name":"nb"})");
  if (launched.result() == http::status::created) {  // accepted, then refused by the controller with the reason
    json::value nb = workspace_when([](const json::value& w) { return str(w, "phase") == "failed"; }, 30s, "nb");
    EXPECT_EQ(str(nb, "phase"), "failed") << nb;
    EXPECT_NE(str(nb, "reason").find("no container image"), std::string::npos) << nb;
  } else {
    EXPECT_NE(launched.body().find("no container image"), std::string::npos) << launched.body();
  }
  EXPECT_TRUE(names("/api/v1/namespaces/k4ds-alice/pods").empty()) << "nothing is created for it";
}

}  // namespace
}  // namespace k4ds::kubernetes

namespace k4ds::kubernetes {
namespace {

// `k4ds config check` on a Kubernetes runtime: the kubeconfig's context, and environments a
// cluster cannot run, each with what to set. Nothing is sent to a cluster.
TEST(KubernetesConfigCheck, ReportsContextAndEnvironments) {
  std::string tmpl = (fs::temp_directory_path() / "k4ds-config-check-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  fs::path dir = tmpl;
  testing::write_offline_kubeconfig(dir / "kubeconfig");
  std::ofstream(dir / "k4ds.yaml") << "environments:\n"
                                      "  - {name: web, image: 'nginx:1.25', port: 8080}\n"
                                      "  - {name: notebook, command: [/usr/bin/true], port: 0}\n"
                                      "runtime: {kind: kubernetes, kubeconfig: " << (dir / "kubeconfig").string()
                                   << ", context: prod}\n";
  Outcome r = run_k4ds({"config", "check", (dir / "k4ds.yaml").string()}, {{"HOME", dir.string()}});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("runtime.kubeconfig: "), std::string::npos) << r;
  EXPECT_NE(r.err.find("prod"), std::string::npos) << "names the missing context: " << r;
  EXPECT_NE(r.err.find("environments[1].image: environment \"notebook\" has no image"), std::string::npos) << r;
  EXPECT_NE(r.err.find("environments[1].port: environment \"notebook\" has port 0"), std::string::npos) << r;
  EXPECT_EQ(r.err.find("environments[0]"), std::string::npos) << "web can run on a cluster: " << r;

  std::ofstream(dir / "k4ds.yaml") << "environments:\n  - {name: web, image: 'nginx:1.25', port: 8080}\n"
                                      "runtime: {kind: kubernetes, kubeconfig: " << (dir / "kubeconfig").string()
                                   << ", context: dev}\n";
  r = run_k4ds({"config", "check", (dir / "k4ds.yaml").string()}, {{"HOME", dir.string()}});
  EXPECT_EQ(r.exit_code, 0) << r;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace k4ds::kubernetes

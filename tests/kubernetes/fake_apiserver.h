// FakeApiServer: a gtest fixture running the test API server (the fake_apiserver program of
// tests/kubernetes/fake_apiserver/, built with kubernetes_test and found at K4DS_FAKE_APISERVER)
// over HTTPS on loopback, with a CA and server certificate made by openssl for each test.
// A derived fixture may set validate_objects_ / keep_state_ before calling SetUp();
// restart_server() then plays an API server restart (same port, same objects).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "kubernetes/client.h"

namespace k4ds::kubernetes {
namespace fs = std::filesystem;

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class FakeApiServer : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "k4ds-apiserver-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::string d = dir_.string();
    std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::ofstream(dir_ / "ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    for (const std::string& cmd :
         {"openssl req -x509" + ec + " -keyout " + d + "/ca.key -out " + d + "/ca.crt -subj /CN=k4ds-test-ca -days 1",
          "openssl req" + ec + " -keyout " + d + "/srv.key -out " + d + "/srv.csr -subj /CN=localhost",
          "openssl x509 -req -in " + d + "/srv.csr -CA " + d + "/ca.crt -CAkey " + d + "/ca.key -CAcreateserial -out " +
              d + "/srv.crt -days 1 -extfile " + d + "/ext",
          "openssl req -x509" + ec + " -keyout " + d + "/other.key -out " + d + "/other.crt -subj /CN=other -days 1"}) {
      ASSERT_EQ(std::system((cmd + " >/dev/null 2>&1").c_str()), 0) << cmd;
    }
    start_server("0");
  }
  void TearDown() override {
    kill_server();
    fs::remove_all(dir_);
  }
  // Starts fake_apiserver on `port` ("0": any free one) and waits until it listens.
  void start_server(const std::string& port) {
    std::string d = dir_.string();
    fs::remove(dir_ / "port");
    std::vector<std::string> args = {K4DS_FAKE_APISERVER, "--port=" + port};
    if (keep_state_) args.push_back("--state=" + d + "/state.json");
    for (std::string a : {d + "/srv.crt", d + "/srv.key", d + "/port", std::string("secret-token")}) args.push_back(a);
    if (validate_objects_) {
      args.push_back(K4DS_NODE);
      args.push_back(K4DS_SCHEMA_VALIDATOR);
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::execv(K4DS_FAKE_APISERVER, argv.data());
      _exit(127);
    }
    for (int i = 0; i < 100 && !fs::exists(dir_ / "port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(fs::exists(dir_ / "port")) << "the fake API server did not start";
    port_ = slurp(dir_ / "port");
  }
  // Ends the server process at once (kill -9): open connections drop, new ones are refused.
  void kill_server() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }
  // The API server restarted: down for `down`, then the same objects on the same port (needs
  // keep_state_). Resource versions continue; watches from before get 410 Gone.
  void restart_server(std::chrono::milliseconds down) {
    ASSERT_TRUE(keep_state_) << "set keep_state_ before SetUp()";
    const std::string port = port_;
    kill_server();
    std::this_thread::sleep_for(down);
    start_server(port);
    ASSERT_EQ(port_, port);
  }
  ClusterConnection connection(std::string token = "secret-token") {
    return ClusterConnection{.context = "test", .server = "https://localhost:" + port_,
                             .ca_pem = slurp(dir_ / "ca.crt"), .token = token};
  }
  // Quick retries. The deadline stays generous: every create runs the schema validator (node)
  // in the fake server (its first check waits for node to start, seconds on a loaded
  // machine), and a retry after a timeout would change the call counts the tests assert.
  ClientOptions fast() { return ClientOptions{.timeout = std::chrono::milliseconds(15000), .attempts = 4,
                                              .first_backoff = std::chrono::milliseconds(10)}; }
  // How many API requests the server answered (its test hooks are not counted).
  static int64_t requests_answered(KubeClient& client) {
    auto r = client.get("/_test/requests");
    EXPECT_TRUE(r) << r.status().to_string();
    return r ? r->at("requests").as_int64() : -1;
  }
  // Polls pred every 20 ms until it holds or the timeout passes; returns its last answer.
  template <class Pred>
  static bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }
  bool validate_objects_ = true;  // every created object checked against the official schemas (node, in the server)
  bool keep_state_ = false;       // objects kept in dir_/state.json (restart_server)
  fs::path dir_;
  pid_t pid_ = -1;
  std::string port_;
};

}  // namespace k4ds::kubernetes

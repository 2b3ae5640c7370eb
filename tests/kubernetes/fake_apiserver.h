// FakeApiServer: a gtest fixture running tests/kubernetes/fake_apiserver.py (Debian's python3)
// over HTTPS on loopback, with a CA and server certificate made by openssl for each test.
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
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::string script = std::string(K4DS_SOURCE_DIR) + "/tests/kubernetes/fake_apiserver.py";
      ::execl("/usr/bin/python3", "python3", script.c_str(), (d + "/srv.crt").c_str(), (d + "/srv.key").c_str(),
              (d + "/port").c_str(), "secret-token", K4DS_NODE, K4DS_SCHEMA_VALIDATOR, nullptr);
      _exit(127);
    }
    for (int i = 0; i < 100 && !fs::exists(dir_ / "port"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(fs::exists(dir_ / "port")) << "the fake API server did not start";
    port_ = slurp(dir_ / "port");
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    fs::remove_all(dir_);
  }
  ClusterConnection connection(std::string token = "secret-token") {
    return ClusterConnection{.context = "test", .server = "https://localhost:" + port_,
                             .ca_pem = slurp(dir_ / "ca.crt"), .token = token};
  }
  // Quick retries. The deadline stays generous: every create runs the schema validator (node)
  // in the fake server, seconds on a loaded machine, and a retry after a timeout would change
  // the call counts the tests assert.
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
  fs::path dir_;
  pid_t pid_ = -1;
  std::string port_;
};

}  // namespace k4ds::kubernetes

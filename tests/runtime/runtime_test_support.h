// Shared fixture for the local runtime tests: a temp data dir, a runtime over it, and a tiny
// HTTP server on a Unix socket standing in for a workspace.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "runtime/local/local_runtime.h"

namespace k4ds::testing {

// Serves GET on the socket given as argv[1] (200 "ok"). No braces: they are template syntax.
inline const char* kFakeServer = R"PY(
import socketserver, http.server, sys, os
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'ok'
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def address_string(self):
        return 'local'
print('fake workspace listening', flush=True)
server = socketserver.UnixStreamServer(sys.argv[1], H)
os.chmod(sys.argv[1], 0o600)
server.serve_forever()
)PY";

inline Environment python_environment(std::vector<std::string> args, std::string name = "fake") {
  std::vector<std::string> command = {"/usr/bin/python3", "-u"};
  command.insert(command.end(), args.begin(), args.end());
  return Environment{.name = std::move(name), .command = command, .port = 0, .health_path = "/health"};
}

inline Environment fake_server_environment(std::string prelude = "") {
  return python_environment({"-c", prelude + kFakeServer, "{socket}"});
}

class LocalRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/k4ds-rt-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    data_dir_ = tmpl;
    runtime_ = make_runtime();
  }
  void TearDown() override {
    for (const auto& id : ids_) (void)runtime_->remove(id);
    runtime_.reset();
    std::filesystem::remove_all(data_dir_);
  }

  virtual LocalRuntimeOptions options() {
    return LocalRuntimeOptions{.data_dir = data_dir_, .stop_grace = std::chrono::seconds(3),
                               .user_accounts = false};
  }
  std::unique_ptr<LocalRuntime> make_runtime() { return std::make_unique<LocalRuntime>(options()); }

  LaunchSpec spec(std::string id, Environment env, int64_t memory = int64_t{256} << 20) {
    ids_.push_back(id);
    return LaunchSpec{.workspace_id = id, .owner = "rttest", .name = "ws-" + id,
                      .volume_id = "vol-" + id, .environment = std::move(env),
                      .size = Size{.name = "tiny", .cpu_millis = 500, .memory_bytes = memory}};
  }

  // Polls observe() until pred holds for the workspace or the timeout passes.
  ObservedWorkspace wait_for(const std::string& id, const std::function<bool(const ObservedWorkspace&)>& pred,
                             std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    ObservedWorkspace last{.workspace_id = id};
    while (std::chrono::steady_clock::now() < deadline) {
      auto all = runtime_->observe();
      if (all) {
        for (const auto& o : *all)
          if (o.workspace_id == id) last = o;
        if (pred(last)) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ADD_FAILURE() << "workspace " << id << " did not reach the expected state; last: "
                  << run_state_name(last.state) << " (" << last.progress << ")";
    return last;
  }
  static bool is(const ObservedWorkspace& o, RunState s) { return o.state == s; }

  std::string data_dir_;
  std::unique_ptr<LocalRuntime> runtime_;
  std::vector<std::string> ids_;
};

}  // namespace k4ds::testing

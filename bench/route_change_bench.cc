// How long a workspace change takes to become a live route in the gateway, with many
// workspaces in the store (issue 3: "a change is live in <= 10 ms"). A store with N workspaces
// (SQLite, as `k4ds up` uses), a real Gateway following its change feed, then M single-
// workspace changes (a phase and upstream flip, the common case: a workspace becoming ready),
// each timed from the write's commit to the moment the gateway's route table shows it.
// For comparison it also times one full rebuild of the table (what every change cost before
// the table was patched incrementally).
//
// Usage: route_change_bench [workspaces=100000] [changes=200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "auth/authenticator.h"
#include "gateway/gateway.h"
#include "gateway/route_table.h"
#include "store/sqlite/sqlite_store.h"

using namespace k4ds;
using Steady = std::chrono::steady_clock;

static double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int main(int argc, char** argv) {
  const int workspaces = argc > 1 ? std::atoi(argv[1]) : 100000;
  const int changes = argc > 2 ? std::atoi(argv[2]) : 200;
  char tmpl[] = "/tmp/k4ds-route-bench-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  auto opened = open_sqlite_store(dir + "/k4ds.db");
  if (!opened) {
    std::fprintf(stderr, "cannot open the store: %s\n", opened.status().to_string().c_str());
    return 1;
  }
  std::unique_ptr<Store> store = std::move(opened.value());
  auto t0 = Steady::now();
  constexpr int kBatch = 5000;
  for (int start = 0; start < workspaces; start += kBatch) {
    Status s = store->write([&](Tx& tx) -> Status {
      for (int i = start; i < std::min(workspaces, start + kBatch); ++i) {
        Workspace ws{.id = "w" + std::to_string(i), .owner = "user" + std::to_string(i / 4),
                     .name = "ws" + std::to_string(i % 4), .environment = "jupyter-python", .size = "small",
                     .phase = Phase::running, .upstream = "unix:/run/k4ds/w" + std::to_string(i) + ".sock"};
        K4DS_RETURN_IF_ERROR(tx.create_workspace(ws).status());
      }
      return ok_status();
    });
    if (!s.ok()) {
      std::fprintf(stderr, "cannot fill the store: %s\n", s.to_string().c_str());
      return 1;
    }
  }
  std::printf("store with %d workspaces filled in %.0f ms\n", workspaces, ms(Steady::now() - t0));

  Services services = Services::system();
  Authenticator auth(*store, services, AuthenticatorOptions{.password_cost = PasswordCost::minimum()});
  t0 = Steady::now();
  Gateway gateway(*store, auth, services, GatewayOptions{});
  std::printf("gateway started (all routes loaded) in %.0f ms; %zu routes\n", ms(Steady::now() - t0),
              gateway.routes()->size());

  // The old way, for comparison: every change rebuilt the table from every workspace.
  t0 = Steady::now();
  auto all = read_value(*store, [](Tx& tx) { return tx.list_workspaces({}); });
  RouteTable rebuilt(*all);
  const double full_ms = ms(Steady::now() - t0);
  // The table patch alone (no store, no change feed), for the breakdown.
  t0 = Steady::now();
  std::shared_ptr<const RouteTable> patched = std::make_shared<const RouteTable>(rebuilt);
  for (int c = 0; c < changes; ++c) {
    Workspace w = (*all)[(c * 7919) % workspaces];
    w.phase = c % 2 ? Phase::running : Phase::stopped;
    patched = patched->updated({w}, {});
  }
  const double patch_ms = ms(Steady::now() - t0) / changes;
  // One read of one workspace by id, as the gateway does per change.
  t0 = Steady::now();
  for (int c = 0; c < changes; ++c) {
    (void)read_value(*store, [&](Tx& tx) { return tx.get_workspace("w" + std::to_string(c)); });
  }
  const double read_ms = ms(Steady::now() - t0) / changes;

  std::vector<double> latencies;
  int missed = 0;
  for (int c = 0; c < changes; ++c) {
    const int i = (c * 7919) % workspaces;
    const std::string id = "w" + std::to_string(i);
    const std::string owner = "user" + std::to_string(i / 4), name = "ws" + std::to_string(i % 4);
    bool now_running = false;  // each change flips the workspace: running <-> stopped
    Status s = store->write([&](Tx& tx) -> Status {
      Result<Workspace> ws = tx.get_workspace(id);
      if (!ws) return ws.status();
      now_running = ws->phase != Phase::running;
      ws->phase = now_running ? Phase::running : Phase::stopped;
      ws->upstream = now_running ? "unix:/run/k4ds/" + id + "-" + std::to_string(c) + ".sock" : "";
      return tx.update_workspace(*ws).status();
    });
    const auto committed = Steady::now();
    if (!s.ok()) {
      std::fprintf(stderr, "write failed: %s\n", s.to_string().c_str());
      return 1;
    }
    for (;;) {
      const Route* r = gateway.routes()->find(owner, name);
      if (r && r->running == now_running) break;
      if (Steady::now() - committed > std::chrono::seconds(2)) {
        ++missed;
        break;
      }
      std::this_thread::yield();
    }
    latencies.push_back(ms(Steady::now() - committed));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) { return latencies[std::min(latencies.size() - 1, static_cast<std::size_t>(p * latencies.size()))]; };
  std::printf("change -> live route, %d changes: p50 %.2f ms, p99 %.2f ms, max %.2f ms; missed (>2 s): %d\n",
              changes, pct(0.50), pct(0.99), latencies.back(), missed);
  std::printf("one full rebuild (read all + build), as before: %.1f ms\n", full_ms);
  std::printf("breakdown: patching the table %.3f ms per change; reading one workspace %.3f ms\n", patch_ms, read_ms);
  std::filesystem::remove_all(dir);
  return missed == 0 ? 0 : 1;
}

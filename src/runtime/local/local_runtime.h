// LocalRuntime: workspaces as processes on this machine (see runtime.h for the contract).
//
// Layout under the data dir:
//   state/<workspace-id>/   k4ds's own (0700, k4ds's user): state, exit, child.pid, output.log[.1]
//   run/<workspace-id>/     the workspace's (0700, its account): the Unix socket ws.sock (0600),
//                           Jupyter's runtime/data/config dirs
//   volumes/<volume-id>/    the user's home (0700, its account); created if missing, never
//                           deleted here
// State is kept apart from the run dir so a workspace cannot edit the pids k4ds signals.
//
// As root each user's workspaces run as the account k4ds-<user> (created on first launch);
// otherwise as the invoking user. Limits come from cgroups (v2 or v1) when usable;
// capabilities() says when they are not.
//
// Command placeholders: {socket} (Unix socket path, port 0), {port} (a free 127.0.0.1 port,
// port > 0), {home}, {run_dir}, {workspace} (id), {user}, {name}.
//
// Usage:
//   LocalRuntime runtime(LocalRuntimeOptions{.data_dir = "/var/lib/k4ds"});
//   spdlog::info("{}", runtime.capabilities());
//   runtime.apply(spec);
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "runtime/local/cgroups.h"
#include "runtime/runtime.h"

namespace k4ds {

struct LocalRuntimeOptions {
  std::string data_dir;
  std::chrono::milliseconds stop_grace = std::chrono::seconds(10);
  std::chrono::milliseconds probe_timeout = std::chrono::milliseconds(500);
  int64_t log_max_bytes = 4 << 20;  // per part; two parts are kept
  int64_t max_pids = 512;
  std::optional<Cgroups> cgroups;  // nullopt = Cgroups::detect()
  bool user_accounts = true;       // as root: one Unix account per user (tests may turn off)
};

class LocalRuntime : public Runtime {
 public:
  explicit LocalRuntime(LocalRuntimeOptions options);

  std::string name() const override { return "local"; }
  std::string capabilities() const override;
  std::vector<std::string> warnings() const override;
  // This machine's online CPUs and physical memory; no GPUs are handed out locally.
  std::optional<Capacity> capacity() const override;
  // Twice this machine's CPUs, at least 4: web IDEs spend their start-up on the CPU.
  int max_starting() const override;

  Status apply(const LaunchSpec& spec) override;
  Status stop(std::string_view workspace_id) override;
  Status remove(std::string_view workspace_id) override;
  Result<std::vector<ObservedWorkspace>> observe() override;
  Result<std::string> tail_logs(std::string_view workspace_id, std::size_t max_bytes) override;
  Result<LogFollow> follow_logs(std::string_view workspace_id, std::size_t tail_bytes) override;

  // Paths, for the gateway's diagnostics and for tests.
  std::string state_dir(std::string_view id) const;
  std::string run_dir(std::string_view id) const;
  std::string volume_dir(std::string_view volume_id) const;

 private:
  std::mutex& lock_for(const std::string& id);
  Status launch(const LaunchSpec& spec);
  Status stop_locked(const std::string& id);
  ObservedWorkspace observe_one(const std::string& id);
  bool ended(const std::string& id) const;

  LocalRuntimeOptions options_;
  Cgroups cgroups_;
  bool as_root_;
  std::mutex mutex_;                                    // guards the two members below
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;  // one per workspace
  std::set<std::string> healthy_;  // answered their health check since (re)start
};

}  // namespace k4ds

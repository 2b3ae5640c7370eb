// CountingRuntime: a Runtime for controller tests that starts nothing for real. Applied
// workspaces are "starting" until all_ready(); it records which were started and stopped.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace k4ds::testing {

class CountingRuntime final : public Runtime {
 public:
  std::string name() const override { return "counting"; }
  std::string capabilities() const override { return ""; }
  int max_starting() const override { return 2; }
  Status apply(const LaunchSpec& spec) override {
    std::lock_guard lock(mutex_);
    started_.push_back(spec.name);
    specs_[spec.name] = spec;
    state_[spec.workspace_id] = RunState::starting;
    return ok_status();
  }
  Status stop(std::string_view id) override {
    std::lock_guard lock(mutex_);
    stopped_.insert(std::string(id));
    state_[std::string(id)] = RunState::stopped;
    return ok_status();
  }
  Status remove(std::string_view id) override {
    std::lock_guard lock(mutex_);
    state_.erase(std::string(id));
    return ok_status();
  }
  Result<std::vector<ObservedWorkspace>> observe() override {
    std::lock_guard lock(mutex_);
    std::vector<ObservedWorkspace> out;
    for (const auto& [id, state] : state_) {
      out.push_back(ObservedWorkspace{.workspace_id = id, .state = state, .upstream = "127.0.0.1:1",
                                      .health_path = "/", .started_at_ms = to_unix_ms(Clock::now())});
    }
    return out;
  }
  Result<std::string> tail_logs(std::string_view, std::size_t) override { return std::string(); }
  Result<LogFollow> follow_logs(std::string_view, std::size_t) override {
    return failed_precondition("no logs");
  }
  void mark_running(const std::string& id) {
    std::lock_guard lock(mutex_);
    state_[id] = RunState::running;
  }
  void all_ready() {
    std::lock_guard lock(mutex_);
    for (auto& [id, state] : state_) state = RunState::running;
  }
  // The last spec applied for a workspace name.
  LaunchSpec spec(const std::string& name) {
    std::lock_guard lock(mutex_);
    return specs_.at(name);
  }
  std::set<std::string> stopped() {
    std::lock_guard lock(mutex_);
    return stopped_;
  }
  // Which were started (one batch runs in parallel, so as a set).
  std::set<std::string> started() {
    std::lock_guard lock(mutex_);
    return {started_.begin(), started_.end()};
  }

 private:
  using Clock = std::chrono::system_clock;
  std::mutex mutex_;
  std::map<std::string, RunState> state_;
  std::vector<std::string> started_;
  std::set<std::string> stopped_;  // by workspace id
  std::map<std::string, LaunchSpec> specs_;
};

}  // namespace k4ds::testing

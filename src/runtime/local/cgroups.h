// Cgroups for local workspaces: memory, CPU and process-count limits, out-of-memory detection
// and "kill everything the workspace started". Works with the unified hierarchy (v2) and with
// the v1 per-controller hierarchies, whichever the host has; when neither can be used,
// `describe()` says why, so limits are never silently missing.
//
// Groups are created under the cgroup k4ds itself runs in (".../<own>/k4ds/<workspace-id>"),
// which is what a delegated subtree allows.
//
// Usage:
//   Cgroups cgroups = Cgroups::detect();
//   auto dirs = cgroups.create(ws_id, Limits{.memory_bytes = 1 << 30, .cpu_millis = 1000});
//   // child: write "0" into each of Cgroups::procs_files(*dirs) before exec
//   if (Cgroups::oom_kills(*dirs) > 0) ...;
//   Cgroups::kill_and_remove(*dirs);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace k4ds {

struct Limits {
  int64_t memory_bytes = 0;  // 0 = none
  int64_t cpu_millis = 0;    // 0 = none
  int64_t max_pids = 512;
};

class Cgroups {
 public:
  enum class Mode { none, v1, v2 };

  // Looks at /proc/self/cgroup and /proc/self/mountinfo; cheap.
  static Cgroups detect();
  // The same from those files' text (tests point it at a directory tree laid out like one).
  static Cgroups detect_from(const std::string& mountinfo, const std::string& proc_cgroup);
  // For tests and for hosts where the operator turns them off.
  static Cgroups disabled(std::string why);

  Mode mode() const { return mode_; }
  // "memory, CPU and process limits: cgroup v1 (memory+swap, cpu, pids)" or why not.
  const std::string& describe() const { return description_; }

  // Creates the workspace's group(s) and writes the limits, replacing leftovers of a former
  // run. Returns the group directories, memory first; keep them (the state file does) so a
  // restarted k4ds finds them even if it now runs in another cgroup.
  Result<std::vector<std::string>> create(const std::string& id, const Limits& limits) const;

  // These take the directories create() returned.
  // cgroup.procs files a process writes "0" into to join the group(s).
  static std::vector<std::string> procs_files(const std::vector<std::string>& dirs);
  // How many times the kernel's OOM killer struck in the group (0 when unknown).
  static int64_t oom_kills(const std::vector<std::string>& dirs);
  static std::vector<int> pids(const std::vector<std::string>& dirs);
  // SIGKILLs every process in the group(s), waits briefly for them to go, removes the group(s).
  static Status kill_and_remove(const std::vector<std::string>& dirs);

 private:
  Mode mode_ = Mode::none;
  std::string description_;
  std::string v2_parent_;      // .../k4ds
  std::string memory_parent_;  // v1
  std::string cpu_parent_;     // v1
  std::string pids_parent_;    // v1
  bool memsw_ = false;
};

}  // namespace k4ds

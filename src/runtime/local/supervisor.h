// Launching a workspace process detached from k4ds, under a tiny supervisor.
//
// k4ds → (fork, setsid) → supervisor → (fork, new process group, join cgroups, drop to the
// user's uid, exec) → workspace command. The supervisor copies the workspace's stdout/stderr
// into a size-bounded log (log_path, rotated once to log_path + ".1"), waits for it, kills
// what is left of its process group, and records how it ended in exit_path
// ("exit_code=N\nsignal=M\n"). With private_network the supervisor first enters a network
// namespace of its own (the workspace inherits it). Neither survives nor needs k4ds: a kill -9 of k4ds leaves both
// running, and a restarted k4ds re-adopts them from the pids they wrote.
//
// The forked children run only system calls on memory prepared before fork(): k4ds is
// multi-threaded, so nothing that may take a lock (malloc, loggers) runs after fork().
//
// Usage:
//   SupervisedCommand cmd{.argv = {"/usr/bin/python3", "-m", "notebook"}, ...};
//   Result<int> supervisor_pid = launch_supervised(cmd);
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace k4ds::local {

struct SupervisedCommand {
  std::vector<std::string> argv;          // argv[0] is an absolute path
  std::vector<std::string> env;           // "KEY=value", the whole environment
  std::string working_dir;
  std::string log_path;
  int64_t log_max_bytes = 4 << 20;
  std::string exit_path;
  std::string child_pid_path;             // the workspace process's pid (= its process group)
  std::vector<std::string> cgroup_procs;  // joined by the workspace process before exec
  bool switch_user = false;               // as root: run as uid/gid with no supplementary groups
  uid_t uid = 0;
  gid_t gid = 0;
  // As root: the supervisor moves into a new network namespace (loopback up) before it starts
  // the workspace, so a port the workspace listens on is reachable only through that namespace
  // (see common/netns.h; the supervisor's pid names it). With outbound_helper (the absolute
  // path of slirp4netns), the workspace also reaches the outside network through it, but not
  // the host's loopback.
  bool private_network = false;
  std::string outbound_helper;
};

// Returns the supervisor's pid once it runs.
Result<int> launch_supervised(const SupervisedCommand& command);

}  // namespace k4ds::local

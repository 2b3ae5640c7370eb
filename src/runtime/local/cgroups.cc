#include "runtime/local/cgroups.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "runtime/local/files.h"

namespace k4ds {
namespace {

using local::read_file;

struct Mount {
  std::string point;
  std::string fstype;
  std::string options;  // super options: "rw,memory"
};

std::vector<Mount> cgroup_mounts(const std::string& mountinfo) {
  std::vector<Mount> out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // id parent dev root mountpoint opts [optional...] - fstype source superopts
    auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
    std::string id, parent, dev, root, point, fstype, source, super;
    head >> id >> parent >> dev >> root >> point;
    tail >> fstype >> source >> super;
    if (fstype == "cgroup" || fstype == "cgroup2") out.push_back({point, fstype, super});
  }
  return out;
}

bool has_option(const std::string& options, const std::string& name) {
  std::istringstream in(options);
  std::string item;
  while (std::getline(in, item, ','))
    if (item == name) return true;
  return false;
}

// Our own path in each hierarchy: "memory" → "/process_api/abc", "" (v2) → "/".
std::map<std::string, std::string> own_paths(const std::string& proc_cgroup) {
  std::map<std::string, std::string> out;
  std::istringstream in(proc_cgroup);
  std::string line;
  while (std::getline(in, line)) {
    auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controllers.empty()) {
      out[""] = path;
      continue;
    }
    std::istringstream names(controllers);
    std::string name;
    while (std::getline(names, name, ',')) out[name] = path;
  }
  return out;
}

std::string join(const std::string& mount, const std::string& path) {
  return path == "/" ? mount : mount + path;
}

Status write_value(const std::string& dir, const std::string& file, const std::string& value) {
  std::string path = dir + "/" + file;
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) return unavailable("cannot open " + path + ": " + std::strerror(errno));
  bool ok = std::fputs(value.c_str(), f) >= 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok) return unavailable("cannot write \"" + value + "\" to " + path + ": " + std::strerror(errno));
  return ok_status();
}

// Can we make (and keep) a directory here? Leaves `dir` in place for later use.
bool usable_parent(const std::string& dir, std::string& why) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    why = "cannot create " + dir + " (" + std::strerror(errno) + ")";
    return false;
  }
  if (::access((dir + "/cgroup.procs").c_str(), W_OK) != 0) {
    why = "cannot write to " + dir + "/cgroup.procs (" + std::strerror(errno) + ")";
    return false;
  }
  return true;
}

}  // namespace

Cgroups Cgroups::disabled(std::string why) {
  Cgroups c;
  c.description_ = "limits are NOT enforced: " + why;
  return c;
}

Cgroups Cgroups::detect() {
  return detect_from(read_file("/proc/self/mountinfo").value_or(""), read_file("/proc/self/cgroup").value_or(""));
}

Cgroups Cgroups::detect_from(const std::string& mountinfo, const std::string& proc_cgroup) {
  auto mounts = cgroup_mounts(mountinfo);
  auto own = own_paths(proc_cgroup);
  std::string why_not_v2 = "no cgroup2 hierarchy is mounted";
  for (const auto& m : mounts) {
    if (m.fstype != "cgroup2") continue;
    std::string here = join(m.point, own.count("") ? own[""] : "/");
    std::string controllers = read_file(here + "/cgroup.controllers").value_or("");
    if (controllers.find("memory") == std::string::npos) {
      why_not_v2 = "the cgroup2 hierarchy at " + m.point + " has no memory controller";
      continue;
    }
    // v2 forbids processes in inner groups, so workspaces go next to k4ds's own group.
    std::string parent_of_own = here == m.point ? m.point : here.substr(0, here.rfind('/'));
    std::string parent = parent_of_own + "/k4ds";
    std::string why;
    if (!usable_parent(parent, why)) {
      why_not_v2 = why;
      continue;
    }
    // One controller per write: the kernel refuses a whole write naming one it cannot enable.
    std::string missing;
    for (const char* name : {"memory", "cpu", "pids"}) {
      const std::string enable = std::string("+") + name;
      (void)write_value(parent_of_own, "cgroup.subtree_control", enable);
      if (!write_value(parent, "cgroup.subtree_control", enable).ok() && std::string(name) != "memory") {
        missing += std::string(missing.empty() ? "" : " and ") + (std::string(name) == "cpu" ? "CPU" : "process-count");
      }
    }
    Cgroups c;
    c.mode_ = Mode::v2;
    c.v2_parent_ = parent;
    c.description_ = "memory, CPU and process limits: cgroup v2 (" + parent + ")";
    if (!missing.empty()) c.description_ += "; " + missing + " limits are NOT enforced (controller not delegated)";
    return c;
  }
  Cgroups c;
  std::string why;
  for (const auto& m : mounts) {
    if (m.fstype != "cgroup") continue;
    for (const char* name : {"memory", "cpu", "pids"}) {
      if (!has_option(m.options, name)) continue;
      std::string parent = join(m.point, own.count(name) ? own[name] : "/") + "/k4ds";
      std::string why_here;
      if (!usable_parent(parent, why_here)) {
        if (why.empty()) why = why_here;
        continue;
      }
      if (std::string(name) == "memory") c.memory_parent_ = parent;
      if (std::string(name) == "cpu") c.cpu_parent_ = parent;
      if (std::string(name) == "pids") c.pids_parent_ = parent;
    }
  }
  if (c.memory_parent_.empty()) {
    return disabled(why.empty() ? why_not_v2 + " and no v1 memory hierarchy is mounted" : why);
  }
  c.mode_ = Mode::v1;
  c.memsw_ = ::access((c.memory_parent_ + "/memory.memsw.limit_in_bytes").c_str(), F_OK) == 0;
  std::string parts = c.memsw_ ? "memory+swap" : "memory (swap not limited)";
  std::string missing;
  if (!c.cpu_parent_.empty()) parts += ", cpu";
  else missing += " CPU";
  if (!c.pids_parent_.empty()) parts += ", pids";
  else missing += " process-count";
  c.description_ = "memory, CPU and process limits: cgroup v1 (" + parts + ")";
  if (!missing.empty()) c.description_ += ";" + missing + " limits are NOT enforced (no usable hierarchy)";
  return c;
}

Result<std::vector<std::string>> Cgroups::create(const std::string& id, const Limits& limits) const {
  std::vector<std::string> dirs;
  if (mode_ == Mode::none) return dirs;
  auto make = [&](const std::string& parent) -> Result<std::string> {
    std::string dir = parent + "/" + id;
    if (::access(dir.c_str(), F_OK) == 0) {
      Status s = kill_and_remove({dir});
      if (!s.ok()) return s;
    }
    if (::mkdir(dir.c_str(), 0755) != 0) {
      return unavailable("cannot create cgroup " + dir + ": " + std::strerror(errno));
    }
    dirs.push_back(dir);
    return dir;
  };
  auto fail = [&](Status s) -> Result<std::vector<std::string>> {
    (void)kill_and_remove(dirs);
    return s;
  };
  if (mode_ == Mode::v2) {
    auto dir = make(v2_parent_);
    if (!dir) return dir.status();
    if (limits.memory_bytes > 0) {
      if (Status s = write_value(*dir, "memory.max", std::to_string(limits.memory_bytes)); !s.ok()) return fail(s);
      (void)write_value(*dir, "memory.swap.max", "0");
    }
    if (limits.cpu_millis > 0) {
      (void)write_value(*dir, "cpu.max", std::to_string(limits.cpu_millis * 100) + " 100000");
    }
    if (limits.max_pids > 0) (void)write_value(*dir, "pids.max", std::to_string(limits.max_pids));
    return dirs;
  }
  auto mem = make(memory_parent_);
  if (!mem) return mem.status();
  if (limits.memory_bytes > 0) {
    std::string bytes = std::to_string(limits.memory_bytes);
    if (Status s = write_value(*mem, "memory.limit_in_bytes", bytes); !s.ok()) return fail(s);
    if (memsw_) {
      if (Status s = write_value(*mem, "memory.memsw.limit_in_bytes", bytes); !s.ok()) return fail(s);
    }
  }
  if (!cpu_parent_.empty() && limits.cpu_millis > 0) {
    auto cpu = make(cpu_parent_);
    if (!cpu) return fail(cpu.status());
    (void)write_value(*cpu, "cpu.cfs_period_us", "100000");
    if (Status s = write_value(*cpu, "cpu.cfs_quota_us", std::to_string(limits.cpu_millis * 100)); !s.ok()) return fail(s);
  }
  if (!pids_parent_.empty() && limits.max_pids > 0) {
    auto pids = make(pids_parent_);
    if (!pids) return fail(pids.status());
    if (Status s = write_value(*pids, "pids.max", std::to_string(limits.max_pids)); !s.ok()) return fail(s);
  }
  return dirs;
}

std::vector<std::string> Cgroups::procs_files(const std::vector<std::string>& dirs) {
  std::vector<std::string> out;
  for (const auto& d : dirs) out.push_back(d + "/cgroup.procs");
  return out;
}

int64_t Cgroups::oom_kills(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return 0;
  const std::string& mem = dirs.front();
  // v2: memory.events; v1: memory.oom_control. Both carry an "oom_kill N" line.
  for (const char* file : {"/memory.events", "/memory.oom_control"}) {
    auto text = read_file(mem + file);
    if (!text) continue;
    std::istringstream in(*text);
    std::string key;
    int64_t value = 0;
    while (in >> key >> value)
      if (key == "oom_kill") return value;
  }
  return 0;
}

std::vector<int> Cgroups::pids(const std::vector<std::string>& dirs) {
  std::vector<int> out;
  for (const auto& d : dirs) {
    auto text = read_file(d + "/cgroup.procs");
    if (!text) continue;
    std::istringstream in(*text);
    int pid;
    while (in >> pid) out.push_back(pid);
  }
  return out;
}

Status Cgroups::kill_and_remove(const std::vector<std::string>& dirs) {
  if (dirs.empty()) return ok_status();
  // Kill what is in the groups and remove them, again and again until both are done: a process
  // that was just started may join a group after it was first found empty (it then keeps the
  // group busy), and a group whose last process just died may be busy for a moment.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    auto left = pids(dirs);
    for (int pid : left) ::kill(pid, SIGKILL);
    std::string busy;
    for (const auto& d : dirs) {
      if (::access(d.c_str(), F_OK) != 0) continue;  // removed
      if (left.empty() && ::rmdir(d.c_str()) == 0) continue;
      busy = left.empty() ? "cannot remove cgroup " + d + ": " + std::strerror(errno)
                          : "processes of the workspace did not end after SIGKILL";
    }
    if (busy.empty()) return ok_status();
    if (std::chrono::steady_clock::now() > deadline) return unavailable(busy + "; will retry");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace k4ds

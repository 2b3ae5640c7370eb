#include "runtime/local/local_runtime.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>

#include "common/netns.h"
#include "common/services.h"
#include "runtime/local/files.h"
#include "runtime/local/health.h"
#include "runtime/local/host.h"
#include "runtime/local/log_files.h"
#include "runtime/local/supervisor.h"
#include "runtime/local/volume_links.h"

namespace k4ds {

using namespace local;

namespace {

constexpr size_t kLastLines = 20;

std::string join_paths(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ";") + i;
  return out;
}

std::vector<std::string> split_paths(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ';'))
    if (!item.empty()) out.push_back(item);
  return out;
}

int64_t to_int(const KeyValues& kv, const std::string& key) {
  auto it = kv.find(key);
  if (it == kv.end() || it->second.empty()) return 0;
  try {
    return std::stoll(it->second);
  } catch (...) {
    return 0;
  }
}

Result<int> free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return unavailable(std::string("cannot open a socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  if (port <= 0) return unavailable("no free port on 127.0.0.1; try again");
  return port;
}

Status own_dir(const std::string& path, int mode, bool chown_it, uid_t uid, gid_t gid) {
  K4DS_RETURN_IF_ERROR(make_dir(path, mode));
  if (chown_it && ::chown(path.c_str(), uid, gid) != 0) {
    return unavailable("cannot give " + path + " to its workspace account: " + std::strerror(errno));
  }
  return ok_status();
}

}  // namespace

LocalRuntime::LocalRuntime(LocalRuntimeOptions options)
    : options_(std::move(options)),
      cgroups_(options_.cgroups ? *options_.cgroups : Cgroups::detect()),
      as_root_(::geteuid() == 0) {
  // Re-adopted workspaces run as their own accounts and must still reach their volumes after a
  // restart, whatever mode the data dir was left in (launch() checks this too).
  struct stat st{};
  if (as_root_ && options_.user_accounts && ::stat(options_.data_dir.c_str(), &st) == 0 &&
      (st.st_mode & S_IXOTH) == 0) {
    ::chmod(options_.data_dir.c_str(), (st.st_mode & 07777) | S_IXOTH);
  }
}

std::string LocalRuntime::capabilities() const {
  std::string text = "runtime: local processes under " + options_.data_dir + "\n";
  if (as_root_ && options_.user_accounts) {
    text += "accounts: each user's workspaces run as the Unix account k4ds-<user>\n";
  } else {
    text += "accounts: every workspace runs as this server's user (uid " +
            std::to_string(::geteuid()) + "); run k4ds as root to give each user their own account\n";
  }
  text += cgroups_.describe() + "\n";
  text += "isolation: socket workspaces listen on a Unix socket (0600) reachable only by their "
          "account and the gateway; ";
  if (as_root_) {
    text += "environments with a TCP port listen in a private network that only the gateway enters";
    text += find_executable("slirp4netns").empty()
                ? " (slirp4netns is not installed, so they have no outbound network; install it to give them one)"
                : " (outbound network through slirp4netns)";
    text += ", unless the environment says network: host\n";
  } else {
    text += "environments with a TCP port listen on 127.0.0.1, which every local user can reach "
            "(run k4ds as root to give them a private network)\n";
  }
  return text;
}

std::vector<std::string> LocalRuntime::warnings() const {
  if (cgroups_.mode() != Cgroups::Mode::none) return {};
  // describe() says why ("limits are NOT enforced: no cgroup hierarchy is writable ...").
  return {"memory, CPU and process limits of the size are not enforced on this server (" +
          cgroups_.describe() + ")"};
}

std::optional<Capacity> LocalRuntime::capacity() const {
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (cpus <= 0 || pages <= 0 || page_size <= 0) return std::nullopt;
  Capacity c{.description = "this machine",
             .cpu_millis = int64_t{cpus} * 1000,
             .memory_bytes = int64_t{pages} * page_size};
  c.largest_cpu_millis = c.cpu_millis;
  c.largest_memory_bytes = c.memory_bytes;
  return c;
}

int LocalRuntime::max_starting() const {
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  return std::max(4, 2 * static_cast<int>(cpus > 0 ? cpus : 1));
}

std::string LocalRuntime::state_dir(std::string_view id) const {
  return options_.data_dir + "/state/" + std::string(id);
}
std::string LocalRuntime::run_dir(std::string_view id) const {
  return options_.data_dir + "/run/" + std::string(id);
}
std::string LocalRuntime::volume_dir(std::string_view volume_id) const {
  return options_.data_dir + "/volumes/" + std::string(volume_id);
}

std::mutex& LocalRuntime::lock_for(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto& m = locks_[id];
  if (!m) m = std::make_unique<std::mutex>();
  return *m;
}

Status LocalRuntime::apply(const LaunchSpec& spec) {
  if (spec.workspace_id.empty() || spec.workspace_id.find('/') != std::string::npos ||
      spec.workspace_id[0] == '.') {
    return invalid_argument("workspace id \"" + spec.workspace_id + "\" is not a valid id");
  }
  std::lock_guard lock(lock_for(spec.workspace_id));
  std::string state_path = state_dir(spec.workspace_id) + "/state";
  if (auto text = read_file(state_path)) {
    KeyValues kv = parse_key_values(*text);
    bool exited = ::access((state_dir(spec.workspace_id) + "/exit").c_str(), F_OK) == 0;
    int pid = static_cast<int>(to_int(kv, "supervisor_pid"));
    if (!exited && same_process_alive(pid, static_cast<uint64_t>(to_int(kv, "supervisor_start")))) {
      return ok_status();  // already running: never a second copy
    }
    K4DS_RETURN_IF_ERROR(stop_locked(spec.workspace_id));  // clean up the former run first
  }
  return launch(spec);
}

Status LocalRuntime::launch(const LaunchSpec& spec) {
  const std::string& id = spec.workspace_id;
  const Environment& env = spec.environment;
  if (env.command.empty()) {
    return failed_precondition("the environment " + env.name +
                               " has no command, so it cannot run on this machine");
  }
  if (!env.available) return failed_precondition(env.unavailable_reason);
  if (spec.volume_id.empty() || spec.volume_id.find('/') != std::string::npos) {
    return failed_precondition("the workspace has no home volume; delete it and launch again");
  }
  bool switch_user = as_root_ && options_.user_accounts;
  uid_t uid = ::geteuid();
  gid_t gid = ::getegid();
  std::string home = volume_dir(spec.volume_id);
  if (switch_user) {
    auto account = ensure_account(spec.owner, home, spec.owner_uid, spec.owner_gid);
    if (!account) return account.status();
    uid = account->uid;
    gid = account->gid;
  }

  // Directories. The parents are traversable (not listable) so an account reaches its own.
  const std::string& data = options_.data_dir;
  struct stat data_st{};
  if (::stat(data.c_str(), &data_st) != 0) {
    K4DS_RETURN_IF_ERROR(make_dir(data, 0711));
  } else if (switch_user && (data_st.st_mode & S_IXOTH) == 0) {
    ::chmod(data.c_str(), (data_st.st_mode & 07777) | S_IXOTH);
  }
  K4DS_RETURN_IF_ERROR(make_dir(data + "/state", 0700));
  K4DS_RETURN_IF_ERROR(make_dir(data + "/run", 0711));
  K4DS_RETURN_IF_ERROR(make_dir(data + "/volumes", 0711));
  std::string state = state_dir(id), run = run_dir(id);
  K4DS_RETURN_IF_ERROR(make_dir(state, 0700));
  if (::access(home.c_str(), F_OK) != 0) {
    K4DS_RETURN_IF_ERROR(own_dir(home, 0700, switch_user, uid, gid));
  }
  std::vector<std::pair<std::string, std::string>> links;
  for (const auto& mount : spec.extra_volumes) {
    if (mount.volume_id.empty() || mount.volume_id.find('/') != std::string::npos) continue;
    const std::string dir = volume_dir(mount.volume_id);
    if (::access(dir.c_str(), F_OK) != 0) K4DS_RETURN_IF_ERROR(own_dir(dir, 0700, switch_user, uid, gid));
    links.emplace_back(dir, mount.name);
  }
  std::vector<std::string> skipped;
  K4DS_RETURN_IF_ERROR(link_volumes(home, links, switch_user, uid, gid, skipped));
  if (!skipped.empty()) {
    // Where the owner sees it: the workspace's log (k4ds logs, the portal's log viewer).
    std::string text;
    for (const auto& why : skipped) text += "k4ds: " + why + "\n";
    if (FILE* f = std::fopen((state + "/output.log").c_str(), "a")) {
      std::fputs(text.c_str(), f);
      std::fclose(f);
    }
  }
  K4DS_RETURN_IF_ERROR(own_dir(run, 0700, switch_user, uid, gid));
  for (const char* sub : {"/jupyter", "/jupyter/runtime", "/jupyter/data", "/jupyter/config"}) {
    K4DS_RETURN_IF_ERROR(own_dir(run + sub, 0700, switch_user, uid, gid));
  }

  std::string upstream, socket_path = run + "/ws.sock", port_text;
  if (env.port == 0) {
    if (socket_path.size() >= 108) {
      return failed_precondition("the socket path " + socket_path +
                                 " is longer than Unix sockets allow; use a shorter data dir");
    }
    ::unlink(socket_path.c_str());
    upstream = "unix:" + socket_path;
  } else {
    auto port = free_loopback_port();
    if (!port) return port.status();
    port_text = std::to_string(*port);
    upstream = "127.0.0.1:" + port_text;
  }
  // As root, a port is private to the workspace's own network; its upstream names the
  // supervisor holding that network, so it is known only after the launch.
  const bool private_network = as_root_ && env.port != 0 && !env.host_network;
  std::map<std::string, std::string> values{
      {"socket", socket_path}, {"port", port_text}, {"home", home}, {"run_dir", run},
      {"workspace", id},       {"user", spec.owner}, {"name", spec.name}};
  auto argv = expand_template(env.command, values);
  if (!argv) return failed_precondition("the environment " + env.name + " is misconfigured: " + argv.status().message());
  std::string exe = find_executable((*argv)[0]);
  if (exe.empty()) {
    return failed_precondition((*argv)[0] + " is not installed on this machine; ask your admin");
  }
  (*argv)[0] = exe;

  std::string account = switch_user ? account_name(spec.owner) : "";
  if (!switch_user) {
    const char* u = std::getenv("USER");
    account = u ? u : "";
  }
  std::map<std::string, std::string> environment{
      {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      {"HOME", home},
      {"USER", account},
      {"LOGNAME", account},
      {"SHELL", "/bin/sh"},
      {"LANG", "C.UTF-8"},
      {"JUPYTER_RUNTIME_DIR", run + "/jupyter/runtime"},
      {"JUPYTER_DATA_DIR", run + "/jupyter/data"},
      {"JUPYTER_CONFIG_DIR", run + "/jupyter/config"},
      {"IPYTHONDIR", run + "/jupyter/ipython"},
      {"K4DS_WORKSPACE", spec.owner + "/" + spec.name},
      {"K4DS_MEMORY_LIMIT", std::to_string(spec.size.memory_bytes)},
  };
  for (const auto& [k, v] : env.env) {
    auto expanded = expand_template(v, values);
    if (!expanded) return failed_precondition("the environment variable " + k + " is misconfigured: " + expanded.status().message());
    environment[k] = *expanded;
  }
  std::vector<std::string> env_list;
  for (const auto& [k, v] : environment) env_list.push_back(k + "=" + v);

  auto groups = cgroups_.create(
      id, Limits{spec.size.memory_bytes, spec.size.cpu_millis, options_.max_pids});
  if (!groups) return groups.status();

  ::unlink((state + "/exit").c_str());
  ::unlink((state + "/child.pid").c_str());
  int64_t now_ms = to_unix_ms(std::chrono::system_clock::now());
  KeyValues kv{{"upstream", private_network ? "" : upstream},
               {"health_path", env.health_path.empty() ? "/" : env.health_path},
               {"started_at_ms", std::to_string(now_ms)},
               {"memory_limit", std::to_string(cgroups_.mode() == Cgroups::Mode::none ? 0 : spec.size.memory_bytes)},
               {"cgroups", join_paths(*groups)},
               {"socket", env.port == 0 ? socket_path : ""},
               {"supervisor_pid", "0"},
               {"supervisor_start", "0"}};
  // Written before the launch: if k4ds dies right after it, the next k4ds still finds the
  // cgroup and cleans it up instead of leaving an orphan.
  K4DS_RETURN_IF_ERROR(write_file_atomic(state + "/state", format_key_values(kv)));
  {
    std::lock_guard lock(mutex_);
    healthy_.erase(id);
  }
  SupervisedCommand command{.argv = *argv,
                            .env = env_list,
                            .working_dir = home,
                            .log_path = state + "/output.log",
                            .log_max_bytes = options_.log_max_bytes,
                            .exit_path = state + "/exit",
                            .child_pid_path = state + "/child.pid",
                            .cgroup_procs = Cgroups::procs_files(*groups),
                            .switch_user = switch_user,
                            .uid = uid,
                            .gid = gid,
                            .private_network = private_network,
                            .outbound_helper = private_network ? find_executable("slirp4netns") : ""};
  auto pid = launch_supervised(command);
  if (!pid) {
    (void)Cgroups::kill_and_remove(*groups);
    ::unlink((state + "/state").c_str());
    return pid.status();
  }
  kv["supervisor_pid"] = std::to_string(*pid);
  kv["supervisor_start"] = std::to_string(process_start_time(*pid));
  if (private_network) kv["upstream"] = format_netns_upstream(*pid, upstream);
  return write_file_atomic(state + "/state", format_key_values(kv));
}

Status LocalRuntime::stop(std::string_view workspace_id) {
  std::string id(workspace_id);
  std::lock_guard lock(lock_for(id));
  return stop_locked(id);
}

Status LocalRuntime::stop_locked(const std::string& id) {
  std::string state = state_dir(id);
  auto text = read_file(state + "/state");
  if (!text) return ok_status();  // never ran, or already stopped
  KeyValues kv = parse_key_values(*text);
  int supervisor = static_cast<int>(to_int(kv, "supervisor_pid"));
  auto supervisor_start = static_cast<uint64_t>(to_int(kv, "supervisor_start"));
  bool supervisor_alive = same_process_alive(supervisor, supervisor_start);
  int child = 0;
  if (auto c = read_file(state + "/child.pid")) child = std::atoi(c->c_str());
  // The child's pid is trusted only while its supervisor lives (or its exit is recorded):
  // a pid file left from before a reboot may name someone else's process by now.
  bool exit_recorded = ::access((state + "/exit").c_str(), F_OK) == 0;
  // Started a moment ago: the supervisor writes the child's pid right after it forks it.
  for (int i = 0; i < 50 && child <= 0 && supervisor_alive && !exit_recorded; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (auto c = read_file(state + "/child.pid")) child = std::atoi(c->c_str());
    supervisor_alive = same_process_alive(supervisor, supervisor_start);
    exit_recorded = ::access((state + "/exit").c_str(), F_OK) == 0;
  }
  if (child > 0 && supervisor_alive && !exit_recorded) {
    ::kill(-child, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + options_.stop_grace;
    while (std::chrono::steady_clock::now() < deadline &&
           ::access((state + "/exit").c_str(), F_OK) != 0 &&
           same_process_alive(supervisor, supervisor_start)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (same_process_alive(supervisor, supervisor_start)) ::kill(-child, SIGKILL);
  }
  // Everything else the workspace started (Jupyter kernels run in sessions of their own).
  K4DS_RETURN_IF_ERROR(Cgroups::kill_and_remove(split_paths(kv["cgroups"])));
  for (int i = 0; i < 100 && same_process_alive(supervisor, supervisor_start); ++i) {
    if (i == 20) ::kill(supervisor, SIGKILL);  // it normally ends on its own once the child has
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!kv["socket"].empty()) ::unlink(kv["socket"].c_str());
  ::unlink((state + "/state").c_str());
  ::unlink((state + "/exit").c_str());
  ::unlink((state + "/child.pid").c_str());
  std::lock_guard lock(mutex_);
  healthy_.erase(id);
  return ok_status();
}

Status LocalRuntime::remove(std::string_view workspace_id) {
  std::string id(workspace_id);
  if (id.empty() || id.find('/') != std::string::npos || id[0] == '.') {
    return invalid_argument("workspace id \"" + id + "\" is not a valid id");
  }
  std::lock_guard lock(lock_for(id));
  K4DS_RETURN_IF_ERROR(stop_locked(id));
  std::error_code ec;
  std::filesystem::remove_all(run_dir(id), ec);  // its processes are gone: nothing races this
  std::filesystem::remove_all(state_dir(id), ec);
  if (ec) return unavailable("cannot remove the files of workspace " + id + ": " + ec.message());
  return ok_status();
}

ObservedWorkspace LocalRuntime::observe_one(const std::string& id) {
  ObservedWorkspace o{.workspace_id = id};
  std::string state = state_dir(id);
  auto text = read_file(state + "/state");
  if (!text) {
    o.state = RunState::stopped;
    o.progress = "stopped";
    return o;
  }
  KeyValues kv = parse_key_values(*text);
  o.upstream = kv["upstream"];
  o.health_path = kv["health_path"];
  o.started_at_ms = to_int(kv, "started_at_ms");
  o.memory_limit_bytes = to_int(kv, "memory_limit");
  auto groups = split_paths(kv["cgroups"]);
  o.out_of_memory = Cgroups::oom_kills(groups) > 0;
  if (auto exit = read_file(state + "/exit")) {
    KeyValues e = parse_key_values(*exit);
    o.state = RunState::exited;
    o.exit_code = static_cast<int>(to_int(e, "exit_code"));
    o.signal = static_cast<int>(to_int(e, "signal"));
    o.last_output = last_lines(state + "/output.log", kLastLines);
    o.progress = "the workspace's process has ended";
    return o;
  }
  int supervisor = static_cast<int>(to_int(kv, "supervisor_pid"));
  if (!same_process_alive(supervisor, static_cast<uint64_t>(to_int(kv, "supervisor_start")))) {
    // Nothing supervises what is left of the workspace (its exit could never be recorded):
    // end it through its cgroups rather than leave an orphan running unaccounted.
    (void)Cgroups::kill_and_remove(groups);
    o.state = RunState::exited;
    o.last_output = last_lines(state + "/output.log", kLastLines);
    o.progress = supervisor == 0 ? "k4ds stopped while starting the workspace"
                                 : "the workspace's supervisor process disappeared "
                                   "(was it killed, or the machine restarted?)";
    return o;
  }
  bool healthy;
  {
    std::lock_guard lock(mutex_);
    healthy = healthy_.count(id) > 0;
  }
  if (!healthy) {
    auto code = http_probe(o.upstream, o.health_path, options_.probe_timeout);
    healthy = code && *code < 500;
    if (healthy) {
      std::lock_guard lock(mutex_);
      healthy_.insert(id);
    }
  }
  o.state = healthy ? RunState::running : RunState::starting;
  o.progress = healthy ? "ready" : "waiting for the health check on " + o.health_path;
  if (o.out_of_memory) o.last_output = last_lines(state + "/output.log", kLastLines);
  return o;
}

Result<std::vector<ObservedWorkspace>> LocalRuntime::observe() {
  std::vector<ObservedWorkspace> out;
  std::string dir = options_.data_dir + "/state";
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return out;
    return unavailable("cannot read " + dir + ": " + std::strerror(errno));
  }
  std::vector<std::string> ids;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") ids.push_back(name);
  }
  ::closedir(d);
  for (const auto& id : ids) {
    std::unique_lock lock(lock_for(id), std::try_to_lock);
    if (!lock.owns_lock()) {
      // A start or stop is in progress; report what it is doing rather than wait for it.
      out.push_back(ObservedWorkspace{.workspace_id = id, .state = RunState::unknown,
                                      .progress = "a start or stop is in progress"});
      continue;
    }
    out.push_back(observe_one(id));
  }
  return out;
}

bool LocalRuntime::ended(const std::string& id) const {
  std::string state = state_dir(id);
  return ::access((state + "/state").c_str(), F_OK) != 0 ||
         ::access((state + "/exit").c_str(), F_OK) == 0;
}

Result<std::string> LocalRuntime::tail_logs(std::string_view workspace_id, std::size_t max_bytes) {
  std::string state = state_dir(workspace_id);
  if (::access((state + "/output.log").c_str(), F_OK) != 0) {
    return failed_precondition("this workspace has no output yet: it has not run on this machine; "
                               "start it and try again");
  }
  return tail_log(state + "/output.log", max_bytes);
}

Result<LogFollow> LocalRuntime::follow_logs(std::string_view workspace_id, std::size_t tail_bytes) {
  std::string id(workspace_id);
  std::string state = state_dir(id);
  if (::access((state + "/output.log").c_str(), F_OK) != 0) {
    return failed_precondition("this workspace has no output yet: it has not run on this machine; "
                               "start it and try again");
  }
  return follow_log(state + "/output.log", tail_bytes, [this, id] { return ended(id); });
}

}  // namespace k4ds

#include "runtime/local/host.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mutex>

#include "common/services.h"

extern char** environ;

namespace k4ds::local {

std::string account_name(const std::string& user) {
  std::string name = "k4ds-" + user;
  if (name.size() <= 32) return name;
  return "k4ds-" + user.substr(0, 18) + "-" + sha256_hex(user).substr(0, 8);
}

namespace {
constexpr int64_t kFirstUserUid = 1000;  // Debian's UID_MIN: below are system accounts

std::optional<Account> account_of(const struct passwd& pw) {
  return Account{pw.pw_name, pw.pw_uid, pw.pw_gid};
}

std::optional<Account> lookup(const std::string& name) {
  struct passwd pw{}, *found = nullptr;
  char buf[4096];
  if (getpwnam_r(name.c_str(), &pw, buf, sizeof buf, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return account_of(pw);
}

std::optional<Account> lookup_uid(uid_t uid) {
  struct passwd pw{}, *found = nullptr;
  char buf[4096];
  if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) != 0 || found == nullptr) return std::nullopt;
  return account_of(pw);
}

bool group_exists(gid_t gid) {
  struct group gr{}, *found = nullptr;
  char buf[4096];
  return getgrgid_r(gid, &gr, buf, sizeof buf, &found) == 0 && found != nullptr;
}
}  // namespace

int run_quietly(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Result<Account> ensure_account(const std::string& user, const std::string& home, int64_t uid,
                               int64_t gid) {
  static std::mutex mutex;  // useradd takes /etc/passwd's lock; don't race it with ourselves
  std::lock_guard lock(mutex);
  std::string name = account_name(user);
  const bool from_directory = uid >= 0;
  if (from_directory && uid == 0) {
    return failed_precondition("the directory gives " + user +
                               " uid 0 (root); workspaces never run as root — fix uidNumber in the directory");
  }
  std::optional<Account> own = lookup(name);
  if (own && from_directory && own->uid != static_cast<uid_t>(uid)) {
    return failed_precondition(
        "the Unix account " + name + " has uid " + std::to_string(own->uid) + " but the directory gives " +
        user + " uid " + std::to_string(uid) + "; an admin should remove the account (userdel " + name +
        ") and give " + user + "'s volumes to uid " + std::to_string(uid) + " (chown -R), then start again");
  }
  if (own) return *own;
  if (from_directory) {
    if (auto existing = lookup_uid(static_cast<uid_t>(uid))) {
      if (uid < kFirstUserUid) {  // a system account (daemon, _apt, ...), not the user's
        return failed_precondition("the directory gives " + user + " uid " + std::to_string(uid) +
                                   ", which belongs to the system account " + existing->name +
                                   " here; fix uidNumber in the directory");
      }
      if (gid >= 0) existing->gid = static_cast<gid_t>(gid);
      return *existing;  // the host knows the directory's accounts: run as the user's own
    }
  }
  std::string useradd = find_executable("useradd");
  if (useradd.empty()) {
    return failed_precondition("cannot create the Unix account " + name +
                               ": useradd is not installed (Debian package passwd)");
  }
  std::vector<std::string> argv{useradd, "--system", "--no-create-home", "--home-dir", home, "--shell",
                                "/usr/sbin/nologin", "--comment", "k4ds workspaces of " + user};
  if (from_directory) {
    argv.insert(argv.end(), {"--uid", std::to_string(uid)});
    if (gid >= 0 && !group_exists(static_cast<gid_t>(gid))) {
      std::string groupadd = find_executable("groupadd");
      int rc = groupadd.empty() ? -1 : run_quietly({groupadd, "--system", "--gid", std::to_string(gid), name});
      if (rc != 0 || !group_exists(static_cast<gid_t>(gid))) {
        return unavailable("cannot create the group " + name + " with gid " + std::to_string(gid) +
                           " (groupadd exited with " + std::to_string(rc) + "); check /etc/group and retry");
      }
    }
    if (gid >= 0) argv.insert(argv.end(), {"--gid", std::to_string(gid)});
    else argv.push_back("--user-group");
  } else {
    argv.push_back("--user-group");
  }
  argv.push_back(name);
  int rc = run_quietly(argv);
  if (auto found = lookup(name)) return *found;
  return unavailable("cannot create the Unix account " + name + " (useradd exited with " +
                     std::to_string(rc) + "); check /etc/passwd and retry");
}

Result<std::string> expand_template(const std::string& text,
                                    const std::map<std::string, std::string>& values) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    size_t open = text.find('{', i);
    if (open == std::string::npos) break;
    size_t close = text.find('}', open);
    if (close == std::string::npos) break;
    std::string key = text.substr(open + 1, close - open - 1);
    auto it = values.find(key);
    if (it == values.end()) {
      std::string known;
      for (const auto& [k, v] : values) known += (known.empty() ? "{" : ", {") + k + "}";
      return invalid_argument("the command uses an unknown placeholder {" + key +
                              "}; use one of " + known);
    }
    out += text.substr(i, open - i) + it->second;
    i = close + 1;
  }
  out += text.substr(i);
  return out;
}

Result<std::vector<std::string>> expand_template(const std::vector<std::string>& args,
                                                 const std::map<std::string, std::string>& values) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    auto expanded = expand_template(a, values);
    if (!expanded) return expanded.status();
    out.push_back(std::move(expanded).value());
  }
  return out;
}

std::string find_executable(const std::string& name) {
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  for (const char* dir : {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"}) {
    std::string path = std::string(dir) + "/" + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

namespace {
bool kernelspec_exists(const std::string& kernel) {
  for (const char* dir : {"/usr/share/jupyter/kernels/", "/usr/local/share/jupyter/kernels/"}) {
    if (::access((dir + kernel + "/kernel.json").c_str(), R_OK) == 0) return true;
  }
  return false;
}
}  // namespace

std::string environment_unavailable_reason(const Environment& env) {
  if (env.command.empty()) return "";  // not a local environment; nothing to check here
  std::string exe = find_executable(env.command[0]);
  if (exe.empty()) {
    return env.command[0] + " is not installed on this machine; ask your admin";
  }
  // "python3 -m notebook": the interpreter alone proves little.
  for (size_t i = 1; i + 1 < env.command.size(); ++i) {
    if (env.command[i] != "-m") continue;
    const std::string& module = env.command[i + 1];
    if (run_quietly({exe, "-c", "import " + module}) != 0) {
      std::string package = module == "notebook" ? " (Debian package python3-notebook)" : "";
      return "the Python module " + module + package +
             " is not installed on this machine; ask your admin";
    }
    break;
  }
  const std::string kKernelFlag = "--MultiKernelManager.default_kernel_name=";
  for (const auto& arg : env.command) {
    if (arg.rfind(kKernelFlag, 0) != 0) continue;
    std::string kernel = arg.substr(kKernelFlag.size());
    if (!kernelspec_exists(kernel)) {
      std::string package = kernel == "ir" ? " (Debian package r-cran-irkernel)" : "";
      return "the Jupyter kernel \"" + kernel + "\"" + package +
             " is not installed on this machine; ask your admin";
    }
  }
  return "";
}

void mark_unavailable_environments(Catalog& catalog) {
  for (auto& env : catalog.environments) {
    std::string why = environment_unavailable_reason(env);
    if (why.empty()) continue;
    env.available = false;
    env.unavailable_reason = why;
  }
}

}  // namespace k4ds::local

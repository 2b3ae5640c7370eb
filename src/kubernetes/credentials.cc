#include "kubernetes/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

// Refresh this long before the plugin's token expires, so no request carries a dying token.
constexpr auto kExpiryMargin = std::chrono::seconds(60);

struct ProcessOutput {
  int exit_code = -1;
  bool timed_out = false;
  std::string out;
  std::string err;
};

ProcessOutput run(const ExecPlugin& p, const std::string& exec_info, std::chrono::seconds timeout) {
  ProcessOutput r;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return r;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return r;
  }
  std::vector<std::string> args{p.command};
  args.insert(args.end(), p.args.begin(), p.args.end());
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
  for (const auto& [k, v] : p.env) env.push_back(k + "=" + v);
  env.push_back("KUBERNETES_EXEC_INFO=" + exec_info);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);  // never interactive
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execvpe(argv[0], argv.data(), envp.data());
    std::fprintf(stderr, "cannot run %s: not found or not executable\n", argv[0]);
    _exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  if (pid < 0) {
    ::close(out[0]);
    ::close(err[0]);
    return r;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string last_line(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_rfc3339_time(std::string_view text) {
  std::tm tm{};
  int consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 || consumed != 19) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest.front() == '.') {  // fraction: ignored (seconds are precise enough)
    size_t i = 1;
    while (i < rest.size() && std::isdigit(static_cast<unsigned char>(rest[i]))) ++i;
    rest.remove_prefix(i);
  }
  long offset = 0;
  if (rest == "Z" || rest == "z") {
    offset = 0;
  } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
    int h = 0, m = 0;
    if (std::sscanf(std::string(rest.substr(1)).c_str(), "%2d:%2d", &h, &m) != 2) return std::nullopt;
    offset = (h * 3600L + m * 60L) * (rest[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  std::time_t t = ::timegm(&tm);
  if (t == static_cast<std::time_t>(-1)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(t - offset);
}

TokenSource::TokenSource(ClusterConnection connection, std::function<Clock::time_point()> now,
                         std::chrono::seconds plugin_timeout)
    : connection_(std::move(connection)), now_(std::move(now)), plugin_timeout_(plugin_timeout) {}

int TokenSource::plugin_runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}

void TokenSource::invalidate() {
  std::lock_guard lock(mutex_);
  cached_.clear();
  cached_until_ = {};
}

Result<std::string> TokenSource::token() {
  if (connection_.exec) {
    std::lock_guard lock(mutex_);  // one plugin run at a time; the others wait for its token
    if (!cached_.empty() && now_() < cached_until_) return cached_;
    return run_plugin();
  }
  if (!connection_.token_file.empty()) {
    std::ifstream in(connection_.token_file);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    std::string t = text.str();
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (!in || t.empty()) {
      return unavailable("cannot read the cluster token from " + connection_.token_file +
                         "; check that it exists and is readable (service account tokens are "
                         "mounted by Kubernetes)");
    }
    return t;
  }
  return connection_.token;
}

Result<std::string> TokenSource::run_plugin() {
  const ExecPlugin& p = *connection_.exec;
  json::object info{{"apiVersion", p.api_version},
                    {"kind", "ExecCredential"},
                    {"spec", json::object{{"interactive", false}}}};
  ++runs_;
  ProcessOutput r = run(p, json::serialize(info), plugin_timeout_);
  std::string who = "the credential plugin " + p.command + " (context " + connection_.context + ")";
  if (r.timed_out) {
    return unauthenticated(who + " did not answer within " + std::to_string(plugin_timeout_.count()) +
                           " s; run it by hand to see what it waits for");
  }
  if (r.exit_code != 0) {
    std::string err = last_line(r.err);
    return unauthenticated(who + " failed (exit code " + std::to_string(r.exit_code) + ")" +
                           (err.empty() ? "" : ": " + err) + "; run it by hand to fix its login");
  }
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  const json::value* status = !ec && v.is_object() ? v.as_object().if_contains("status") : nullptr;
  const json::value* token = status && status->is_object() ? status->as_object().if_contains("token") : nullptr;
  if (!token || !token->is_string() || token->as_string().empty()) {
    return unauthenticated(who + " did not print an ExecCredential with status.token (k4ds does not "
                           "take client certificates from plugins)");
  }
  cached_ = std::string(token->as_string());
  cached_until_ = Clock::time_point::max();  // no expiry: valid until the API server says 401
  if (const json::value* exp = status->as_object().if_contains("expirationTimestamp");
      exp && exp->is_string()) {
    auto t = parse_rfc3339_time(exp->as_string());
    if (!t) return unauthenticated(who + " printed an unreadable expirationTimestamp");
    cached_until_ = *t - kExpiryMargin;
  }
  return cached_;
}

}  // namespace k4ds::kubernetes

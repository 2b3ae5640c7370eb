// Test helpers for end-to-end suites that run the real k4ds binary: run_k4ds() runs one CLI
// command to completion, Server runs `k4ds up` in the background until it is stopped (SIGTERM)
// or killed (SIGKILL, to test crash recovery). Header-only; the suite must define K4DS_BINARY
// (tests/CMakeLists.txt does).
//
// Usage:
//   Server server(dir);                     // dir/data, dir/server.log; waits for its URL
//   Outcome r = run_k4ds({"login", server.url(), "-u", "admin", "--password-stdin"},
//                        {{"HOME", home}}, std::string(kAdminPassword) + "\n");
//   server.kill_hard();                     // kill -9; workspaces keep running
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

namespace k4ds::testing {

using Env = std::map<std::string, std::string>;

inline constexpr const char* kAdminPassword = "admin-e2e-Passw0rd!";

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::ostream& operator<<(std::ostream& os, const Outcome& r) {
  return os << "exit " << r.exit_code << "\nstdout:\n" << r.out << "stderr:\n" << r.err;
}

inline std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// A minimal environment, so the developer's own login (HOME, K4DS_*) can't leak into a test.
inline std::vector<std::string> child_env(const Env& env) {
  std::vector<std::string> out;
  const char* path = std::getenv("PATH");
  out.push_back(std::string("PATH=") + (path ? path : "/usr/bin:/bin"));
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// Runs the k4ds binary with args, feeding `input` on stdin; gives up after 60 s.
inline Outcome run_k4ds(std::vector<std::string> args, const Env& env,
                        const std::string& input = "") {
  using Clock = std::chrono::steady_clock;
  args.insert(args.begin(), K4DS_BINARY);
  std::vector<std::string> envs = child_env(env);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::setsid();  // no controlling terminal: prompts must fail, not hang the test
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    auto argv = c_strings(args);
    auto envp = c_strings(envs);
    ::execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  Outcome r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (open_fds > 0 && Clock::now() < deadline) {
    if (::poll(fds, 2, 1000) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  if (open_fds > 0) ::kill(pid, SIGKILL);
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// `k4ds up` on a free port with the data directory dir/data, stderr in dir/<log_name>, stopped
// by SIGTERM when destroyed. Starting a second Server on the same dir (with another log_name)
// after kill_hard() is how a test restarts k4ds on its old data.
class Server {
 public:
  // extra_args go after `up` and its flags, e.g. {"-c", "k4ds.yaml"}.
  explicit Server(const std::filesystem::path& dir, const std::string& log_name = "server.log",
                  const std::vector<std::string>& extra_args = {}) {
    using Clock = std::chrono::steady_clock;
    std::filesystem::create_directories(dir / "data");
    std::vector<std::string> args{K4DS_BINARY, "up", "--listen", "127.0.0.1:0", "--data-dir",
                                  (dir / "data").string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<std::string> envs =
        child_env({{"HOME", dir.string()}, {"K4DS_ADMIN_PASSWORD", kAdminPassword}});
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return;
    std::string log = (dir / log_name).string();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // a crashed test must not leave a server behind
      ::dup2(out[1], 1);
      int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (log_fd >= 0) ::dup2(log_fd, 2);
      auto argv = c_strings(args);
      auto envp = c_strings(envs);
      ::execve(argv[0], argv.data(), envp.data());
      _exit(127);
    }
    ::close(out[1]);
    out_fd_ = out[0];
    // Wait for "k4ds: serving on URL", then keep draining stdout so the server never blocks on it.
    std::string text;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (Clock::now() < deadline) {
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, 200) <= 0) continue;
      char buf[1024];
      ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      const std::string marker = "k4ds: serving on ";
      if (auto at = text.find(marker); at != std::string::npos) {
        auto eol = text.find('\n', at);
        if (eol == std::string::npos) continue;
        url_ = text.substr(at + marker.size(), eol - at - marker.size());
        break;
      }
    }
    startup_output_ = text;
    drain_ = std::thread([fd = out_fd_] {
      char buf[1024];
      while (::read(fd, buf, sizeof buf) > 0) {
      }
    });
  }
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  ~Server() { stop(); }

  // SIGTERM, then SIGKILL if it has not exited after 10 s. Returns the wait status, or -1 if
  // the server was already gone.
  int stop() {
    int status = -1;
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    release_output();
    return status;
  }

  // kill -9 of the server process alone; whatever it started (workspaces) keeps running.
  void kill_hard() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    release_output();
  }

  bool running() const { return pid_ > 0 && ::kill(pid_, 0) == 0; }
  pid_t pid() const { return pid_; }
  const std::string& url() const { return url_; }
  // The port of url() ("http://localhost:PORT"), 0 if the server never reported one.
  uint16_t port() const {
    auto colon = url_.rfind(':');
    if (url_.empty() || colon == std::string::npos) return 0;
    return static_cast<uint16_t>(std::atoi(url_.c_str() + colon + 1));
  }
  const std::string& startup_output() const { return startup_output_; }

 private:
  void release_output() {
    if (drain_.joinable()) drain_.join();  // ends at EOF: the server (and its stdout) is gone
    if (out_fd_ >= 0) ::close(out_fd_);
    out_fd_ = -1;
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string url_;
  std::string startup_output_;
  std::thread drain_;
};

}  // namespace k4ds::testing

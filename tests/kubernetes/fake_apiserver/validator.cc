// The schema check of the test API server: one long-lived `node validate.mjs --lines`, fed one
// object per line from the validator's own thread; a run per object when that mode fails.
#include "validator.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <vector>

namespace k4ds::fake_apiserver {
namespace json = boost::json;
namespace {

constexpr int kAnswerTimeoutMs = 120000;  // a check that takes longer: node is stuck, restart it

std::string trimmed(std::string s) {
  const char* space = " \t\r\n\f\v";
  s.erase(0, s.find_first_not_of(space) == std::string::npos ? s.size() : s.find_first_not_of(space));
  s.erase(s.find_last_not_of(space) + 1);
  return s;
}

// Starts argv[0] with stdin/stdout on the given descriptors (-1: inherited); every other
// descriptor closed, so the child keeps no socket of this server open. Returns the pid or -1.
pid_t spawn(const std::vector<std::string>& args, int stdin_fd, int stdout_fd) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the spawning thread (the validator's) ends with this server
    if (stdin_fd >= 0) ::dup2(stdin_fd, 0);
    if (stdout_fd >= 0) ::dup2(stdout_fd, 1);
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

Validator::Validator(std::string node, std::string script) : node_(std::move(node)), script_(std::move(script)) {
  if (!enabled()) return;
  worker_ = std::thread([this] { run(); });
}

Validator::~Validator() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

Verdict Validator::check(const json::object& object) {
  if (!enabled()) return {};
  Job job{json::serialize(json::array{object}), {}};
  std::future<Verdict> verdict = job.verdict.get_future();
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return verdict.get();
}

void Validator::run() {
  start_process();  // node loads its modules while the first objects are on their way
  for (;;) {
    std::unique_lock lock(mu_);
    wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) break;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    job.verdict.set_value(check_on_worker(job.input));
  }
  stop_process();
}

Verdict Validator::check_on_worker(const std::string& input) {
  while (line_failures_ < 2) {
    Verdict verdict;
    if (ask_long_lived(input, verdict)) {
      line_failures_ = 0;
      return verdict;
    }
    ++line_failures_;
    stop_process();
    if (line_failures_ >= 2) {
      std::cerr << "fake_apiserver: " << script_ << " --lines does not answer; checking each object with a run of "
                << "its own (slower)\n";
    }
  }
  return ask_one_shot(input);
}

bool Validator::start_process() {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return false;
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return false;
  }
  pid_ = spawn({node_, script_, "--lines"}, in[0], out[1]);
  ::close(in[0]);
  ::close(out[1]);
  to_node_ = in[1];
  from_node_ = out[0];
  pending_.clear();
  return pid_ > 0;
}

void Validator::stop_process() {
  if (to_node_ >= 0) ::close(to_node_);
  if (from_node_ >= 0) ::close(from_node_);
  to_node_ = from_node_ = -1;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

bool Validator::ask_long_lived(const std::string& input, Verdict& verdict) {
  if (pid_ <= 0 && !start_process()) return false;
  if (!write_all(to_node_, input + "\n")) return false;
  size_t nl;
  while ((nl = pending_.find('\n')) == std::string::npos) {
    pollfd p{from_node_, POLLIN, 0};
    int ready = ::poll(&p, 1, kAnswerTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char buf[65536];
    ssize_t n = ::read(from_node_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;  // node ended
    pending_.append(buf, static_cast<size_t>(n));
  }
  std::string line = pending_.substr(0, nl);
  pending_.erase(0, nl + 1);
  boost::system::error_code ec;
  json::value answer = json::parse(line, ec);
  if (ec || !answer.is_object()) return false;
  const json::object& a = answer.get_object();
  auto* exit = a.if_contains("exit");
  auto* out = a.if_contains("stdout");
  if (!exit || !exit->is_int64() || !out || !out->is_string()) return false;
  verdict.valid = exit->get_int64() == 0;
  verdict.message = verdict.valid ? "" : trimmed(std::string(out->get_string()));
  return true;
}

Verdict Validator::ask_one_shot(const std::string& input) {
  char file[] = "/tmp/k4ds-fake-apiserver-XXXXXX.json";
  int fd = ::mkstemps(file, 5);
  int out[2] = {-1, -1};
  if (fd < 0 || !write_all(fd, input) || ::pipe2(out, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) {
      ::close(fd);
      ::unlink(file);
    }
    return {false, "the schema check could not run (" + why + ")"};
  }
  ::close(fd);
  pid_t pid = spawn({node_, script_, file}, -1, out[1]);
  ::close(out[1]);
  std::string output;
  char buf[65536];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  if (pid > 0) ::waitpid(pid, &status, 0);
  ::unlink(file);
  if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return {false, trimmed(output)};
}

}  // namespace k4ds::fake_apiserver

#include "cli/terminal.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <iostream>

extern char** environ;

namespace k4ds::cli {
namespace {

// Reads one line from fd (without '\n' or '\r'); false at end of input with nothing read.
bool read_line(int fd, std::string& line) {
  line.clear();
  char c;
  bool any = false;
  while (true) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return any;
    any = true;
    if (c == '\n') break;
    line += c;
  }
  while (!line.empty() && line.back() == '\r') line.pop_back();
  return true;
}

}  // namespace

Result<std::string> ask(std::string_view question, bool echo, std::string_view flag) {
  int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return invalid_argument("no terminal to ask on; pass " + std::string(flag) + " instead");
  }
  (void)!::write(fd, question.data(), question.size());
  termios saved{};
  bool restore = false;
  if (!echo && ::tcgetattr(fd, &saved) == 0) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    restore = ::tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
  }
  std::string line;
  bool got = read_line(fd, line);
  if (restore) ::tcsetattr(fd, TCSAFLUSH, &saved);
  ::close(fd);
  if (!got) return Status(Code::invalid_argument, "no answer given; nothing was changed");
  return line;
}

Result<std::string> read_secret_from_stdin() {
  std::string line;
  if (!read_line(STDIN_FILENO, line) || line.empty()) {
    return invalid_argument("--password-stdin read no password; pipe it in, e.g. "
                            "echo \"$PASSWORD\" | k4ds login --username alice --password-stdin");
  }
  return line;
}

bool open_in_browser(const std::string& url) {
  const char* path_env = std::getenv("PATH");
  std::string path = path_env ? path_env : "/usr/bin:/bin";
  bool found = false;
  for (std::size_t start = 0; start <= path.size();) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string candidate = path.substr(start, end - start) + "/xdg-open";
    if (::access(candidate.c_str(), X_OK) == 0) {
      found = true;
      break;
    }
    start = end + 1;
  }
  if (!found) return false;
  // Detach the browser's output from ours; don't wait for the browser to exit.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  const char* argv[] = {"xdg-open", url.c_str(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, "xdg-open", &actions, nullptr, const_cast<char* const*>(argv),
                        environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  // xdg-open itself returns quickly after handing the URL over; reap it so no zombie lingers.
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string host_name() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "unknown host";
  return buf;
}

}  // namespace k4ds::cli

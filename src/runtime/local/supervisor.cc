#include "runtime/local/supervisor.h"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace k4ds::local {
namespace {

// Everything below until launch_supervised runs in forked children: system calls only.

void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void write_str(int fd, const char* s) { write_all(fd, s, std::strlen(s)); }

// Formats v into buf (at least 24 bytes); returns buf.
char* format_int(long long v, char* buf) {
  char tmp[24];
  int n = 0;
  bool neg = v < 0;
  unsigned long long u = neg ? 0ULL - static_cast<unsigned long long>(v) : v;
  do {
    tmp[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u > 0);
  int i = 0;
  if (neg) buf[i++] = '-';
  while (n > 0) buf[i++] = tmp[--n];
  buf[i] = '\0';
  return buf;
}

// Writes text to path atomically (path.tmp then rename); tmp_path is prepared by the parent.
void write_small_file(const char* path, const char* tmp_path, const char* text) {
  int fd = ::open(tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  write_str(fd, text);
  ::fsync(fd);
  ::close(fd);
  ::rename(tmp_path, path);
}

void reset_signals() {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  for (int s = 1; s < NSIG; ++s) signal(s, SIG_DFL);  // fails harmlessly for KILL/STOP
}

// Brings up the loopback interface of the (new) network namespace this process is in.
bool loopback_up() {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  struct ifreq ifr {};
  std::strcpy(ifr.ifr_name, "lo");
  bool ok = ::ioctl(fd, SIOCGIFFLAGS, &ifr) == 0;
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  ok = ok && ::ioctl(fd, SIOCSIFFLAGS, &ifr) == 0;
  ::close(fd);
  return ok;
}

// The outbound helper (slirp4netns) for the namespace of process `target`: started from the
// host's namespace, it gives the workspace a tap device with NAT to the outside, and no way
// to the host's own loopback. Returns its pid, or -1.
pid_t start_outbound_helper(const char* path, pid_t target) {
  char pid_text[24];
  format_int(target, pid_text);
  pid_t helper = ::fork();
  if (helper != 0) return helper;
  char arg0[] = "slirp4netns", configure[] = "--configure", mtu[] = "--mtu=65520",
       no_host[] = "--disable-host-loopback", tap[] = "tap0";
  char* argv[] = {arg0, configure, mtu, no_host, pid_text, tap, nullptr};
  char* envp[] = {nullptr};
  ::execve(path, argv, envp);
  ::_exit(127);
}

struct Prepared {
  const SupervisedCommand* cmd;
  std::vector<char*> argv;
  std::vector<char*> envp;
  std::string log_rotated, exit_tmp, child_pid_tmp;
};

[[noreturn]] void run_workspace(const Prepared& p, int out_fd) {
  const SupervisedCommand& c = *p.cmd;
  ::setpgid(0, 0);
  for (const auto& procs : c.cgroup_procs) {
    int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, "0", 1) != 1) {
      write_str(out_fd, "k4ds: cannot join the workspace's cgroup ");
      write_str(out_fd, procs.c_str());
      write_str(out_fd, "\n");
      ::_exit(126);
    }
    ::close(fd);
  }
  int null_fd = ::open("/dev/null", O_RDONLY);
  ::dup2(null_fd, 0);
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  ::close_range(3, ~0U, 0);
  ::umask(077);  // the socket the workspace creates is 0600: only its owner (and root) connect
  if (c.switch_user) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(c.gid) != 0 || ::setuid(c.uid) != 0) {
      write_str(2, "k4ds: cannot switch to the workspace's user account\n");
      ::_exit(126);
    }
  }
  if (::chdir(c.working_dir.c_str()) != 0) {
    write_str(2, "k4ds: cannot enter the home directory ");
    write_str(2, c.working_dir.c_str());
    write_str(2, "\n");
    ::_exit(126);
  }
  ::execve(p.argv[0], p.argv.data(), p.envp.data());
  write_str(2, "k4ds: cannot run ");
  write_str(2, p.argv[0]);
  write_str(2, ": ");
  write_str(2, std::strerror(errno));  // glibc: a static table lookup for known errors
  write_str(2, "\n");
  ::_exit(127);
}

// Copies output into the rotating log until the workspace exits, then records how.
[[noreturn]] void supervise(const Prepared& p) {
  const SupervisedCommand& c = *p.cmd;
  pid_t helper = -1;
  if (c.private_network) {
    // Fail closed: a workspace that should be private never listens on the host's network.
    const int host_ns = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host_ns < 0 || ::unshare(CLONE_NEWNET) != 0 || !loopback_up()) {
      int log = ::open(c.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (log >= 0) {
        write_str(log, "k4ds: cannot give the workspace a private network: ");
        write_str(log, std::strerror(errno));
        write_str(log, "\n");
        ::close(log);
      }
      write_small_file(c.exit_path.c_str(), p.exit_tmp.c_str(), "exit_code=126\nsignal=0\n");
      ::_exit(0);
    }
    if (!c.outbound_helper.empty()) {
      // The helper must live in the host's network: it is forked from a process still there.
      helper = ::fork();
      if (helper == 0) {
        ::setpgid(0, 0);  // its own group, with slirp4netns: killed together at the end
        if (::setns(host_ns, CLONE_NEWNET) != 0) ::_exit(126);
        ::close(host_ns);
        pid_t slirp = start_outbound_helper(c.outbound_helper.c_str(), ::getppid());
        int status = 0;
        if (slirp > 0) ::waitpid(slirp, &status, 0);
        ::_exit(0);
      }
    }
    ::close(host_ns);
  }
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ::_exit(1);
  pid_t child = ::fork();
  if (child < 0) ::_exit(1);
  if (child == 0) {
    ::close(fds[0]);
    run_workspace(p, fds[1]);
  }
  ::setpgid(child, child);  // also done by the child; whichever runs first wins the race
  ::close(fds[1]);
  char num[24];
  {
    char text[64];
    text[0] = '\0';
    std::strcat(text, format_int(child, num));
    std::strcat(text, "\n");
    write_small_file(c.child_pid_path.c_str(), p.child_pid_tmp.c_str(), text);
  }
  int log = ::open(c.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  struct stat st{};
  int64_t size = (log >= 0 && ::fstat(log, &st) == 0) ? st.st_size : 0;
  char buf[16384];
  bool open_pipe = true;
  int status = 0;
  bool exited = false;
  int grace_polls = 0;
  while (open_pipe) {
    struct pollfd pfd{fds[0], POLLIN, 0};
    int r = ::poll(&pfd, 1, 200);
    if (r > 0) {
      // Never more than one part at once, so each part stays within its bound.
      size_t want = sizeof buf;
      if (c.log_max_bytes > 0 && static_cast<int64_t>(want) > c.log_max_bytes) want = c.log_max_bytes;
      ssize_t n = ::read(fds[0], buf, want);
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        open_pipe = false;
      } else if (n > 0 && log >= 0) {
        if (size + n > c.log_max_bytes) {
          ::close(log);
          ::rename(c.log_path.c_str(), p.log_rotated.c_str());
          log = ::open(c.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
          size = 0;
        }
        write_all(log, buf, static_cast<size_t>(n));
        size += n;
      }
    }
    if (!exited && ::waitpid(child, &status, WNOHANG) == child) exited = true;
    // Processes the workspace left behind may hold the pipe open; give them a moment, then end.
    if (exited && ++grace_polls > 10) break;
  }
  if (!exited) ::waitpid(child, &status, 0);
  ::kill(-child, SIGKILL);  // whatever is left of its process group
  if (helper > 0) {
    ::kill(-helper, SIGKILL);  // the outbound helper and its slirp4netns
    ::kill(helper, SIGKILL);
    ::waitpid(helper, nullptr, 0);
  }
  char text[96];
  text[0] = '\0';
  std::strcat(text, "exit_code=");
  std::strcat(text, format_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, num));
  std::strcat(text, "\nsignal=");
  std::strcat(text, format_int(WIFSIGNALED(status) ? WTERMSIG(status) : 0, num));
  std::strcat(text, "\n");
  write_small_file(c.exit_path.c_str(), p.exit_tmp.c_str(), text);
  if (log >= 0) ::close(log);
  ::_exit(0);
}

}  // namespace

Result<int> launch_supervised(const SupervisedCommand& command) {
  if (command.argv.empty() || command.argv[0].empty() || command.argv[0][0] != '/') {
    return failed_precondition("the workspace command must start with an absolute path");
  }
  Prepared p{.cmd = &command};
  for (const auto& a : command.argv) p.argv.push_back(const_cast<char*>(a.c_str()));
  p.argv.push_back(nullptr);
  for (const auto& e : command.env) p.envp.push_back(const_cast<char*>(e.c_str()));
  p.envp.push_back(nullptr);
  p.log_rotated = command.log_path + ".1";
  p.exit_tmp = command.exit_path + ".tmp";
  p.child_pid_tmp = command.child_pid_path + ".tmp";

  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return unavailable(std::string("pipe: ") + std::strerror(errno));
  pid_t first = ::fork();
  if (first < 0) {
    int e = errno;
    ::close(report[0]);
    ::close(report[1]);
    return unavailable(std::string("cannot start a process: ") + std::strerror(e));
  }
  if (first == 0) {
    // New session: no controlling terminal, and signals to k4ds's group don't reach us.
    ::setsid();
    reset_signals();
    int null_fd = ::open("/dev/null", O_RDWR);
    ::dup2(null_fd, 0);
    ::dup2(null_fd, 1);
    ::dup2(null_fd, 2);
    if (report[1] != 3) {
      ::dup2(report[1], 3);
    } else {
      ::fcntl(3, F_SETFD, 0);
    }
    ::close_range(4, ~0U, 0);
    pid_t supervisor = ::fork();
    if (supervisor == 0) {
      ::close(3);
      supervise(p);
    }
    int value = supervisor;
    write_all(3, reinterpret_cast<const char*>(&value), sizeof value);
    ::_exit(0);
  }
  ::close(report[1]);
  int supervisor = -1;
  ssize_t n;
  do {
    n = ::read(report[0], &supervisor, sizeof supervisor);
  } while (n < 0 && errno == EINTR);
  ::close(report[0]);
  int ignored;
  ::waitpid(first, &ignored, 0);
  if (n != sizeof supervisor || supervisor <= 0) {
    return unavailable("cannot start the workspace's supervisor process; try again");
  }
  return supervisor;
}

}  // namespace k4ds::local

#include "common/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace k4ds {

std::optional<NetnsAddress> parse_netns_upstream(std::string_view text) {
  if (!text.starts_with(kNetnsPrefix)) return std::nullopt;
  text.remove_prefix(kNetnsPrefix.size());
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  int pid = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + colon, pid);
  if (ec != std::errc() || end != text.data() + colon || pid <= 0) return std::nullopt;
  std::string_view address = text.substr(colon + 1);
  if (address.empty()) return std::nullopt;
  return NetnsAddress{.pid = pid, .address = std::string(address)};
}

std::string format_netns_upstream(int pid, std::string_view address) {
  return std::string(kNetnsPrefix) + std::to_string(pid) + ":" + std::string(address);
}

Result<int> socket_in_network_of(int pid, int domain) {
  // The namespace every thread of this process starts in, opened once.
  static const int home = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return unavailable(std::string("cannot open this process's network namespace: ") + std::strerror(errno));
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
  const int target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    return unavailable("the workspace's network (" + path + ") is gone: " + std::strerror(errno));
  }
  if (::setns(target, CLONE_NEWNET) != 0) {
    const int e = errno;
    ::close(target);
    return permission_denied(std::string("cannot enter the workspace's network: ") + std::strerror(e) +
                             "; k4ds must run as root for workspaces with a private network");
  }
  ::close(target);
  const int fd = ::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int socket_errno = errno;
  if (::setns(home, CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "k4ds: cannot return to the host network after entering a workspace's: %s\n",
                 std::strerror(errno));
    std::abort();
  }
  if (fd < 0) return unavailable(std::string("cannot create a socket in the workspace's network: ") + std::strerror(socket_errno));
  return fd;
}

}  // namespace k4ds

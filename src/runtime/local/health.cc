#include "runtime/local/health.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "common/netns.h"

namespace k4ds::local {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

int connect_upstream(const std::string& upstream, Clock::time_point deadline) {
  int fd = -1;
  int rc = -1;
  if (upstream.rfind("unix:", 0) == 0) {
    std::string path = upstream.substr(5);
    sockaddr_un addr{};
    if (path.size() >= sizeof addr.sun_path) return -1;
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  } else {
    // "127.0.0.1:8888", or "netns:PID:127.0.0.1:8888" in the workspace's private network.
    std::optional<NetnsAddress> in_netns = parse_netns_upstream(upstream);
    const std::string address = in_netns ? in_netns->address : upstream;
    auto colon = address.rfind(':');
    if (colon == std::string::npos) return -1;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(std::atoi(address.c_str() + colon + 1)));
    if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &addr.sin_addr) != 1) return -1;
    if (in_netns) {
      Result<int> made = socket_in_network_of(in_netns->pid, AF_INET);
      if (!made) return -1;
      fd = *made;
    } else {
      fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    }
    if (fd < 0) return -1;
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0 && errno != EINPROGRESS && errno != EAGAIN) {
    ::close(fd);
    return -1;
  }
  if (rc != 0) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, remaining_ms(deadline)) != 1 ||
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

}  // namespace

std::optional<std::string> http_get(const std::string& upstream, const std::string& path,
                                    std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  int fd = connect_upstream(upstream, deadline);
  if (fd < 0) return std::nullopt;
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\nConnection: close\r\n\r\n";
  size_t sent = 0;
  while (sent < request.size()) {
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) break;
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  std::string response;
  if (sent == request.size()) {
    char buf[4096];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, remaining_ms(deadline)) != 1) break;
      ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      response.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  if (response.empty()) return std::nullopt;
  return response;
}

std::optional<int> http_probe(const std::string& upstream, const std::string& path,
                              std::chrono::milliseconds timeout) {
  auto response = http_get(upstream, path, timeout);
  // "HTTP/1.1 200 OK": the status line is all a probe needs, even if the body was cut short.
  if (!response || response->rfind("HTTP/", 0) != 0) return std::nullopt;
  auto space = response->find(' ');
  if (space == std::string::npos || space + 4 > response->size()) return std::nullopt;
  int code = std::atoi(response->c_str() + space + 1);
  if (code < 100 || code > 599) return std::nullopt;
  return code;
}

}  // namespace k4ds::local

// Workspaces in a private network: as root, the local runtime runs an environment that listens
// on a TCP port inside its own network namespace, so no local user can reach the port; the
// gateway and the health checks reach it by creating their socket in that namespace.
//
// Contract
// - Upstream text "netns:<pid>:<host>:<port>" names <host>:<port> in the network namespace of
//   process <pid> (the workspace's supervisor, which holds the namespace while it runs).
//   parse_netns_upstream() accepts exactly that shape (pid > 0, a non-empty address) and
//   nothing else.
// - socket_in_network_of(pid, domain) returns a non-blocking, close-on-exec SOCK_STREAM socket
//   created in that namespace: it switches the calling thread into the namespace, creates the
//   socket and switches back (the socket stays in the namespace it was made in). Needs
//   CAP_SYS_ADMIN (k4ds as root). Errors say why (no such process, permission). If switching
//   back ever failed the thread would be in the wrong network, so that aborts the process.
//
// Usage:
//   if (auto target = parse_netns_upstream(upstream)) {
//     Result<int> fd = socket_in_network_of(target->pid, AF_INET);
//     ::connect(*fd, ...127.0.0.1:port...);
//   }
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace k4ds {

inline constexpr std::string_view kNetnsPrefix = "netns:";

struct NetnsAddress {
  int pid = 0;
  std::string address;  // "127.0.0.1:8888"
};

std::optional<NetnsAddress> parse_netns_upstream(std::string_view text);
std::string format_netns_upstream(int pid, std::string_view address);

Result<int> socket_in_network_of(int pid, int domain);

}  // namespace k4ds

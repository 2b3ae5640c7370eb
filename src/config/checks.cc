#include "config/checks.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <fmt/format.h>

#include <limits>

#include "model/validation.h"

namespace k4ds::config {
namespace {

namespace ip = boost::asio::ip;

// Room left for the workspace label: "<63 characters>." in front of the domain must stay
// within DNS's 253-character limit for a whole name.
constexpr std::size_t kMaxDomainLength = 253 - kMaxHostLabelLength - 1;

bool is_ip_address(std::string_view text) {
  boost::system::error_code ec;
  (void)ip::make_address(std::string(text), ec);
  return !ec;
}

Status check_dns_name(std::string_view what, std::string_view name, std::size_t max_length) {
  if (name.empty())
    return invalid_argument(fmt::format("{} is empty; use a DNS name such as localhost or "
                                        "ds.example.org",
                                        what));
  if (name.size() > max_length)
    return invalid_argument(fmt::format("{} \"{}\" is {} characters long; use at most {}", what,
                                        name, name.size(), max_length));
  if (name.back() == '.')
    return invalid_argument(
        fmt::format("{} \"{}\" ends with \".\"; write it without the trailing dot", what, name));
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('.', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view label = name.substr(start, end - start);
    if (label.empty())
      return invalid_argument(
          fmt::format("{} \"{}\" has an empty part between dots", what, name));
    if (label.size() > kMaxHostLabelLength)
      return invalid_argument(fmt::format("{} \"{}\": the part \"{}\" is longer than {} characters",
                                          what, name, label, kMaxHostLabelLength));
    for (char c : label) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
      if (!ok)
        return invalid_argument(fmt::format(
            "{} \"{}\" may contain only lowercase a-z, 0-9, \"-\" and dots", what, name));
    }
    if (label.front() == '-' || label.back() == '-')
      return invalid_argument(fmt::format(
          "{} \"{}\": the part \"{}\" must not start or end with \"-\"", what, name, label));
    start = end + 1;
  }
  if (is_ip_address(name))
    return invalid_argument(fmt::format(
        "{} \"{}\" is an IP address; use a DNS name, because workspaces answer on "
        "<user>-<name>.<domain>",
        what, name));
  return ok_status();
}

Status check_port(std::string_view listen, std::string_view port) {
  bool digits = !port.empty() && port.size() <= 5 &&
                port.find_first_not_of("0123456789") == std::string_view::npos;
  if (!digits || std::stoi(std::string(port)) > 65535)
    return invalid_argument(fmt::format(
        "\"{}\": the port must be an integer between 0 and 65535 (0 picks a free one)", listen));
  return ok_status();
}

}  // namespace

Status check_domain(std::string_view domain) {
  return check_dns_name("domain", domain, kMaxDomainLength);
}

Status check_portal_host(std::string_view portal_host, std::string_view domain) {
  K4DS_RETURN_IF_ERROR(check_dns_name("portal host", portal_host, 253));
  // "alice-x.<domain>" belongs to alice's workspace x; the portal must never answer there.
  std::string suffix = "." + std::string(domain);
  if (portal_host.size() > suffix.size() && portal_host.ends_with(suffix)) {
    std::string_view label = portal_host.substr(0, portal_host.size() - suffix.size());
    if (split_workspace_label(label))
      return invalid_argument(fmt::format(
          "portal host \"{}\" has the form of a workspace host (<user>-<name>.{}); use a name "
          "without \"-\" such as portal.{}",
          portal_host, domain, domain));
  }
  return ok_status();
}

Status check_listen(std::string_view listen) {
  constexpr std::string_view kHint =
      "use host:port such as 127.0.0.1:8080, 0.0.0.0:443 or [::1]:8080";
  if (listen.starts_with('[')) {
    std::size_t close = listen.find("]:");
    if (close == std::string_view::npos)
      return invalid_argument(fmt::format("\"{}\" is not host:port; {}", listen, kHint));
    boost::system::error_code ec;
    (void)ip::make_address_v6(std::string(listen.substr(1, close - 1)), ec);
    if (ec)
      return invalid_argument(
          fmt::format("\"{}\": \"{}\" is not an IPv6 address; {}", listen,
                      listen.substr(1, close - 1), kHint));
    return check_port(listen, listen.substr(close + 2));
  }
  std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return invalid_argument(fmt::format("\"{}\" is not host:port; {}", listen, kHint));
  std::string_view host = listen.substr(0, colon);
  if (host.find(':') != std::string_view::npos)
    return invalid_argument(fmt::format(
        "\"{}\": write an IPv6 address in brackets, such as [::1]:8080", listen));
  if (!is_ip_address(host)) {
    bool name_ok = host.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") ==
                       std::string_view::npos &&
                   host.front() != '-' && host.front() != '.' && host.back() != '.';
    if (!name_ok)
      return invalid_argument(fmt::format(
          "\"{}\": \"{}\" is neither an IP address nor a host name; {}", listen, host, kHint));
  }
  return check_port(listen, listen.substr(colon + 1));
}

Status check_data_dir(std::string_view path) {
  if (path.empty() || path.front() != '/')
    return invalid_argument(fmt::format(
        "\"{}\" is not an absolute path; use one such as /var/lib/k4ds", path));
  return ok_status();
}

Status check_proxy(std::string_view entry) {
  constexpr std::string_view kHint =
      "use an IP address such as 10.0.0.5 or a network such as 10.0.0.0/8 or fd00::/8";
  boost::system::error_code ec;
  std::string text(entry);
  if (entry.find('/') == std::string_view::npos) {
    (void)ip::make_address(text, ec);
    if (ec)
      return invalid_argument(
          fmt::format("\"{}\" is not an IP address or network; {}", entry, kHint));
    return ok_status();
  }
  // A network with bits set after the prefix ("10.1.2.3/8") is almost always a typo for the
  // network itself; trusting a different range than meant is a security problem, so refuse.
  if (entry.find(':') == std::string_view::npos) {
    ip::network_v4 net = ip::make_network_v4(text, ec);
    if (!ec && net.canonical() != net)
      return invalid_argument(fmt::format("\"{}\" has address bits set after the prefix; did you "
                                          "mean {}?",
                                          entry, net.canonical().to_string()));
  } else {
    ip::network_v6 net = ip::make_network_v6(text, ec);
    if (!ec && net.canonical() != net)
      return invalid_argument(fmt::format("\"{}\" has address bits set after the prefix; did you "
                                          "mean {}?",
                                          entry, net.canonical().to_string()));
  }
  if (ec)
    return invalid_argument(
        fmt::format("\"{}\" is not an IP address or network; {}", entry, kHint));
  return ok_status();
}

Result<std::chrono::seconds> parse_duration(std::string_view text) {
  constexpr std::string_view kHint = "use a number with a unit, such as 3600s, 30m, 12h or 7d";
  if (text.size() < 2)
    return invalid_argument(fmt::format("\"{}\" is not a duration; {}", text, kHint));
  std::string_view digits = text.substr(0, text.size() - 1);
  int64_t unit = 0;
  switch (text.back()) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    default: break;
  }
  if (unit == 0 || digits.find_first_not_of("0123456789") != std::string_view::npos)
    return invalid_argument(fmt::format("\"{}\" is not a duration; {}", text, kHint));
  // Longer than 100 years is a typo, and bounding it keeps time arithmetic from overflowing.
  constexpr int64_t kMaxSeconds = int64_t{100} * 366 * 86400;
  if (digits.size() > 12 || std::stoll(std::string(digits)) * unit > kMaxSeconds)
    return invalid_argument(fmt::format("duration \"{}\" is too long; the most is 36500d", text));
  int64_t seconds = std::stoll(std::string(digits)) * unit;
  if (seconds == 0)
    return invalid_argument(fmt::format("duration \"{}\" must be more than zero", text));
  return std::chrono::seconds(seconds);
}

std::string describe_size(const Size& size) {
  std::string cpu = format_cpu(size.cpu_millis);
  if (cpu.ends_with('m')) cpu = fmt::format("{:.3g}", size.cpu_millis / 1000.0);
  std::string out = fmt::format("{} {}", cpu, size.cpu_millis <= 1000 ? "CPU" : "CPUs");
  constexpr int64_t kMiB = int64_t{1} << 20;
  constexpr int64_t kGiB = int64_t{1} << 30;
  if (size.memory_bytes % kGiB == 0)
    out += fmt::format(", {} GiB", size.memory_bytes / kGiB);
  else if (size.memory_bytes % kMiB == 0)
    out += fmt::format(", {} MiB", size.memory_bytes / kMiB);
  else
    out += fmt::format(", {} memory", format_memory(size.memory_bytes));
  if (size.gpus > 0) out += fmt::format(", {} {}", size.gpus, size.gpus == 1 ? "GPU" : "GPUs");
  return out;
}

}  // namespace k4ds::config

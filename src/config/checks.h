// Checks for single configuration values, shared by the YAML loader and the K4DS_* overrides so
// a value is judged the same wherever it comes from.
//
// Contract: pure functions. A refusal is Code::invalid_argument whose message says what is
// allowed; the caller adds the path ("listen", "K4DS_LISTEN").
//
// Usage:
//   if (Status s = check_listen("0.0.0.0:443"); !s.ok()) report("listen", s.message());
//   Result<std::chrono::seconds> ttl = parse_duration("12h");
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"
#include "model/catalog.h"

namespace k4ds::config {

// A lowercase DNS name such as "localhost" or "ds.example.org", short enough that
// "<63-character label>.<domain>" is still a valid host name, and not an IP address.
Status check_domain(std::string_view domain);
// The portal host: a DNS name that is not itself a workspace host of the domain.
Status check_portal_host(std::string_view portal_host, std::string_view domain);
// "host:port" with an IPv4 address, a host name or a bracketed IPv6 address; port 0..65535.
Status check_listen(std::string_view listen);
// An absolute path; a daemon's working directory is not a place to keep data.
Status check_data_dir(std::string_view path);
// An IP address ("10.1.2.3", "::1") or a network in CIDR form ("10.0.0.0/8", "fd00::/8").
Status check_proxy(std::string_view entry);
// "3600s", "30m", "12h", "7d"; more than zero.
Result<std::chrono::seconds> parse_duration(std::string_view text);
// "1 CPU, 2 GiB", "0.5 CPU, 512 MiB, 1 GPU": the description a size gets when none is given.
std::string describe_size(const Size& size);

}  // namespace k4ds::config

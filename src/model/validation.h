// Validation of names and quantities: the rules that keep `<user>-<name>.<domain>` a valid,
// unambiguous DNS name and resource sizes exact.
//
// Contract: pure functions. A refusal is Code::invalid_argument with a message that says what
// is allowed, e.g. `workspace name "My_WS" may contain only a-z, 0-9 and "-"`.
//
// Naming scheme: user names are [a-z][a-z0-9]* (no dash), workspace names are DNS-label
// characters with single inner dashes. The host label "<user>-<name>" is therefore split at
// its first dash without ambiguity, and the whole label is at most 63 characters.
//
// Usage:
//   if (Status s = validate_workspace_name("alice", "analysis"); !s.ok()) return s;
//   Result<int64_t> mem = parse_memory("8Gi");     // 8589934592
//   Result<int64_t> cpu = parse_cpu("500m");       // 500 (millicores)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"
#include "model/model.h"

namespace k4ds {

inline constexpr std::size_t kMaxUserNameLength = 32;
inline constexpr std::size_t kMaxHostLabelLength = 63;

Status validate_user_name(std::string_view name);
Status validate_group_name(std::string_view name);
// Checks the workspace name alone and that "<owner>-<name>" fits one DNS label.
Status validate_workspace_name(std::string_view owner, std::string_view name);
// Catalog entries (environment and size names) follow the workspace name characters.
Status validate_catalog_name(std::string_view what, std::string_view name);

// Splits a host label "<user>-<name>" into its parts; nullopt if it is not one.
struct WorkspaceLabel {
  std::string owner;
  std::string name;
};
std::optional<WorkspaceLabel> split_workspace_label(std::string_view label);

// CPU: "2", "0.5", "500m" → millicores. Refuses negatives, more precision than 1m, garbage.
Result<int64_t> parse_cpu(std::string_view text);
// Memory: "512Mi", "8Gi", "1G", "1000", "1.5Gi" → bytes. Binary (Ki Mi Gi Ti Pi Ei) and
// decimal (k M G T P E) suffixes; the result must be a whole number of bytes.
Result<int64_t> parse_memory(std::string_view text);
// Non-negative whole numbers (GPU counts, workspace counts).
Result<int64_t> parse_count(std::string_view text);

// Formats for people and round-trips: 1500 → "1.5", 500 → "500m"; 8589934592 → "8Gi".
std::string format_cpu(int64_t millis);
std::string format_memory(int64_t bytes);
// In plain words for messages and the portal: 1000 → "1 CPU", 2500 → "2.5 CPUs", 500 → "0.5 CPU";
// 8589934592 → "8 GiB", 1610612736 → "1.5 GiB", 1000 → "1000 bytes".
std::string describe_cpu(int64_t millis);
std::string describe_memory(int64_t bytes);

}  // namespace k4ds

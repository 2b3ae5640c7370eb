#include "model/validation.h"

#include <array>
#include <limits>
#include <optional>
#include <utility>

#include <fmt/format.h>

namespace k4ds {
namespace {

// Names a person could mistake for part of k4ds itself, or that the portal and gateway use as
// host labels or paths. Refusing them as user names keeps "<name>.<domain>" and
// "<user>-<ws>.<domain>" from ever being confused with k4ds's own hosts.
constexpr std::array<std::string_view, 13> kReservedUserNames = {
    "api",    "www",    "portal", "auth",    "login",   "logout",    "static",
    "assets", "k4ds",   "root",   "system",  "default", "localhost",
};

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string reserved_list() {
  std::string out;
  for (std::string_view n : kReservedUserNames) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

// Long names are cut in messages so an error stays readable.
std::string shown(std::string_view text) {
  if (text.size() <= 80) return fmt::format("\"{}\"", text);
  return fmt::format("\"{}…\"", text.substr(0, 80));
}

// Shared shape of DNS-label-like names (workspaces, catalog entries, groups): only a-z, 0-9 and
// "-", a letter first, no dash last and no "--" (which DNS reserves for punycode "xn--").
Status check_label_shape(std::string_view what, std::string_view name) {
  for (char c : name) {
    if (!is_lower(c) && !is_digit(c) && c != '-')
      return invalid_argument(
          fmt::format("{} {} may contain only a-z, 0-9 and \"-\"", what, shown(name)));
  }
  if (!is_lower(name.front()))
    return invalid_argument(fmt::format("{} {} must start with a letter a-z", what, shown(name)));
  if (name.back() == '-')
    return invalid_argument(fmt::format("{} {} must not end with \"-\"", what, shown(name)));
  if (name.find("--") != std::string_view::npos)
    return invalid_argument(
        fmt::format("{} {} must not contain \"--\"; use single dashes", what, shown(name)));
  return ok_status();
}

}  // namespace

Status validate_user_name(std::string_view name) {
  if (name.empty())
    return invalid_argument(
        "user name is empty; use 1 to 32 characters a-z and 0-9, starting with a letter");
  if (name.size() > kMaxUserNameLength)
    return invalid_argument(fmt::format("user name {} is {} characters long; use at most {}",
                                        shown(name), name.size(), kMaxUserNameLength));
  for (char c : name) {
    if (!is_lower(c) && !is_digit(c))
      return invalid_argument(fmt::format(
          "user name {} may contain only a-z and 0-9 (no \"-\", which separates the user from "
          "the workspace name in host names)",
          shown(name)));
  }
  if (!is_lower(name.front()))
    return invalid_argument(fmt::format("user name {} must start with a letter a-z", shown(name)));
  for (std::string_view reserved : kReservedUserNames) {
    if (name == reserved)
      return invalid_argument(fmt::format(
          "user name {} is reserved; choose another (reserved names: {})", shown(name),
          reserved_list()));
  }
  return ok_status();
}

Status validate_group_name(std::string_view name) {
  constexpr std::size_t kMax = 64;
  if (name.empty())
    return invalid_argument(
        "group name is empty; use 1 to 64 characters a-z, 0-9 and \"-\", starting with a letter");
  if (name.size() > kMax)
    return invalid_argument(fmt::format("group name {} is {} characters long; use at most {}",
                                        shown(name), name.size(), kMax));
  return check_label_shape("group name", name);
}

Status validate_workspace_name(std::string_view owner, std::string_view name) {
  if (Status s = validate_user_name(owner); !s.ok())
    return invalid_argument("workspace owner: " + s.message());
  if (name.empty())
    return invalid_argument(
        "workspace name is empty; use a-z, 0-9 and \"-\", starting with a letter");
  K4DS_RETURN_IF_ERROR(check_label_shape("workspace name", name));
  // The host label is "<owner>-<name>"; owner is at most 32 characters, so this stays >= 30.
  std::size_t max = kMaxHostLabelLength - owner.size() - 1;
  if (name.size() > max)
    return invalid_argument(fmt::format(
        "workspace name {} is {} characters long; workspace name may be at most {} characters "
        "for user {}, because {}-<name> must fit one {}-character DNS label",
        shown(name), name.size(), max, owner, owner, kMaxHostLabelLength));
  return ok_status();
}

Status validate_catalog_name(std::string_view what, std::string_view name) {
  std::string label = fmt::format("{} name", what);
  if (name.empty())
    return invalid_argument(fmt::format(
        "{} is empty; use 1 to {} characters a-z, 0-9 and \"-\", starting with a letter", label,
        kMaxHostLabelLength));
  if (name.size() > kMaxHostLabelLength)
    return invalid_argument(fmt::format("{} {} is {} characters long; use at most {}", label,
                                        shown(name), name.size(), kMaxHostLabelLength));
  return check_label_shape(label, name);
}

std::optional<WorkspaceLabel> split_workspace_label(std::string_view label) {
  std::size_t dash = label.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  std::string_view owner = label.substr(0, dash);
  std::string_view name = label.substr(dash + 1);
  if (!validate_workspace_name(owner, name).ok()) return std::nullopt;
  return WorkspaceLabel{std::string(owner), std::string(name)};
}

// ---- Quantities ------------------------------------------------------------------------------
// All arithmetic is on integers (__int128 for intermediates) so "1.5Gi" is exactly 1610612736
// bytes and "0.1" exactly 100 millicores; floating point would make sizes drift by a byte.

namespace {

using Int128 = __int128;
constexpr Int128 kInt64Max = std::numeric_limits<int64_t>::max();

// "[-]digits[.digits]" at the front of a quantity; the rest is the suffix.
struct Number {
  bool negative = false;
  Int128 whole = 0;       // stops growing past kInt64Max: every parser refuses that anyway
  std::string_view frac;  // fraction digits with trailing zeros removed
  std::string_view suffix;
};

std::optional<Number> split_number(std::string_view text) {
  Number n;
  std::size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    n.negative = true;
    ++i;
  }
  std::size_t start = i;
  while (i < text.size() && is_digit(text[i])) {
    // Below 10 * 2^63, so whole * 2^60 (Ei) still fits in 127 bits.
    if (n.whole <= kInt64Max) n.whole = n.whole * 10 + (text[i] - '0');
    ++i;
  }
  if (i == start) return std::nullopt;  // no digits before any dot: ".5", "abc", "-"
  if (i < text.size() && text[i] == '.') {
    std::size_t frac_start = ++i;
    while (i < text.size() && is_digit(text[i])) ++i;
    if (i == frac_start) return std::nullopt;  // "1."
    n.frac = text.substr(frac_start, i - frac_start);
    while (!n.frac.empty() && n.frac.back() == '0') n.frac.remove_suffix(1);
  }
  n.suffix = text.substr(i);
  return n;
}

Int128 pow10(std::size_t n) {
  Int128 p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

Int128 digits_value(std::string_view digits) {
  Int128 v = 0;
  for (char c : digits) v = v * 10 + (c - '0');
  return v;
}

constexpr std::string_view kCpuHint =
    "use a number of CPUs such as 2 or 0.5, or millicores such as 500m";
constexpr std::string_view kMemoryHint =
    "use bytes with a binary suffix such as 512Mi or 8Gi (Ki Mi Gi Ti Pi Ei), a decimal suffix "
    "such as 1G (k M G T P E), or a whole number of bytes";

struct MemorySuffix {
  std::string_view text;
  Int128 multiplier;
};
constexpr Int128 kKi = 1024;
constexpr std::array<MemorySuffix, 13> kMemorySuffixes = {{
    {"", 1},
    {"Ki", kKi},
    {"Mi", kKi * kKi},
    {"Gi", kKi * kKi * kKi},
    {"Ti", kKi * kKi * kKi * kKi},
    {"Pi", kKi * kKi * kKi * kKi * kKi},
    {"Ei", kKi * kKi * kKi * kKi * kKi * kKi},
    {"k", 1000},
    {"M", 1000'000},
    {"G", 1000'000'000},
    {"T", 1000'000'000'000},
    {"P", 1000'000'000'000'000},
    {"E", 1000'000'000'000'000'000},
}};

char to_upper(char c) { return is_lower(c) ? static_cast<char>(c - 'a' + 'A') : c; }
char to_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// People write "8GB", "8gb", "8G" meaning GiB ("8g" in Docker and Java is GiB too). For the
// spellings k4ds does not accept, suggest the binary suffix they almost certainly meant.
std::optional<std::string> suggest_binary_suffix(std::string_view suffix) {
  std::string lower;
  for (char c : suffix) lower += to_lower(c);
  if (lower.size() == 3 && lower.substr(1) == "ib") lower = lower.substr(0, 1);  // "GiB" → "g"
  if (lower.size() == 2 && (lower[1] == 'b' || lower[1] == 'i')) lower = lower.substr(0, 1);
  if (lower.size() != 1) return std::nullopt;
  if (std::string_view("kmgtpe").find(lower[0]) == std::string_view::npos) return std::nullopt;
  return std::string(1, to_upper(lower[0])) + "i";
}

}  // namespace

Result<int64_t> parse_cpu(std::string_view text) {
  if (text.empty()) return invalid_argument(fmt::format("CPU quantity is empty; {}", kCpuHint));
  std::optional<Number> n = split_number(text);
  bool millis = n && n->suffix == "m";
  if (!n || (!millis && !n->suffix.empty()))
    return invalid_argument(fmt::format("{} is not a CPU quantity; {}", shown(text), kCpuHint));
  if (n->negative)
    return invalid_argument(
        fmt::format("CPU quantity {} is negative; {}", shown(text), kCpuHint));
  std::size_t max_frac = millis ? 0 : 3;
  if (n->frac.size() > max_frac)
    return invalid_argument(fmt::format(
        "CPU quantity {} is finer than 1 millicore (0.001 CPU); round it to whole millicores, "
        "such as 1m or 0.001",
        shown(text)));
  Int128 value = millis ? n->whole
                        : n->whole * 1000 + digits_value(n->frac) * pow10(3 - n->frac.size());
  if (value > kInt64Max)
    return invalid_argument(fmt::format("CPU quantity {} is too large", shown(text)));
  return static_cast<int64_t>(value);
}

Result<int64_t> parse_memory(std::string_view text) {
  if (text.empty())
    return invalid_argument(fmt::format("memory quantity is empty; {}", kMemoryHint));
  std::optional<Number> n = split_number(text);
  if (!n)
    return invalid_argument(
        fmt::format("{} is not a memory quantity; {}", shown(text), kMemoryHint));
  const MemorySuffix* suffix = nullptr;
  for (const MemorySuffix& s : kMemorySuffixes)
    if (s.text == n->suffix) suffix = &s;
  if (suffix == nullptr) {
    if (auto better = suggest_binary_suffix(n->suffix)) {
      std::string_view number = text.substr(0, text.size() - n->suffix.size());
      return invalid_argument(
          fmt::format("{} is not a quantity; use {}{}", shown(text), number, *better));
    }
    return invalid_argument(
        fmt::format("{} is not a memory quantity; {}", shown(text), kMemoryHint));
  }
  if (n->negative)
    return invalid_argument(fmt::format("memory quantity {} is negative", shown(text)));
  // The fraction times the multiplier must come out whole. With at most 18 significant
  // fraction digits every intermediate stays far below 2^127.
  if (n->frac.size() > 18)
    return invalid_argument(
        fmt::format("memory quantity {} has too many decimal places; use a whole number of a "
                    "smaller unit such as Mi",
                    shown(text)));
  Int128 scaled_frac = digits_value(n->frac) * suffix->multiplier;
  Int128 denominator = pow10(n->frac.size());
  if (scaled_frac % denominator != 0)
    return invalid_argument(fmt::format(
        "memory quantity {} is not a whole number of bytes; {}", shown(text),
        n->suffix.empty() ? "write whole bytes, or use a suffix such as 512Mi"
                          : "write it in a smaller unit, such as Mi instead of Gi"));
  Int128 value = n->whole * suffix->multiplier + scaled_frac / denominator;
  if (value > kInt64Max)
    return invalid_argument(
        fmt::format("memory quantity {} is too large; the most is 7Ei", shown(text)));
  return static_cast<int64_t>(value);
}

Result<int64_t> parse_count(std::string_view text) {
  std::optional<Number> n = split_number(text);
  if (!n || !n->suffix.empty() || !n->frac.empty() ||
      text.find('.') != std::string_view::npos || n->negative)
    return invalid_argument(fmt::format(
        "{} is not a count; use a whole number that is 0 or more, such as 0, 1 or 4",
        shown(text)));
  if (n->whole > kInt64Max)
    return invalid_argument(fmt::format("count {} is too large", shown(text)));
  return static_cast<int64_t>(n->whole);
}

std::string format_cpu(int64_t millis) {
  if (millis < 0) return fmt::format("{}m", millis);  // never parsed back; shown for debugging
  if (millis % 1000 == 0) return fmt::format("{}", millis / 1000);
  if (millis < 1000) return fmt::format("{}m", millis);
  std::string frac = fmt::format("{:03}", millis % 1000);
  while (frac.back() == '0') frac.pop_back();
  return fmt::format("{}.{}", millis / 1000, frac);
}

std::string format_memory(int64_t bytes) {
  if (bytes == 0) return "0";
  // The largest suffix that divides exactly, binary first: 8589934592 → "8Gi",
  // 1610612736 → "1536Mi" (whole numbers read and round-trip more plainly than "1.5Gi").
  for (bool binary : {true, false}) {
    const MemorySuffix* best = nullptr;
    for (const MemorySuffix& s : kMemorySuffixes) {
      if (s.multiplier == 1 || (s.text.back() == 'i') != binary) continue;
      if (bytes % static_cast<int64_t>(s.multiplier) == 0) best = &s;
    }
    if (best != nullptr)
      return fmt::format("{}{}", bytes / static_cast<int64_t>(best->multiplier), best->text);
  }
  return fmt::format("{}", bytes);
}

std::string describe_cpu(int64_t millis) {
  std::string number = format_cpu(millis);
  if (number.ends_with('m')) number = fmt::format("{:g}", static_cast<double>(millis) / 1000.0);
  return number + (millis <= 1000 ? " CPU" : " CPUs");
}

std::string describe_memory(int64_t bytes) {
  static constexpr std::pair<int, const char*> kUnits[] = {
      {50, "PiB"}, {40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (auto [shift, name] : kUnits) {
    const int64_t unit = int64_t{1} << shift;
    if (bytes < unit) continue;
    if (bytes % unit == 0) return fmt::format("{} {}", bytes / unit, name);
    return fmt::format("{:.3g} {}", static_cast<double>(bytes) / static_cast<double>(unit), name);
  }
  return fmt::format("{} bytes", bytes);
}

}  // namespace k4ds

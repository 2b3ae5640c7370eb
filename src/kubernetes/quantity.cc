#include "kubernetes/quantity.h"

#include <cctype>
#include <limits>

namespace k4ds::kubernetes {
namespace {

using i128 = __int128;
constexpr i128 kMax = std::numeric_limits<int64_t>::max();

bool digit(char c) { return c >= '0' && c <= '9'; }

// The suffix as a power of ten and a power of two; false when it is not one.
bool suffix_powers(std::string_view s, int& pow10, int& pow2) {
  pow10 = 0;
  pow2 = 0;
  if (s.empty()) return true;
  if (s.size() == 2 && s[1] == 'i') {
    static constexpr std::string_view kBinary = "KMGTPE";
    auto at = kBinary.find(s[0]);
    if (at == std::string_view::npos) return false;
    pow2 = 10 * static_cast<int>(at + 1);
    return true;
  }
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n': pow10 = -9; return true;
      case 'u': pow10 = -6; return true;
      case 'm': pow10 = -3; return true;
      case 'k': pow10 = 3; return true;
      case 'M': pow10 = 6; return true;
      case 'G': pow10 = 9; return true;
      case 'T': pow10 = 12; return true;
      case 'P': pow10 = 15; return true;
      case 'E': pow10 = 18; return true;
      default: return false;
    }
  }
  // An exponent: e/E followed by a signed whole number.
  if (s[0] != 'e' && s[0] != 'E') return false;
  std::string_view n = s.substr(1);
  bool negative = false;
  if (!n.empty() && (n[0] == '+' || n[0] == '-')) {
    negative = n[0] == '-';
    n.remove_prefix(1);
  }
  if (n.empty() || n.size() > 4) return false;
  int e = 0;
  for (char c : n) {
    if (!digit(c)) return false;
    e = e * 10 + (c - '0');
  }
  pow10 = negative ? -e : e;
  return true;
}

}  // namespace

std::optional<int64_t> parse_quantity(std::string_view text, int scale) {
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  // The number: digits, an optional '.', digits; at least one digit in all.
  i128 mantissa = 0;
  int pow10 = scale;
  int significant = 0;  // digits kept in `mantissa` (after leading zeros)
  size_t i = 0;
  bool any_digit = false;
  bool dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (!digit(c)) break;
    any_digit = true;
    if (mantissa == 0 && c == '0') {
      if (dot) --pow10;
      continue;
    }
    if (significant < 30) {
      mantissa = mantissa * 10 + (c - '0');
      ++significant;
      if (dot) --pow10;
    } else if (!dot) {
      ++pow10;  // more digits than matter for int64: keep the magnitude (and round up below)
    }
  }
  if (!any_digit) return std::nullopt;
  int suffix10 = 0, suffix2 = 0;
  if (!suffix_powers(s.substr(i), suffix10, suffix2)) return std::nullopt;
  pow10 += suffix10;
  if (mantissa == 0) return 0;
  // Trailing zeros of the mantissa move into the exponent, so the products below stay small.
  while (mantissa % 10 == 0) {
    mantissa /= 10;
    ++pow10;
  }
  i128 value = mantissa;
  for (int k = 0; k < suffix2; ++k) {
    value *= 2;
    if (value > kMax * i128{1000000000} * 1000000000) return std::nullopt;  // far past int64 however divided
  }
  if (pow10 >= 0) {
    for (int k = 0; k < pow10; ++k) {
      value *= 10;
      if (value > kMax) return std::nullopt;
    }
  } else {
    // Divide, rounding toward +infinity (Kubernetes rounds up): 0.5m CPU is 1 milli-CPU.
    i128 divisor = 1;
    bool tiny = false;
    for (int k = 0; k < -pow10; ++k) {
      if (divisor > value) {
        tiny = true;  // the quotient is below 1 already: it rounds to 1 (or 0 when negative)
        break;
      }
      divisor *= 10;
    }
    if (tiny) return negative ? 0 : 1;
    i128 quotient = value / divisor;
    if (value % divisor != 0 && !negative) ++quotient;
    value = quotient;
  }
  if (value > kMax) return std::nullopt;
  return static_cast<int64_t>(negative ? -value : value);
}

}  // namespace k4ds::kubernetes

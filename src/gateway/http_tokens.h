// HTTP tokens and header names as the gateway compares them, shared by the request's header
// hygiene (headers.cc) and the response's translation for the client (wire.cc), so both sides
// agree on what is hop-by-hop and how a list is split.
//
// Contract: pure, allocation-free functions over string views. Comparisons are ASCII
// case-insensitive, as HTTP field names and these tokens are.
#pragma once

#include <algorithm>
#include <string_view>

#include <boost/beast/http/field.hpp>

namespace k4ds::http_tokens {

inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

// Without the optional whitespace (spaces, tabs) around it.
inline std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls f(element) for each trimmed, non-empty element of a comma list ("a, b,,c"), until f
// returns false.
template <class F>
void for_each_element(std::string_view list, F&& f) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view item = trim_ows(list.substr(0, comma));
    if (!item.empty() && !f(item)) return;
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

// A value safe to put in a header the gateway writes: visible ASCII and spaces, no commas
// (they separate list elements), nothing that could end the header line.
inline bool safe_list_element(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f && c != ',';
  });
}

// The fields that concern one connection only and never pass a proxy (RFC 9110 7.6.1, plus
// the proxy authentication pair and the old Proxy-Connection).
inline bool is_hop_by_hop(boost::beast::http::field f) {
  using boost::beast::http::field;
  switch (f) {
    case field::connection:
    case field::keep_alive:
    case field::proxy_connection:
    case field::te:
    case field::trailer:
    case field::transfer_encoding:
    case field::upgrade:
    case field::proxy_authenticate:
    case field::proxy_authorization:
      return true;
    default:
      return false;
  }
}

// Names a Connection header may carry that must not be removed because it did: Host and
// Content-Length (dropping them would break the request or desynchronise the framing).
inline bool kept_when_named(std::string_view name) {
  return iequals(name, "host") || iequals(name, "content-length");
}

}  // namespace k4ds::http_tokens

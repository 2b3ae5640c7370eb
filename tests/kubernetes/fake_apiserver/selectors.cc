// Query strings, label and field selectors, and collection paths of the test API server (the
// same rules as the earlier Python test server had, corner cases included).
#include "selectors.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace k4ds::fake_apiserver {
namespace json = boost::json;

namespace {

// Python's str.split(sep): empty parts kept.
std::vector<std::string> split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t at; (at = s.find(sep, start)) != std::string_view::npos; start = at + sep.size()) {
    out.emplace_back(s.substr(start, at - start));
  }
  out.emplace_back(s.substr(start));
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string unquote_plus(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A JSON scalar as text for field selectors (as the earlier Python test server wrote it: True, 1.5).
std::string python_text(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string: return std::string(v.get_string());
    case json::kind::int64: return std::to_string(v.get_int64());
    case json::kind::uint64: return std::to_string(v.get_uint64());
    case json::kind::bool_: return v.get_bool() ? "True" : "False";
    case json::kind::null: return "None";
    case json::kind::double_: {
      double d = v.get_double();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e16) return std::to_string(static_cast<int64_t>(d)) + ".0";
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      return std::string(buf, r.ptr);
    }
    default: return json::serialize(v);
  }
}

}  // namespace

Query parse_query(std::string_view query) {
  Query q;
  for (const std::string& pair : split(query, "&")) {
    size_t eq = pair.find('=');
    if (eq == std::string::npos || eq + 1 == pair.size()) continue;  // no value: dropped, as parse_qs does
    q.try_emplace(unquote_plus(std::string_view(pair).substr(0, eq)), unquote_plus(std::string_view(pair).substr(eq + 1)));
  }
  return q;
}

std::string query_value(const Query& q, const std::string& name, const std::string& fallback) {
  auto it = q.find(name);
  return it == q.end() ? fallback : it->second;
}

std::string field_text(const json::value& object, std::string_view dotted) {
  static const json::value kEmpty = json::object();
  const json::value* at = &object;
  for (const std::string& part : split(dotted, ".")) {
    const json::value* next = at->is_object() ? at->get_object().if_contains(part) : nullptr;
    at = next ? next : &kEmpty;
  }
  if (at->is_object() && at->get_object().empty()) return "";
  return python_text(*at);
}

bool fields_match(const Query& q, const json::object& object) {
  const json::value whole = object;
  for (const std::string& term : split(query_value(q, "fieldSelector"), ",")) {
    if (term.empty()) continue;
    if (size_t ne = term.find("!="); ne != std::string::npos) {
      if (field_text(whole, term.substr(0, ne)) == term.substr(ne + 2)) return false;
      continue;
    }
    std::string t = term;
    for (size_t at; (at = t.find("==")) != std::string::npos;) t.replace(at, 2, "=");
    size_t eq = t.find('=');
    if (eq == std::string::npos) return false;  // not a selector term: nothing matches it
    if (field_text(whole, t.substr(0, eq)) != t.substr(eq + 1)) return false;
  }
  return true;
}

bool labels_match(const Query& q, const json::object& object) {
  const json::object* labels = nullptr;
  if (auto* m = object.if_contains("metadata"); m && m->is_object()) {
    if (auto* l = m->get_object().if_contains("labels"); l && l->is_object()) labels = &l->get_object();
  }
  for (const std::string& term : split(query_value(q, "labelSelector"), ",")) {
    if (term.empty()) continue;
    size_t eq = term.find('=');
    if (eq == std::string::npos) return false;
    const json::value* v = labels ? labels->if_contains(term.substr(0, eq)) : nullptr;
    if (!v || !v->is_string() || v->get_string() != term.substr(eq + 1)) return false;
  }
  return true;
}

bool selected(const std::string& path, const Query& q, const std::string& key, const json::object& object) {
  const std::vector<std::string> parts = split(path, "/");
  const std::string parent = parent_of(key);
  const std::vector<std::string> p = split(parent, "/");
  bool inside = parent == path;
  if (!inside && p.size() == parts.size() + 2 && p[p.size() - 3] == "namespaces" && p.back() == parts.back()) {
    inside = std::equal(parts.begin(), parts.end() - 1, p.begin());
  }
  return inside && labels_match(q, object) && fields_match(q, object);
}

namespace {
// The parts after /api/V or /apis/G/V.
std::vector<std::string> resource_parts(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::vector<std::string> parts = split(path, "/");
  size_t skip = parts[0] == "api" ? 2 : 3;
  if (parts.size() <= skip) return {};
  return {parts.begin() + skip, parts.end()};
}
}  // namespace

bool is_collection(std::string_view path) {
  std::vector<std::string> rest = resource_parts(path);
  if (!rest.empty() && rest[0] == "namespaces" && rest.size() >= 3) rest.erase(rest.begin(), rest.begin() + 2);
  return rest.size() == 1;
}

std::string path_namespace(std::string_view path) {
  std::vector<std::string> rest = resource_parts(path);
  return !rest.empty() && rest[0] == "namespaces" && rest.size() >= 3 ? rest[1] : "";
}

std::string parent_of(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(0, slash));
}

std::string last_part(std::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace k4ds::fake_apiserver

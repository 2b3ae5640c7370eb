// The test API server's URL and selector rules: query strings parsed as Python's parse_qs does,
// which stored objects a collection path and its labelSelector / fieldSelector take in, and
// which paths name a collection.
//
// Contract
// - Pure functions, no state. Paths are the raw (not percent-decoded) request paths, as the
//   store keys them: "/api/v1/namespaces/n/pods/p".
// - label selectors: k=v terms joined by commas; field selectors: k=v, k==v, k!=v on dotted
//   paths ("status.phase!=Running"); a missing field reads as "".
// - A collection path also takes in the objects of every namespace when it names no namespace:
//   "/api/v1/pods" holds "/api/v1/namespaces/*/pods/*".
//
// Usage:
//   Query q = parse_query("labelSelector=app%3Dweb&watch=true");
//   if (selected("/api/v1/pods", q, key, object)) ...
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <string_view>

namespace k4ds::fake_apiserver {

// name → first non-empty value, percent- and '+'-decoded (parse_qs without blank values).
using Query = std::map<std::string, std::string>;
Query parse_query(std::string_view query);
// The value of `name`, or `fallback` when the query has none.
std::string query_value(const Query& q, const std::string& name, const std::string& fallback = "");

// The value at a dotted path as text: strings as they are, numbers as digits, "" when absent.
std::string field_text(const boost::json::value& object, std::string_view dotted);
bool fields_match(const Query& q, const boost::json::object& object);
bool labels_match(const Query& q, const boost::json::object& object);

// Whether the object stored at `key` belongs to the collection `path` and matches the
// selectors of `q`.
bool selected(const std::string& path, const Query& q, const std::string& key, const boost::json::object& object);

// "/api/v1/pods", "/api/v1/namespaces/n/pods", "/apis/g/v/…": a collection; one more part: an object.
bool is_collection(std::string_view path);
// The namespace a path names ("n" in /api/v1/namespaces/n/pods/p), "" for none.
std::string path_namespace(std::string_view path);

// "/a/b/c" → "/a/b" and "c".
std::string parent_of(std::string_view path);
std::string last_part(std::string_view path);

}  // namespace k4ds::fake_apiserver

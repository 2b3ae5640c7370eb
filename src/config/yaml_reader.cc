#include "config/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace k4ds::config {
namespace {

// What a node is, in the words the YAML file uses.
std::string_view kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return "a single value";
    default: return "empty";
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view key,
                                std::initializer_list<std::string_view> allowed) {
  std::string list;
  std::string_view nearest;
  std::size_t best = 3;  // suggest only near misses: typos, not different words
  for (std::string_view a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
    if (std::size_t d = edit_distance(key, a); d < best) {
      best = d;
      nearest = a;
    }
  }
  std::string message = fmt::format("unknown key '{}'; allowed keys: {}", key, list);
  if (!nearest.empty()) message += fmt::format(" (did you mean '{}'?)", nearest);
  return message;
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
  });
}

}  // namespace

std::string child_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}

std::string index_path(const std::string& path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

void YamlReader::report(std::string path, std::string message) {
  problems_.push_back({std::move(path), std::move(message)});
}

bool YamlReader::check(const Status& status, const std::string& path) {
  if (!status.ok()) report(path, status.message());
  return status.ok();
}

bool YamlReader::for_each_key(const YAML::Node& node, const std::string& path,
                              std::initializer_list<std::string_view> allowed,
                              const Visit& visit) {
  if (!node.IsMap()) {
    report(path, fmt::format("must be a mapping of keys (such as {}: ...), not {}",
                             *allowed.begin(), kind(node)));
    return false;
  }
  std::set<std::string, std::less<>> seen;
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) {
      report(path, "has a key that is not a plain word; keys are names such as " +
                       std::string(*allowed.begin()));
      continue;
    }
    const std::string& key = entry.first.Scalar();
    std::string key_path = child_path(path, key);
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      report(key_path, unknown_key_message(key, allowed));
      continue;
    }
    if (!seen.insert(key).second) {
      report(key_path, fmt::format("key '{}' appears more than once; keep one", key));
      continue;
    }
    visit(key, entry.second, key_path);
  }
  return true;
}

bool YamlReader::for_each_item(
    const YAML::Node& node, const std::string& path,
    const std::function<void(const YAML::Node&, const std::string&)>& visit) {
  if (!node.IsSequence()) {
    report(path, fmt::format("must be a list (- item, or [a, b]), not {}", kind(node)));
    return false;
  }
  for (std::size_t i = 0; i < node.size(); ++i) visit(node[i], index_path(path, i));
  return true;
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, const std::string& path) {
  if (node.IsScalar()) return node.Scalar();
  if (node.IsNull()) {
    report(path, "has no value; write a value after the colon or remove the key");
  } else {
    report(path, fmt::format("must be a single value, not {}", kind(node)));
  }
  return std::nullopt;
}

std::optional<int> YamlReader::port(const YAML::Node& node, const std::string& path) {
  std::optional<std::string> text = string(node, path);
  if (!text) return std::nullopt;
  bool digits = !text->empty() && text->size() <= 5 &&
                text->find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(*text) > 65535) {
    report(path, fmt::format("must be an integer between 0 and 65535 (0 = a Unix socket), "
                             "not \"{}\"",
                             *text));
    return std::nullopt;
  }
  return std::stoi(*text);
}

std::optional<int> YamlReader::integer(const YAML::Node& node, const std::string& path, int min,
                                       int max, std::string_view what) {
  std::optional<std::string> text = string(node, path);
  if (!text) return std::nullopt;
  bool digits = !text->empty() && text->size() <= 9 &&
                text->find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(*text) < min || std::stoi(*text) > max) {
    report(path, fmt::format("must be a whole number between {} and {}, {}; not \"{}\"", min, max,
                             what, *text));
    return std::nullopt;
  }
  return std::stoi(*text);
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node, const std::string& path) {
  std::optional<std::string> text = string(node, path);
  if (!text) return std::nullopt;
  bool value = false;
  if (!YAML::convert<bool>::decode(node, value)) {
    report(path, fmt::format("must be true or false, not \"{}\"", *text));
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> YamlReader::strings(const YAML::Node& node,
                                                            const std::string& path) {
  std::vector<std::string> out;
  bool ok = true;
  bool is_list = for_each_item(node, path, [&](const YAML::Node& item, const std::string& p) {
    if (auto s = string(item, p)) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  });
  if (!is_list || !ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> YamlReader::string_map(
    const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) {
    report(path, fmt::format("must be a mapping of NAME: value, not {}", kind(node)));
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (const auto& entry : node) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    std::string p = child_path(path, key);
    if (!is_env_name(key)) {
      report(p, fmt::format("\"{}\" is not a variable name; use letters, digits and _, not "
                            "starting with a digit",
                            key));
      ok = false;
      continue;
    }
    if (out.contains(key)) {
      report(p, fmt::format("'{}' appears more than once; keep one", key));
      ok = false;
      continue;
    }
    if (auto value = string(entry.second, p)) {
      out[key] = *value;
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace k4ds::config

// Typed reading of a yaml-cpp node tree that collects problems instead of throwing, so one pass
// over a configuration file reports everything that is wrong with it, each with its path.
//
// Usage:
//   YamlReader r(problems);
//   r.for_each_key(node, "sizes[0]", {"name", "cpu"}, [&](std::string_view key,
//                                                         const YAML::Node& v,
//                                                         const std::string& path) {
//     if (key == "name") if (auto s = r.string(v, path)) size.name = *s;
//   });
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/config.h"

namespace k4ds::config {

// "a" + "b" → "a.b"; "" + "b" → "b".
std::string child_path(const std::string& path, std::string_view key);
// "sizes" + 2 → "sizes[2]".
std::string index_path(const std::string& path, std::size_t index);

class YamlReader {
 public:
  using Visit = std::function<void(std::string_view key, const YAML::Node& value,
                                   const std::string& path)>;

  explicit YamlReader(std::vector<ConfigProblem>& problems) : problems_(problems) {}

  void report(std::string path, std::string message);
  // Reports status under path when it is not ok; returns status.ok().
  bool check(const Status& status, const std::string& path);

  // Visits each entry of a mapping once, in document order. Reports a node that is not a
  // mapping, keys that are not in `allowed` (suggesting the nearest allowed key) and repeated
  // keys. Returns false when node is not a mapping.
  bool for_each_key(const YAML::Node& node, const std::string& path,
                    std::initializer_list<std::string_view> allowed, const Visit& visit);
  // Each element of a list; reports a node that is not a list.
  bool for_each_item(const YAML::Node& node, const std::string& path,
                     const std::function<void(const YAML::Node&, const std::string&)>& visit);

  std::optional<std::string> string(const YAML::Node& node, const std::string& path);
  std::optional<int> port(const YAML::Node& node, const std::string& path);
  // A whole number in [min, max]; `what` finishes "must be a whole number between …, <what>".
  std::optional<int> integer(const YAML::Node& node, const std::string& path, int min, int max,
                             std::string_view what);
  std::optional<bool> boolean(const YAML::Node& node, const std::string& path);
  std::optional<std::vector<std::string>> strings(const YAML::Node& node, const std::string& path);
  std::optional<std::map<std::string, std::string>> string_map(const YAML::Node& node,
                                                               const std::string& path);

 private:
  std::vector<ConfigProblem>& problems_;
};

}  // namespace k4ds::config

// Values of `runtime:` keys that appear both at the top of the section and in each entry of
// `runtime.clusters` (config/parse_clusters.h), read and checked in one place so both report the
// same problems with the same words.
//
// Contract: each reader reports what is wrong at `path` (with what to set) and returns nullopt
// then; kubeconfig_path and context also return the value they report about, as the top-level
// keys always kept it.
//
// Usage:
//   if (auto s = config::storage_class_value(r, v, p)) options.storage_class = *s;
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <utility>

#include "config/yaml_reader.h"
#include "kubernetes/options.h"

namespace k4ds::config {

bool readable_file(const std::string& file);

// A kubeconfig path; a file that cannot be read is reported (and still returned).
std::optional<std::string> kubeconfig_value(YamlReader& r, const YAML::Node& v, const std::string& path);
// A context name; "" is reported (and still returned).
std::optional<std::string> context_value(YamlReader& r, const YAML::Node& v, const std::string& path);
std::optional<std::string> storage_class_value(YamlReader& r, const YAML::Node& v, const std::string& path);
// `nfs: {server, export}` → (server, export); both are needed.
std::optional<std::pair<std::string, std::string>> nfs_value(YamlReader& r, const YAML::Node& n, const std::string& path);
std::optional<kubernetes::UpstreamMode> upstream_value(YamlReader& r, const YAML::Node& v, const std::string& path);

}  // namespace k4ds::config

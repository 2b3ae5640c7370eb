// Loading `runtime:` (see RuntimeConfig in config/config.h), for parse.cc.
//
// Contract: reports every problem with its path ("runtime.registries[0].password_file") and
// what to set; never stops at the first. Secret files (registry passwords, JSON keys) are read
// here and their contents never appear in a message. Keys that only make sense on Kubernetes
// are refused with kind: local, so a half-edited file is noticed.
//
// Usage (parse.cc):
//   std::vector<std::pair<std::string, std::string>> sizes_named;  // path, size name
//   config::load_runtime(r, node, "runtime", c.runtime, sizes_named);
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/yaml_reader.h"

namespace k4ds::config {

// `size_references` receives (path, size name) for each node pool, to be checked against the
// defined sizes once the whole document is read.
void load_runtime(YamlReader& r, const YAML::Node& node, const std::string& path, RuntimeConfig& out,
                  std::vector<std::pair<std::string, std::string>>& size_references);

// Problems a Kubernetes runtime has with the catalog: every environment needs an image and a
// TCP port (port 0 is a Unix socket on this machine). Empty for the local runtime. Paths are
// "environments[i].image" / "environments[i].port", i the catalog's order. Also, with an
// Ingress, "runtime.ingress.domain" / ".signin_url" when they disagree with the top-level
// domain / portal host (which the `runtime:` section alone cannot see).
std::vector<ConfigProblem> check_catalog_for_runtime(const Config& config);

// A Kubernetes name (RFC 1123 label: a-z, 0-9, "-", at most 63, starting and ending with a
// letter or digit), for namespaces.
Status check_kubernetes_label_name(std::string_view what, std::string_view name);

}  // namespace k4ds::config

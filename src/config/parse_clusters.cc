// `runtime.clusters` and the node pools' `cluster` key (see parse_clusters.h).
#include "config/parse_clusters.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "config/runtime_values.h"

namespace k4ds::config {
namespace {

using kubernetes::ClusterOptions;

// A DNS label (RFC 1123): the names clusters go by in logs and node pools.
bool cluster_name_ok(std::string_view s) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return !s.empty() && s.size() <= 63 && alnum(s.front()) && alnum(s.back()) &&
         s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
}

std::string join(const std::vector<ClusterOptions>& clusters) {
  std::string out;
  for (const ClusterOptions& c : clusters) out += (out.empty() ? "" : ", ") + c.name;
  return out;
}

}  // namespace

void load_clusters(YamlReader& r, const YAML::Node& node, const std::string& path, std::vector<ClusterOptions>& out) {
  out.clear();
  std::map<std::string, std::string> named;                        // name → path of the entry
  std::map<std::pair<std::string, std::string>, std::string> reach;  // (kubeconfig, context) → path
  std::optional<std::string> in_cluster_at;
  const bool is_list = r.for_each_item(node, path, [&](const YAML::Node& item, const std::string& ip) {
    ClusterOptions c;
    bool name_ok = false;
    const bool is_map = r.for_each_key(
        item, ip, {"name", "kubeconfig", "context", "in_cluster", "storage_class", "nfs", "upstream"},
        [&](std::string_view key, const YAML::Node& v, const std::string& p) {
          if (key == "name") {
            auto s = r.string(v, p);
            if (!s) return;
            name_ok = cluster_name_ok(*s);
            if (!name_ok) {
              r.report(p, fmt::format("\"{}\" is not a cluster name; use at most 63 characters a-z, 0-9 and \"-\", "
                                      "starting and ending with a letter or digit, such as aws or gcp-gpu", *s));
            }
            c.name = *s;
          } else if (key == "kubeconfig") {
            if (auto s = kubeconfig_value(r, v, p)) c.kubeconfig = *s;
          } else if (key == "context") {
            if (auto s = context_value(r, v, p)) c.context = *s;
          } else if (key == "in_cluster") {
            if (auto b = r.boolean(v, p)) c.in_cluster = *b;
          } else if (key == "storage_class") {
            c.storage_class = storage_class_value(r, v, p);
          } else if (key == "nfs") {
            if (auto nfs = nfs_value(r, v, p)) {
              c.nfs_server = nfs->first;
              c.nfs_export = nfs->second;
            }
          } else if (key == "upstream") {
            c.upstream = upstream_value(r, v, p);
          }
        });
    if (!is_map) return;
    if (!item["name"]) {
      r.report(child_path(ip, "name"), "is missing; give the cluster a short name such as aws or gcp (node pools "
                                       "name it in their cluster key)");
    } else if (name_ok) {
      if (auto [first, added] = named.emplace(c.name, ip); !added) {
        r.report(child_path(ip, "name"), fmt::format("cluster \"{}\" is already defined at {}; give each cluster its "
                                                     "own name", c.name, first->second));
        name_ok = false;  // the first one keeps the name
      }
    }
    if (c.in_cluster && (item["kubeconfig"] || item["context"])) {
      r.report(child_path(ip, "in_cluster"),
               "in_cluster: true uses the service account of the Pod k4ds runs in; remove kubeconfig and context "
               "from this cluster, or set in_cluster: false");
    } else if (c.in_cluster) {
      if (in_cluster_at) {
        r.report(child_path(ip, "in_cluster"), fmt::format("only the cluster k4ds runs in can use in_cluster: true, "
                                                           "and {} already does; reach this one with kubeconfig and "
                                                           "context", *in_cluster_at));
      } else {
        in_cluster_at = ip;
      }
    } else if (auto [first, added] = reach.emplace(std::pair(c.kubeconfig, c.context), ip); !added) {
      r.report(ip, fmt::format("reaches the same cluster as {} (the same kubeconfig and context); list each cluster "
                               "once, with the kubeconfig or context that reaches it", first->second));
    }
    if (item["storage_class"] && item["nfs"]) {
      r.report(child_path(ip, "storage_class"), "and nfs both say where this cluster's volumes come from; keep one "
                                                "(storage_class: claims of that class, nfs: directories on the server)");
    }
    if (name_ok) out.push_back(std::move(c));
  });
  if (is_list && node.size() == 0) {
    r.report(path, "is empty; list each cluster with a name and its kubeconfig / context, or remove clusters to use "
                   "one cluster");
  }
}

void check_clusters(YamlReader& r, const YAML::Node& runtime, const std::string& path,
                    const kubernetes::KubernetesOptions& options,
                    const std::vector<std::pair<std::string, std::string>>& pool_clusters) {
  const bool several = static_cast<bool>(runtime["clusters"]);
  if (several) {
    for (const char* key : {"kubeconfig", "context", "in_cluster"}) {
      if (!runtime[key]) continue;
      r.report(child_path(path, key),
               fmt::format("is set for each cluster when runtime.clusters is given; move it into the cluster it "
                           "belongs to (such as runtime.clusters[0].{}), or remove clusters to use one cluster", key));
    }
  }
  for (const auto& [p, name] : pool_clusters) {
    if (!several) {
      r.report(p, fmt::format("names cluster \"{}\", but runtime.clusters is not set; list the clusters under "
                              "runtime.clusters, or remove cluster (one cluster runs every size)", name));
    } else if (name.empty()) {
      r.report(p, fmt::format("is empty; name one of the clusters ({}), or remove the key to run this size on the "
                              "first", join(options.clusters)));
    } else if (std::none_of(options.clusters.begin(), options.clusters.end(),
                            [&](const ClusterOptions& c) { return c.name == name; })) {
      r.report(p, fmt::format("cluster \"{}\" is not defined; defined clusters: {}", name, join(options.clusters)));
    }
  }
}

}  // namespace k4ds::config

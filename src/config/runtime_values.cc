// Keys shared by `runtime:` and each of `runtime.clusters` (see runtime_values.h).
#include "config/runtime_values.h"

#include <unistd.h>

#include <fmt/format.h>

namespace k4ds::config {

bool readable_file(const std::string& file) { return !file.empty() && ::access(file.c_str(), R_OK) == 0; }

std::optional<std::string> kubeconfig_value(YamlReader& r, const YAML::Node& v, const std::string& path) {
  auto s = r.string(v, path);
  if (s && !readable_file(*s))
    r.report(path, fmt::format("\"{}\" is not a readable file; give the path of a kubeconfig (kubectl's config "
                               "file), or remove the key to use $KUBECONFIG or ~/.kube/config", *s));
  return s;
}

std::optional<std::string> context_value(YamlReader& r, const YAML::Node& v, const std::string& path) {
  auto s = r.string(v, path);
  if (s && s->empty()) r.report(path, "is empty; name a context of the kubeconfig, or remove the key to use its current-context");
  return s;
}

std::optional<std::string> storage_class_value(YamlReader& r, const YAML::Node& v, const std::string& path) {
  auto s = r.string(v, path);
  if (!s) return std::nullopt;
  if (s->find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-.") != std::string::npos || s->size() > 253) {
    r.report(path, fmt::format("\"{}\" is not a storage class name; use the name kubectl get storageclass "
                               "shows, or \"\" for the cluster's default", *s));
    return std::nullopt;
  }
  return s;
}

std::optional<std::pair<std::string, std::string>> nfs_value(YamlReader& r, const YAML::Node& n, const std::string& path) {
  std::pair<std::string, std::string> out;
  bool ok = true;
  r.for_each_key(n, path, {"server", "export"}, [&](std::string_view key, const YAML::Node& v, const std::string& p) {
    auto s = r.string(v, p);
    if (!s) {
      ok = false;
    } else if (key == "server") {
      if (s->empty()) {
        r.report(p, "is empty; give the NFS server's host name or address");
        ok = false;
      }
      out.first = *s;
    } else {
      if (s->empty() || s->front() != '/') {
        r.report(p, fmt::format("\"{}\" must be an absolute path on the NFS server, such as /exports/k4ds", *s));
        ok = false;
      }
      out.second = *s;
    }
  });
  if (!n.IsMap()) return std::nullopt;
  if (!n["server"] || !n["export"]) {
    r.report(path, "needs both server and export (volumes are created at <export>/<volume id>)");
    return std::nullopt;
  }
  return ok ? std::optional(std::move(out)) : std::nullopt;
}

std::optional<kubernetes::UpstreamMode> upstream_value(YamlReader& r, const YAML::Node& v, const std::string& path) {
  auto s = r.string(v, path);
  if (!s) return std::nullopt;
  if (*s == "service") return kubernetes::UpstreamMode::service;
  if (*s == "pod_ip") return kubernetes::UpstreamMode::pod_ip;
  r.report(path, fmt::format("\"{}\" is not an upstream; use service (through the cluster's DNS, k4ds "
                             "inside the cluster) or pod_ip (the Pod's address)", *s));
  return std::nullopt;
}

}  // namespace k4ds::config

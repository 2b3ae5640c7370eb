#include "kubernetes/setup.h"

#include <cstdlib>

namespace k4ds::kubernetes {
namespace {

std::string process_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

}  // namespace

Result<ClusterConnection> resolve_connection(const std::string& kubeconfig, const std::string& context,
                                             bool in_cluster, EnvLookup env) {
  if (!env) env = process_env;
  if (in_cluster) return in_cluster_config();
  std::string path = kubeconfig;
  std::string from = "runtime.kubeconfig " + kubeconfig;
  if (path.empty()) {
    std::string list = env("KUBECONFIG");
    path = list.substr(0, list.find(':'));  // kubectl merges a list; k4ds reads the first file
    from = "$KUBECONFIG " + path;
  }
  if (path.empty()) {
    std::string home = env("HOME");
    if (home.empty()) {
      return failed_precondition("no kubeconfig: set runtime.kubeconfig, $KUBECONFIG, or runtime.in_cluster: true");
    }
    path = home + "/.kube/config";
    from = "the default kubeconfig " + path;
  }
  auto connection = load_kubeconfig(path, context);
  if (!connection) {
    return Status(connection.status().code(),
                  connection.status().message() + " (read from " + from +
                      "; point runtime.kubeconfig and runtime.context at a cluster k4ds may use)");
  }
  return connection;
}

void mark_unavailable_on_cluster(Catalog& catalog) {
  for (Environment& env : catalog.environments) {
    if (!env.available) continue;
    if (env.image.empty()) {
      env.available = false;
      env.unavailable_reason = "it has no container image, which a cluster needs; ask your admin to set one";
    } else if (env.port == 0) {
      env.available = false;
      env.unavailable_reason = "it listens on a local socket, which a cluster cannot reach; ask your admin to set its port";
    }
  }
}

}  // namespace k4ds::kubernetes

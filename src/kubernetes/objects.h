// The Kubernetes objects of one workspace, rendered as JSON from a LaunchSpec and the
// operator's KubernetesOptions. Pure functions: no cluster, no I/O, the same input always gives
// the same objects, so `k4ds launch --dry-run` shows exactly what the runtime creates.
//
// Contract
// - objects are in creation order: Namespace (per-user mode), ResourceQuota and LimitRange
//   (per-user mode, when spec.owner_quota sets a limit; kubernetes/quota_objects.h),
//   PersistentVolume (NFS only), PersistentVolumeClaim, pull Secret (when registries are
//   configured), Pod, Service, NetworkPolicy, and with options.ingress on the workspace's
//   Ingress, its login Ingress and the Service naming k4ds (kubernetes/ingress.h).
// - Every object carries app.kubernetes.io/managed-by=k4ds; the workspace's objects carry its
//   id and owner as labels.
// - The Service and NetworkPolicy (and the Ingress objects) are owned by the Pod
//   (ownerReferences), so deleting the Pod (stop) lets Kubernetes garbage-collect them. The
//   owner reference needs the Pod's uid, known only once the Pod exists: with pod_uid empty
//   they are rendered without it, and the runtime renders again with the uid the API server
//   returned. Volumes (PVC, PV), the namespace and
//   the pull secret belong to the user, never to a workspace, and are never deleted with it.
// - Errors: failed_precondition when the spec cannot run on Kubernetes (no image, no TCP
//   port, a broken registry key, an Ingress without a domain), with what to fix.
//
// Usage:
//   auto rendered = render_workspace(spec, options, {.uid = user.uid_number});
//   if (!rendered) return rendered.status();
//   for (const boost::json::object& o : rendered->objects) client.create(o);
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "kubernetes/options.h"
#include "runtime/runtime.h"

namespace k4ds::kubernetes {

// POSIX ids of the owner from the directory; -1 = unknown (the options' defaults apply).
struct PosixIds {
  int64_t uid = -1;
  int64_t gid = -1;
};

struct WorkspaceObjects {
  std::string namespace_name;
  std::string pod_name;  // also the Service's and the NetworkPolicy's name
  std::vector<boost::json::object> objects;
};

Result<WorkspaceObjects> render_workspace(const LaunchSpec& spec, const KubernetesOptions& options,
                                          PosixIds ids = {}, std::string_view pod_uid = "");

// Quantities in Kubernetes notation: 2000 → "2", 500 → "500m"; 8 GiB → "8Gi", odd sizes in bytes.
std::string cpu_quantity(int64_t millis);
std::string memory_quantity(int64_t bytes);

// Standard base64 with padding, as Secret `data` wants it.
std::string base64_encode(std::string_view data);

// The `.dockerconfigjson` document for these registries ({"auths": {...}}). A JSON key becomes
// user "_json_key" with the key text as password, as GCR and Artifact Registry expect.
Result<std::string> docker_config_json(const std::vector<RegistryCredential>& registries);

}  // namespace k4ds::kubernetes

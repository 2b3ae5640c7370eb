// Names and labels of the Kubernetes objects k4ds creates. Kubernetes limits names to DNS
// labels (63 lowercase letters, digits and '-') and label values to 63 characters; k4ds names
// are usually within that, and when they are not a stable hash keeps shortened names unique.
//
// Usage:
//   std::string pod = workspace_object_name(spec);   // "ws-alice-analysis-1f2e3d4c"
//   std::string ns = workspace_namespace("alice", options);  // "k4ds-alice"
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "kubernetes/options.h"
#include "runtime/runtime.h"

namespace k4ds::kubernetes {

// Label keys on every object k4ds creates, so that k4ds finds its own objects again.
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "k4ds";
inline constexpr const char* kWorkspaceIdLabel = "k4ds.io/workspace-id";
inline constexpr const char* kOwnerLabel = "k4ds.io/owner";
inline constexpr const char* kVolumeIdLabel = "k4ds.io/volume-id";
inline constexpr const char* kPullSecretName = "k4ds-registry";
// Every workspace Pod's name starts with this (workspace_object_name).
inline constexpr std::string_view kWorkspacePodPrefix = "ws-";

// Lowercase DNS label (RFC 1123) from any text: other characters become '-', and text longer
// than `max` is cut and suffixed with "-" + 8 hex digits of its SHA-256.
std::string dns_label(std::string_view text, std::size_t max = 63);
// A valid label value (63 characters of [A-Za-z0-9._-], alphanumeric at both ends).
std::string label_value(std::string_view text);
// 8 hex digits of SHA-256: short, stable, different for different inputs in practice.
std::string short_hash(std::string_view text);

// "ws-<owner>-<name>-<hash of the workspace id>": unique even when owner/name pairs would
// collide once joined with '-', and starting with a letter as Service names must.
std::string workspace_object_name(const LaunchSpec& spec);
std::string workspace_namespace(std::string_view owner, const KubernetesOptions& options);
// "k4ds-vol-<volume uuid>": the PVC (and the static PV when NFS is used).
std::string volume_object_name(std::string_view volume_id);

// Labels of every object of this workspace.
std::map<std::string, std::string> workspace_labels(const LaunchSpec& spec);

}  // namespace k4ds::kubernetes

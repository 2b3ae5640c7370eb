// KubernetesOptions: how an operator wants workspaces laid out on a cluster (or on several named
// clusters). Plain values, filled from the config's `runtime: {kind: kubernetes}` section (or
// left at the defaults for dry-run).
//
// Contract: the defaults render working objects for a plain cluster (per-user namespaces,
// the cluster's default storage class, no pull secret). Nothing here talks to a cluster.
// With `clusters` set, the options each cluster runs with are the shared ones plus that
// cluster's overrides (kubernetes/clusters.h options_for_cluster).
//
// Usage:
//   KubernetesOptions o;
//   o.namespace_mode = NamespaceMode::shared;
//   o.shared_namespace = "k4ds-workspaces";
//   o.registries.push_back({.server = "europe-docker.pkg.dev", .json_key = key_file_text});
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace k4ds::kubernetes {

enum class NamespaceMode {
  per_user,  // every user's workspaces and volumes in "<namespace_prefix><user>"
  shared,    // everything in `shared_namespace`
};

// Credentials for one private registry. Either username + password, or `json_key`: the text of
// a Google Cloud service-account key (GCR / Artifact Registry), sent as user "_json_key".
struct RegistryCredential {
  std::string server;  // "registry.example.com", "europe-docker.pkg.dev"
  std::string username;
  std::string password;
  std::string json_key;
};

struct Toleration {
  std::string key;
  std::string op = "Exists";  // "Exists" or "Equal"
  std::string value;           // with "Equal"
  std::string effect;          // "", "NoSchedule", "PreferNoSchedule", "NoExecute"
};

// Where workspaces of one size may run.
struct NodePool {
  std::map<std::string, std::string> node_selector;
  std::vector<Toleration> tolerations;
  // With several clusters: the name of the one that runs this size ("" = the first, the default).
  std::string cluster;
};

// Where the gateway relays a workspace's traffic.
enum class UpstreamMode {
  service,  // "<service>.<namespace>.svc:<port>": needs the cluster's DNS (k4ds inside the cluster)
  pod_ip,   // the Pod's status.podIP and port: no DNS needed, the Pod network must be reachable
};

// An Ingress per workspace, for sites whose own ingress controller (ingress-nginx) serves
// *.<domain> instead of k4ds's gateway. Off unless `enabled`; kubernetes/ingress.h renders it.
// Every request is checked against k4ds's forward-auth endpoint (docs/forward-auth.md).
struct IngressOptions {
  bool enabled = false;
  // Workspaces answer on "<user>-<name>.<domain>": the same domain as the config's `domain`
  // (the config fills it in when the file leaves it out).
  std::string domain;
  std::string class_name = "nginx";  // spec.ingressClassName
  // The wildcard certificate's Secret, in the workspace's namespace; "" = no `tls` block (TLS is
  // terminated in front of the controller, or by its default certificate).
  std::string tls_secret;
  // ingress-nginx's auth-url; "" = k4ds's Service:
  // "http://<gateway_service>.<gateway_namespace>.svc.<cluster_domain>:<gateway_port>/_k4ds/auth/nginx".
  std::string auth_url;
  // The portal's login page; "" = "https://<domain>/login" (the config fills in its portal
  // host). "?rd=<the original URL>" is added.
  std::string signin_url;
  // k4ds's own Service in gateway_namespace: the login callback (/_k4ds/callback) goes there.
  std::string gateway_service = "k4ds";
  int gateway_port = 8080;
  std::string cluster_domain = "cluster.local";
  // The controller's pods, which the NetworkPolicy then admits too. Empty namespace = the
  // workspace's own namespace.
  std::map<std::string, std::string> controller_pod_labels = {{"app.kubernetes.io/name", "ingress-nginx"}};
  std::string controller_namespace = "ingress-nginx";
};

// One of several clusters (`runtime.clusters`): how to reach it and what differs there. Every
// other option is shared by all clusters.
struct ClusterOptions {
  std::string name;  // a DNS label, named by node pools' `cluster`
  // As RuntimeConfig's: "" = $KUBECONFIG, else ~/.kube/config; "" = the current-context.
  std::string kubeconfig;
  std::string context;
  bool in_cluster = false;
  // Where volumes on this cluster come from, replacing the shared choice when set: a storage
  // class (PVCs, no NFS), or an NFS server and export (both set). nullopt = the shared one.
  std::optional<std::string> storage_class;
  std::optional<std::string> nfs_server;
  std::optional<std::string> nfs_export;
  std::optional<UpstreamMode> upstream;
};

struct KubernetesOptions {
  NamespaceMode namespace_mode = NamespaceMode::per_user;
  std::string namespace_prefix = "k4ds-";       // per_user: "k4ds-alice"
  std::string shared_namespace = "k4ds";        // shared
  // Home volumes: a PVC per volume from this storage class ("" = the cluster's default) ...
  std::string storage_class;
  int64_t volume_size_bytes = int64_t{10} << 30;  // 10 GiB
  // ... or, when nfs_server is set, a static NFS PersistentVolume at "<nfs_export>/<volume id>".
  std::string nfs_server;
  std::string nfs_export;
  std::vector<RegistryCredential> registries;  // → one dockerconfigjson pull secret
  std::map<std::string, NodePool> node_pools;  // by size name
  // Workspaces with GPUs tolerate the usual "nvidia.com/gpu" taint of GPU nodes.
  bool tolerate_gpu_taint = true;
  // The gateway's pods, the only ones the NetworkPolicy admits. Empty namespace = the
  // workspace's own namespace.
  std::map<std::string, std::string> gateway_pod_labels = {
      {"app.kubernetes.io/name", "k4ds"}, {"app.kubernetes.io/component", "gateway"}};
  std::string gateway_namespace = "k4ds";
  // Who the workspace runs as when the directory has no uidNumber/gidNumber for the user.
  int64_t default_uid = 1000;
  int64_t default_gid = 100;
  std::string home_path = "/home/{user}";  // where the home volume is mounted
  UpstreamMode upstream = UpstreamMode::service;
  IngressOptions ingress;  // off by default
  // Client-side rate limit of k4ds's calls to the API server (watches excepted), as client-go's
  // token bucket: api_burst calls at once, then api_qps per second. api_qps <= 0 = no limit.
  double api_qps = 20;
  int api_burst = 40;
  // Several clusters at once; the first is the default (sizes without a node pool `cluster`).
  // Empty = one cluster, reached as the config's kubeconfig / context / in_cluster say.
  std::vector<ClusterOptions> clusters;
};

}  // namespace k4ds::kubernetes

// KubernetesRuntime: the Runtime contract (runtime/runtime.h) on a Kubernetes cluster. A
// workspace is the objects of kubernetes/objects.h; its state is read back from its Pod
// (kubernetes/status.h).
//
// Contract (beyond runtime.h)
// - apply creates what is missing, in order (namespace, volume, pull secret, Pod, then the
//   Service, NetworkPolicy and optional Ingress owned by the Pod). The namespace and volume are
//   kept as they are when they exist; the pull secret, the owner's quota objects and the objects
//   the Pod owns are server-side applied (KubeClient::apply), so they follow the config.
//   A Pod that has ended is deleted and created again; a live one is left alone (never a second
//   copy), but an object it owns that was deleted on the cluster is created again.
// - stop deletes the Pod and, without waiting for the garbage collector, the objects it owns.
//   Volumes, namespaces and pull secrets are never deleted.
// - apply also keeps the owner's ResourceQuota and LimitRange (per-user namespaces, when
//   spec.owner_quota is set; kubernetes/namespace_limits.h), before the Pod. A Pod the cluster
//   refuses because the owner's quota there is full (Pods of stopped workspaces still going
//   away) is unavailable: the controller retries.
// - observe reads the Pods labelled app.kubernetes.io/managed-by=k4ds in every namespace
//   (re-adoption after a restart is free), the objects they own and their Events
//   (kubernetes/event_cache.h) from caches fed by list + watch: no API call per observation,
//   starting Pods included. A running Pod missing an object it owns (Service, NetworkPolicy,
//   Ingress) is reported absent, so the controller applies it again (drift repaired). The
//   workloads cache starts with the runtime; observe waits up to `sync_wait` for its first list, then
//   answers unavailable with the cluster's error (the controller retries). Events are optional:
//   without them (not listed yet, or forbidden) progress words are coarser. The zone of each
//   workspace's home volume comes from a fourth watch, on PersistentVolumes (their claimRef and
//   zone label or node affinity): reported as volume_zone, and named when no machine in that
//   zone fits. Optional too: without it (forbidden) the zone is not known.
// - capacity() comes from the Nodes (kubernetes/node_capacity.h), kept by a third watch and
//   computed again only when a Node changed; nullopt until the Nodes are read (or when none is
//   usable), so admission never waits for the cluster.
// - Every call but the watches goes through the client's rate limit, set from the options'
//   api_qps / api_burst.
// - The upstream is "<pod>.<namespace>.svc:<port>" (UpstreamMode::service) or
//   "<status.podIP>:<port>" (UpstreamMode::pod_ip; empty until the Pod has an address).
// - follow_logs streams GET …/log?follow=true (the last lines first) on its own thread until
//   the container ends, the Pod is deleted, or close(); next() then answers nullopt.
//
// Usage:
//   auto client = std::make_shared<KubeClient>(*load_kubeconfig(path));
//   KubernetesRuntime runtime(client, options);
//   Controller controller(store, runtime, ...);
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "kubernetes/client.h"
#include "kubernetes/objects.h"
#include "kubernetes/event_cache.h"
#include "kubernetes/namespace_limits.h"
#include "kubernetes/watch_cache.h"
#include "runtime/runtime.h"

namespace k4ds::kubernetes {

class KubernetesRuntime : public Runtime {
 public:
  // ids_of(owner): the owner's uid/gid from the directory (default: unknown).
  KubernetesRuntime(std::shared_ptr<KubeClient> client, KubernetesOptions options,
                    std::function<PosixIds(const std::string& owner)> ids_of = {},
                    WatchCacheOptions cache_options = {});
  ~KubernetesRuntime() override;

  // Whether the Pods have been read from the cluster within `timeout` (start-up check).
  bool wait_synced(std::chrono::milliseconds timeout) const { return workloads_.wait_synced(timeout); }
  // The cluster's answer while the Pods cannot be read, for start-up messages.
  Status cluster_status() const { return workloads_.status(); }
  // For tests: whether the Events and Nodes have been read.
  bool events_synced(std::chrono::milliseconds timeout) const { return events_.wait_synced(timeout); }
  bool nodes_synced(std::chrono::milliseconds timeout) const { return nodes_.wait_synced(timeout); }
  bool volumes_synced(std::chrono::milliseconds timeout) const { return volumes_.wait_synced(timeout); }

  std::string name() const override { return "kubernetes"; }
  std::string capabilities() const override;
  std::optional<Capacity> capacity() const override;

  Status apply(const LaunchSpec& spec) override;
  Status stop(std::string_view workspace_id) override;
  Status remove(std::string_view workspace_id) override { return stop(workspace_id); }
  Result<std::vector<ObservedWorkspace>> observe() override;
  Result<std::string> tail_logs(std::string_view workspace_id, std::size_t max_bytes) override;
  Result<LogFollow> follow_logs(std::string_view workspace_id, std::size_t tail_bytes) override;

  // Whether the claim of volume `volume_id` exists here, where apply(spec) keeps it (spec.owner's
  // namespace): one GET. For MultiClusterRuntime, which keeps each volume on one cluster.
  Result<bool> has_volume(const LaunchSpec& spec, std::string_view volume_id);

 private:
  Result<std::vector<boost::json::object>> pods_of(std::string_view workspace_id);
  // "<namespace>/<claim>" → the zone of the PersistentVolume bound to it (from volumes_).
  std::map<std::string, std::string> claim_zones();

  std::shared_ptr<KubeClient> client_;
  KubernetesOptions options_;
  std::function<PosixIds(const std::string&)> ids_of_;
  ObjectCache workloads_;  // Pods, Services, NetworkPolicies, Ingresses (kubernetes_runtime.cc)
  EventCache events_;
  ObjectCache nodes_;
  ObjectCache volumes_;  // PersistentVolumes: which zone each claim's storage is in
  NamespaceLimits limits_;
  std::chrono::milliseconds sync_wait_{3000};

  std::mutex zones_mu_;
  std::optional<uint64_t> zones_generation_;  // of volumes_, when zones_ was computed
  std::map<std::string, std::string> zones_;

  mutable std::mutex capacity_mu_;
  mutable std::optional<uint64_t> capacity_generation_;  // of nodes_, when capacity_ was computed
  mutable std::optional<Capacity> capacity_;
};

}  // namespace k4ds::kubernetes

// KubernetesRuntime: the Runtime contract (runtime/runtime.h) on a Kubernetes cluster. A
// workspace is the objects of kubernetes/objects.h; its state is read back from its Pod
// (kubernetes/status.h).
//
// Contract (beyond runtime.h)
// - apply creates what is missing, in order (namespace, volume, pull secret, Pod, then the
//   Service and NetworkPolicy owned by the Pod); objects that exist are kept. A Pod that has
//   ended is deleted and created again; a live one is left alone (never a second copy).
// - stop deletes the Pod and, without waiting for the garbage collector, its Service and
//   NetworkPolicy. Volumes, namespaces and pull secrets are never deleted.
// - observe reads the Pods labelled app.kubernetes.io/managed-by=k4ds in every namespace
//   (re-adoption after a restart is free) from a PodCache (list once, then watch; no API call
//   in steady state), plus the Events of Pods still starting (one call per such Pod). The
//   cache starts with the runtime; observe waits up to `sync_wait` for its first list, then
//   answers unavailable with the cluster's error (the controller retries).
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
#include <memory>

#include "kubernetes/client.h"
#include "kubernetes/objects.h"
#include "kubernetes/pod_cache.h"
#include "runtime/runtime.h"

namespace k4ds::kubernetes {

class KubernetesRuntime : public Runtime {
 public:
  // ids_of(owner): the owner's uid/gid from the directory (default: unknown).
  KubernetesRuntime(std::shared_ptr<KubeClient> client, KubernetesOptions options,
                    std::function<PosixIds(const std::string& owner)> ids_of = {},
                    PodCacheOptions cache_options = {});
  ~KubernetesRuntime() override;

  // Whether the Pods have been read from the cluster within `timeout` (start-up check).
  bool wait_synced(std::chrono::milliseconds timeout) const { return cache_.wait_synced(timeout); }
  // The cluster's answer while the Pods cannot be read, for start-up messages.
  Status cluster_status() const { return cache_.pods().status(); }

  std::string name() const override { return "kubernetes"; }
  std::string capabilities() const override;

  Status apply(const LaunchSpec& spec) override;
  Status stop(std::string_view workspace_id) override;
  Status remove(std::string_view workspace_id) override { return stop(workspace_id); }
  Result<std::vector<ObservedWorkspace>> observe() override;
  Result<std::string> tail_logs(std::string_view workspace_id, std::size_t max_bytes) override;
  Result<LogFollow> follow_logs(std::string_view workspace_id, std::size_t tail_bytes) override;

 private:
  Result<std::vector<boost::json::object>> pods_of(std::string_view workspace_id);

  std::shared_ptr<KubeClient> client_;
  KubernetesOptions options_;
  std::function<PosixIds(const std::string&)> ids_of_;
  PodCache cache_;
  std::chrono::milliseconds sync_wait_{3000};
};

}  // namespace k4ds::kubernetes

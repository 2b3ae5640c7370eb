// MultiClusterRuntime: the Runtime contract (runtime/runtime.h) over several named clusters (say
// an EKS cluster and a GKE cluster with GPUs), each a KubernetesRuntime with its own client and
// options. Users pick a size as always; the size decides the cluster (kubernetes/clusters.h).
//
// Contract (beyond runtime.h and kubernetes_runtime.h)
// - apply(spec) runs the workspace on its size's cluster. A volume lives on one cluster (a claim
//   is cluster-local): when the home volume or another of spec's volumes is not on that cluster
//   but exists on another one, apply creates nothing and answers failed_precondition in plain
//   words ("the volume 'home' is kept where size 'gpu' cannot run …"). Clusters whose volumes are
//   the same NFS server and export are not checked (the same directory on both). A cluster that
//   cannot be asked → unavailable (the controller retries): never a silent second copy.
// - A workspace last seen on another cluster is never started a second time: apply answers ok
//   while it runs (or starts) there, unavailable while that cluster cannot be read, and cleans
//   an ended one up there before starting it on its size's cluster. Until a cluster has been read
//   once, apply of a workspace seen nowhere yet is unavailable (it may run there).
// - stop / remove / tail_logs / follow_logs go to the cluster that holds the workspace (last seen
//   there by observe, or started there by apply); when not known, stop and remove go to every
//   cluster and logs come from the first that has the workspace. A cluster that cannot be reached
//   → unavailable.
// - observe() is the union of the clusters' observations, read in parallel. A cluster that cannot
//   be read does not hide the others: the workspaces last seen on it are reported with
//   RunState::unknown and the progress "cannot reach where this workspace runs (<the cluster's
//   error>); k4ds keeps trying" (never absent: the controller would start them again). Only when
//   no cluster can be read is observe unavailable. A cluster read once and now stale (its watch
//   failed) is not waited for.
// - capacity(): totals summed, the largest machine the largest of any cluster; nullopt while any
//   cluster cannot tell (admission then refuses nothing rather than judging by half the
//   machines). capabilities(): one line per cluster ("cluster aws: …"). warnings(): every
//   cluster's, once each. max_starting(): the sum, 0 (no limit) when any cluster has none.
// - Thread-safe: the controller observes on its thread while workers apply and stop.
//
// Usage:
//   std::vector<MultiClusterRuntime::Cluster> clusters;
//   clusters.push_back({"aws", std::make_unique<KubernetesRuntime>(aws_client, options_for_cluster(o, "aws")),
//                       options_for_cluster(o, "aws")});
//   ...
//   MultiClusterRuntime runtime(std::move(clusters), o);  // o: the shared options (node pools)
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "kubernetes/kubernetes_runtime.h"
#include "kubernetes/options.h"
#include "runtime/runtime.h"

namespace k4ds::kubernetes {

class MultiClusterRuntime : public Runtime {
 public:
  struct Cluster {
    std::string name;
    std::unique_ptr<KubernetesRuntime> runtime;
    KubernetesOptions options;  // what runtime runs with (options_for_cluster)
  };

  // `clusters` in the config's order: the first is the default. `shared` names which cluster
  // runs each size (its node pools' `cluster`).
  MultiClusterRuntime(std::vector<Cluster> clusters, KubernetesOptions shared);
  ~MultiClusterRuntime() override;

  std::string name() const override { return "kubernetes"; }
  std::string capabilities() const override;
  std::vector<std::string> warnings() const override;
  std::optional<Capacity> capacity() const override;
  int max_starting() const override;

  Status apply(const LaunchSpec& spec) override;
  Status stop(std::string_view workspace_id) override;
  Status remove(std::string_view workspace_id) override;
  Result<std::vector<ObservedWorkspace>> observe() override;
  Result<std::string> tail_logs(std::string_view workspace_id, std::size_t max_bytes) override;
  Result<LogFollow> follow_logs(std::string_view workspace_id, std::size_t tail_bytes) override;

  // Where the workspace was last seen or started ("" = not known), for tests and logs.
  std::string cluster_of(std::string_view workspace_id) const;

 private:
  struct Seen {
    std::size_t cluster = 0;
    RunState state = RunState::unknown;
  };
  std::size_t index_of(std::string_view name) const;  // 0 (the default) when not found
  std::optional<Seen> seen(std::string_view workspace_id) const;
  // read(cluster's runtime) on the cluster holding the workspace; when not known, the first
  // cluster's answer that has it (else the first unreachable cluster's error, else "not here").
  template <class T, class Read>
  Result<T> from_holder(std::string_view workspace_id, Read read);
  Status check_volumes(const LaunchSpec& spec, std::size_t target);
  Status on_holder_or_all(std::string_view workspace_id, bool remove);

  std::vector<Cluster> clusters_;
  KubernetesOptions shared_;

  mutable std::mutex mu_;
  // Workspace id → the cluster it was last seen on (observe) or started on (apply), and its
  // state there. Entries of a cluster that cannot be read stay: observe reports them unknown.
  std::map<std::string, Seen, std::less<>> seen_;
  std::vector<bool> read_once_;  // per cluster: read at least once
};

}  // namespace k4ds::kubernetes

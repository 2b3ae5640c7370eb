#include "kubernetes/multi_cluster_runtime.h"

#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <set>

#include "kubernetes/clusters.h"

namespace k4ds::kubernetes {
namespace {

bool alive(RunState state) {
  // unknown: the cluster itself cannot tell; it may run, so it counts as running.
  return state == RunState::starting || state == RunState::running || state == RunState::unknown;
}

std::string unreachable_progress(const std::string& error) {
  return "cannot reach where this workspace runs (" + error + "); k4ds keeps trying";
}

// A cluster's error, saying which cluster it came from, for what only the controller's log shows
// (stop, remove); what users see (launch failures, logs) keeps the cluster unnamed.
Status naming_cluster(const std::string& name, const Status& s) {
  if (s.ok()) return s;
  return Status(s.code(), "in '" + name + "': " + s.message());
}

}  // namespace

MultiClusterRuntime::MultiClusterRuntime(std::vector<Cluster> clusters, KubernetesOptions shared)
    : clusters_(std::move(clusters)), shared_(std::move(shared)), read_once_(clusters_.size(), false) {}

MultiClusterRuntime::~MultiClusterRuntime() = default;

std::size_t MultiClusterRuntime::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < clusters_.size(); ++i) {
    if (clusters_[i].name == name) return i;
  }
  return 0;
}

std::optional<MultiClusterRuntime::Seen> MultiClusterRuntime::seen(std::string_view workspace_id) const {
  std::lock_guard lock(mu_);
  auto it = seen_.find(workspace_id);
  if (it == seen_.end()) return std::nullopt;
  return it->second;
}

std::string MultiClusterRuntime::cluster_of(std::string_view workspace_id) const {
  auto where = seen(workspace_id);
  return where ? clusters_[where->cluster].name : "";
}

std::string MultiClusterRuntime::capabilities() const {
  std::string out;
  for (const Cluster& c : clusters_) {
    std::string lines = c.runtime->capabilities();
    for (std::size_t at = lines.find('\n'); at != std::string::npos; at = lines.find('\n', at)) {
      lines.replace(at, 1, "; ");
    }
    out += (out.empty() ? "" : "\n") + ("cluster " + c.name + ": " + lines);
  }
  return out;
}

std::vector<std::string> MultiClusterRuntime::warnings() const {
  std::vector<std::string> out;
  for (const Cluster& c : clusters_) {
    for (std::string& w : c.runtime->warnings()) {
      if (std::find(out.begin(), out.end(), w) == out.end()) out.push_back(std::move(w));
    }
  }
  return out;
}

std::optional<Capacity> MultiClusterRuntime::capacity() const {
  Capacity total{.description = "the largest machine of the clusters"};
  for (const Cluster& c : clusters_) {
    std::optional<Capacity> one = c.runtime->capacity();
    if (!one) return std::nullopt;
    total.cpu_millis += one->cpu_millis;
    total.memory_bytes += one->memory_bytes;
    total.gpus += one->gpus;
    total.largest_cpu_millis = std::max(total.largest_cpu_millis, one->largest_cpu_millis);
    total.largest_memory_bytes = std::max(total.largest_memory_bytes, one->largest_memory_bytes);
    total.largest_gpus = std::max(total.largest_gpus, one->largest_gpus);
  }
  return total;
}

int MultiClusterRuntime::max_starting() const {
  int total = 0;
  for (const Cluster& c : clusters_) {
    const int one = c.runtime->max_starting();
    if (one <= 0) return 0;
    total += one;
  }
  return total;
}

Status MultiClusterRuntime::apply(const LaunchSpec& spec) {
  const std::size_t target = index_of(cluster_for_size(shared_, spec.size.name));
  if (auto where = seen(spec.workspace_id); where && where->cluster != target) {
    // Seen on another cluster (its size now runs elsewhere, or a start raced): never a second copy.
    Cluster& other = clusters_[where->cluster];
    if (Status reach = other.runtime->cluster_status(); !reach.ok()) {
      return unavailable(unreachable_progress(reach.message()));
    }
    if (alive(where->state)) return ok_status();  // it runs there
    // It ended there: clean up there, then start where its size runs.
    if (Status s = other.runtime->stop(spec.workspace_id); !s.ok()) return s;
    std::lock_guard lock(mu_);
    seen_.erase(spec.workspace_id);
  } else if (!where) {
    // Not seen anywhere: a cluster never read yet may still run it.
    for (std::size_t i = 0; i < clusters_.size(); ++i) {
      bool read;
      {
        std::lock_guard lock(mu_);
        read = read_once_[i];
      }
      if (i == target || read) continue;
      return unavailable(fmt::format("cannot tell yet whether this workspace already runs in '{}' ({}); k4ds keeps "
                                     "trying",
                                     clusters_[i].name, clusters_[i].runtime->cluster_status().message()));
    }
  }
  if (Status s = check_volumes(spec, target); !s.ok()) return s;
  Status applied = clusters_[target].runtime->apply(spec);
  if (!applied.ok()) return applied;
  std::lock_guard lock(mu_);
  auto [it, inserted] = seen_.try_emplace(spec.workspace_id, Seen{.cluster = target, .state = RunState::starting});
  if (!inserted && it->second.cluster != target) it->second = Seen{.cluster = target, .state = RunState::starting};
  return ok_status();
}

// Each of spec's volumes must not exist on a cluster other than `target` (a claim is
// cluster-local: the launch would otherwise get a new, empty copy).
Status MultiClusterRuntime::check_volumes(const LaunchSpec& spec, std::size_t target) {
  std::vector<std::size_t> others;  // the clusters whose volumes are not the target's
  for (std::size_t i = 0; i < clusters_.size(); ++i) {
    if (i != target && !same_nfs_volumes(clusters_[target].options, clusters_[i].options)) others.push_back(i);
  }
  if (others.empty() || spec.volume_id.empty()) return ok_status();
  std::vector<std::pair<std::string, std::string>> volumes{{"home", spec.volume_id}};  // what users call it, id
  for (const LaunchSpec::Mount& m : spec.extra_volumes) volumes.emplace_back(m.name, m.volume_id);
  const Cluster& here = clusters_[target];
  for (const auto& [label, id] : volumes) {
    auto present = here.runtime->has_volume(spec, id);
    if (!present) return present.status();
    if (*present) continue;
    for (std::size_t i : others) {
      const Cluster& there = clusters_[i];
      auto elsewhere = there.runtime->has_volume(spec, id);
      if (!elsewhere) {
        const Status& s = elsewhere.status();
        return Status(s.code(), fmt::format("cannot tell whether the volume '{}' is kept in '{}' ({}){}", label,
                                            there.name, s.message(),
                                            s.code() == Code::unavailable ? "; k4ds keeps trying" : ""));
      }
      if (*elsewhere) {
        return failed_precondition(fmt::format(
            "the volume '{}' is kept where size '{}' cannot run (in '{}'; size '{}' runs in '{}'); launch with a "
            "size that runs in '{}', or ask your admin to move the volume",
            label, spec.size.name, there.name, spec.size.name, here.name, there.name));
      }
    }
  }
  return ok_status();
}

Status MultiClusterRuntime::on_holder_or_all(std::string_view workspace_id, bool remove) {
  auto run = [&](Cluster& c) { return remove ? c.runtime->remove(workspace_id) : c.runtime->stop(workspace_id); };
  if (auto where = seen(workspace_id)) {
    Cluster& c = clusters_[where->cluster];
    return naming_cluster(c.name, run(c));
  }
  Status first_error;  // every cluster is asked, even after one fails
  for (Cluster& c : clusters_) {
    if (Status s = run(c); !s.ok() && first_error.ok()) first_error = naming_cluster(c.name, s);
  }
  return first_error;
}

Status MultiClusterRuntime::stop(std::string_view workspace_id) { return on_holder_or_all(workspace_id, false); }
Status MultiClusterRuntime::remove(std::string_view workspace_id) { return on_holder_or_all(workspace_id, true); }

Result<std::vector<ObservedWorkspace>> MultiClusterRuntime::observe() {
  const std::size_t n = clusters_.size();
  std::vector<std::optional<Result<std::vector<ObservedWorkspace>>>> results(n);
  std::vector<std::future<Result<std::vector<ObservedWorkspace>>>> pending(n);
  for (std::size_t i = 0; i < n; ++i) {
    bool read;
    {
      std::lock_guard lock(mu_);
      read = read_once_[i];
    }
    // A cluster read before whose watch has failed since: not waited for (its sync_wait).
    if (Status s = clusters_[i].runtime->cluster_status(); read && !s.ok()) {
      results[i] = Result<std::vector<ObservedWorkspace>>(s);
    } else {
      pending[i] = std::async(std::launch::async, [this, i] { return clusters_[i].runtime->observe(); });
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (!results[i]) results[i] = pending[i].get();
  }

  std::lock_guard lock(mu_);
  std::vector<ObservedWorkspace> out;
  std::set<std::string, std::less<>> reported;
  std::string errors;
  for (std::size_t i = 0; i < n; ++i) {
    if (!*results[i]) continue;
    read_once_[i] = true;
    std::erase_if(seen_, [&](const auto& entry) { return entry.second.cluster == i; });
    for (ObservedWorkspace& o : results[i]->value()) {
      seen_[o.workspace_id] = Seen{.cluster = i, .state = o.state};
      reported.insert(o.workspace_id);
      out.push_back(std::move(o));
    }
  }
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (*results[i]) {
      any = true;
      continue;
    }
    const std::string error = results[i]->status().message();
    errors += (errors.empty() ? "" : "; ") + clusters_[i].name + ": " + error;
    for (const auto& [id, where] : seen_) {
      if (where.cluster != i || reported.contains(id)) continue;
      ObservedWorkspace o{.workspace_id = id, .state = RunState::unknown};
      o.progress = unreachable_progress(error);
      out.push_back(std::move(o));
      reported.insert(id);
    }
  }
  if (!any) return unavailable("no cluster can be read (" + errors + ")");
  return out;
}

template <class T, class Read>
Result<T> MultiClusterRuntime::from_holder(std::string_view workspace_id, Read read) {
  if (auto where = seen(workspace_id)) return read(*clusters_[where->cluster].runtime);
  Status missing, unreachable;
  for (Cluster& c : clusters_) {
    Result<T> answer = read(*c.runtime);
    if (answer) return answer;
    if (answer.status().code() == Code::failed_precondition) missing = answer.status();
    else if (unreachable.ok()) unreachable = answer.status();
  }
  return unreachable.ok() ? missing : unreachable;
}

Result<std::string> MultiClusterRuntime::tail_logs(std::string_view workspace_id, std::size_t max_bytes) {
  return from_holder<std::string>(
      workspace_id, [&](KubernetesRuntime& r) { return r.tail_logs(workspace_id, max_bytes); });
}

Result<LogFollow> MultiClusterRuntime::follow_logs(std::string_view workspace_id, std::size_t tail_bytes) {
  return from_holder<LogFollow>(
      workspace_id, [&](KubernetesRuntime& r) { return r.follow_logs(workspace_id, tail_bytes); });
}

}  // namespace k4ds::kubernetes

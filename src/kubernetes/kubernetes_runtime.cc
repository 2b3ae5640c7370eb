#include "kubernetes/kubernetes_runtime.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "kubernetes/ingress.h"
#include "kubernetes/names.h"
#include "kubernetes/node_capacity.h"
#include "kubernetes/status.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

std::string meta(const json::object& o, std::string_view key) {
  auto* m = o.if_contains("metadata");
  auto* v = m && m->is_object() ? m->as_object().if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

// Cluster answers in the runtime's vocabulary: unavailable is retried by the controller;
// refusals (bad object, missing permission) will not pass by retrying.
Status as_runtime_error(const Status& s) {
  switch (s.code()) {
    case Code::unavailable:
    case Code::failed_precondition:
    case Code::internal:
      return s;
    case Code::invalid_argument:
    case Code::permission_denied:
    case Code::unauthenticated:
      return failed_precondition(s.message());
    default:
      return unavailable(s.message());
  }
}

std::string pod_phase(const json::object& pod) {
  auto* status = pod.if_contains("status");
  if (!status || !status->is_object()) return "";
  auto* phase = status->as_object().if_contains("phase");
  return phase && phase->is_string() ? std::string(phase->as_string()) : "";
}

bool ended(const json::object& pod) {
  const std::string phase = pod_phase(pod);
  return phase == "Failed" || phase == "Succeeded";
}

// The collections of workloads_ (one cache: the Pods, and the objects each Pod owns, watched so
// that one deleted behind k4ds's back is noticed without polling). Ingresses only when the
// Ingress is on: a cluster without that permission keeps working.
constexpr std::size_t kPods = 0, kServices = 1, kPolicies = 2, kIngresses = 3;

std::vector<std::string> workload_collections(const KubernetesOptions& o) {
  const std::string selector = "?labelSelector=" + std::string(kManagedByLabel) + "=" + kManagedByValue;
  std::vector<std::string> out{"/api/v1/pods" + selector, "/api/v1/services" + selector,
                               "/apis/networking.k8s.io/v1/networkpolicies" + selector};
  if (o.ingress.enabled) out.push_back("/apis/networking.k8s.io/v1/ingresses" + selector);
  return out;
}

// "<namespace>/<name>" of each object of a collection of the cache; its error when not current.
Result<std::set<std::string>> keys_of(const ObjectCache& cache, std::size_t collection) {
  auto objects = cache.objects(collection);
  if (!objects) return objects.status();
  std::set<std::string> keys;
  for (const json::object& o : *objects) keys.insert(object_key(o));
  return keys;
}

// What the Pods own on the cluster now, by "<namespace>/<name>".
struct OwnedObjects {
  std::set<std::string> services, policies, ingresses;

  // Whether the Pod ns/pod has every object it should own: each path owned_object_paths names
  // (the same list stop deletes), found in the collection its path names.
  bool complete(const std::string& ns, const std::string& pod, const KubernetesOptions& o) const {
    for (const std::string& path : owned_object_paths(ns, pod, o)) {
      const std::string key = ns + "/" + path.substr(path.rfind('/') + 1);
      const std::set<std::string>& present = path.find("/services/") != std::string::npos        ? services
                                             : path.find("/networkpolicies/") != std::string::npos ? policies
                                                                                                   : ingresses;
      if (!present.count(key)) return false;
    }
    return true;
  }
};

Result<OwnedObjects> owned_objects(const ObjectCache& cache, const KubernetesOptions& o) {
  OwnedObjects out;
  auto services = keys_of(cache, kServices);
  if (!services) return services.status();
  auto policies = keys_of(cache, kPolicies);
  if (!policies) return policies.status();
  out.services = std::move(*services);
  out.policies = std::move(*policies);
  if (o.ingress.enabled) {
    auto ingresses = keys_of(cache, kIngresses);
    if (!ingresses) return ingresses.status();
    out.ingresses = std::move(*ingresses);
  }
  return out;
}

}  // namespace

namespace {

// What is kept of a PersistentVolume: whose claim it is bound to, and what says its zone.
json::object volume_fields(const json::object& pv) {
  json::object out;
  json::object metadata;
  const json::value value(pv);
  boost::system::error_code ec;
  if (auto* name = value.find_pointer("/metadata/name", ec)) metadata["name"] = *name;
  if (auto* labels = value.find_pointer("/metadata/labels", ec)) metadata["labels"] = *labels;
  out["metadata"] = std::move(metadata);
  json::object spec;
  if (auto* claim = value.find_pointer("/spec/claimRef", ec)) spec["claimRef"] = *claim;
  if (auto* affinity = value.find_pointer("/spec/nodeAffinity", ec)) spec["nodeAffinity"] = *affinity;
  out["spec"] = std::move(spec);
  return out;
}

// The claim the Pod mounts as its home volume ("" when none).
std::string home_claim(const json::object& pod) {
  boost::system::error_code ec;
  const json::value pod_value(pod);
  if (auto* volumes = pod_value.find_pointer("/spec/volumes", ec); volumes && volumes->is_array()) {
    for (const json::value& v : volumes->as_array()) {
      const json::value* name = v.is_object() ? v.as_object().if_contains("name") : nullptr;
      if (!name || !name->is_string() || name->as_string() != "home") continue;
      if (auto* claim = v.find_pointer("/persistentVolumeClaim/claimName", ec); claim && claim->is_string()) {
        return std::string(claim->as_string());
      }
    }
  }
  return "";
}

WatchCacheOptions named(WatchCacheOptions options, std::string what) {
  options.what = std::move(what);
  return options;
}

// Events about Pods only; all namespaces (a namespace per user) or the shared one.
std::string events_path(const KubernetesOptions& o) {
  std::string scope = o.namespace_mode == NamespaceMode::shared
                          ? "/api/v1/namespaces/" + workspace_namespace("", o)
                          : std::string("/api/v1");
  return scope + "/events?fieldSelector=involvedObject.kind=Pod";
}

}  // namespace

KubernetesRuntime::KubernetesRuntime(std::shared_ptr<KubeClient> client, KubernetesOptions options,
                                     std::function<PosixIds(const std::string&)> ids_of,
                                     WatchCacheOptions cache_options)
    : client_(client),
      options_(std::move(options)),
      ids_of_(std::move(ids_of)),
      // A Service, NetworkPolicy or Ingress deleted on the cluster (kubectl, a clean-up script)
      // would stay missing while its Pod ran if only Pods were watched: the workspace would be
      // unreachable, or open to every Pod. They are watched with the Pods, so observe and apply
      // restore them.
      workloads_(client, workload_collections(options_),
                 named(cache_options, "the workspaces' Pods and the objects they own")),
      events_(client, events_path(options_),
              EventCacheOptions{.watch = named(cache_options, "the Events of workspace Pods")}),
      nodes_(client, "/api/v1/nodes", named(cache_options, "the cluster's Nodes"), capacity_fields),
      volumes_(client, "/api/v1/persistentvolumes", named(cache_options, "the cluster's PersistentVolumes"),
               volume_fields),
      limits_(client) {
  client_->set_rate_limit(options_.api_qps, options_.api_burst);
  workloads_.start();
  events_.start();
  nodes_.start();
  volumes_.start();
}

KubernetesRuntime::~KubernetesRuntime() {
  workloads_.stop();
  events_.stop();
  nodes_.stop();
  volumes_.stop();
}

std::optional<Capacity> KubernetesRuntime::capacity() const {
  if (!nodes_.status().ok()) return std::nullopt;
  const uint64_t generation = nodes_.generation();
  std::lock_guard lock(capacity_mu_);
  if (capacity_generation_ == generation) return capacity_;
  auto nodes = nodes_.objects();
  if (!nodes) return std::nullopt;
  capacity_ = cluster_capacity(*nodes, options_);
  capacity_generation_ = generation;
  return capacity_;
}

std::string KubernetesRuntime::capabilities() const {
  return "CPU, memory and GPU limits: enforced by Kubernetes (requests = limits)\n"
         "network: only the gateway's pods may connect, where the cluster's network plugin enforces "
         "NetworkPolicy";
}

Status KubernetesRuntime::apply(const LaunchSpec& spec) {
  PosixIds ids = ids_of_ ? ids_of_(spec.owner) : PosixIds{};
  auto rendered = render_workspace(spec, options_, ids);
  if (!rendered) return rendered.status();
  const std::string pod_path = "/api/v1/namespaces/" + rendered->namespace_name + "/pods/" + rendered->pod_name;
  auto existing = client_->get(pod_path);
  std::string pod_uid;
  bool restore = false;  // the Pod runs, but an object it owns is gone: create just those
  if (existing) {
    if (!existing->is_object() || !ended(existing->as_object())) {
      auto owned = owned_objects(workloads_, options_);
      // (Not known while the cache is stale: then, as before, nothing is created.)
      const bool complete = !owned || owned->complete(rendered->namespace_name, rendered->pod_name, options_);
      if (!existing->is_object() || complete) return ok_status();  // already there
      restore = true;
      pod_uid = meta(existing->as_object(), "uid");
    } else {
      auto deleted = client_->remove(pod_path);  // ended: clean up, then start afresh
      if (!deleted && deleted.status().code() != Code::not_found) return as_runtime_error(deleted.status());
    }
  } else if (existing.status().code() != Code::not_found) {
    return as_runtime_error(existing.status());
  }

  const std::vector<json::object> none;
  for (const json::object& object : restore ? none : rendered->objects) {
    std::string kind(object.at("kind").as_string());
    if (kind == "Service" || kind == "NetworkPolicy" || kind == "Ingress") continue;  // after the Pod, owned by it
    if (kind == "ResourceQuota" || kind == "LimitRange") continue;  // with the Namespace, below
    auto collection = collection_path(object);
    if (!collection) return internal_error(collection.status().message());
    if (kind == "Secret") {  // the pull secret: applied, so changed registry credentials reach the cluster
      auto applied = client_->apply(*collection + "/" + meta(object, "name"), object);
      if (!applied) return as_runtime_error(applied.status());
      continue;
    }
    auto created = client_->create(*collection, object);
    if (kind == "Pod") {
      if (!created && created.status().code() == Code::resource_exhausted) {
        return unavailable("the cluster holds this workspace back: " + spec.owner +
                           "'s quota there is used up until stopped workspaces have let go of their CPU and "
                           "memory; k4ds keeps trying");
      }
      if (!created) return as_runtime_error(created.status());
      pod_uid = meta(created->as_object(), "uid");
    } else if (!created && created.status().code() != Code::already_exists) {
      return as_runtime_error(created.status());  // volumes, namespace, secret: kept as they are
    }
    if (kind == "Namespace" && spec.owner_quota) {
      if (created) limits_.created_namespace(rendered->namespace_name);
      std::vector<json::object> limits;
      for (const json::object& o : rendered->objects) {
        if (o.at("kind") == "ResourceQuota" || o.at("kind") == "LimitRange") limits.push_back(o);
      }
      if (Status s = limits_.sync(rendered->namespace_name, limits); !s.ok()) return as_runtime_error(s);
    }
  }
  auto owned = render_workspace(spec, options_, ids, pod_uid);
  if (!owned) return owned.status();
  for (const json::object& object : owned->objects) {
    std::string kind(object.at("kind").as_string());
    if (kind != "Service" && kind != "NetworkPolicy" && kind != "Ingress") continue;
    auto collection = collection_path(object);
    if (!collection) return internal_error(collection.status().message());
    // One server-side apply each: created when missing (drift repaired), and one left from a
    // previous Pod is taken over by this one (its owner reference), so the garbage collector
    // keeps it.
    auto applied = client_->apply(*collection + "/" + meta(object, "name"), object);
    if (!applied) return as_runtime_error(applied.status());
  }
  return ok_status();
}

Result<bool> KubernetesRuntime::has_volume(const LaunchSpec& spec, std::string_view volume_id) {
  auto claim = client_->get("/api/v1/namespaces/" + workspace_namespace(spec.owner, options_) +
                            "/persistentvolumeclaims/" + volume_object_name(volume_id));
  if (claim) return true;
  if (claim.status().code() == Code::not_found) return false;
  return as_runtime_error(claim.status());
}

Result<std::vector<json::object>> KubernetesRuntime::pods_of(std::string_view workspace_id) {
  auto list = client_->get("/api/v1/pods?labelSelector=" + std::string(kWorkspaceIdLabel) + "=" +
                           label_value(workspace_id));
  if (!list) return as_runtime_error(list.status());
  std::vector<json::object> pods;
  if (auto* items = list->as_object().if_contains("items"); items && items->is_array()) {
    for (const auto& item : items->as_array()) {
      if (item.is_object()) pods.push_back(item.as_object());
    }
  }
  return pods;
}

Status KubernetesRuntime::stop(std::string_view workspace_id) {
  auto pods = pods_of(workspace_id);
  if (!pods) return pods.status();
  for (const json::object& pod : *pods) {
    std::string ns = meta(pod, "namespace"), name = meta(pod, "name");
    std::vector<std::string> paths{"/api/v1/namespaces/" + ns + "/pods/" + name};
    for (std::string& owned : owned_object_paths(ns, name, options_)) paths.push_back(std::move(owned));
    for (const std::string& path : paths) {
      auto removed = client_->remove(path);
      if (!removed && removed.status().code() != Code::not_found) return as_runtime_error(removed.status());
    }
  }
  return ok_status();
}

Result<std::vector<ObservedWorkspace>> KubernetesRuntime::observe() {
  if (!workloads_.wait_synced(sync_wait_)) return as_runtime_error(workloads_.status());
  auto pods = workloads_.objects(kPods);
  if (!pods) return as_runtime_error(pods.status());
  auto owned = owned_objects(workloads_, options_);
  if (!owned) return as_runtime_error(owned.status());
  std::set<std::string> uids;
  for (const json::object& pod : *pods) uids.insert(meta(pod, "uid"));
  events_.retain(uids);  // the Events of Pods that went are dropped
  std::vector<ObservedWorkspace> out;
  const std::map<std::string, std::string> zones = claim_zones();
  for (const json::object& pod : *pods) {
    std::string ns = meta(pod, "namespace"), name = meta(pod, "name");
    // A running Pod missing an object it owns (Service, NetworkPolicy, Ingress) is reported absent: the controller
    // then applies the workspace again, and apply restores them. (Only once it runs: while it
    // starts, the watch may not have brought the Service created just after the Pod yet; and
    // not while it is being deleted: stop removes the Service while the Pod terminates.)
    const bool deleting = !meta(pod, "deletionTimestamp").empty();
    if (pod_phase(pod) == "Running" && !deleting && !owned->complete(ns, name, options_)) {
      continue;
    }
    int64_t port = 0;
    boost::system::error_code ec;
    const json::value pod_value(pod);
    if (auto* c = pod_value.find_pointer("/spec/containers/0/ports/0/containerPort", ec); c && c->is_int64()) {
      port = c->as_int64();
    }
    std::vector<json::object> events;
    auto* phase = pod_value.find_pointer("/status/phase", ec);
    if (!phase || (phase->is_string() && phase->as_string() == "Pending")) {
      events = events_.events_for(meta(pod, "uid"));  // scheduling, image download: from the watch
    }
    std::string upstream;
    if (options_.upstream == UpstreamMode::pod_ip) {
      auto* ip = pod_value.find_pointer("/status/podIP", ec);
      if (ip && ip->is_string() && !ip->as_string().empty()) {
        std::string address(ip->as_string());
        if (address.find(':') != std::string::npos) address = "[" + address + "]";
        upstream = address + ":" + std::to_string(port);
      }
    } else {
      upstream = name + "." + ns + ".svc:" + std::to_string(port);
    }
    auto zone = zones.find(ns + "/" + home_claim(pod));
    const std::string volume_zone = zone == zones.end() ? "" : zone->second;
    out.push_back(observe_pod(pod, events, upstream, waits_for_volume_zone(pod, events) ? volume_zone : ""));
    out.back().volume_zone = volume_zone;
  }
  return out;
}

std::map<std::string, std::string> KubernetesRuntime::claim_zones() {
  std::lock_guard lock(zones_mu_);
  const uint64_t generation = volumes_.generation();
  if (zones_generation_ == generation) return zones_;
  auto volumes = volumes_.objects();
  if (!volumes) return {};  // not read (yet, or not allowed): zones not known
  zones_.clear();
  for (const json::object& pv : *volumes) {
    std::string zone = volume_zone(pv);
    const json::value value(pv);
    boost::system::error_code ec;
    auto* ns = value.find_pointer("/spec/claimRef/namespace", ec);
    auto* claim = value.find_pointer("/spec/claimRef/name", ec);
    if (zone.empty() || !ns || !claim || !ns->is_string() || !claim->is_string()) continue;
    zones_[std::string(ns->as_string()) + "/" + std::string(claim->as_string())] = std::move(zone);
  }
  zones_generation_ = generation;
  return zones_;
}

Result<std::string> KubernetesRuntime::tail_logs(std::string_view workspace_id, std::size_t max_bytes) {
  auto pods = pods_of(workspace_id);
  if (!pods) return pods.status();
  if (pods->empty()) {
    return failed_precondition("the workspace has no Pod on the cluster (never started, or stopped: "
                               "Kubernetes keeps no output of deleted Pods)");
  }
  const json::object& pod = pods->front();
  auto text = client_->get_text("/api/v1/namespaces/" + meta(pod, "namespace") + "/pods/" + meta(pod, "name") +
                                "/log?tailLines=" + std::to_string(std::max<std::size_t>(100, max_bytes / 40)));
  // (limitBytes would cut the *start* of the output; tailLines keeps its end, then cut to size.)
  if (!text) return as_runtime_error(text.status());
  if (text->size() > max_bytes) return text->substr(text->size() - max_bytes);
  return *text;
}

namespace {

// One followed output: a thread streams GET …/log?follow=true into `pending`; next() hands it
// out. The last copy of the LogFollow cancels the stream and joins the thread.
struct LogStream {
  std::mutex mu;
  std::condition_variable cv;
  std::string pending;
  bool ended = false;
  std::atomic<bool> cancel = false;
  std::thread thread;
  ~LogStream() {
    cancel = true;
    if (thread.joinable()) thread.join();
  }
};

}  // namespace

Result<LogFollow> KubernetesRuntime::follow_logs(std::string_view workspace_id, std::size_t tail_bytes) {
  auto pods = pods_of(workspace_id);
  if (!pods) return pods.status();
  if (pods->empty()) {
    return failed_precondition("the workspace has no Pod on the cluster (never started, or stopped: "
                               "Kubernetes keeps no output of deleted Pods)");
  }
  const json::object& pod = pods->front();
  const std::string path = "/api/v1/namespaces/" + meta(pod, "namespace") + "/pods/" + meta(pod, "name") +
                           "/log?follow=true&tailLines=" + std::to_string(std::max<std::size_t>(100, tail_bytes / 40));
  auto stream = std::make_shared<LogStream>();
  LogStream* raw = stream.get();  // the thread never outlives it (joined by its destructor)
  raw->thread = std::thread([client = client_, path, raw, tail_bytes] {
    bool first = true;
    (void)client->stream_text(
        path, std::chrono::hours(24),
        [&](std::string_view data) {
          {
            std::lock_guard lock(raw->mu);
            raw->pending.append(data);
            // The tail comes first, in lines; keep only its last tail_bytes.
            if (first && raw->pending.size() > tail_bytes) raw->pending.erase(0, raw->pending.size() - tail_bytes);
            first = false;
          }
          raw->cv.notify_all();
          return !raw->cancel.load();
        },
        &raw->cancel);
    {
      std::lock_guard lock(raw->mu);
      raw->ended = true;  // the container ended, the Pod went, or the cluster dropped the stream
    }
    raw->cv.notify_all();
  });
  LogFollow follow;
  follow.next = [stream](std::chrono::milliseconds wait) -> std::optional<std::string> {
    std::unique_lock lock(stream->mu);
    stream->cv.wait_for(lock, wait, [&] { return !stream->pending.empty() || stream->ended; });
    if (!stream->pending.empty()) return std::exchange(stream->pending, std::string());
    if (stream->ended) return std::nullopt;
    return std::string();
  };
  follow.close = [stream] { stream->cancel = true; };
  return follow;
}

}  // namespace k4ds::kubernetes

#include "kubernetes/kubernetes_runtime.h"

#include <algorithm>

#include "kubernetes/names.h"
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

bool ended(const json::object& pod) {
  auto* status = pod.if_contains("status");
  if (!status || !status->is_object()) return false;
  auto* phase = status->as_object().if_contains("phase");
  return phase && phase->is_string() && (phase->as_string() == "Failed" || phase->as_string() == "Succeeded");
}

}  // namespace

KubernetesRuntime::KubernetesRuntime(std::shared_ptr<KubeClient> client, KubernetesOptions options,
                                     std::function<PosixIds(const std::string&)> ids_of)
    : client_(std::move(client)), options_(std::move(options)), ids_of_(std::move(ids_of)) {}

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
  if (existing) {
    if (!existing->is_object() || !ended(existing->as_object())) return ok_status();  // already there
    auto deleted = client_->remove(pod_path);  // ended: clean up, then start afresh
    if (!deleted && deleted.status().code() != Code::not_found) return as_runtime_error(deleted.status());
  } else if (existing.status().code() != Code::not_found) {
    return as_runtime_error(existing.status());
  }

  std::string pod_uid;
  for (const json::object& object : rendered->objects) {
    std::string kind(object.at("kind").as_string());
    if (kind == "Service" || kind == "NetworkPolicy") continue;  // after the Pod, owned by it
    auto collection = collection_path(object);
    if (!collection) return internal_error(collection.status().message());
    auto created = client_->create(*collection, object);
    if (kind == "Pod") {
      if (!created) return as_runtime_error(created.status());
      pod_uid = meta(created->as_object(), "uid");
    } else if (!created && created.status().code() != Code::already_exists) {
      return as_runtime_error(created.status());  // volumes, namespace, secret: kept as they are
    }
  }
  auto owned = render_workspace(spec, options_, ids, pod_uid);
  if (!owned) return owned.status();
  for (const json::object& object : owned->objects) {
    std::string kind(object.at("kind").as_string());
    if (kind != "Service" && kind != "NetworkPolicy") continue;
    auto collection = collection_path(object);
    if (!collection) return internal_error(collection.status().message());
    auto created = client_->create(*collection, object);
    if (!created && created.status().code() == Code::already_exists) {
      // Left from the previous Pod and about to be garbage-collected with it: replace it.
      auto removed = client_->remove(*collection + "/" + owned->pod_name);
      if (!removed && removed.status().code() != Code::not_found) return as_runtime_error(removed.status());
      created = client_->create(*collection, object);
    }
    if (!created) return as_runtime_error(created.status());
  }
  return ok_status();
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
    for (const std::string& path : {"/api/v1/namespaces/" + ns + "/pods/" + name,
                                    "/api/v1/namespaces/" + ns + "/services/" + name,
                                    "/apis/networking.k8s.io/v1/namespaces/" + ns + "/networkpolicies/" + name}) {
      auto removed = client_->remove(path);
      if (!removed && removed.status().code() != Code::not_found) return as_runtime_error(removed.status());
    }
  }
  return ok_status();
}

Result<std::vector<ObservedWorkspace>> KubernetesRuntime::observe() {
  auto list = client_->get("/api/v1/pods?labelSelector=" + std::string(kManagedByLabel) + "=" + kManagedByValue);
  if (!list) return as_runtime_error(list.status());
  std::vector<ObservedWorkspace> out;
  auto* items = list->as_object().if_contains("items");
  if (!items || !items->is_array()) return out;
  for (const auto& item : items->as_array()) {
    if (!item.is_object()) continue;
    const json::object& pod = item.as_object();
    std::string ns = meta(pod, "namespace"), name = meta(pod, "name");
    int64_t port = 0;
    boost::system::error_code ec;
    const json::value pod_value(pod);
    if (auto* c = pod_value.find_pointer("/spec/containers/0/ports/0/containerPort", ec); c && c->is_int64()) {
      port = c->as_int64();
    }
    std::vector<json::object> events;
    auto* phase = pod.if_contains("status") ? pod.at("status").as_object().if_contains("phase") : nullptr;
    if (!phase || (phase->is_string() && phase->as_string() == "Pending")) {
      // Only a starting Pod needs its Events (scheduling, image download): one call each.
      auto ev = client_->get("/api/v1/namespaces/" + ns + "/events?fieldSelector=involvedObject.name=" + name);
      if (ev) {
        if (auto* e = ev->as_object().if_contains("items"); e && e->is_array()) {
          for (const auto& x : e->as_array()) {
            if (x.is_object()) events.push_back(x.as_object());
          }
        }
      }
    }
    out.push_back(observe_pod(pod, events, name + "." + ns + ".svc:" + std::to_string(port)));
  }
  return out;
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

Result<LogFollow> KubernetesRuntime::follow_logs(std::string_view, std::size_t) {
  return failed_precondition("following a workspace's output is not supported on Kubernetes yet; "
                             "use k4ds logs without -f");
}

}  // namespace k4ds::kubernetes

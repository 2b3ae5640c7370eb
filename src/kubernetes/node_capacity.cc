#include "kubernetes/node_capacity.h"

#include <algorithm>

#include "kubernetes/quantity.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

std::string text(const json::value* v) { return v && v->is_string() ? std::string(v->as_string()) : ""; }

const json::value* at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::value* v = nullptr;
  const json::object* cur = &o;
  for (std::string_view key : path) {
    if (!cur) return nullptr;
    v = cur->if_contains(key);
    cur = v && v->is_object() ? &v->as_object() : nullptr;
  }
  return v;
}

bool tolerates(const Toleration& t, const std::string& key, const std::string& value, const std::string& effect) {
  if (!t.effect.empty() && t.effect != effect) return false;
  if (t.key.empty()) return t.op == "Exists";  // an empty key with Exists tolerates everything
  if (t.key != key) return false;
  return t.op == "Exists" || t.value == value;
}

// Whether a workspace may be placed on the Node at all.
bool placeable(const json::object& node, const std::vector<Toleration>& tolerations) {
  if (auto* u = at(node, {"spec", "unschedulable"}); u && u->is_bool() && u->as_bool()) return false;
  auto* taints = at(node, {"spec", "taints"});
  if (!taints || !taints->is_array()) return true;
  for (const json::value& taint : taints->as_array()) {
    if (!taint.is_object()) continue;
    const json::object& t = taint.as_object();
    std::string effect = text(t.if_contains("effect"));
    if (effect != "NoSchedule" && effect != "NoExecute") continue;  // PreferNoSchedule only prefers
    std::string key = text(t.if_contains("key"));
    if (key.starts_with("node.kubernetes.io/")) continue;  // a passing condition, not a policy
    std::string value = text(t.if_contains("value"));
    bool ok = std::any_of(tolerations.begin(), tolerations.end(),
                          [&](const Toleration& tol) { return tolerates(tol, key, value, effect); });
    if (!ok) return false;
  }
  return true;
}

int64_t allocatable(const json::object& node, std::string_view resource, int scale) {
  auto* v = at(node, {"status", "allocatable"});
  if (!v || !v->is_object()) return 0;
  auto parsed = parse_quantity(text(v->as_object().if_contains(resource)), scale);
  return parsed && *parsed > 0 ? *parsed : 0;
}

}  // namespace

json::object capacity_fields(const json::object& node) {
  json::object metadata{{"name", text(at(node, {"metadata", "name"}))}};
  if (auto* labels = at(node, {"metadata", "labels"})) metadata["labels"] = *labels;
  json::object out{{"metadata", std::move(metadata)}};
  json::object spec;
  if (auto* u = at(node, {"spec", "unschedulable"})) spec["unschedulable"] = *u;
  if (auto* t = at(node, {"spec", "taints"})) spec["taints"] = *t;
  out["spec"] = std::move(spec);
  json::object status;
  if (auto* a = at(node, {"status", "allocatable"})) status["allocatable"] = *a;
  out["status"] = std::move(status);
  return out;
}

std::optional<Capacity> cluster_capacity(const std::vector<json::object>& nodes, const KubernetesOptions& options) {
  std::vector<Toleration> tolerations;
  for (const auto& [size, pool] : options.node_pools) {
    tolerations.insert(tolerations.end(), pool.tolerations.begin(), pool.tolerations.end());
  }
  if (options.tolerate_gpu_taint) tolerations.push_back({.key = "nvidia.com/gpu", .op = "Exists", .effect = "NoSchedule"});

  // A node pool without a single Node may be scaled to zero by an autoscaler, which adds its
  // machines on demand: what the pool's sizes could get is then unknown.
  for (const auto& [size, pool] : options.node_pools) {
    if (pool.node_selector.empty()) continue;
    bool any = std::any_of(nodes.begin(), nodes.end(), [&](const json::object& node) {
      auto* labels = at(node, {"metadata", "labels"});
      if (!labels || !labels->is_object()) return false;
      return std::all_of(pool.node_selector.begin(), pool.node_selector.end(), [&](const auto& kv) {
        return text(labels->as_object().if_contains(kv.first)) == kv.second;
      });
    });
    if (!any) return std::nullopt;
  }

  Capacity c{.description = "the largest machine of the cluster"};
  int counted = 0;
  for (const json::object& node : nodes) {
    if (!placeable(node, tolerations)) continue;
    ++counted;
    int64_t cpu = allocatable(node, "cpu", 3);
    int64_t memory = allocatable(node, "memory", 0);
    int64_t gpus = allocatable(node, "nvidia.com/gpu", 0);
    c.cpu_millis += cpu;
    c.memory_bytes += memory;
    c.gpus += gpus;
    c.largest_cpu_millis = std::max(c.largest_cpu_millis, cpu);
    c.largest_memory_bytes = std::max(c.largest_memory_bytes, memory);
    c.largest_gpus = std::max(c.largest_gpus, gpus);
  }
  if (counted == 0) return std::nullopt;
  return c;
}

}  // namespace k4ds::kubernetes

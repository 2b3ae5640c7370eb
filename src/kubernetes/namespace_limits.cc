#include "kubernetes/namespace_limits.h"

#include "common/logging.h"
#include "kubernetes/quota_objects.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

struct ManagedKind {
  const char* kind;
  const char* collection;  // under /api/v1/namespaces/<ns>/
  const char* name;
};
constexpr ManagedKind kManaged[] = {{"ResourceQuota", "resourcequotas", kResourceQuotaName},
                                    {"LimitRange", "limitranges", kLimitRangeName}};

std::string string_at(const json::object& o, std::string_view a, std::string_view b) {
  auto* outer = o.if_contains(a);
  auto* v = outer && outer->is_object() ? outer->as_object().if_contains(b) : nullptr;
  return v && v->is_string() ? std::string(v->as_string()) : "";
}

}  // namespace

void NamespaceLimits::created_namespace(const std::string& ns) {
  std::lock_guard lock(mu_);
  for (const ManagedKind& m : kManaged) applied_[ns + "/" + m.kind] = "";
}

Status NamespaceLimits::sync(const std::string& ns, const std::vector<json::object>& desired) {
  for (const ManagedKind& m : kManaged) {
    const json::object* wanted = nullptr;
    for (const json::object& o : desired) {
      if (auto* k = o.if_contains("kind"); k && k->is_string() && k->as_string() == m.kind) wanted = &o;
    }
    const std::string key = ns + "/" + m.kind;
    const std::string spec = wanted && wanted->contains("spec") ? json::serialize(wanted->at("spec")) : "";
    {
      std::lock_guard lock(mu_);
      if (auto it = applied_.find(key); it != applied_.end() && it->second == spec) continue;
    }
    Status s = wanted ? ensure(*wanted)
                      : ensure_absent("/api/v1/namespaces/" + ns + "/" + m.collection + "/" + m.name);
    if (!s.ok()) return s;
    std::lock_guard lock(mu_);
    applied_[key] = spec;
  }
  return ok_status();
}

Status NamespaceLimits::ensure(const json::object& desired) {
  auto collection = collection_path(desired);
  if (!collection) return internal_error(collection.status().message());
  const std::string path = *collection + "/" + string_at(desired, "metadata", "name");
  // Server-side apply: created or brought to the owner's quota in one call, no read-modify-write race.
  auto applied = client_->apply(path, desired);
  if (!applied) return applied.status();
  component_logger("kubernetes")->info("applied {} (the owner's quota)", path);
  return ok_status();
}

Status NamespaceLimits::ensure_absent(const std::string& path) {
  auto removed = client_->remove(path);
  if (removed) component_logger("kubernetes")->info("deleted {}: the owner's quota no longer limits it", path);
  if (removed || removed.status().code() == Code::not_found) return ok_status();
  return removed.status();
}

}  // namespace k4ds::kubernetes

#include "kubernetes/quota_objects.h"

#include <algorithm>

#include "kubernetes/names.h"
#include "kubernetes/objects.h"
#include "kubernetes/quantity.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

constexpr int64_t kDefaultCpuMillis = 1000;
constexpr int64_t kDefaultMemoryBytes = int64_t{1} << 30;

json::object metadata(std::string_view name, std::string_view ns, std::string_view owner) {
  return json::object{{"name", name},
                      {"namespace", ns},
                      {"labels", json::object{{kManagedByLabel, kManagedByValue}, {kOwnerLabel, label_value(owner)}}}};
}

}  // namespace

std::vector<json::object> quota_objects(std::string_view ns, std::string_view owner, const QuotaLimits& limits) {
  json::object hard;
  if (limits.workspaces.value) hard["pods"] = std::to_string(std::max<int64_t>(0, *limits.workspaces.value));
  if (limits.cpu_millis.value) {
    std::string cpu = cpu_quantity(std::max<int64_t>(0, *limits.cpu_millis.value));
    hard["requests.cpu"] = cpu;
    hard["limits.cpu"] = cpu;
  }
  if (limits.memory_bytes.value) {
    std::string memory = memory_quantity(std::max<int64_t>(0, *limits.memory_bytes.value));
    hard["requests.memory"] = memory;
    hard["limits.memory"] = memory;
  }
  if (limits.gpus.value) hard["requests.nvidia.com/gpu"] = std::to_string(std::max<int64_t>(0, *limits.gpus.value));
  std::vector<json::object> out;
  if (hard.empty()) return out;
  out.push_back(json::object{{"apiVersion", "v1"},
                             {"kind", "ResourceQuota"},
                             {"metadata", metadata(kResourceQuotaName, ns, owner)},
                             {"spec", json::object{{"hard", hard}}}});

  json::object max, defaults;
  if (limits.cpu_millis.value) {
    int64_t cpu = std::max<int64_t>(0, *limits.cpu_millis.value);
    max["cpu"] = cpu_quantity(cpu);
    defaults["cpu"] = cpu_quantity(std::min(cpu, kDefaultCpuMillis));
  }
  if (limits.memory_bytes.value) {
    int64_t memory = std::max<int64_t>(0, *limits.memory_bytes.value);
    max["memory"] = memory_quantity(memory);
    defaults["memory"] = memory_quantity(std::min(memory, kDefaultMemoryBytes));
  }
  if (max.empty()) return out;
  out.push_back(json::object{
      {"apiVersion", "v1"},
      {"kind", "LimitRange"},
      {"metadata", metadata(kLimitRangeName, ns, owner)},
      {"spec", json::object{{"limits", json::array{json::object{{"type", "Container"},
                                                                {"max", max},
                                                                {"default", defaults},
                                                                {"defaultRequest", defaults}}}}}}});
  return out;
}

}  // namespace k4ds::kubernetes

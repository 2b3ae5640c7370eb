#include "kubernetes/status.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "kubernetes/quantity.h"

namespace k4ds::kubernetes {
namespace json = boost::json;

namespace {

const json::value* find(const json::value* v, std::initializer_list<std::string_view> path) {
  for (std::string_view key : path) {
    if (!v || !v->is_object()) return nullptr;
    v = v->as_object().if_contains(key);
  }
  return v;
}

std::string text(const json::value* v) { return v && v->is_string() ? std::string(v->as_string()) : ""; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool contains(const std::string& haystack, std::string_view needle) {
  return lower(haystack).find(needle) != std::string::npos;
}

// Why an image cannot be downloaded, from the kubelet's message ("... not found", "manifest
// unknown", "401 Unauthorized", "denied"). Empty: a failure that may pass (network, rate limit).
std::string permanent_pull_failure(const std::string& message) {
  // Docker Hub answers a repository that does not exist as it answers a private one: "pull
  // access denied, repository does not exist or may require authorization".
  if (contains(message, "repository does not exist")) {
    return "environment image not found, or its registry needs credentials k4ds does not have — ask your admin";
  }
  if (contains(message, "not found") || contains(message, "manifest unknown") ||
      contains(message, "name unknown") || contains(message, "invalidimagename") ||
      contains(message, "invalid reference format")) {
    return "environment image not found — ask your admin";
  }
  if (contains(message, "unauthorized") || contains(message, "denied") ||
      contains(message, "authentication required") || contains(message, "403 forbidden")) {
    return "not allowed to download the environment image — ask your admin to check the registry "
           "credentials";
  }
  return "";
}

// The newest event with one of these reasons.
const json::object* newest_event(const std::vector<json::object>& events,
                                 std::initializer_list<std::string_view> reasons) {
  for (auto it = events.rbegin(); it != events.rend(); ++it) {
    std::string reason = text(it->if_contains("reason"));
    for (std::string_view r : reasons) {
      if (reason == r) return &*it;
    }
  }
  return nullptr;
}

}  // namespace

int64_t parse_cpu_millis(std::string_view q) {
  auto v = parse_quantity(q, 3);
  return v && *v >= 0 ? *v : -1;
}

int64_t parse_memory_bytes(std::string_view q) {
  auto v = parse_quantity(q);
  return v && *v >= 0 ? *v : -1;
}

std::string human_bytes(int64_t bytes) {
  static constexpr std::pair<int, const char*> units[] = {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  for (auto [shift, name] : units) {
    int64_t unit = int64_t{1} << shift;
    if (bytes >= unit) {
      if (bytes % unit == 0) return std::to_string(bytes / unit) + " " + name;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f %s", static_cast<double>(bytes) / static_cast<double>(unit), name);
      return buf;
    }
  }
  return std::to_string(bytes) + " bytes";
}

std::string describe_resources(int64_t cpu_millis, int64_t memory_bytes, int64_t gpus) {
  std::vector<std::string> parts;
  if (gpus > 0) parts.push_back(std::to_string(gpus) + (gpus == 1 ? " GPU" : " GPUs"));
  if (cpu_millis > 0) {
    std::string cpus = cpu_millis % 1000 == 0 ? std::to_string(cpu_millis / 1000)
                                              : std::to_string(cpu_millis / 1000) + "." +
                                                    std::to_string(cpu_millis % 1000 / 100);
    parts.push_back(cpus + (cpu_millis == 1000 ? " CPU" : " CPUs"));
  }
  if (memory_bytes > 0) parts.push_back(human_bytes(memory_bytes));
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    out += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
  }
  return out;
}

namespace {

// Why the scheduler has not placed the Pod yet ("" once it is scheduled): its PodScheduled
// condition's message, else the newest FailedScheduling Event's.
std::string unscheduled_because(const json::value& pod, const std::vector<json::object>& events, bool& scheduled) {
  scheduled = false;
  std::string unschedulable;
  if (auto* conditions = find(&pod, {"status", "conditions"}); conditions && conditions->is_array()) {
    for (const json::value& c : conditions->as_array()) {
      if (text(find(&c, {"type"})) != "PodScheduled") continue;
      scheduled = text(find(&c, {"status"})) == "True";
      if (!scheduled) unschedulable = text(find(&c, {"message"}));
    }
  }
  if (scheduled) return "";
  if (const json::object* e = newest_event(events, {"FailedScheduling"}); unschedulable.empty() && e) {
    unschedulable = text(e->if_contains("message"));
  }
  return unschedulable;
}

bool volume_zone_conflict(const std::string& unschedulable) {
  return contains(unschedulable, "volume node affinity conflict") || contains(unschedulable, "had volume node affinity");
}

}  // namespace

std::string volume_zone(const json::object& persistent_volume) {
  static constexpr std::string_view kZoneKeys[] = {"topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone",
                                                   "topology.gke.io/zone", "topology.ebs.csi.aws.com/zone",
                                                   "topology.disk.csi.azure.com/zone"};
  const json::value pv(persistent_volume);
  for (std::string_view key : kZoneKeys) {
    if (auto* labels = find(&pv, {"metadata", "labels"}); labels && labels->is_object()) {
      std::string zone = text(labels->as_object().if_contains(key));
      if (!zone.empty()) return zone;
    }
  }
  auto* terms = find(&pv, {"spec", "nodeAffinity", "required", "nodeSelectorTerms"});
  if (!terms || !terms->is_array()) return "";
  std::vector<std::string> zones;  // several terms are alternatives
  for (const json::value& term : terms->as_array()) {
    auto* expressions = find(&term, {"matchExpressions"});
    if (!expressions || !expressions->is_array()) continue;
    for (const json::value& e : expressions->as_array()) {
      const std::string key = text(find(&e, {"key"}));
      if (std::find(std::begin(kZoneKeys), std::end(kZoneKeys), key) == std::end(kZoneKeys)) continue;
      if (text(find(&e, {"operator"})) != "In") continue;
      if (auto* values = find(&e, {"values"}); values && values->is_array()) {
        for (const json::value& v : values->as_array()) {
          if (v.is_string() && std::find(zones.begin(), zones.end(), v.as_string()) == zones.end()) {
            zones.emplace_back(v.as_string());
          }
        }
      }
    }
  }
  std::string out;
  for (std::size_t i = 0; i < zones.size(); ++i) out += (i == 0 ? "" : " or ") + zones[i];
  return out;
}

bool waits_for_volume_zone(const json::object& pod, const std::vector<json::object>& events) {
  bool scheduled = false;
  return volume_zone_conflict(unscheduled_because(json::value(pod), events, scheduled));
}

ObservedWorkspace observe_pod(const json::object& pod_object, const std::vector<json::object>& events,
                              std::string_view upstream, std::string_view volume_zone) {
  const json::value pod(pod_object);
  ObservedWorkspace o;
  o.workspace_id = text(find(&pod, {"metadata", "labels", "k4ds.io/workspace-id"}));
  const json::value* container = nullptr;
  if (auto* containers = find(&pod, {"spec", "containers"}); containers && containers->is_array() &&
                                                              !containers->as_array().empty()) {
    container = &containers->as_array()[0];
  }
  const json::value* limits = container ? find(container, {"resources", "limits"}) : nullptr;
  int64_t cpu = limits ? parse_cpu_millis(text(find(limits, {"cpu"}))) : -1;
  int64_t memory = limits ? parse_memory_bytes(text(find(limits, {"memory"}))) : -1;
  int64_t gpus = limits ? std::max<int64_t>(0, parse_cpu_millis(text(find(limits, {"nvidia.com/gpu"}))) / 1000) : 0;
  o.memory_limit_bytes = std::max<int64_t>(memory, 0);
  o.health_path = container ? text(find(container, {"readinessProbe", "httpGet", "path"})) : "";

  std::string phase = text(find(&pod, {"status", "phase"}));
  const json::value* status = nullptr;
  if (auto* statuses = find(&pod, {"status", "containerStatuses"}); statuses && statuses->is_array() &&
                                                                    !statuses->as_array().empty()) {
    status = &statuses->as_array()[0];
  }
  if (find(&pod, {"metadata", "deletionTimestamp"})) {
    o.state = RunState::unknown;
    o.progress = "stopping";
    return o;
  }

  // Ended: the container's terminated state says how.
  if (const json::value* terminated = status ? find(status, {"state", "terminated"}) : nullptr) {
    o.state = RunState::exited;
    std::string reason = text(find(terminated, {"reason"}));
    const json::value* code = find(terminated, {"exitCode"});
    o.exit_code = code && code->is_int64() ? static_cast<int>(code->as_int64()) : -1;
    if (reason == "OOMKilled") {
      o.out_of_memory = true;
      o.progress = o.memory_limit_bytes > 0 ? "out of memory (limit " + human_bytes(o.memory_limit_bytes) + ")"
                                            : "out of memory";
    } else if (o.exit_code > 128) {
      o.signal = o.exit_code - 128;
      o.exit_code = -1;
    }
    return o;
  }
  if (phase == "Failed") {  // evicted, deadline exceeded … before or without a container state
    o.state = RunState::exited;
    std::string message = text(find(&pod, {"status", "message"}));
    o.progress = "stopped by Kubernetes (" + text(find(&pod, {"status", "reason"})) +
                 (message.empty() ? "" : ": " + message) + ")";
    return o;
  }
  if (phase == "Succeeded") {
    o.state = RunState::exited;
    o.exit_code = 0;
    return o;
  }

  if (phase == "Running" && status) {
    const json::value* ready = find(status, {"ready"});
    o.upstream = std::string(upstream);
    if (ready && ready->is_bool() && ready->as_bool()) {
      o.state = RunState::running;
      o.progress = "running";
    } else {
      o.state = RunState::starting;
      o.progress = "waiting for the health check on " + (o.health_path.empty() ? "/" : o.health_path);
    }
    return o;
  }

  // Pending: not scheduled yet, or scheduled and preparing (volume, image).
  o.state = RunState::starting;
  bool scheduled = false;
  const std::string unschedulable = unscheduled_because(pod, events, scheduled);
  if (!scheduled) {
    if (volume_zone_conflict(unschedulable)) {
      o.progress = volume_zone.empty()
                       ? "the home volume is in a zone where no machine has " +
                             describe_resources(cpu, memory, gpus) + " free"
                       : "the home volume is in zone " + std::string(volume_zone) + " and no machine there has " +
                             describe_resources(cpu, memory, gpus) + " free";
    } else if (contains(unschedulable, "insufficient") || contains(unschedulable, "nodes are available")) {
      o.progress = "waiting for a machine with " + describe_resources(cpu, memory, gpus) + " free";
    } else {
      o.progress = "waiting for a machine";
    }
    return o;
  }
  const json::value* waiting = status ? find(status, {"state", "waiting"}) : nullptr;
  std::string reason = text(waiting ? find(waiting, {"reason"}) : nullptr);
  std::string message = text(waiting ? find(waiting, {"message"}) : nullptr);
  if (reason == "ErrImagePull" || reason == "ImagePullBackOff" || reason == "InvalidImageName") {
    const json::object* failed = newest_event(events, {"Failed"});
    std::string why = message + " " + (failed ? text(failed->if_contains("message")) : "");
    std::string permanent = permanent_pull_failure(why + (reason == "InvalidImageName" ? " invalidimagename" : ""));
    if (!permanent.empty()) {
      o.state = RunState::exited;  // retrying cannot help: the controller reports it as failed
      o.permanent = true;
      o.progress = permanent;
    } else {
      o.progress = "cannot download the environment image yet; retrying";
    }
    return o;
  }
  if (reason == "CreateContainerConfigError" || reason == "CreateContainerError") {
    o.state = RunState::exited;
    o.permanent = true;
    o.progress = "Kubernetes cannot start the environment: " + (message.empty() ? reason : message) +
                 " — ask your admin";
    return o;
  }
  const json::object* latest = newest_event(events, {"Pulling", "Pulled", "FailedMount", "FailedAttachVolume"});
  std::string latest_reason = latest ? text(latest->if_contains("reason")) : "";
  if (latest_reason == "Pulling") {
    o.progress = "downloading the environment image";
  } else if (latest_reason == "FailedMount" || latest_reason == "FailedAttachVolume") {
    o.progress = "waiting for the home volume to be attached";
  } else {
    o.progress = "preparing the workspace";
  }
  return o;
}

}  // namespace k4ds::kubernetes

// What a workspace's Pod is doing, in plain words: the Pod's phase, its container's state and
// the Events Kubernetes recorded about it become an ObservedWorkspace, as the controller and
// the planner expect from any runtime.
//
// Contract: pure function of the objects as the API server returns them (no I/O). Unknown or
// missing fields degrade to RunState::unknown with a progress line that says what is known,
// never to an error. Events are read newest last; only the newest relevant one counts.
//
// Usage:
//   ObservedWorkspace o = observe_pod(pod_json, events_json, "ws-alice-x.k4ds-alice.svc:8888");
#pragma once

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"

namespace k4ds::kubernetes {

// volume_zone: the zone of the workspace's home volume when known, named in the progress of a
// Pod no machine in that zone can take ("" = not known).
ObservedWorkspace observe_pod(const boost::json::object& pod,
                              const std::vector<boost::json::object>& events,
                              std::string_view upstream, std::string_view volume_zone = {});

// The zone of a PersistentVolume: its zone label, else the zones its node affinity requires
// ("eu-west-1a", "eu-west-1a or eu-west-1b"); "" when it has none.
std::string volume_zone(const boost::json::object& persistent_volume);

// Whether the Pod waits because its volume is in a zone where no machine fits (the caller may
// then look the zone up for observe_pod).
bool waits_for_volume_zone(const boost::json::object& pod, const std::vector<boost::json::object>& events);

// Quantities back to numbers (kubernetes/quantity.h, rounded up): "2" → 2000, "500m" → 500
// (CPU, millis); "8Gi" → 8 GiB, "1G" → 10^9 (memory, bytes). -1 when unparsable or negative.
int64_t parse_cpu_millis(std::string_view quantity);
int64_t parse_memory_bytes(std::string_view quantity);

// "2 CPUs and 8 GiB", "1 GPU, 4 CPUs and 16 GiB": a size as people say it.
std::string describe_resources(int64_t cpu_millis, int64_t memory_bytes, int64_t gpus);
std::string human_bytes(int64_t bytes);  // "8 GiB", "512 MiB", "1.5 GiB"

}  // namespace k4ds::kubernetes

// Loading `quotas:` (limits on what users' active workspaces hold; model/quota.h), for parse.cc.
//
//   quotas:
//     default: {workspaces: 3, cpu: "8", memory: 32Gi, gpus: 0}   # everyone
//     group:gpu-team: {gpus: 2}
//     user:alice: {workspaces: 10}
//
// Contract: keys are quota subjects ("default", "user:NAME", "group:NAME"); each limit is
// optional (left out = inherited, see model/quota.h) and checked like the API checks it. Every
// problem is reported with its path ("quotas.user:alice.memory"); never stops at the first.
// The server seeds these into the store at start (server/app.cc): a subject's quota is written
// when the store has none or the last one came from the config; one an admin changed through
// the API is left alone.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "config/yaml_reader.h"
#include "model/model.h"

namespace k4ds::config {

// Who a quota from the config is "updated by" in the store.
inline constexpr const char* kConfigQuotaAuthor = "config file";

void load_quotas(YamlReader& r, const YAML::Node& node, const std::string& path, std::vector<Quota>& out);

}  // namespace k4ds::config

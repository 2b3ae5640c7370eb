#include "config/parse_quotas.h"

#include <set>

#include "model/quota.h"
#include "model/validation.h"

namespace k4ds::config {

void load_quotas(YamlReader& r, const YAML::Node& node, const std::string& path, std::vector<Quota>& out) {
  out.clear();
  if (!node.IsMap()) {
    r.report(path, "quotas is a mapping from default, user:NAME or group:NAME to limits, such as "
                   "default: {workspaces: 3, cpu: \"8\", memory: 32Gi, gpus: 0}");
    return;
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const std::string subject = entry.first.as<std::string>("");
    const std::string at = path + "." + subject;
    if (!r.check(validate_quota_subject(subject), at)) continue;
    if (!seen.insert(subject).second) {
      r.report(at, "the quota for " + subject + " is given twice; keep one");
      continue;
    }
    Quota quota{.subject = subject, .updated_by = kConfigQuotaAuthor};
    bool complete = true;
    r.for_each_key(entry.second, at, {"workspaces", "cpu", "memory", "gpus"},
                   [&](std::string_view key, const YAML::Node& v, const std::string& p) {
                     if (key == "workspaces" || key == "gpus") {
                       auto n = r.integer(v, p, 0, 1'000'000, "or leave it out for no limit");
                       if (!n) complete = false;
                       else (key == "gpus" ? quota.gpus : quota.workspaces) = *n;
                       return;
                     }
                     auto text = r.string(v, p);
                     if (!text) {
                       complete = false;
                       return;
                     }
                     Result<int64_t> value = key == "cpu" ? parse_cpu(*text) : parse_memory(*text);
                     if (!r.check(value.status(), p)) complete = false;
                     else (key == "cpu" ? quota.cpu_millis : quota.memory_bytes) = *value;
                   });
    if (complete) out.push_back(std::move(quota));
  }
}

}  // namespace k4ds::config

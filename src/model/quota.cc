#include "model/quota.h"

#include <cctype>

#include <fmt/format.h>

#include "model/validation.h"

namespace k4ds {

namespace {

// One resource of a quota: how to read it from a Quota and the usage, and how to say it.
struct Resource {
  std::optional<int64_t> Quota::*field;
  QuotaLimit QuotaLimits::*limit;
  int64_t QuotaUsage::*used;
  std::string (*describe)(int64_t);
};

std::string describe_workspaces(int64_t n) {
  return fmt::format("{} active {}", n, n == 1 ? "workspace" : "workspaces");
}

std::string describe_gpus(int64_t n) { return fmt::format("{} {}", n, n == 1 ? "GPU" : "GPUs"); }

constexpr Resource kResources[] = {
    {&Quota::workspaces, &QuotaLimits::workspaces, &QuotaUsage::workspaces, describe_workspaces},
    {&Quota::cpu_millis, &QuotaLimits::cpu_millis, &QuotaUsage::cpu_millis, describe_cpu},
    {&Quota::memory_bytes, &QuotaLimits::memory_bytes, &QuotaUsage::memory_bytes, describe_memory},
    {&Quota::gpus, &QuotaLimits::gpus, &QuotaUsage::gpus, describe_gpus},
};

}  // namespace

Status validate_quota_subject(std::string_view subject) {
  if (subject == kDefaultQuotaSubject) return ok_status();
  if (subject.starts_with("user:")) return validate_user_name(subject.substr(5));
  if (subject.starts_with("group:")) return validate_group_name(subject.substr(6));
  return invalid_argument(fmt::format(
      "\"{}\" is not a quota subject; use \"default\" (everyone), \"user:NAME\" or \"group:NAME\"",
      subject));
}

bool counts_against_quota(const Workspace& workspace) {
  return workspace.desired == DesiredState::running && workspace.phase != Phase::stopped &&
         workspace.phase != Phase::failed;
}

QuotaLimits resolve_quota(std::string_view user, const std::vector<std::string>& groups,
                          const std::vector<Quota>& quotas) {
  const std::string own = "user:" + std::string(user);
  const Quota* user_quota = nullptr;
  const Quota* default_quota = nullptr;
  std::vector<const Quota*> group_quotas;
  for (const Quota& q : quotas) {
    if (q.subject == own) user_quota = &q;
    if (q.subject == kDefaultQuotaSubject) default_quota = &q;
    if (!q.subject.starts_with("group:")) continue;
    const std::string_view group = std::string_view(q.subject).substr(6);
    for (const auto& g : groups)
      if (g == group) group_quotas.push_back(&q);
  }
  QuotaLimits limits;
  for (const Resource& r : kResources) {
    QuotaLimit& limit = limits.*r.limit;
    if (user_quota && (user_quota->*r.field)) {
      limit = {user_quota->*r.field, "set for " + std::string(user)};
      continue;
    }
    for (const Quota* q : group_quotas) {
      const auto& value = q->*r.field;
      if (value && (!limit.value || *value > *limit.value))
        limit = {value, "set for group " + q->subject.substr(6)};
    }
    if (!limit.value && default_quota && (default_quota->*r.field))
      limit = {default_quota->*r.field, "the default for everyone"};
  }
  return limits;
}

QuotaUsage quota_usage(const std::vector<Workspace>& owned, const Catalog& catalog,
                       std::string_view except_id) {
  QuotaUsage usage;
  for (const Workspace& ws : owned) {
    if (!counts_against_quota(ws) || ws.id == except_id) continue;
    ++usage.workspaces;
    usage.active.push_back(ws.name);
    if (const Size* size = catalog.find_size(ws.size)) {
      usage.cpu_millis += size->cpu_millis;
      usage.memory_bytes += size->memory_bytes;
      usage.gpus += size->gpus;
    }
  }
  return usage;
}

Status admit(const QuotaLimits& limits, const QuotaUsage& usage, const Size& size, bool self,
             std::string_view owner) {
  QuotaUsage wanted = usage;
  wanted.workspaces += 1;
  wanted.cpu_millis += size.cpu_millis;
  wanted.memory_bytes += size.memory_bytes;
  wanted.gpus += size.gpus;
  std::string passed;
  bool size_matters = false;  // a smaller size helps only when CPU, memory or GPUs ran out
  for (const Resource& r : kResources) {
    const QuotaLimit& limit = limits.*r.limit;
    if (!limit.value || wanted.*r.used <= *limit.value) continue;
    size_matters |= r.limit != &QuotaLimits::workspaces;
    passed += fmt::format("{}{} would be in use, the limit is {} ({}); {} in use now",
                          passed.empty() ? "" : "; ", r.describe(wanted.*r.used),
                          r.describe(*limit.value), limit.from, r.describe(usage.*r.used));
  }
  if (passed.empty()) return ok_status();
  const std::string whose = self ? "your" : std::string(owner) + "'s";
  std::vector<std::string> remedies;
  if (!usage.active.empty()) {
    std::string active;
    for (const auto& name : usage.active) active += (active.empty() ? "" : ", ") + name;
    remedies.push_back(fmt::format("stop one of {} active workspaces ({})", whose, active));
  }
  if (size_matters) remedies.push_back("choose a smaller size");
  remedies.push_back("ask your k4ds administrator for a larger quota");
  std::string todo;
  for (std::size_t i = 0; i < remedies.size(); ++i) {
    todo += (i == 0 ? "" : i + 1 == remedies.size() ? ", or " : ", ") + remedies[i];
  }
  todo[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(todo[0])));
  return permission_denied(fmt::format("this would go past {} quota: {}. {}", whose, passed, todo));
}

Status fits_capacity(const Capacity& capacity, const Size& size) {
  std::string needs, has;
  auto check = [&](int64_t wanted, int64_t largest, std::string (*describe)(int64_t), const char* what) {
    if (wanted <= largest) return;
    needs += (needs.empty() ? "" : " and ") + describe(wanted) + what;
    has += (has.empty() ? "" : " and ") + describe(largest) + what;
  };
  // CPU is not checked: it is shared in time, so a 4-CPU size on a 2-CPU machine runs, slower.
  // Memory and GPUs cannot be shared that way.
  check(size.memory_bytes, capacity.largest_memory_bytes, describe_memory, " of memory");
  check(size.gpus, capacity.largest_gpus, describe_gpus, "");
  if (needs.empty()) return ok_status();
  return failed_precondition(fmt::format(
      "size {} needs {}, but {} has only {}; choose a smaller size, or ask your k4ds administrator "
      "to change the size or add a bigger machine",
      size.name, needs, capacity.description, has));
}

}  // namespace k4ds

// Quotas: which limits apply to a user, what their active workspaces hold, and whether one more
// workspace of a size fits (the "admission" step of DESIGN.md's launch path).
//
// Contract (pure functions, no I/O)
// - A workspace is *active*, and counts against its owner's quota, when its owner wants it
//   running and it has not ended: desired == running and phase is not stopped or failed.
//   Stopped and failed workspaces hold no CPU or memory (their volumes are not limited here).
// - The limits of a user, for each resource (workspaces, CPU, memory, GPUs) separately, come from
//   the first of these that sets it:
//     1. the user's own quota ("user:NAME"),
//     2. the most generous quota among the user's groups ("group:NAME") that sets it, so that
//        joining a group with GPUs gives GPUs,
//     3. the default quota ("default"),
//   and otherwise there is no limit. Each limit records where it came from, for messages.
// - admit() is ok when the active usage plus one workspace of `size` stays within every limit;
//   otherwise permission_denied naming each limit that would be passed, what is in use, and what
//   to do (stop a workspace, pick a smaller size, ask an admin).
//
// Usage:
//   QuotaLimits limits = resolve_quota("alice", {"analysts"}, all_quotas);
//   QuotaUsage usage = quota_usage(alices_workspaces, catalog);
//   if (Status s = admit(limits, usage, *catalog.find_size("large"), true); !s.ok()) return s;
//   if (Status s = fits_capacity(*runtime.capacity(), size); !s.ok()) return s;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/catalog.h"
#include "model/model.h"

namespace k4ds {

inline constexpr std::string_view kDefaultQuotaSubject = "default";

// "default", "user:NAME" or "group:NAME" with a valid name; invalid_argument otherwise.
Status validate_quota_subject(std::string_view subject);

struct QuotaLimit {
  std::optional<int64_t> value;  // nullopt = no limit
  std::string from;  // "set for alice", "set for group analysts", "the default for everyone"
};

struct QuotaLimits {
  QuotaLimit workspaces;
  QuotaLimit cpu_millis;
  QuotaLimit memory_bytes;
  QuotaLimit gpus;
};

struct QuotaUsage {
  int64_t workspaces = 0;
  int64_t cpu_millis = 0;
  int64_t memory_bytes = 0;
  int64_t gpus = 0;
  std::vector<std::string> active;  // names of the active workspaces
};

bool counts_against_quota(const Workspace& workspace);

QuotaLimits resolve_quota(std::string_view user, const std::vector<std::string>& groups,
                          const std::vector<Quota>& quotas);

// Sums the active workspaces among `owned` (a workspace whose size left the catalog counts as
// a workspace with no CPU or memory). `except_id` is left out: the workspace being started.
QuotaUsage quota_usage(const std::vector<Workspace>& owned, const Catalog& catalog,
                       std::string_view except_id = {});

// `self`: the caller launches for themself ("your quota"), else for `owner` ("alice's quota").
Status admit(const QuotaLimits& limits, const QuotaUsage& usage, const Size& size, bool self,
             std::string_view owner);

// ok when one machine of `capacity` has the memory and GPUs of `size` at all (free or not; CPU is
// shared in time, so it is not checked);
// failed_precondition otherwise: "size huge needs 64 GiB of memory, but this machine has only
// 24 GiB of memory; choose a smaller size ...". capacity.description names the largest machine.
Status fits_capacity(const Capacity& capacity, const Size& size);

}  // namespace k4ds

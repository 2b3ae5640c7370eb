#include "store/store.h"

#include <algorithm>

namespace k4ds {

Result<std::vector<std::string>> groups_of(Tx& tx, std::string_view user) {
  auto groups = tx.list_groups();  // ordered by name, members sorted
  if (!groups) return groups.status();
  std::vector<std::string> out;
  for (const Group& g : *groups) {
    if (std::binary_search(g.members.begin(), g.members.end(), user)) out.push_back(g.name);
  }
  return out;
}

const char* record_kind_name(RecordKind kind) {
  switch (kind) {
    case RecordKind::user: return "user";
    case RecordKind::group: return "group";
    case RecordKind::workspace: return "workspace";
    case RecordKind::workspace_event: return "workspace_event";
    case RecordKind::volume: return "volume";
    case RecordKind::share: return "share";
    case RecordKind::session: return "session";
    case RecordKind::token: return "token";
    case RecordKind::policy: return "policy";
    case RecordKind::quota: return "quota";
  }
  return "user";
}

const char* change_op_name(ChangeOp op) {
  switch (op) {
    case ChangeOp::created: return "created";
    case ChangeOp::updated: return "updated";
    case ChangeOp::deleted: return "deleted";
  }
  return "created";
}

}  // namespace k4ds

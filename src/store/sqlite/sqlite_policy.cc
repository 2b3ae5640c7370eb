// The access rules: one ordered list in access_rules (position = order) with its version in the
// single access_policy row. Replaced as a whole inside the caller's transaction.
// Quotas: one row per subject; a limit of -1 in the table is "not set".
#include "store/sqlite/sqlite_tx.h"

namespace k4ds::sqlite {

namespace {

constexpr std::string_view kPolicyKey = "rules";

std::string join_lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : "\n") + item;
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

const char* effect_name(RuleEffect e) { return e == RuleEffect::allow ? "allow" : "deny"; }

const char* action_name(RuleAction a) {
  switch (a) {
    case RuleAction::launch: return "launch";
    case RuleAction::access: return "access";
    case RuleAction::admin: return "admin";
  }
  return "launch";
}

constexpr const char* kQuotaColumns =
    "subject, workspaces, cpu_millis, memory_bytes, gpus, updated_by, updated_at, version";

std::optional<int64_t> limit_at(const Stmt& st, int col) {
  int64_t v = st.int64_at(col);
  return v < 0 ? std::nullopt : std::optional<int64_t>(v);
}

Quota quota_at(const Stmt& st) {
  return Quota{.subject = st.text_at(0), .workspaces = limit_at(st, 1), .cpu_millis = limit_at(st, 2),
               .memory_bytes = limit_at(st, 3), .gpus = limit_at(st, 4), .updated_by = st.text_at(5),
               .updated_at = st.int64_at(6), .version = st.int64_at(7)};
}

Status no_quota(std::string_view subject) {
  return not_found("there is no quota for " + std::string(subject) +
                   "; list them with GET /api/v1/quotas");
}

}  // namespace

Result<std::vector<Quota>> SqliteTx::list_quotas() {
  Stmt st(conn_, (std::string("SELECT ") + kQuotaColumns + " FROM quotas ORDER BY subject").c_str());
  std::vector<Quota> out;
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back(quota_at(st));
  }
}

Result<Quota> SqliteTx::get_quota(std::string_view subject) {
  Stmt st(conn_, (std::string("SELECT ") + kQuotaColumns + " FROM quotas WHERE subject = ?").c_str());
  st.text(subject);
  Result<bool> row = st.step();
  if (!row) return row.status();
  if (!*row) return no_quota(subject);
  return quota_at(st);
}

Result<Quota> SqliteTx::put_quota(const Quota& quota) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM quotas WHERE subject = ?", {quota.subject});
  if (!stored) return stored.status();
  if (!*stored && quota.version != 0) return no_quota(quota.subject);
  if (*stored) K4DS_RETURN_IF_ERROR(check_version("the quota for " + quota.subject, **stored, quota.version));
  Result<int64_t> rev = record_change(RecordKind::quota, *stored ? ChangeOp::updated : ChangeOp::created,
                                      quota.subject, "");
  if (!rev) return rev.status();
  Stmt st(conn_,
          "INSERT OR REPLACE INTO quotas (subject, workspaces, cpu_millis, memory_bytes, gpus, "
          "updated_by, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  st.text(quota.subject).int64(quota.workspaces.value_or(-1)).int64(quota.cpu_millis.value_or(-1));
  st.int64(quota.memory_bytes.value_or(-1)).int64(quota.gpus.value_or(-1));
  st.text(quota.updated_by).int64(quota.updated_at).int64(*rev);
  K4DS_RETURN_IF_ERROR(st.run());
  Quota out = quota;
  out.version = *rev;
  return out;
}

Status SqliteTx::delete_quota(std::string_view subject) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM quotas WHERE subject = ?", {subject});
  if (!stored) return stored.status();
  if (!*stored) return no_quota(subject);
  Stmt st(conn_, "DELETE FROM quotas WHERE subject = ?");
  st.text(subject);
  K4DS_RETURN_IF_ERROR(st.run());
  return record_change(RecordKind::quota, ChangeOp::deleted, subject, "").status();
}

Result<AccessPolicy> SqliteTx::get_policy() {
  AccessPolicy policy;
  {
    Stmt st(conn_, "SELECT updated_by, updated_at, version FROM access_policy WHERE id = 1");
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) return internal_error("the access_policy row is missing; the database is damaged");
    policy.updated_by = st.text_at(0);
    policy.updated_at = st.int64_at(1);
    policy.version = st.int64_at(2);
  }
  Stmt st(conn_,
          "SELECT id, effect, action, who, environments, sizes, owners, description "
          "FROM access_rules ORDER BY position");
  for (;;) {
    Result<bool> row = st.step();
    if (!row) return row.status();
    if (!*row) break;
    AccessRule rule{.id = st.text_at(0), .who = split_lines(st.text_at(3)),
                    .environments = split_lines(st.text_at(4)), .sizes = split_lines(st.text_at(5)),
                    .owners = split_lines(st.text_at(6)), .description = st.text_at(7)};
    const std::string effect = st.text_at(1), action = st.text_at(2);
    if (effect != "allow" && effect != "deny") {
      return internal_error("access rule " + rule.id + " has an unknown effect '" + effect + "'");
    }
    rule.effect = effect == "allow" ? RuleEffect::allow : RuleEffect::deny;
    if (action == "launch") {
      rule.action = RuleAction::launch;
    } else if (action == "access") {
      rule.action = RuleAction::access;
    } else if (action == "admin") {
      rule.action = RuleAction::admin;
    } else {
      return internal_error("access rule " + rule.id + " has an unknown action '" + action + "'");
    }
    policy.rules.push_back(std::move(rule));
  }
  return policy;
}

Result<AccessPolicy> SqliteTx::replace_policy(const AccessPolicy& policy) {
  K4DS_RETURN_IF_ERROR(check_writable());
  auto stored = stored_version("SELECT version FROM access_policy WHERE id = ?", {"1"});
  if (!stored) return stored.status();
  const int64_t current = stored->value_or(0);
  if (policy.version != current) {
    return aborted("the access rules changed since you read them (version " +
                   std::to_string(current) + ", yours " + std::to_string(policy.version) +
                   "); read them again and redo your change");
  }
  Result<int64_t> rev = record_change(RecordKind::policy, ChangeOp::updated, kPolicyKey, "");
  if (!rev) return rev.status();
  K4DS_RETURN_IF_ERROR(conn_.exec("DELETE FROM access_rules"));
  int64_t position = 0;
  for (const AccessRule& rule : policy.rules) {
    Stmt st(conn_,
            "INSERT INTO access_rules (position, id, effect, action, who, environments, sizes, "
            "owners, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.int64(++position).text(rule.id).text(effect_name(rule.effect)).text(action_name(rule.action));
    st.text(join_lines(rule.who)).text(join_lines(rule.environments)).text(join_lines(rule.sizes));
    st.text(join_lines(rule.owners)).text(rule.description);
    K4DS_RETURN_IF_ERROR(st.run());
  }
  Stmt st(conn_, "UPDATE access_policy SET updated_by = ?, updated_at = ?, version = ? WHERE id = 1");
  st.text(policy.updated_by).int64(policy.updated_at).int64(*rev);
  K4DS_RETURN_IF_ERROR(st.run());
  AccessPolicy out = policy;
  out.version = *rev;
  return out;
}

}  // namespace k4ds::sqlite

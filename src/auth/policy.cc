#include "auth/policy.h"

#include <algorithm>

namespace k4ds {
namespace {

Decision allow(AccessBasis basis, std::string reason) {
  return Decision{true, std::move(reason), basis};
}

Decision deny(AccessBasis basis, std::string reason) {
  return Decision{false, std::move(reason), basis};
}

bool has_group(const AccessUser& user, std::string_view group) {
  return std::find(user.groups.begin(), user.groups.end(), group) != user.groups.end();
}

}  // namespace

Decision decide_access(const AccessRequest& request) {
  const AccessUser& user = request.user;
  const AccessWorkspace& ws = request.workspace;
  if (user.name.empty()) {
    return deny(AccessBasis::no_grant, "you are not signed in; sign in and try again");
  }
  // Before ownership: a disabled owner must lose access to their own workspaces too.
  if (user.disabled) {
    return deny(AccessBasis::disabled_user,
                "your account is disabled; ask your k4ds administrator to enable it");
  }
  if (!ws.owner.empty() && user.name == ws.owner) {
    return allow(AccessBasis::owner, "you own this workspace");
  }
  if (user.admin) return allow(AccessBasis::admin, "you are an administrator");
  if (request.policy) {
    std::optional<RuleVerdict> rule =
        evaluate_access(*request.policy, RuleSubject{user.name, user.groups},
                        RuleSubject{ws.owner, request.owner_groups});
    if (rule && rule->allowed) return allow(AccessBasis::rule, "an access rule lets you in: " + rule->explanation);
    if (rule) {
      return deny(AccessBasis::rule, "this workspace belongs to " + ws.owner +
                                         ", and an access rule keeps you out (" + rule->explanation +
                                         "); ask your k4ds administrator if you need it");
    }
  }

  const Share* group_grant = nullptr;
  for (const Share& share : request.shares) {
    if (share.workspace_id != ws.id) continue;  // a share for another workspace grants nothing
    if (share.kind == PrincipalKind::user && share.principal == user.name) {
      return allow(AccessBasis::user_share, ws.owner + " shared this workspace with you");
    }
    if (share.kind == PrincipalKind::group && !group_grant && has_group(user, share.principal)) {
      group_grant = &share;
    }
  }
  if (group_grant) {
    return allow(AccessBasis::group_share,
                 ws.owner + " shared this workspace with your group " + group_grant->principal);
  }
  std::string owner = ws.owner.empty() ? "someone else" : ws.owner;
  std::string ask = ws.owner.empty() ? "its owner" : ws.owner;
  return deny(AccessBasis::no_grant,
              "this workspace belongs to " + owner + "; ask " + ask + " to share it with you");
}

}  // namespace k4ds

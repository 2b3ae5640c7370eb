// What the access rules need to know about people, read from the store inside the caller's
// transaction: a user's groups and whether the rules make them an administrator.
//
// Usage (inside store.read):
//   auto groups = groups_of(tx, "bob");
//   bool admin = user.admin || evaluate_admin(policy, {user.name, *groups}).allowed;
//   Result<bool> admin = effective_admin(tx, user);  // both steps in one call
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace k4ds {

// groups_of(tx, user) (the groups a user is in) is in store/store.h.
// The user's admin flag, or an allow `admin` rule that matches them first.
Result<bool> effective_admin(Tx& tx, const User& user);

}  // namespace k4ds

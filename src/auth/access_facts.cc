#include "auth/access_facts.h"

#include <algorithm>

#include "auth/rules.h"

namespace k4ds {

Result<bool> effective_admin(Tx& tx, const User& user) {
  if (user.admin) return true;
  if (user.disabled) return false;
  auto policy = tx.get_policy();
  if (!policy) return policy.status();
  auto groups = groups_of(tx, user.name);
  if (!groups) return groups.status();
  return evaluate_admin(*policy, RuleSubject{user.name, std::move(groups).value()}).allowed;
}

}  // namespace k4ds

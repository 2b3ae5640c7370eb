// DirectoryProvider: an identity provider backed by a directory (LDAP, Active Directory), as
// the Authenticator sees it. The implementation (directory/ldap_directory.h) does the I/O;
// this interface is the boundary, so authenticator logic is tested with a fake.
//
// Contract
// - `username` is a valid k4ds user name (model/validation.h); the provider still escapes it
//   wherever it goes into a filter or DN.
// - authenticate() answers, in this order of precedence:
//     not_found          the directory has no such user (the caller answers "wrong user name or
//                        password", like for a wrong password)
//     unauthenticated    the directory refused the password (an empty password is refused here,
//                        never sent)
//     permission_denied  the password is right but the account may not log in: disabled in the
//                        directory, or its directory user name is not a usable k4ds name; the
//                        message says which and what to do
//     unavailable        the directory did not answer or refused k4ds's own service account;
//                        the message names the directory and says to try again / ask the admin
//   and on success the account, with groups already mapped to k4ds group names.
// - lookup() is the same without a password, for the periodic re-check: not_found when the
//   user is gone, an account with disabled = true when disabled, unavailable on trouble.
//   A provider that cannot look users up without their password returns failed_precondition.
// - Implementations are thread-safe and block (network I/O with timeouts): call them from
//   worker threads.
//
// Usage:
//   Result<DirectoryAccount> a = provider.authenticate("alice", password);
//   if (a) provision(a->name, a->groups);
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace k4ds {

struct DirectoryAccount {
  std::string name;  // the k4ds user name: the directory's username attribute, lowercased
  std::string dn;    // where the entry is; for logs
  std::string display_name;
  std::string email;
  int64_t uid_number = -1;  // -1 = not given
  int64_t gid_number = -1;
  std::vector<std::string> groups;  // k4ds group names, sorted, unique
  bool disabled = false;            // lookup() only; authenticate() refuses instead
};

class DirectoryProvider {
 public:
  virtual ~DirectoryProvider() = default;
  // The provider's configured name; what User::provider and Group::provider record.
  virtual const std::string& name() const = 0;
  // Where it is, for messages ("the directory at ldaps://ldap.example.org").
  virtual std::string describe() const = 0;
  virtual Result<DirectoryAccount> authenticate(std::string_view username,
                                                std::string_view password) = 0;
  virtual Result<DirectoryAccount> lookup(std::string_view username) = 0;
  // How often signed-in users of this provider are looked up again.
  virtual std::chrono::seconds recheck_interval() const = 0;
};

}  // namespace k4ds

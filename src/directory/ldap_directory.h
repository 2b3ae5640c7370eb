// LdapDirectory: a DirectoryProvider (auth/directory_provider.h) over LDAP or Active Directory.
//
// Contract (beyond DirectoryProvider)
// - Finding the user: with user_dn_template, the DN is the template with the escaped name
//   (direct bind); otherwise one search under user_base with user_filter, as the service
//   account (or anonymously without bind_dn). More than one match is refused: a filter that
//   is not specific enough must never let one person log in as another.
// - The password is checked by a simple bind as the user on a connection of its own pool, so
//   the service connections never change identity. Empty passwords never reach the network.
// - After the bind: the entry's attributes (attributes.*), `disabled_filter` evaluated by the
//   directory on the entry, and the groups (groups.*), read as the service account, or as the
//   user in direct-bind mode without one.
// - Groups: memberOf values, or a search for groupOfNames/group (member), groupOfUniqueNames
//   (uniqueMember) and posixGroup (memberUid); nested groups by the in-chain rule (AD) or by
//   repeated searches (at most 8 levels, 1000 groups). Names become k4ds group names
//   (ldap_text.h k4ds_group_name); those that cannot are skipped with a warning in the log.
// - Every value put into a filter or DN is escaped (ldap_text.h).
//
// Usage:
//   auto corp = std::make_shared<LdapDirectory>(config.identity_providers[0]);
//   AuthenticatorOptions options{.directories = {corp}};
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/directory_provider.h"
#include "config/identity.h"
#include "directory/ldap_pool.h"

namespace k4ds {

class LdapDirectory final : public DirectoryProvider {
 public:
  explicit LdapDirectory(LdapProviderConfig config);
  ~LdapDirectory() override;

  const std::string& name() const override { return config_.name; }
  std::string describe() const override;
  Result<DirectoryAccount> authenticate(std::string_view username, std::string_view password) override;
  Result<DirectoryAccount> lookup(std::string_view username) override;
  std::chrono::seconds recheck_interval() const override { return config_.recheck_interval; }

  // The entry of `username` as the service account sees it; not_found if there is none. Public
  // so tests can aim raw (invalid, hostile) names at the escaping without the name check.
  Result<ldap::Entry> find_entry(std::string_view username);

 private:
  std::vector<std::string> entry_attributes() const;
  // Reads the user's entry, disabled state and groups on `conn` and builds the account.
  Result<DirectoryAccount> read_account(ldap::Connection& conn, const std::string& dn,
                                        std::string_view username);
  Result<ldap::Entry> find_entry_on(ldap::Connection& conn, std::string_view username);
  Result<std::vector<std::string>> read_groups(ldap::Connection& conn, const ldap::Entry& entry,
                                               std::string_view uid);
  Result<DirectoryAccount> to_account(const ldap::Entry& entry, std::string_view username,
                                      std::vector<std::string> groups, bool disabled);
  // The service pool when reads run as the service (or anonymously), else nullptr.
  bool reads_as_service() const;

  LdapProviderConfig config_;
  std::unique_ptr<ldap::Pool> service_;  // searches
  std::unique_ptr<ldap::Pool> binds_;    // users' password checks
};

// One LdapDirectory per configured provider.
std::vector<std::shared_ptr<DirectoryProvider>> make_directory_providers(
    const std::vector<LdapProviderConfig>& configs);

}  // namespace k4ds

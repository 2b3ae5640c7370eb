// Identity providers in the configuration: the built-in accounts are always on (that is where
// `admin` lives); `identity_providers:` adds LDAP / Active Directory providers by name.
//
// Contract: plain data, filled and checked by the config loader (parse_identity.cc), so a
// provider that reaches the directory component is complete: it has a URL, a way to find the
// user (a search with `user_filter` under `user_base`, or a bind DN template), and every
// template contains {username}. The service account password is read from `bind_password` or
// from the file `bind_password_file` at load time; it is never logged.
//
// Usage (YAML):
//   identity_providers:
//     - name: corp
//       type: ldap
//       url: ldaps://ldap.example.org
//       bind_dn: cn=k4ds,ou=services,dc=example,dc=org
//       bind_password_file: /etc/k4ds/ldap-password
//       user_base: ou=people,dc=example,dc=org
//       user_filter: "(&(objectClass=inetOrgPerson)(uid={username}))"
//       groups: {from: search, base: "ou=groups,dc=example,dc=org"}
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "model/model.h"  // kBuiltinProvider, the provider name of built-in accounts

namespace k4ds {

// Where a user's groups come from.
enum class LdapGroupSource {
  none,       // no groups from the directory
  member_of,  // the user entry's memberOf attribute (OpenLDAP memberof overlay, AD)
  search,     // a search under groups.base for groups that name the user
};

// How groups inside groups are followed.
enum class LdapNestedGroups {
  off,
  in_chain,  // Active Directory: the LDAP_MATCHING_RULE_IN_CHAIN rule 1.2.840.113556.1.4.1941
  search,    // any directory: k4ds searches again for groups that contain the groups found
};

struct LdapAttributes {
  std::string username = "uid";  // AD: sAMAccountName
  std::string display_name = "cn";  // AD: displayName
  std::string email = "mail";
  std::string uid_number = "uidNumber";  // "" = not read
  std::string gid_number = "gidNumber";
  std::string member_of = "memberOf";
};

struct LdapGroups {
  LdapGroupSource from = LdapGroupSource::none;
  std::string base;  // groups.from == search: where groups are searched
  // Which kinds of group entries are searched: groupOfNames (member), groupOfUniqueNames
  // (uniqueMember), posixGroup (memberUid), group (Active Directory, member).
  std::vector<std::string> object_classes = {"groupOfNames"};
  std::string name_attribute = "cn";
  LdapNestedGroups nested = LdapNestedGroups::off;
};

struct LdapProviderConfig {
  std::string name;  // what User::provider records; a-z, 0-9, "-"
  std::string url;   // "ldap://host", "ldaps://host:636"; several, space-separated, for failover
  bool start_tls = false;
  std::string ca_file;  // PEM; empty = the system's CAs
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{10000};  // each LDAP operation
  int pool_size = 4;
  // The service account that searches; empty = anonymous searches (no bind at all).
  std::string bind_dn;
  std::string bind_password;
  // Finding the user: a search (user_base + user_filter), or a direct bind with user_dn_template.
  std::string user_base;
  std::string user_filter = "(uid={username})";
  std::string user_dn_template;  // "uid={username},ou=people,dc=example,dc=org"
  // An LDAP filter that matches disabled accounts, e.g. "(pwdAccountLockedTime=*)" or, for AD,
  // "(userAccountControl:1.2.840.113556.1.4.803:=2)". Empty = none is disabled.
  std::string disabled_filter;
  LdapAttributes attributes;
  LdapGroups groups;
  // How often users who are signed in are looked up again; gone or disabled ones lose their
  // sessions and API tokens.
  std::chrono::seconds recheck_interval = std::chrono::minutes(5);

  bool direct_bind() const { return !user_dn_template.empty(); }
};

}  // namespace k4ds

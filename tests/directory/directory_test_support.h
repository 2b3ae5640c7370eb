// Shared by the directory tests: provider configurations aimed at the test slapd.
#pragma once

#include <gtest/gtest.h>

#include "common/result.h"
#include "config/identity.h"
#include "directory/slapd_fixture.h"

namespace k4ds::testing {

// Search-then-bind as the service account, groups by search (groupOfNames, posixGroup,
// groupOfUniqueNames), nested groups by search, carol disabled by employeeType.
inline LdapProviderConfig search_config(const Slapd& slapd) {
  LdapProviderConfig c;
  c.name = "corp";
  c.url = slapd.ldap_url();
  c.connect_timeout = std::chrono::seconds(2);
  c.timeout = std::chrono::seconds(2);
  c.pool_size = 2;
  c.bind_dn = kServiceDn;
  c.bind_password = kServicePassword;
  c.user_base = "ou=people,dc=example,dc=org";
  c.user_filter = "(&(objectClass=inetOrgPerson)(uid={username}))";
  c.disabled_filter = "(employeeType=disabled)";
  c.groups.from = LdapGroupSource::search;
  c.groups.base = "ou=groups,dc=example,dc=org";
  c.groups.object_classes = {"groupOfNames", "posixGroup", "groupOfUniqueNames"};
  c.groups.nested = LdapNestedGroups::search;
  return c;
}

// Direct bind with a DN template and no service account: the user reads their own entry.
inline LdapProviderConfig direct_config(const Slapd& slapd) {
  LdapProviderConfig c = search_config(slapd);
  c.bind_dn.clear();
  c.bind_password.clear();
  c.user_base.clear();
  c.user_dn_template = "uid={username},ou=people,dc=example,dc=org";
  return c;
}

#define K4DS_REQUIRE_SLAPD(slapd) \
  ASSERT_TRUE((slapd).ok()) << (slapd).error()

inline Status status_of_any(const Status& s) { return s; }
template <class T>
Status status_of_any(const Result<T>& r) {
  return r.status();
}
inline ::testing::AssertionResult has_code(const char* expr, const char*, const Status& s, Code c) {
  if (s.code() == c) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << expr << " gave " << s.to_string() << ", expected code "
                                       << code_name(c);
}
// Like K4DS_EXPECT_CODE, and takes << messages; evaluates expr once.
#define EXPECT_CODE(expr, expected) \
  EXPECT_PRED_FORMAT2(::k4ds::testing::has_code, ::k4ds::testing::status_of_any(expr), expected)

}  // namespace k4ds::testing

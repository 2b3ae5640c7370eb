// What k4ds puts into LDAP filters and DNs: RFC 4515/4514 escaping, the group filters (with
// Active Directory's in-chain rule, which slapd cannot run), and names that come back.
#include <gtest/gtest.h>

#include "directory/ldap_text.h"

namespace k4ds::ldap {
namespace {

TEST(LdapText, FilterValuesAreEscaped) {
  EXPECT_EQ(escape_filter_value("alice"), "alice");
  EXPECT_EQ(escape_filter_value("*)(uid=*"), "\\2a\\29\\28uid=\\2a");
  EXPECT_EQ(escape_filter_value("admin)(|(a=*"), "admin\\29\\28|\\28a=\\2a");
  EXPECT_EQ(escape_filter_value("\\"), "\\5c");
  EXPECT_EQ(escape_filter_value(std::string("a\0b", 3)), "a\\00b");
  EXPECT_EQ(escape_filter_value("tab\there"), "tab\\09here");
  // Non-ASCII bytes as escaped octets: valid whatever the bytes are.
  EXPECT_EQ(escape_filter_value("J\xc3\xb6rg"), "J\\c3\\b6rg");
  EXPECT_EQ(escape_filter_value("\xff"), "\\ff");
}

TEST(LdapText, DnValuesAreEscaped) {
  EXPECT_EQ(escape_dn_value("alice"), "alice");
  EXPECT_EQ(escape_dn_value("alice,ou=admins"), "alice\\,ou\\=admins");
  EXPECT_EQ(escape_dn_value("a+b\"c;d<e>f\\g"), "a\\+b\\\"c\\;d\\<e\\>f\\\\g");
  EXPECT_EQ(escape_dn_value(" lead"), "\\ lead");
  EXPECT_EQ(escape_dn_value("#hash"), "\\#hash");
  EXPECT_EQ(escape_dn_value("trail "), "trail\\ ");
  EXPECT_EQ(escape_dn_value("mid # and space"), "mid # and space");
  EXPECT_EQ(escape_dn_value(std::string("x\0y", 3)), "x\\00y");
}

TEST(LdapText, TemplatesGetTheEscapedValueEverywhere) {
  EXPECT_EQ(fill_username("(|(uid={username})(mail={username}@x))", escape_filter_value("a*")),
            "(|(uid=a\\2a)(mail=a\\2a@x))");
  EXPECT_EQ(fill_username("uid={username},ou=people,dc=example,dc=org", escape_dn_value("a,b")),
            "uid=a\\,b,ou=people,dc=example,dc=org");
  EXPECT_EQ(fill_username("no placeholder", "x"), "no placeholder");
  // The value itself may contain "{username}": it is not expanded again.
  EXPECT_EQ(fill_username("({username})", "{username}"), "({username})");
}

TEST(LdapText, GroupFilterForEachKind) {
  LdapGroups g;
  g.object_classes = {"groupOfNames"};
  EXPECT_EQ(group_filter(g, "uid=alice,ou=people,dc=example,dc=org", "alice"),
            "(&(objectClass=groupOfNames)(member=uid=alice,ou=people,dc=example,dc=org))");
  g.object_classes = {"groupOfNames", "groupOfUniqueNames", "posixGroup"};
  EXPECT_EQ(group_filter(g, "uid=bob,dc=x", "bob"),
            "(|(&(objectClass=groupOfNames)(member=uid=bob,dc=x))"
            "(&(objectClass=groupOfUniqueNames)(uniqueMember=uid=bob,dc=x))"
            "(&(objectClass=posixGroup)(memberUid=bob)))");
}

TEST(LdapText, GroupFilterEscapesTheDnAndUid) {
  LdapGroups g;
  g.object_classes = {"groupOfNames", "posixGroup"};
  // A DN with escaped characters: its backslashes and parentheses must not reach the filter raw.
  EXPECT_EQ(group_filter(g, "cn=Smith\\, John (x),dc=x", "j*"),
            "(|(&(objectClass=groupOfNames)(member=cn=Smith\\5c, John \\28x\\29,dc=x))"
            "(&(objectClass=posixGroup)(memberUid=j\\2a)))");
}

TEST(LdapText, ActiveDirectoryNestedGroupsUseTheInChainRule) {
  LdapGroups g;
  g.object_classes = {"group"};
  g.nested = LdapNestedGroups::in_chain;
  EXPECT_EQ(group_filter(g, "CN=Alice Liddell,OU=Staff,DC=corp,DC=example", "alice"),
            "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:="
            "CN=Alice Liddell,OU=Staff,DC=corp,DC=example))");
  // The rule applies to member only; memberUid has no chain to follow.
  g.object_classes = {"group", "posixGroup"};
  EXPECT_EQ(group_filter(g, "CN=A,DC=x", "a"),
            "(|(&(objectClass=group)(member:1.2.840.113556.1.4.1941:=CN=A,DC=x))"
            "(&(objectClass=posixGroup)(memberUid=a)))");
}

TEST(LdapText, ParentGroupsFilter) {
  LdapGroups g;
  g.object_classes = {"groupOfNames", "posixGroup"};
  EXPECT_EQ(parent_groups_filter(g, {"cn=a,dc=x"}), "(&(objectClass=groupOfNames)(member=cn=a,dc=x))");
  EXPECT_EQ(parent_groups_filter(g, {"cn=a,dc=x", "cn=b*,dc=x"}),
            "(|(&(objectClass=groupOfNames)(member=cn=a,dc=x))"
            "(&(objectClass=groupOfNames)(member=cn=b\\2a,dc=x)))");
  g.object_classes = {"posixGroup"};
  EXPECT_EQ(parent_groups_filter(g, {"cn=a,dc=x"}), "");
}

TEST(LdapText, DirectoryGroupNamesBecomeK4dsNames) {
  EXPECT_EQ(k4ds_group_name("analysts"), "analysts");
  EXPECT_EQ(k4ds_group_name("Data Scientists"), "data-scientists");
  EXPECT_EQ(k4ds_group_name("GG_Team--Blue "), "gg-team-blue");
  EXPECT_EQ(k4ds_group_name("  x  "), "x");
  EXPECT_EQ(k4ds_group_name("42ers"), "");  // must start with a letter
  EXPECT_EQ(k4ds_group_name("***"), "");
}

TEST(LdapText, FirstRdnValue) {
  EXPECT_EQ(first_rdn_value("cn=Data Scientists,ou=groups,dc=example,dc=org", "cn"),
            "Data Scientists");
  EXPECT_EQ(first_rdn_value("CN=Smith\\, John,OU=x", "cn"), "Smith, John");
  EXPECT_EQ(first_rdn_value("uid=alice,ou=people", "cn"), std::nullopt);
  EXPECT_EQ(first_rdn_value("not a dn", "cn"), std::nullopt);
}

}  // namespace
}  // namespace k4ds::ldap

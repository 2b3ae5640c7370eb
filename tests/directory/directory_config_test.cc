// `identity_providers:` in the config file: a complete provider is read with every key, and
// each mistake is reported with its path, as `k4ds config check` prints it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "config/config.h"
#include "config/parse_identity.h"

namespace k4ds {

void PrintTo(const ConfigProblem& p, std::ostream* os) { *os << p.path << ": " << p.message; }

namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::Field;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

auto Problem(const std::string& path, const std::string& message) {
  return AllOf(Field(&ConfigProblem::path, path), Field(&ConfigProblem::message, HasSubstr(message)));
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "k4ds-cfg-XXXXXX").string();
    int fd = ::mkstemp(tmpl.data());
    ::close(fd);
    path_ = tmpl;
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(IdentityProvidersConfig, EveryKeyIsRead) {
  TempFile ca("-----BEGIN CERTIFICATE-----\n");
  TempFile password("service-secret\n");
  ParsedConfig parsed = parse_config_text(R"y(
identity_providers:
  - name: corp
    type: ldap
    url: ldap://ldap1.example.org ldap://ldap2.example.org:389
    start_tls: true
    ca_file: )y" + ca.path() + R"y(
    connect_timeout: 500ms
    timeout: 3s
    pool_size: 8
    bind_dn: cn=k4ds,ou=services,dc=example,dc=org
    bind_password_file: )y" + password.path() + R"y(
    user_base: ou=people,dc=example,dc=org
    user_filter: "(&(objectClass=inetOrgPerson)(uid={username}))"
    disabled_filter: "(pwdAccountLockedTime=*)"
    attributes: {username: sAMAccountName, display_name: displayName, email: mail,
                 uid_number: uidNumber, gid_number: "", member_of: memberOf}
    groups:
      from: search
      base: ou=groups,dc=example,dc=org
      object_classes: [groupOfNames, posixgroup, group]
      name_attribute: cn
      nested: in_chain
    recheck_interval: 2m
  - name: partners
    type: ldap
    url: ldaps://ldap.partner.example
    user_dn_template: "uid={username},ou=people,dc=partner,dc=example"
)y");
  ASSERT_THAT(parsed.problems, IsEmpty());
  ASSERT_EQ(parsed.config.identity_providers.size(), 2u);
  const LdapProviderConfig& corp = parsed.config.identity_providers[0];
  EXPECT_EQ(corp.name, "corp");
  EXPECT_EQ(corp.url, "ldap://ldap1.example.org ldap://ldap2.example.org:389");
  EXPECT_TRUE(corp.start_tls);
  EXPECT_EQ(corp.ca_file, ca.path());
  EXPECT_EQ(corp.connect_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(corp.timeout, std::chrono::seconds(3));
  EXPECT_EQ(corp.pool_size, 8);
  EXPECT_EQ(corp.bind_password, "service-secret") << "read from the file, newline trimmed";
  EXPECT_EQ(corp.disabled_filter, "(pwdAccountLockedTime=*)");
  EXPECT_EQ(corp.attributes.username, "sAMAccountName");
  EXPECT_EQ(corp.attributes.gid_number, "");
  EXPECT_EQ(corp.groups.from, LdapGroupSource::search);
  EXPECT_EQ(corp.groups.object_classes, (std::vector<std::string>{"groupOfNames", "posixGroup", "group"}));
  EXPECT_EQ(corp.groups.nested, LdapNestedGroups::in_chain);
  EXPECT_EQ(corp.recheck_interval, std::chrono::minutes(2));
  EXPECT_FALSE(corp.direct_bind());
  const LdapProviderConfig& partners = parsed.config.identity_providers[1];
  EXPECT_TRUE(partners.direct_bind());
  EXPECT_EQ(partners.recheck_interval, std::chrono::minutes(5)) << "the default";
  EXPECT_EQ(partners.groups.from, LdapGroupSource::none);
}

TEST(IdentityProvidersConfig, EveryProblemHasItsPath) {
  ParsedConfig parsed = parse_config_text(R"y(
identity_providers:
  - name: local
    type: ldap
    url: ldap://x
    user_base: dc=x
  - name: corp
    type: builtin
    url: http://ldap.example.org
    user_base: dc=x
  - name: corp2
    type: ldap
    url: ldaps://ldap.example.org
    start_tls: true
    ca_file: /nonexistent/ca.pem
    bind_dn: cn=k4ds
    bind_password: ""
    user_filter: "(uid=alice)"
    user_base: dc=x
    pool_size: 0
    timeout: 5 seconds
    groups: {from: search, nested: in_chain, object_classes: [posixAccount]}
  - name: corp3
    type: ldap
    url: ldap://x
    user_filter: "(uid={user})"
  - name: corp4
    type: ldap
    url: ldap://x
    user_base: dc=x
    user_filter: "(uid={username})(cn=x)"
    disabled_filter: "((a=b)"
    bind_password: secret
    groups: {from: member_of, nested: in_chain}
  - type: ldap
)y");
  const auto& p = parsed.problems;
  EXPECT_THAT(p, Contains(Problem("identity_providers[0].name", "name of the built-in accounts")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[1].type", "built-in accounts are always on")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[1].url", "not an LDAP URL")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].start_tls", "ldaps:// URL, which is TLS already")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].ca_file", "cannot read /nonexistent/ca.pem")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].bind_password", "never binds with an empty password")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].user_filter", "has no {username}")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].pool_size", "from 1 to 64")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].timeout", "not a duration")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].groups.object_classes", "\"posixAccount\" is not a group kind")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[2].groups.base", "groups.from: search needs where")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[3].user_filter", "unknown placeholder")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[3].user_base", "is missing")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[4].user_filter", "text after its closing parenthesis")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[4].disabled_filter", "unbalanced parentheses")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[4].bind_password", "without bind_dn")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[4].groups.nested", "in_chain works with groups.from: search")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[5].name", "is missing")));
  EXPECT_THAT(p, Contains(Problem("identity_providers[5].url", "is missing")));
  EXPECT_TRUE(parsed.config.identity_providers.empty()) << "no incomplete provider is kept";
}

TEST(IdentityProvidersConfig, DuplicateNamesAndMissingPasswords) {
  ParsedConfig parsed = parse_config_text(R"y(
identity_providers:
  - {name: corp, type: ldap, url: "ldap://a", user_base: "dc=x", bind_dn: "cn=k4ds"}
  - {name: corp, type: ldap, url: "ldap://b", user_base: "dc=x"}
)y");
  EXPECT_THAT(parsed.problems, Contains(Problem("identity_providers[0].bind_dn", "has no password")));
  EXPECT_THAT(parsed.problems, Contains(Problem("identity_providers[1].name", "duplicate identity provider \"corp\"")));
}

TEST(IdentityProvidersConfig, FilterCheck) {
  using config::check_ldap_filter;
  EXPECT_TRUE(check_ldap_filter("(uid={username})", {"username"}, "username").ok());
  EXPECT_TRUE(check_ldap_filter("(&(a=b)(|(c=d)(e=f)))", {}, "").ok());
  EXPECT_TRUE(check_ldap_filter("(userAccountControl:1.2.840.113556.1.4.803:=2)", {}, "").ok());
  EXPECT_FALSE(check_ldap_filter("uid={username}", {"username"}, "username").ok());
  EXPECT_FALSE(check_ldap_filter("(a=b))(", {}, "").ok());
  EXPECT_FALSE(check_ldap_filter("(a={username})", {}, "").ok());
}

TEST(IdentityProvidersConfig, TheExampleFileDocumentsAValidProvider) {
  ParsedConfig parsed = parse_config_file(K4DS_SOURCE_DIR "/docs/k4ds.example.yaml");
  EXPECT_THAT(parsed.problems, IsEmpty());
  ASSERT_FALSE(parsed.config.identity_providers.empty());
  EXPECT_EQ(parsed.config.identity_providers[0].name, "corp");
}

}  // namespace
}  // namespace k4ds

// Names: the rules that keep "<user>-<name>.<domain>" a valid, unambiguous DNS name.
#include "model/validation.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace k4ds {
namespace {

using ::testing::HasSubstr;

// One row: input, and for a refusal a piece of the message a person needs to see.
struct NameCase {
  std::string name;
  std::string refusal;  // empty = accepted
};

void expect_verdict(const Status& s, const NameCase& c) {
  if (c.refusal.empty()) {
    EXPECT_TRUE(s.ok()) << '"' << c.name << "\" should be accepted: " << s.to_string();
  } else {
    EXPECT_EQ(s.code(), Code::invalid_argument) << '"' << c.name << '"';
    EXPECT_THAT(s.message(), HasSubstr(c.refusal)) << '"' << c.name << '"';
  }
}

TEST(ValidateUserName, Table) {
  const NameCase cases[] = {
      {"alice", ""},
      {"a", ""},
      {"bob2", ""},
      {std::string(32, 'a'), ""},
      {std::string(33, 'a'), "is 33 characters long; use at most 32"},
      {"", "user name is empty"},
      {"Alice", "may contain only a-z and 0-9"},
      {"al-ice", "no \"-\""},
      {"al_ice", "may contain only a-z and 0-9"},
      {"al ice", "may contain only a-z and 0-9"},
      {"2alice", "must start with a letter"},
      {"api", "is reserved"},
      {"portal", "is reserved"},
      {"localhost", "is reserved"},
      {"k4ds", "reserved names: api, www, portal, auth, login, logout, static, assets, k4ds"},
      {"apis", ""},
  };
  for (const auto& c : cases) expect_verdict(validate_user_name(c.name), c);
}

TEST(ValidateUserName, EveryReservedNameIsRefused) {
  for (const char* n : {"api", "www", "portal", "auth", "login", "logout", "static", "assets",
                        "k4ds", "root", "system", "default", "localhost"}) {
    Status s = validate_user_name(n);
    EXPECT_EQ(s.code(), Code::invalid_argument) << n;
    EXPECT_THAT(s.message(), HasSubstr("reserved")) << n;
  }
}

TEST(ValidateGroupName, Table) {
  const NameCase cases[] = {
      {"data-science", ""},
      {"team1", ""},
      {"a-b-c", ""},
      {std::string(64, 'g'), ""},
      {std::string(65, 'g'), "use at most 64"},
      {"", "group name is empty"},
      {"-team", "must start with a letter"},
      {"team-", "must not end with \"-\""},
      {"data--science", "must not contain \"--\""},
      {"Team", "may contain only a-z, 0-9 and \"-\""},
      {"team.x", "may contain only a-z, 0-9 and \"-\""},
      {"1team", "must start with a letter"},
  };
  for (const auto& c : cases) expect_verdict(validate_group_name(c.name), c);
}

TEST(ValidateWorkspaceName, Table) {
  const NameCase cases[] = {
      {"analysis", ""},
      {"my-analysis", ""},
      {"a1", ""},
      {"x", ""},
      {"", "workspace name is empty"},
      {"My_WS", "workspace name \"My_WS\" may contain only a-z, 0-9 and \"-\""},
      {"1st", "must start with a letter"},
      {"-x", "must start with a letter"},
      {"analysis-", "must not end with \"-\""},
      {"xn--abc", "must not contain \"--\""},
      {"a.b", "may contain only a-z, 0-9 and \"-\""},
      {std::string(57, 'w'), ""},
      {std::string(58, 'w'),
       "workspace name may be at most 57 characters for user alice, because alice-<name> must "
       "fit one 63-character DNS label"},
  };
  for (const auto& c : cases) expect_verdict(validate_workspace_name("alice", c.name), c);
}

TEST(ValidateWorkspaceName, LimitDependsOnOwner) {
  std::string owner(32, 'o');  // the longest user name leaves 30 characters
  EXPECT_TRUE(validate_workspace_name(owner, std::string(30, 'w')).ok());
  Status s = validate_workspace_name(owner, std::string(31, 'w'));
  EXPECT_EQ(s.code(), Code::invalid_argument);
  EXPECT_THAT(s.message(), HasSubstr("at most 30 characters for user " + owner));
}

TEST(ValidateWorkspaceName, OwnerMustBeAValidUser) {
  Status s = validate_workspace_name("Bad-Owner", "x");
  EXPECT_EQ(s.code(), Code::invalid_argument);
  EXPECT_THAT(s.message(), HasSubstr("workspace owner"));
}

TEST(ValidateCatalogName, Table) {
  const NameCase cases[] = {
      {"jupyter-python", ""},
      {"small", ""},
      {"gpu1", ""},
      {std::string(63, 'e'), ""},
      {std::string(64, 'e'), "use at most 63"},
      {"", "environment name is empty"},
      {"Jupyter", "environment name \"Jupyter\" may contain only a-z, 0-9 and \"-\""},
      {"jupyter--py", "must not contain \"--\""},
      {"py-", "must not end with \"-\""},
      {"3py", "must start with a letter"},
  };
  for (const auto& c : cases) expect_verdict(validate_catalog_name("environment", c.name), c);
  EXPECT_THAT(validate_catalog_name("size", "X").message(), HasSubstr("size name \"X\""));
}

TEST(SplitWorkspaceLabel, SplitsAtTheFirstDash) {
  struct Case {
    std::string label;
    std::optional<std::pair<std::string, std::string>> want;
  };
  const Case cases[] = {
      {"alice-my-analysis", std::pair{"alice", "my-analysis"}},
      {"alice-x", std::pair{"alice", "x"}},
      {"bob2-a1-b2-c3", std::pair{"bob2", "a1-b2-c3"}},
      {"alice", std::nullopt},             // no dash: a plain host, not a workspace
      {"alice-", std::nullopt},            // empty workspace name
      {"-x", std::nullopt},                // empty user
      {"alice--x", std::nullopt},          // workspace name would start with "-"
      {"Alice-x", std::nullopt},           // upper case never comes from k4ds
      {"api-x", std::nullopt},             // reserved user
      {"alice-x-", std::nullopt},          // trailing dash
      {"alice-" + std::string(58, 'w'), std::nullopt},  // longer than one DNS label
  };
  for (const auto& c : cases) {
    auto got = split_workspace_label(c.label);
    if (!c.want) {
      EXPECT_FALSE(got.has_value()) << c.label;
      continue;
    }
    ASSERT_TRUE(got.has_value()) << c.label;
    EXPECT_EQ(got->owner, c.want->first) << c.label;
    EXPECT_EQ(got->name, c.want->second) << c.label;
  }
}

TEST(SplitWorkspaceLabel, InvertsWorkspaceHostLabel) {
  std::string host = workspace_host("carol", "deep-learning-2", "localhost");
  std::string label = host.substr(0, host.find('.'));
  auto got = split_workspace_label(label);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->owner, "carol");
  EXPECT_EQ(got->name, "deep-learning-2");
}

}  // namespace
}  // namespace k4ds

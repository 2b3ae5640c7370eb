// Host normalization and classification: the decision every request starts with.
#include "gateway/host.h"
#include "model/model.h"

#include <gtest/gtest.h>

namespace k4ds {
namespace {

struct NormalizeCase {
  std::string header;
  std::string host;
  std::optional<uint16_t> port;
};
void PrintTo(const NormalizeCase& c, std::ostream* os) {
  *os << ::testing::PrintToString(c.header);
}

class NormalizeHostGood : public ::testing::TestWithParam<NormalizeCase> {};

TEST_P(NormalizeHostGood, Normalizes) {
  const NormalizeCase& c = GetParam();
  Result<NormalizedHost> r = normalize_host(c.header);
  ASSERT_TRUE(r.ok()) << c.header << ": " << r.status().to_string();
  EXPECT_EQ(r->host, c.host) << c.header;
  EXPECT_EQ(r->port, c.port) << c.header;
}

INSTANTIATE_TEST_SUITE_P(
    Table, NormalizeHostGood,
    ::testing::Values(NormalizeCase{"localhost", "localhost", std::nullopt},
                      NormalizeCase{"LOCALHOST", "localhost", std::nullopt},
                      NormalizeCase{"localhost.", "localhost", std::nullopt},
                      NormalizeCase{"localhost:8080", "localhost", 8080},
                      NormalizeCase{"Alice-X.LocalHost.:8080", "alice-x.localhost", 8080},
                      NormalizeCase{"alice-x.example.com:443", "alice-x.example.com", 443},
                      NormalizeCase{"127.0.0.1:80", "127.0.0.1", 80},
                      NormalizeCase{"[::1]", "[::1]", std::nullopt},
                      NormalizeCase{"[::1]:8080", "[::1]", 8080},
                      NormalizeCase{"[0:0:0:0:0:0:0:1]:1", "[::1]", 1},
                      NormalizeCase{"[2001:DB8::A]:65535", "[2001:db8::a]", 65535},
                      NormalizeCase{std::string(63, 'a') + ".localhost",
                                    std::string(63, 'a') + ".localhost", std::nullopt}));

class NormalizeHostBad : public ::testing::TestWithParam<std::string> {};

TEST_P(NormalizeHostBad, Refuses) {
  Result<NormalizedHost> r = normalize_host(GetParam());
  ASSERT_FALSE(r.ok()) << "accepted " << GetParam() << " as " << r->host;
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(
    Table, NormalizeHostBad,
    ::testing::Values(std::string(""), std::string("."), std::string(":8080"),
                      std::string("user@localhost"), std::string("user:pw@localhost"),
                      std::string("evil.com@alice-x.localhost"), std::string("local host"),
                      std::string("localhost\t"), std::string("localhost\r\nX: y"),
                      std::string("local%2ehost"), std::string("alice-x.localhost\\evil.com"),
                      std::string("alice-x.localhost/evil"), std::string("a..localhost"),
                      std::string(".localhost"), std::string("localhost.."),
                      std::string("under_score.localhost"), std::string("localhost:"),
                      std::string("localhost:0"), std::string("localhost:65536"),
                      std::string("localhost:80a"), std::string("localhost:+80"),
                      std::string("localhost:8080:1"), std::string("::1"),
                      std::string("[::1"), std::string("[::1]x"), std::string("[::1]:"),
                      std::string("[::g]"), std::string("[fe80::1%25eth0]"),
                      std::string("[localhost]"), std::string("caf\xc3\xa9.localhost"),
                      std::string(64, 'a') + ".localhost",
                      std::string(250, 'a') + "." + std::string(10, 'b')));

struct ClassifyCase {
  std::string header;
  HostKind kind;
  std::string owner;
  std::string name;
};
void PrintTo(const ClassifyCase& c, std::ostream* os) { *os << ::testing::PrintToString(c.header); }

class ClassifyHost : public ::testing::TestWithParam<ClassifyCase> {};

TEST_P(ClassifyHost, Classifies) {
  const ClassifyCase& c = GetParam();
  HostClass got = classify_host_header(c.header, "localhost", "");
  EXPECT_EQ(got.kind, c.kind) << c.header;
  EXPECT_EQ(got.owner, c.owner) << c.header;
  EXPECT_EQ(got.name, c.name) << c.header;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ClassifyHost,
    ::testing::Values(
        ClassifyCase{"localhost", HostKind::portal, "", ""},
        ClassifyCase{"LOCALHOST.:8080", HostKind::portal, "", ""},
        ClassifyCase{"alice-x.localhost", HostKind::workspace, "alice", "x"},
        ClassifyCase{"ALICE-X.LOCALHOST", HostKind::workspace, "alice", "x"},
        ClassifyCase{"alice-x.localhost.", HostKind::workspace, "alice", "x"},
        ClassifyCase{"Alice-X.localhost.:8080", HostKind::workspace, "alice", "x"},
        ClassifyCase{"bob-my-analysis.localhost:80", HostKind::workspace, "bob", "my-analysis"},
        // More than one label left of the domain.
        ClassifyCase{"a.alice-x.localhost", HostKind::unknown, "", ""},
        // Suffix tricks.
        ClassifyCase{"alice-x.localhost.evil", HostKind::unknown, "", ""},
        ClassifyCase{"evil-localhost", HostKind::unknown, "", ""},
        ClassifyCase{"alice-xlocalhost", HostKind::unknown, "", ""},
        ClassifyCase{"alice-x-localhost", HostKind::unknown, "", ""},
        ClassifyCase{"alice-xylocalhost", HostKind::unknown, "", ""},
        ClassifyCase{"localhost.evil", HostKind::unknown, "", ""},
        ClassifyCase{"alice-x.localhost.evil.com", HostKind::unknown, "", ""},
        // Not "<user>-<name>".
        ClassifyCase{"alice.localhost", HostKind::unknown, "", ""},
        ClassifyCase{"-x.localhost", HostKind::unknown, "", ""},
        ClassifyCase{"alice-.localhost", HostKind::unknown, "", ""},
        ClassifyCase{"xn--alice-x-9ya.localhost", HostKind::unknown, "", ""},
        // Garbage never routes.
        ClassifyCase{"user@alice-x.localhost", HostKind::unknown, "", ""},
        ClassifyCase{"", HostKind::unknown, "", ""},
        ClassifyCase{"[::1]:8080", HostKind::unknown, "", ""}));

TEST(ClassifyHost, SeparatePortalHost) {
  // Configured names are compared in canonical form whatever case the operator wrote.
  const std::string domain = "Data.Example.COM.";
  const std::string portal = "K4DS.example.com";
  EXPECT_EQ(classify_host_header("k4ds.example.com", domain, portal).kind, HostKind::portal);
  EXPECT_EQ(classify_host_header("data.example.com", domain, portal).kind, HostKind::unknown);
  HostClass ws = classify_host_header("carol-etl.data.example.com:443", domain, portal);
  EXPECT_EQ(ws.kind, HostKind::workspace);
  EXPECT_EQ(ws.owner, "carol");
  EXPECT_EQ(ws.name, "etl");
  EXPECT_EQ(classify_host_header("carol-etl.example.com", domain, portal).kind,
            HostKind::unknown);
}

TEST(ClassifyHost, EmptyDomainMatchesNothing) {
  EXPECT_EQ(classify_host("alice-x", "", "").kind, HostKind::unknown);
}

TEST(IsWorkspaceHost, MatchesExactlyWhatWorkspaceHostBuilds) {
  EXPECT_TRUE(is_workspace_host(workspace_host("alice", "nb", "localhost"), "alice", "nb", "localhost"));
  EXPECT_TRUE(is_workspace_host("alice-nb.example.org", "alice", "nb", "example.org"));
  EXPECT_FALSE(is_workspace_host("alice-nb.example.org", "alice", "nb", "example.com"));
  EXPECT_FALSE(is_workspace_host("alice-nbx.localhost", "alice", "nb", "localhost"));
  EXPECT_FALSE(is_workspace_host("alice.nb-localhost", "alice", "nb", "localhost"));
  // The same characters split differently are another workspace's host.
  EXPECT_FALSE(is_workspace_host("alice-b-nb.localhost", "alice-b", "b-nb", "localhost"));
  EXPECT_TRUE(is_workspace_host("alice-b-nb.localhost", "alice-b", "nb", "localhost"));
  EXPECT_FALSE(is_workspace_host("", "alice", "nb", "localhost"));
}

}  // namespace
}  // namespace k4ds

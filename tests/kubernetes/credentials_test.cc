// Bearer tokens: static, token files re-read as they rotate, and a real exec credential plugin
// (a shell script speaking ExecCredential) cached until shortly before it expires.
#include "kubernetes/credentials.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace k4ds::kubernetes {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::system_clock;

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "k4ds-credentials-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A plugin that counts its runs, checks it got KUBERNETES_EXEC_INFO, and prints a token that
  // expires at $EXPIRY (or never when unset).
  fs::path plugin() {
    fs::path p = dir_ / "plugin.sh";
    std::ofstream(p) << "#!/bin/sh\n"
                        "echo run >> \"$COUNT_FILE\"\n"
                        "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) echo 'no exec info' >&2; exit 3;; esac\n"
                        "n=$(wc -l < \"$COUNT_FILE\" | tr -d ' ')\n"
                        "if [ -n \"$EXPIRY\" ]; then exp=\",\\\"expirationTimestamp\\\":\\\"$EXPIRY\\\"\"; fi\n"
                        "echo \"{\\\"apiVersion\\\":\\\"client.authentication.k8s.io/v1\\\",\\\"kind\\\":\\\"ExecCredential\\\","
                        "\\\"status\\\":{\\\"token\\\":\\\"token-$n\\\"$exp}}\"\n";
    ::chmod(p.c_str(), 0755);
    return p;
  }
  ClusterConnection with_plugin(std::map<std::string, std::string> env) {
    env["COUNT_FILE"] = (dir_ / "count").string();
    ClusterConnection c{.context = "test"};
    c.exec = ExecPlugin{.api_version = "client.authentication.k8s.io/v1", .command = plugin().string(),
                        .env = env};
    return c;
  }
  fs::path dir_;
};

TEST_F(CredentialsTest, ExecPluginTokenIsCachedUntilShortlyBeforeExpiry) {
  Clock::time_point now = *parse_rfc3339_time("2026-11-28T12:00:00Z");
  TokenSource tokens(with_plugin({{"EXPIRY", "2026-11-28T12:15:00Z"}}), [&] { return now; });
  EXPECT_EQ(tokens.token().value(), "token-1");
  now += std::chrono::minutes(10);
  EXPECT_EQ(tokens.token().value(), "token-1");
  EXPECT_EQ(tokens.plugin_runs(), 1);
  now += std::chrono::minutes(4);  // 12:14, within a minute of expiry: refresh
  EXPECT_EQ(tokens.token().value(), "token-2");
  tokens.invalidate();  // the API server said 401
  EXPECT_EQ(tokens.token().value(), "token-3");
  EXPECT_EQ(tokens.plugin_runs(), 3);
}

TEST_F(CredentialsTest, ExecPluginWithoutExpiryIsKeptUntilInvalidated) {
  TokenSource tokens(with_plugin({}));
  EXPECT_EQ(tokens.token().value(), "token-1");
  EXPECT_EQ(tokens.token().value(), "token-1");
  EXPECT_EQ(tokens.plugin_runs(), 1);
}

TEST_F(CredentialsTest, PluginFailuresAreExplained) {
  ClusterConnection missing{.context = "gke"};
  missing.exec = ExecPlugin{.command = (dir_ / "gke-gcloud-auth-plugin").string()};
  auto r = TokenSource(missing).token();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::unauthenticated);
  EXPECT_NE(r.status().message().find("not found or not executable"), std::string::npos) << r.status().message();

  fs::path slow = dir_ / "slow.sh";
  std::ofstream(slow) << "#!/bin/sh\nexec sleep 30\n";
  ::chmod(slow.c_str(), 0755);
  ClusterConnection hanging{.context = "eks"};
  hanging.exec = ExecPlugin{.command = slow.string()};
  auto start = std::chrono::steady_clock::now();
  auto t = TokenSource(hanging, [] { return Clock::now(); }, std::chrono::seconds(1)).token();
  ASSERT_FALSE(t);
  EXPECT_NE(t.status().message().find("did not answer within 1 s"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  fs::path garbage = dir_ / "garbage.sh";
  std::ofstream(garbage) << "#!/bin/sh\necho hello\n";
  ::chmod(garbage.c_str(), 0755);
  ClusterConnection bad{.context = "x"};
  bad.exec = ExecPlugin{.command = garbage.string()};
  auto g = TokenSource(bad).token();
  ASSERT_FALSE(g);
  EXPECT_NE(g.status().message().find("status.token"), std::string::npos);
}

TEST_F(CredentialsTest, TokenFileIsReReadAsItRotates) {
  fs::path file = dir_ / "token";
  std::ofstream(file) << "first\n";
  TokenSource tokens(ClusterConnection{.token_file = file.string()});
  EXPECT_EQ(tokens.token().value(), "first");
  std::ofstream(file) << "second";
  EXPECT_EQ(tokens.token().value(), "second");
  fs::remove(file);
  EXPECT_EQ(tokens.token().status().code(), Code::unavailable);

  EXPECT_EQ(TokenSource(ClusterConnection{.token = "static"}).token().value(), "static");
  EXPECT_EQ(TokenSource(ClusterConnection{}).token().value(), "");
}

TEST(Rfc3339, ParsesWhatPluginsPrint) {
  auto z = parse_rfc3339_time("2026-11-28T12:00:00Z");
  ASSERT_TRUE(z);
  EXPECT_EQ(parse_rfc3339_time("2026-11-28T13:30:00.123456+01:30"), z);
  EXPECT_EQ(parse_rfc3339_time("2026-11-28T10:00:00-02:00"), z);
  EXPECT_FALSE(parse_rfc3339_time("2026-11-28 12:00:00"));
  EXPECT_FALSE(parse_rfc3339_time("tomorrow"));
}

}  // namespace
}  // namespace k4ds::kubernetes

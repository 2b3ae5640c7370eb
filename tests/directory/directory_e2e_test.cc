// End to end: the real `k4ds up` with an LDAP identity provider in its config file, against a
// real slapd. A directory user logs in over the API and whoami shows the directory's groups;
// built-in admin still logs in; the directory stopped gives a 503 with its address, and k4ds
// recovers when it is back, without a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>

#include "directory/directory_test_support.h"
#include "support/http.h"
#include "support/process.h"

namespace k4ds {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::Server;
using testing::Slapd;
using testing::TestClient;
using testing::TestResponse;
namespace http = testing::http;

class DirectoryEndToEnd : public ::testing::Test {
 protected:
  void SetUp() override {
    K4DS_REQUIRE_SLAPD(slapd_);
    std::string tmpl = (std::filesystem::temp_directory_path() / "k4ds-ldap-e2e-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ / "ldap-password") << testing::kServicePassword << "\n";
    std::ofstream(dir_ / "k4ds.yaml")
        << "identity_providers:\n"
           "  - name: corp\n"
           "    type: ldap\n"
           "    url: " << slapd_.ldaps_url() << "\n"
           "    ca_file: " << slapd_.ca_file() << "\n"
           "    connect_timeout: 2s\n"
           "    timeout: 2s\n"
           "    bind_dn: " << testing::kServiceDn << "\n"
           "    bind_password_file: " << (dir_ / "ldap-password").string() << "\n"
           "    user_base: ou=people,dc=example,dc=org\n"
           "    user_filter: \"(&(objectClass=inetOrgPerson)(uid={username}))\"\n"
           "    disabled_filter: \"(employeeType=disabled)\"\n"
           "    groups:\n"
           "      from: search\n"
           "      base: ou=groups,dc=example,dc=org\n"
           "      object_classes: [groupOfNames, posixGroup, groupOfUniqueNames]\n"
           "      nested: search\n";
    testing::Outcome check = testing::run_k4ds({"config", "check", (dir_ / "k4ds.yaml").string()}, {});
    ASSERT_EQ(check.exit_code, 0) << check;
    server_ = std::make_unique<Server>(dir_, "server.log",
                                       std::vector<std::string>{"-c", (dir_ / "k4ds.yaml").string()});
    ASSERT_NE(server_->port(), 0) << "k4ds up did not start:\n" << server_->startup_output() << log();
  }

  void TearDown() override {
    if (server_) server_->stop();
    if (HasFailure()) std::cerr << "k4ds log:\n" << log();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string log() const {
    std::ifstream in(dir_ / "server.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  TestResponse login(const std::string& user, const std::string& password) {
    TestClient client(server_->port());
    json::object body{{"username", user}, {"password", password}};
    return client.send(http::verb::post, "/api/v1/login", json::serialize(body));
  }

  static std::string session_of(const TestResponse& r) {
    std::string cookie(r[http::field::set_cookie]);
    return cookie.substr(0, cookie.find(';'));
  }

  json::value whoami(const std::string& cookie) {
    TestClient client(server_->port());
    TestResponse r = client.send(http::verb::get, "/api/v1/whoami", {}, {{"Cookie", cookie}});
    EXPECT_EQ(r.result(), http::status::ok) << r.body();
    return json::parse(r.body());
  }

  Slapd slapd_;
  std::filesystem::path dir_;
  std::unique_ptr<Server> server_;
};

std::vector<std::string> strings(const json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

TEST_F(DirectoryEndToEnd, DirectoryUserLogsInAndWhoamiShowsTheDirectoryGroups) {
  auto start = std::chrono::steady_clock::now();
  TestResponse r = login("alice", "alice-pw");
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  std::cout << "[ measure  ] first directory login (LDAPS, provisioning) took "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
  json::value me = whoami(session_of(r));
  EXPECT_EQ(me.at("name").as_string(), "alice");
  EXPECT_EQ(me.at("provider").as_string(), "corp");
  EXPECT_EQ(me.at("display_name").as_string(), "Alice Liddell");
  EXPECT_THAT(strings(me.at("groups")), ElementsAre("analysts", "data-scientists", "gpu-users"));

  TestResponse wrong = login("alice", "nope");
  TestResponse unknown = login("nobody", "nope");
  EXPECT_EQ(wrong.result(), http::status::unauthorized);
  EXPECT_EQ(wrong.body(), unknown.body());
  TestResponse carol = login("carol", "carol-pw");
  EXPECT_EQ(carol.result(), http::status::forbidden);
  EXPECT_THAT(carol.body(), HasSubstr("disabled in the directory corp"));
  // The built-in admin is always there; the directory's admin may not take the name.
  EXPECT_EQ(login("admin", testing::kAdminPassword).result(), http::status::ok);
  TestResponse dir_admin = login("admin", "admin-pw");
  EXPECT_EQ(dir_admin.result(), http::status::forbidden);
  EXPECT_THAT(dir_admin.body(), HasSubstr("belongs to a built-in k4ds account"));
}

TEST_F(DirectoryEndToEnd, DirectoryDownIsA503AndK4dsRecovers) {
  TestResponse r = login("alice", "alice-pw");
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  std::string cookie = session_of(r);
  slapd_.stop();
  TestResponse down = login("alice", "alice-pw");
  EXPECT_EQ(down.result(), http::status::service_unavailable);
  EXPECT_THAT(down.body(), HasSubstr("the directory at " + slapd_.ldaps_url() + " did not answer"));
  EXPECT_EQ(whoami(cookie).at("name").as_string(), "alice") << "the session outlives the directory";
  ASSERT_TRUE(slapd_.start()) << slapd_.error();
  EXPECT_EQ(login("alice", "alice-pw").result(), http::status::ok);
  EXPECT_EQ(login("bob", "bob-pw").result(), http::status::ok);
  EXPECT_TRUE(server_->running());
}

}  // namespace
}  // namespace k4ds

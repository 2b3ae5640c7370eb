// Quotas through the API: admins set them per user, group and default; launches and starts that
// would pass a limit are refused with the reason; stopping frees the quota; everyone reads their
// own usage and which sizes still fit.
#include <gtest/gtest.h>

#include "api/api_test_support.h"

namespace k4ds::testing {
namespace {

class ApiQuotaTest : public ApiTest {
 protected:
  HttpResponse put_quota(const std::string& subject, const std::string& body,
                         const std::string& who = "admin") {
    return send(http::verb::put, "/api/v1/quotas/" + subject, as(who), body);
  }
  json::value my_quota(const std::string& who, const std::string& query = "") {
    HttpResponse r = send(http::verb::get, "/api/v1/quota" + query, as(who));
    EXPECT_EQ(r.result(), http::status::ok) << r.body();
    return body_of(r);
  }
  // Marks a workspace as the controller would once it runs (the API stores it as pending).
  void set_phase(const std::string& owner, const std::string& name, Phase phase) {
    Status s = store_->write([&](Tx& tx) -> Status {
      auto ws = tx.find_workspace(owner, name);
      if (!ws) return ws.status();
      ws->phase = phase;
      return tx.update_workspace(*ws).status();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
};

TEST_F(ApiQuotaTest, ALaunchPastTheQuotaIsRefusedWithTheReasonAndStoppingFreesIt) {
  ASSERT_EQ(put_quota("default", R"({"workspaces":2,"cpu":"2","memory":null})").result(), http::status::ok);
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"one"})").result(), http::status::created);
  // "large" is 4 CPUs: past the 2 CPUs of the default, with 1 in use.
  HttpResponse big = launch("alice", R"({"environment":"jupyter-python","name":"big","size":"large"})");
  ASSERT_EQ(big.result(), http::status::forbidden) << big.body();
  EXPECT_NE(message_of(big).find("5 CPUs would be in use, the limit is 2 CPUs (the default for everyone)"),
            std::string::npos) << message_of(big);
  EXPECT_NE(message_of(big).find("Stop one of your active workspaces (one)"), std::string::npos)
      << message_of(big);
  // The refusal stored nothing.
  EXPECT_EQ(send(http::verb::get, "/api/v1/workspaces/alice/big", as("alice")).result(), http::status::not_found);

  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"two"})").result(), http::status::created);
  HttpResponse third = launch("alice", R"({"environment":"jupyter-python","name":"three"})");
  ASSERT_EQ(third.result(), http::status::forbidden) << third.body();
  EXPECT_NE(message_of(third).find("3 active workspaces would be in use, the limit is 2"), std::string::npos)
      << message_of(third);
  // The dry run answers the same.
  EXPECT_EQ(send(http::verb::post, "/api/v1/workspaces?dry_run=true", as("alice"),
                 R"({"environment":"jupyter-python","name":"three"})").result(),
            http::status::forbidden);
  // Quotas are per user: bob is not limited by alice's workspaces.
  EXPECT_EQ(launch("bob", R"({"environment":"jupyter-python","name":"b1"})").result(), http::status::created);

  // Stopping one frees its share; starting it again is checked like a launch.
  ASSERT_EQ(send(http::verb::post, "/api/v1/workspaces/alice/two/stop", as("alice")).result(), http::status::ok);
  set_phase("alice", "two", Phase::stopped);
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"three"})").result(), http::status::created);
  HttpResponse restart = send(http::verb::post, "/api/v1/workspaces/alice/two/start", as("alice"));
  EXPECT_EQ(restart.result(), http::status::forbidden) << restart.body();
  // A failed workspace holds nothing either.
  set_phase("alice", "three", Phase::failed);
  EXPECT_EQ(send(http::verb::post, "/api/v1/workspaces/alice/two/start", as("alice")).result(), http::status::ok);
  // Starting a failed workspace again does not count itself twice.
  set_phase("alice", "two", Phase::failed);
  EXPECT_EQ(send(http::verb::post, "/api/v1/workspaces/alice/two/start", as("alice")).result(), http::status::ok);
}

TEST_F(ApiQuotaTest, UserAndGroupQuotasOverrideTheDefaultLiveWithoutARestart) {
  ASSERT_EQ(put_quota("default", R"({"gpus":0})").result(), http::status::ok);
  HttpResponse gpu = launch("bob", R"({"environment":"jupyter-python","size":"large"})");
  ASSERT_EQ(gpu.result(), http::status::forbidden) << gpu.body();
  EXPECT_NE(message_of(gpu).find("1 GPU would be in use, the limit is 0 GPUs"), std::string::npos) << message_of(gpu);

  ASSERT_EQ(send(http::verb::post, "/api/v1/groups", as("admin"), R"({"name":"gpu","members":["bob"]})").result(),
            http::status::created);
  HttpResponse set = put_quota("group:gpu", R"({"gpus":1})");
  ASSERT_EQ(set.result(), http::status::ok) << set.body();
  EXPECT_EQ(body_of(set).at("gpus").as_int64(), 1);
  EXPECT_TRUE(body_of(set).at("cpu").is_null());
  EXPECT_EQ(launch("bob", R"({"environment":"jupyter-python","size":"large","name":"g1"})").result(),
            http::status::created);
  EXPECT_EQ(launch("alice", R"({"environment":"jupyter-python","size":"large"})").result(), http::status::forbidden)
      << "alice is not in the gpu group";
  // A user's own quota beats the group's.
  ASSERT_EQ(put_quota("user:bob", R"({"gpus":0})").result(), http::status::ok);
  EXPECT_EQ(launch("bob", R"({"environment":"jupyter-python","size":"large","name":"g2"})").result(),
            http::status::forbidden);
  ASSERT_EQ(send(http::verb::delete_, "/api/v1/quotas/user:bob", as("admin")).result(), http::status::no_content);
  EXPECT_EQ(send(http::verb::delete_, "/api/v1/quotas/user:bob", as("admin")).result(), http::status::not_found);

  HttpResponse listed = send(http::verb::get, "/api/v1/quotas", as("admin"));
  ASSERT_EQ(listed.result(), http::status::ok);
  const json::value body = body_of(listed);
  const auto& items = body.at("items").as_array();
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(str(items[0], "subject"), "default");
  EXPECT_EQ(str(items[1], "subject"), "group:gpu");
  EXPECT_EQ(str(items[1], "updated_by"), "admin");
}

TEST_F(ApiQuotaTest, EveryoneReadsTheirUsageAndWhichSizesFit) {
  ASSERT_EQ(put_quota("default", R"({"workspaces":3,"memory":"16Gi"})").result(), http::status::ok);
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"nb"})").result(), http::status::created);
  json::value q = my_quota("alice");
  EXPECT_EQ(str(q, "user"), "alice");
  EXPECT_EQ(q.at("workspaces").at("used").as_int64(), 1);
  EXPECT_EQ(q.at("workspaces").at("limit").as_int64(), 3);
  EXPECT_EQ(str(q.at("workspaces"), "from"), "the default for everyone");
  EXPECT_EQ(str(q.at("memory"), "used"), "2Gi");
  EXPECT_EQ(str(q.at("memory"), "limit"), "16Gi");
  EXPECT_TRUE(q.at("cpu").at("limit").is_null()) << "no CPU limit is set";
  EXPECT_EQ(str(q.at("cpu"), "used"), "1");
  EXPECT_EQ(q.at("active").as_array().size(), 1u);
  const auto& sizes = q.at("sizes").as_array();
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(str(sizes[0], "name"), "small");
  EXPECT_TRUE(sizes[0].at("fits").as_bool());
  EXPECT_EQ(str(sizes[1], "name"), "large");
  EXPECT_FALSE(sizes[1].at("fits").as_bool()) << "2 GiB in use + 16 GiB is past 16 GiB";
  EXPECT_NE(str(sizes[1], "reason").find("18 GiB would be in use, the limit is 16 GiB"), std::string::npos)
      << sizes[1];
}

TEST_F(ApiQuotaTest, OnlyAdminsSetQuotasAndBadInputIsExplained) {
  EXPECT_EQ(put_quota("default", R"({"workspaces":1})", "alice").result(), http::status::forbidden);
  EXPECT_EQ(send(http::verb::get, "/api/v1/quotas", as("alice")).result(), http::status::forbidden);
  EXPECT_EQ(send(http::verb::get, "/api/v1/quota?user=bob", as("alice")).result(), http::status::forbidden);
  EXPECT_EQ(str(my_quota("admin", "?user=bob"), "user"), "bob");
  EXPECT_EQ(send(http::verb::get, "/api/v1/quota?user=nobody", as("admin")).result(), http::status::not_found);

  struct Case {
    std::string subject, body, message_part;
  } cases[] = {
      {"default", R"({"cpu":2})", "such as \"4\" or \"500m\""},
      {"default", R"({"cpu":"lots"})", "not a CPU quantity"},
      {"default", R"({"memory":"8GB"})", "field \"memory\""},
      {"default", R"({"workspaces":-1})", "must be 0 or more"},
      {"default", R"({"gpus":"two"})", "whole number"},
      {"default", R"({"disk":"1Ti"})", "disk"},
      {"user:nobody", R"({"workspaces":1})", "there is no user named nobody"},
      {"group:nogroup", R"({"workspaces":1})", "there is no group named nogroup"},
      {"team:x", R"({"workspaces":1})", "not a quota subject"},
      {"default", R"({"subject":"user:alice","workspaces":1})", "send it to /api/v1/quotas/user:alice"},
  };
  for (const auto& c : cases) {
    HttpResponse r = put_quota(c.subject, c.body);
    EXPECT_EQ(r.result(), http::status::bad_request) << c.subject << " " << c.body << " → " << r.body();
    EXPECT_NE(message_of(r).find(c.message_part), std::string::npos) << c.body << " → " << message_of(r);
  }
  // A stale version is refused with what to do.
  HttpResponse first = put_quota("default", R"({"workspaces":1})");
  ASSERT_EQ(first.result(), http::status::ok);
  const int64_t version = body_of(first).at("version").as_int64();
  ASSERT_EQ(put_quota("default", R"({"workspaces":2})").result(), http::status::ok);
  HttpResponse stale = put_quota("default", R"({"workspaces":3,"version":)" + std::to_string(version) + "}");
  EXPECT_EQ(stale.result(), http::status::conflict) << stale.body();
  EXPECT_NE(message_of(stale).find("re-read"), std::string::npos) << message_of(stale);
}

TEST_F(ApiQuotaTest, ASizeNoMachineCanHoldIsRefusedAndAdminsSeeTheCapacity) {
  // The large test size has 16 GiB and a GPU; this "machine" has 8 GiB and none.
  api_ = std::make_unique<Api>(
      *store_, services_, test_catalog(),
      ApiOptions{.domain = "localhost", .password_cost = PasswordCost::minimum(),
                 .capacity = [] {
                   return std::optional<Capacity>(Capacity{
                       .description = "this machine", .cpu_millis = 2000, .memory_bytes = int64_t{8} << 30,
                       .largest_cpu_millis = 2000, .largest_memory_bytes = int64_t{8} << 30});
                 }});
  HttpResponse big = launch("alice", R"({"environment":"jupyter-python","size":"large"})");
  ASSERT_EQ(big.result(), http::status::conflict) << big.body();
  EXPECT_NE(message_of(big).find("size large needs 16 GiB of memory and 1 GPU, but this machine has only "
                                 "8 GiB of memory and 0 GPUs"),
            std::string::npos) << message_of(big);
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"a"})").result(), http::status::created);
  ASSERT_EQ(launch("alice", R"({"environment":"jupyter-python","name":"b"})").result(), http::status::created);
  ASSERT_EQ(launch("bob", R"({"environment":"jupyter-python","name":"c"})").result(), http::status::created);
  ASSERT_EQ(send(http::verb::post, "/api/v1/workspaces/bob/c/stop", as("bob")).result(), http::status::ok);

  EXPECT_EQ(send(http::verb::get, "/api/v1/capacity", as("alice")).result(), http::status::forbidden);
  HttpResponse r = send(http::verb::get, "/api/v1/capacity", as("admin"));
  ASSERT_EQ(r.result(), http::status::ok) << r.body();
  const json::value c = body_of(r);
  EXPECT_EQ(str(c.at("machines"), "memory"), "8Gi");
  EXPECT_EQ(str(c.at("machines"), "cpu"), "2");
  EXPECT_EQ(c.at("in_use").at("workspaces").as_int64(), 2) << "bob's stopped workspace holds nothing";
  EXPECT_EQ(str(c.at("in_use"), "memory"), "4Gi");
  const auto& users = c.at("users").as_array();
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(str(users[0], "user"), "alice");
  EXPECT_EQ(users[0].at("workspaces").as_int64(), 2);
  EXPECT_EQ(str(users[0], "cpu"), "2");
  EXPECT_EQ(str(users[1], "user"), "bob");
  EXPECT_EQ(users[1].at("workspaces").as_int64(), 0);
  EXPECT_EQ(users[1].at("all").as_int64(), 1);
}

}  // namespace
}  // namespace k4ds::testing

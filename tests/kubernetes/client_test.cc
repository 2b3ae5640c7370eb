// KubeClient against a real HTTPS server on loopback (the test API server of
// tests/kubernetes/fake_apiserver/) whose certificate comes from a CA made by openssl for this test.
#include "kubernetes/client.h"

#include "fake_apiserver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "kubernetes/objects.h"
#include "kubernetes_test_support.h"

namespace k4ds::kubernetes {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

// Server-side apply: one call creates or updates; a change made by someone else to a field k4ds
// sets is a conflict unless forced; a field k4ds stops setting goes; a no-op changes nothing.
TEST_F(FakeApiServer, ServerSideApplyCreatesUpdatesAndOwnsItsFields) {
  KubeClient client(connection(), fast());
  const std::string path = "/api/v1/namespaces/k4ds-alice/configmaps/settings";
  auto config_map = [](json::object data) {
    return json::object{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                        {"metadata", {{"name", "settings"}, {"namespace", "k4ds-alice"}}}, {"data", std::move(data)}};
  };
  auto created = client.apply(path, config_map({{"a", "1"}, {"b", "2"}}));
  ASSERT_TRUE(created) << created.status().to_string();
  const json::value uid = created->at("metadata").at("uid");
  const json::value version = created->at("metadata").at("resourceVersion");
  EXPECT_EQ(created->at("metadata").at("managedFields").at(0).at("manager"), "k4ds");

  // The same again: nothing changes, not even the resourceVersion.
  auto same = client.apply(path, config_map({{"a", "1"}, {"b", "2"}}));
  ASSERT_TRUE(same) << same.status().to_string();
  EXPECT_EQ(same->at("metadata").at("resourceVersion"), version);

  // k4ds no longer sets b and changes a: b goes, a changes, the object stays (same uid).
  auto changed = client.apply(path, config_map({{"a", "3"}}));
  ASSERT_TRUE(changed) << changed.status().to_string();
  EXPECT_EQ(changed->at("data"), json::parse(R"({"a":"3"})"));
  EXPECT_EQ(changed->at("metadata").at("uid"), uid);
  EXPECT_NE(changed->at("metadata").at("resourceVersion"), version);

  // Someone else edits a (an update: they own it now) and adds c.
  json::object edited = client.get(path)->as_object();
  edited["data"].as_object()["a"] = "edited";
  edited["data"].as_object()["c"] = "theirs";
  ASSERT_TRUE(client.replace(path, edited));
  auto refused = client.apply(path, config_map({{"a", "4"}}), /*force=*/false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.status().code(), Code::aborted);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("conflict"));
  // Forced (what k4ds does): a is k4ds's again; c, which k4ds never set, is kept.
  auto forced = client.apply(path, config_map({{"a", "4"}}));
  ASSERT_TRUE(forced) << forced.status().to_string();
  EXPECT_EQ(forced->at("data"), json::parse(R"({"a":"4","c":"theirs"})"));
}

TEST_F(FakeApiServer, CreateGetDeleteTheRenderedObjects) {
  KubeClient client(connection(), fast());
  auto rendered = render_workspace(testing::jupyter_spec(), KubernetesOptions{});
  ASSERT_TRUE(rendered);
  std::string pod_path;
  for (const auto& o : rendered->objects) {
    auto collection = collection_path(o);
    ASSERT_TRUE(collection) << collection.status().to_string();
    auto created = client.create(*collection, o);
    ASSERT_TRUE(created) << created.status().to_string();
    EXPECT_FALSE(created->at("metadata").at("uid").as_string().empty());
    if (o.at("kind") == "Pod") pod_path = *collection + "/" + rendered->pod_name;
  }
  EXPECT_EQ(pod_path, "/api/v1/namespaces/k4ds-alice/pods/" + rendered->pod_name);
  EXPECT_EQ(*collection_path(testing::find_kind(*rendered, "NetworkPolicy")),
            "/apis/networking.k8s.io/v1/namespaces/k4ds-alice/networkpolicies");
  EXPECT_EQ(*collection_path(testing::find_kind(*rendered, "Namespace")), "/api/v1/namespaces");

  auto again = client.create(*collection_path(testing::find_kind(*rendered, "Pod")),
                             testing::find_kind(*rendered, "Pod"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.status().code(), Code::already_exists);

  auto got = client.get(pod_path);
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->at("spec").at("containers").at(0).at("image"), "quay.io/jupyter/scipy-notebook:2024-04-01");
  auto list = client.get("/api/v1/namespaces/k4ds-alice/pods");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->at("items").as_array().size(), 1u);

  ASSERT_TRUE(client.remove(pod_path));
  EXPECT_EQ(client.get(pod_path).status().code(), Code::not_found);
  EXPECT_EQ(client.remove(pod_path).status().code(), Code::not_found);
}

TEST_F(FakeApiServer, InvalidObjectsAreRefusedLikeARealApiServer) {
  KubeClient client(connection(), fast());
  json::object pod{{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata", {{"name", "bad"}, {"namespace", "x"}}},
                   {"spec", {{"containers", json::array{{{"name", "c"}, {"image", "i"},
                                                         {"resources", {{"limits", {{"memory", "lots"}}}}}}}}}}};
  auto r = client.create("/api/v1/namespaces/x/pods", pod);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::invalid_argument);
  EXPECT_NE(r.status().message().find("limits/memory"), std::string::npos) << r.status().message();
}

TEST_F(FakeApiServer, RetriesWithBackoffThenGivesUp) {
  KubeClient client(connection(), fast());
  ASSERT_TRUE(client.create("/_test/fail?code=503&count=2", {}));
  int before = client.requests_sent();
  auto list = client.get("/api/v1/namespaces/x/pods");
  ASSERT_TRUE(list) << list.status().to_string();
  EXPECT_EQ(client.requests_sent() - before, 3) << "two 503s, then the answer";

  ASSERT_TRUE(client.create("/_test/fail?code=500&count=10", {}));
  auto failed = client.get("/api/v1/namespaces/x/pods");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.status().code(), Code::unavailable);
  EXPECT_NE(failed.status().message().find("HTTP 500"), std::string::npos) << failed.status().message();
}

TEST_F(FakeApiServer, DeadlineOnEveryCall) {
  KubeClient client(connection(), ClientOptions{.timeout = std::chrono::milliseconds(300), .attempts = 1});
  ASSERT_TRUE(KubeClient(connection(), fast()).create("/_test/slow?seconds=3", {}));
  auto start = std::chrono::steady_clock::now();
  auto r = client.get("/api/v1/namespaces/x/pods");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::unavailable);
  EXPECT_NE(r.status().message().find("deadline"), std::string::npos) << r.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2500)) << "the server answers after 3 s";
}

TEST_F(FakeApiServer, WrongTokenAndWrongCaAreExplained) {
  KubeClient wrong_token(connection("nope"), fast());
  auto r = wrong_token.get("/api/v1/namespaces");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.status().code(), Code::unauthenticated);
  EXPECT_EQ(wrong_token.requests_sent(), 2) << "one retry with a fresh token, no more";

  ClusterConnection other_ca = connection();
  other_ca.ca_pem = slurp(dir_ / "other.crt");
  KubeClient untrusted(other_ca, ClientOptions{.attempts = 1});
  auto t = untrusted.get("/api/v1/namespaces");
  ASSERT_FALSE(t);
  EXPECT_NE(t.status().message().find("TLS handshake failed"), std::string::npos) << t.status().message();
}

}  // namespace
}  // namespace k4ds::kubernetes

namespace k4ds::kubernetes {
namespace {

TEST_F(FakeApiServer, WatchStreamsChangesBookmarksAndExpires) {
  KubeClient client(connection(), fast());
  auto list = client.get("/api/v1/namespaces/w/configmaps");
  ASSERT_TRUE(list) << list.status().to_string();
  std::string version(list->at("metadata").at("resourceVersion").as_string());
  auto make = [&](const std::string& name) {
    json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"},
                    {"metadata", {{"name", name}, {"namespace", "w"}}}};
    return client.create("/api/v1/namespaces/w/configmaps", cm);
  };
  ASSERT_TRUE(make("one"));
  // A change made while the watch is open arrives on it too.
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    KubeClient other(connection(), fast());
    json::object cm{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "two"}, {"namespace", "w"}}}};
    EXPECT_TRUE(other.create("/api/v1/namespaces/w/configmaps", cm));
  });
  std::vector<std::string> seen;
  auto start = std::chrono::steady_clock::now();
  auto next = client.watch("/api/v1/namespaces/w/configmaps", version, std::chrono::seconds(1),
                           [&](const WatchEvent& e) {
                             std::string name = e.object.contains("metadata") && e.object.at("metadata").as_object().contains("name")
                                                    ? std::string(e.object.at("metadata").at("name").as_string()) : "";
                             seen.push_back(e.type + " " + name);
                             return true;
                           });
  later.join();
  ASSERT_TRUE(next) << next.status().to_string();
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED one", "ADDED two", "BOOKMARK "}));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  EXPECT_NE(*next, version) << "the bookmark moves the version on";

  // Resuming from the returned version replays nothing old.
  ASSERT_TRUE(client.remove("/api/v1/namespaces/w/configmaps/one"));
  seen.clear();
  auto resumed = client.watch("/api/v1/namespaces/w/configmaps", *next, std::chrono::seconds(1),
                              [&](const WatchEvent& e) { seen.push_back(e.type); return e.type != "DELETED"; });
  ASSERT_TRUE(resumed);
  EXPECT_EQ(seen, std::vector<std::string>{"DELETED"}) << "stopped by the callback, before the bookmark";

  // The server compacted its history: 410 Gone → aborted, relist.
  ASSERT_TRUE(client.create("/_test/compact", {}));
  auto expired = client.watch("/api/v1/namespaces/w/configmaps", version, std::chrono::seconds(1),
                              [](const WatchEvent&) { return true; });
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.status().code(), Code::aborted);
  EXPECT_NE(expired.status().message().find("list again"), std::string::npos);
}

}  // namespace
}  // namespace k4ds::kubernetes

namespace k4ds::kubernetes {
namespace {

TEST_F(FakeApiServer, ABurstOfCallsIsRateLimited) {
  // 2 at once, then 5 per second: 12 calls from 4 threads cannot end before (12 - 2) / 5 = 2 s.
  ClientOptions limited = fast();
  limited.qps = 5;
  limited.burst = 2;
  KubeClient client(connection(), limited);
  std::atomic<int> succeeded = 0;
  auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) succeeded += client.get("/api/v1/namespaces/x/configmaps").ok();
    });
  }
  for (auto& t : threads) t.join();
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(succeeded, 12);
  EXPECT_EQ(client.requests_sent(), 12);
  EXPECT_GE(took, std::chrono::milliseconds(1950)) << "the bucket refills at 5 per second";
  std::cout << "12 calls at qps 5, burst 2: " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
            << " ms\n";

  // Changing the limit takes effect at once; watches are not limited.
  client.set_rate_limit(1000, 1000);
  started = std::chrono::steady_clock::now();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client.get("/api/v1/namespaces/x/configmaps"));
  client.set_rate_limit(0.5, 1);  // the one token on hand, then one per 2 s
  ASSERT_TRUE(client.get("/api/v1/namespaces/x/configmaps"));
  started = std::chrono::steady_clock::now();  // the watch alone: 1 s, not 2 s more for a token
  auto watched = client.watch("/api/v1/namespaces/x/configmaps", "0", std::chrono::seconds(1),
                              [](const WatchEvent&) { return true; });
  EXPECT_TRUE(watched) << watched.status().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1900))
      << "a watch does not wait for a token";
}

TEST_F(FakeApiServer, TooManyRequestsHonoursRetryAfter) {
  KubeClient client(connection(), fast());  // a 10 ms backoff of its own
  ASSERT_TRUE(client.create("/_test/fail?code=429&count=1&retry_after=1", {}));
  int before = client.requests_sent();
  auto started = std::chrono::steady_clock::now();
  auto list = client.get("/api/v1/namespaces/x/pods");
  ASSERT_TRUE(list) << list.status().to_string();
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1000)) << "waited as asked";
  EXPECT_EQ(client.requests_sent() - before, 2) << "one 429, then the answer";

  // Asked to wait longer than max_retry_after: unavailable at once, saying so.
  ASSERT_TRUE(client.create("/_test/fail?code=429&count=1&retry_after=120", {}));
  started = std::chrono::steady_clock::now();
  auto busy = client.get("/api/v1/namespaces/x/pods");
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.status().code(), Code::unavailable);
  EXPECT_NE(busy.status().message().find("asks to wait 120 s"), std::string::npos) << busy.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10)) << "not 120 s";
}

}  // namespace
}  // namespace k4ds::kubernetes

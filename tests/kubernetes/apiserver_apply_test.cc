// Server-side apply in the test API server (tests/kubernetes/fake_apiserver/apply.h): PATCH
// with application/apply-patch+yaml creates an absent object, merges into a present one with a
// new resourceVersion and a MODIFIED event, changes nothing when nothing differs, refuses to
// change another field manager's values unless forced, and answers 415 / 422 / 400 / 409 Status
// objects. KubeClient has no PATCH yet, so the PATCHes here are raw HTTPS requests.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "fake_apiserver.h"

namespace k4ds::kubernetes {
namespace {
namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

constexpr const char* kApply = "application/apply-patch+yaml";
constexpr const char* kConfigMaps = "/api/v1/namespaces/team/configmaps";

struct Answer {
  int code = 0;
  json::value body;
};

class ApplyTest : public FakeApiServer {
 protected:
  void SetUp() override {
    FakeApiServer::SetUp();
    if (HasFatalFailure()) return;
    client_ = std::make_unique<KubeClient>(connection(), fast());
  }

  // One PATCH over HTTPS, trusting the test CA, as a client of the real API server sends it.
  Answer patch(const std::string& target, const json::object& body, const std::string& content_type = kApply) {
    asio::io_context io;
    ssl::context tls(ssl::context::tls_client);
    tls.add_certificate_authority(asio::buffer(slurp(dir_ / "ca.crt")));
    ssl::stream<tcp::socket> stream(io, tls);
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification("localhost"));
    SSL_set_tlsext_host_name(stream.native_handle(), "localhost");
    tcp::resolver resolver(io);
    asio::connect(stream.next_layer(), resolver.resolve("127.0.0.1", port_));
    stream.handshake(ssl::stream_base::client);
    http::request<http::string_body> req{http::verb::patch, target, 11};
    req.set(http::field::host, "localhost");
    req.set(http::field::authorization, "Bearer secret-token");
    req.set(http::field::content_type, content_type);
    req.body() = json::serialize(body);
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream, buffer, res);
    return Answer{res.result_int(), json::parse(res.body())};
  }

  static json::object config_map(const std::string& name, json::object data) {
    return json::object{{"apiVersion", "v1"},
                        {"kind", "ConfigMap"},
                        {"metadata", {{"name", name}, {"namespace", "team"}}},
                        {"data", std::move(data)}};
  }
  static std::string version_of(const json::value& object) {
    return std::string(object.at("metadata").at("resourceVersion").as_string());
  }
  // The events a watch from `version` sees within a second ("MODIFIED settings", "BOOKMARK ").
  std::vector<std::string> events_since(const std::string& version) {
    std::vector<std::string> seen;
    auto watched = client_->watch(kConfigMaps, version, std::chrono::seconds(1), [&](const WatchEvent& e) {
      const json::object& meta = e.object.at("metadata").as_object();
      seen.push_back(e.type + " " + (meta.contains("name") ? std::string(meta.at("name").as_string()) : ""));
      return true;
    });
    EXPECT_TRUE(watched) << watched.status().to_string();
    return seen;
  }
  std::unique_ptr<KubeClient> client_;
};

TEST_F(ApplyTest, AnAbsentObjectIsCreated) {
  const std::string before = version_of(*client_->get(kConfigMaps));
  Answer a = patch(std::string(kConfigMaps) + "/settings?fieldManager=k4ds", config_map("settings", {{"a", "1"}}));
  ASSERT_EQ(a.code, 201) << a.body;
  const json::object& meta = a.body.at("metadata").as_object();
  EXPECT_FALSE(meta.at("uid").as_string().empty());
  EXPECT_FALSE(meta.at("creationTimestamp").as_string().empty());
  ASSERT_EQ(meta.at("managedFields").as_array().size(), 1u);
  const json::value& entry = meta.at("managedFields").at(0);
  EXPECT_EQ(entry.at("manager"), "k4ds");
  EXPECT_EQ(entry.at("operation"), "Apply");
  EXPECT_EQ(entry.at("fieldsV1").at("f:data"), json::parse(R"({"f:a":{}})")) << "the fields it set are its own";
  auto got = client_->get(std::string(kConfigMaps) + "/settings");
  ASSERT_TRUE(got) << got.status().to_string();
  EXPECT_EQ(got->at("data").at("a"), "1");
  EXPECT_EQ(events_since(before), (std::vector<std::string>{"ADDED settings", "BOOKMARK "}));
}

TEST_F(ApplyTest, APresentObjectIsMergedWithANewVersion) {
  const std::string target = std::string(kConfigMaps) + "/settings?fieldManager=k4ds";
  Answer created = patch(target, config_map("settings", {{"a", "1"}, {"b", "2"}}));
  ASSERT_EQ(created.code, 201) << created.body;
  const std::string v1 = version_of(created.body);

  // Someone else adds d; k4ds then applies b and c and no longer a.
  json::object edited = client_->get(std::string(kConfigMaps) + "/settings")->as_object();
  edited["data"].as_object()["d"] = "theirs";
  ASSERT_TRUE(client_->replace(std::string(kConfigMaps) + "/settings", edited));
  const std::string v2 = version_of(*client_->get(std::string(kConfigMaps) + "/settings"));

  Answer merged = patch(target, config_map("settings", {{"b", "3"}, {"c", "4"}}));
  ASSERT_EQ(merged.code, 200) << merged.body;
  EXPECT_EQ(merged.body.at("data"), json::parse(R"({"b":"3","c":"4","d":"theirs"})"))
      << "merged key by key; a, which k4ds alone set and no longer applies, is removed; d is kept";
  EXPECT_NE(version_of(merged.body), v1);
  EXPECT_EQ(merged.body.at("metadata").at("uid"), created.body.at("metadata").at("uid"));
  EXPECT_EQ(merged.body.at("metadata").at("creationTimestamp"), created.body.at("metadata").at("creationTimestamp"));
  EXPECT_EQ(events_since(v2), (std::vector<std::string>{"MODIFIED settings", "BOOKMARK "}));
  EXPECT_EQ(client_->get(std::string(kConfigMaps) + "/settings")->at("data").at("b"), "3");
}

TEST_F(ApplyTest, ApplyingWhatIsThereChangesNothing) {
  const std::string target = std::string(kConfigMaps) + "/settings?fieldManager=k4ds";
  Answer created = patch(target, config_map("settings", {{"a", "1"}}));
  ASSERT_EQ(created.code, 201) << created.body;
  const std::string v1 = version_of(created.body);

  Answer again = patch(target, config_map("settings", {{"a", "1"}}));
  ASSERT_EQ(again.code, 200) << again.body;
  EXPECT_EQ(version_of(again.body), v1) << "no new resourceVersion";
  EXPECT_EQ(version_of(*client_->get(kConfigMaps)), v1);
  EXPECT_EQ(events_since(v1), std::vector<std::string>{"BOOKMARK "}) << "no watch event";
}

TEST_F(ApplyTest, AnotherManagersValuesAreAConflictUnlessForced) {
  ASSERT_TRUE(client_->create(kConfigMaps, config_map("settings", {{"a", "1"}})));  // manager "unknown", Update
  const std::string target = std::string(kConfigMaps) + "/settings?fieldManager=k4ds";

  Answer refused = patch(target, config_map("settings", {{"a", "2"}}));
  ASSERT_EQ(refused.code, 409) << refused.body;
  EXPECT_EQ(refused.body.at("kind"), "Status");
  EXPECT_EQ(refused.body.at("reason"), "Conflict");
  EXPECT_EQ(refused.body.at("message"), "Apply failed with 1 conflict: conflict with \"unknown\"");
  EXPECT_EQ(client_->get(std::string(kConfigMaps) + "/settings")->at("data").at("a"), "1");

  Answer added = patch(target, config_map("settings", {{"b", "2"}}));
  EXPECT_EQ(added.code, 200) << "adding a value changes none that was there: " << added.body;

  Answer forced = patch(target + "&force=true", config_map("settings", {{"a", "2"}}));
  ASSERT_EQ(forced.code, 200) << forced.body;
  EXPECT_EQ(forced.body.at("data").at("a"), "2");
  const json::array& managers = forced.body.at("metadata").at("managedFields").as_array();
  ASSERT_EQ(managers.size(), 2u);
  EXPECT_EQ(managers[0].at("manager"), "unknown");
  const json::object& theirs = managers[0].at("fieldsV1").as_object();
  EXPECT_TRUE(!theirs.contains("f:data") || !theirs.at("f:data").as_object().contains("f:a")) << "a changed owner";
  EXPECT_EQ(managers[1].at("manager"), "k4ds");
  EXPECT_EQ(managers[1].at("operation"), "Apply");
  EXPECT_EQ(managers[1].at("fieldsV1").at("f:data"), json::parse(R"({"f:a":{}})"));
}

TEST_F(ApplyTest, AStaleResourceVersionIsAConflict) {
  const std::string target = std::string(kConfigMaps) + "/settings?fieldManager=k4ds";
  Answer created = patch(target, config_map("settings", {{"a", "1"}}));
  ASSERT_EQ(created.code, 201) << created.body;
  json::object stale = config_map("settings", {{"a", "5"}});
  stale["metadata"].as_object()["resourceVersion"] = "1" + version_of(created.body);
  Answer refused = patch(target, stale);
  EXPECT_EQ(refused.code, 409) << refused.body;
  EXPECT_EQ(refused.body.at("reason"), "Conflict");
}

TEST_F(ApplyTest, RefusalsAreStatusObjects) {
  const std::string target = std::string(kConfigMaps) + "/settings";
  Answer merge_patch = patch(target + "?fieldManager=k4ds", config_map("settings", {}), "application/merge-patch+json");
  EXPECT_EQ(merge_patch.code, 415) << merge_patch.body;
  EXPECT_EQ(merge_patch.body.at("reason"), "UnsupportedMediaType");

  Answer no_manager = patch(target, config_map("settings", {}));
  EXPECT_EQ(no_manager.code, 422) << no_manager.body;
  EXPECT_EQ(no_manager.body.at("reason"), "Invalid");
  EXPECT_EQ(no_manager.body.at("message"), "fieldManager is required for apply patches");

  Answer other_name = patch(target + "?fieldManager=k4ds", config_map("other", {}));
  EXPECT_EQ(other_name.code, 400) << other_name.body;
  EXPECT_EQ(other_name.body.at("reason"), "BadRequest");

  json::object elsewhere = config_map("settings", {});
  elsewhere["metadata"].as_object()["namespace"] = "elsewhere";
  EXPECT_EQ(patch(target + "?fieldManager=k4ds", elsewhere).code, 400);

  json::object invalid = config_map("settings", {});
  invalid["data"] = json::object{{"a", 1}};  // ConfigMap data values are strings
  Answer refused = patch(target + "?fieldManager=k4ds", invalid);
  EXPECT_EQ(refused.code, 422) << "the schema check applies to apply: " << refused.body;
  EXPECT_EQ(client_->get(target).status().code(), Code::not_found) << "nothing was created";

  ASSERT_EQ(patch(target + "?fieldManager=k4ds", config_map("settings", {{"a", "1"}})).code, 201);
  Answer invalid_change = patch(target + "?fieldManager=k4ds", invalid);
  EXPECT_EQ(invalid_change.code, 422) << "the merged object is checked too: " << invalid_change.body;
  EXPECT_EQ(client_->get(target)->at("data"), json::parse(R"({"a":"1"})")) << "nothing was changed";
}

TEST_F(ApplyTest, CountedAndFailedLikeOtherRequests) {
  ASSERT_TRUE(client_->create("/_test/fail?code=503&count=1&method=PATCH", {}));
  const int64_t before = requests_answered(*client_);
  const std::string target = std::string(kConfigMaps) + "/settings?fieldManager=k4ds";
  Answer failed = patch(target, config_map("settings", {{"a", "1"}}));
  EXPECT_EQ(failed.code, 503) << failed.body;
  Answer created = patch(target, config_map("settings", {{"a", "1"}}));
  EXPECT_EQ(created.code, 201) << created.body;
  EXPECT_EQ(requests_answered(*client_) - before, 2);
}

}  // namespace
}  // namespace k4ds::kubernetes

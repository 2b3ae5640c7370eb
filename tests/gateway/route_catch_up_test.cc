// Read your writes at the gateway: a request that would be refused for want of a route (no such
// workspace, or not running) first catches the route table up with the store. Here the gateway
// sees the store through a view that never announces commits, so its background refresh never
// runs: every route below is live only because the refusal path caught up.
#include "gateway_fixture.h"

namespace k4ds {
namespace {

// Forwards everything to the real store but never calls a subscriber.
class SilentStore : public Store {
 public:
  explicit SilentStore(Store& inner) : inner_(inner) {}
  Status write(const std::function<Status(Tx&)>& fn) override { return inner_.write(fn); }
  Status read(const std::function<Status(Tx&)>& fn) override { return inner_.read(fn); }
  Subscription subscribe(std::function<void(int64_t)>) override { return Subscription(); }
  int64_t wait_for_change(int64_t after, std::chrono::milliseconds timeout) override {
    return inner_.wait_for_change(after, timeout);
  }

 private:
  Store& inner_;
};

class RouteCatchUpTest : public GatewayTest {
 protected:
  Store& gateway_store() override {
    silent_ = std::make_unique<SilentStore>(*store_);
    return *silent_;
  }
  void set_phase(const std::string& id, Phase phase, const std::string& upstream) {
    Status s = store_->write([&](Tx& tx) -> Status {
      Result<Workspace> ws = tx.get_workspace(id);
      if (!ws) return ws.status();
      ws->phase = phase;
      ws->upstream = upstream;
      return tx.update_workspace(*ws).status();
    });
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  std::unique_ptr<SilentStore> silent_;
};

TEST_F(RouteCatchUpTest, AWorkspaceLaunchedAfterStartUpIsRoutedOnTheFirstRequest) {
  ASSERT_EQ(gateway_->routes()->find("alice", "late"), nullptr);
  add_workspace("alice", "late", upstream_->upstream());
  std::string cookie = sign_in("alice", "alice-password", "alice-late");
  ASSERT_FALSE(cookie.empty());
  auto res = get_as(cookie, "alice-late", "/api/contents");
  ASSERT_EQ(res.result(), http::status::ok) << res.body();
  EXPECT_EQ(boost::json::parse(res.body()).as_object()["target"].as_string(), "/api/contents");
}

TEST_F(RouteCatchUpTest, AWorkspaceReportedRunningIsNeverAnsweredNotRunning) {
  std::string id = add_workspace("alice", "cycle", "", Phase::stopped);
  std::string cookie = sign_in("alice", "alice-password", "alice-cycle");
  ASSERT_FALSE(cookie.empty());
  EXPECT_EQ(get_as(cookie, "alice-cycle", "/").result(), http::status::service_unavailable);

  // Started, stopped and started again. Stopping is seen by the regular refresh (called here
  // by hand, as the store announces no commits); starting again is caught up on request.
  set_phase(id, Phase::running, upstream_->upstream());
  EXPECT_EQ(get_as(cookie, "alice-cycle", "/a").result(), http::status::ok);
  set_phase(id, Phase::stopped, "");
  gateway_->refresh_now();
  EXPECT_EQ(get_as(cookie, "alice-cycle", "/b").result(), http::status::service_unavailable);
  set_phase(id, Phase::running, upstream_->upstream());
  EXPECT_EQ(get_as(cookie, "alice-cycle", "/c").result(), http::status::ok);
}

// A workspace stopped a moment ago no longer answers at its old address: that is "not running"
// (503, with the way to start it), not "not answering" (502).
TEST_F(RouteCatchUpTest, AWorkspaceJustStoppedIsNotRunningRatherThanNotAnswering) {
  // Nothing listens on port 1 of loopback: connecting is refused at once.
  std::string id = add_workspace("alice", "gone", "127.0.0.1:1");
  std::string cookie = sign_in("alice", "alice-password", "alice-gone");
  ASSERT_FALSE(cookie.empty());
  gateway_->refresh_now();
  ASSERT_NE(gateway_->routes()->find("alice", "gone"), nullptr);
  auto unanswered = get_as(cookie, "alice-gone", "/", {{"Accept", "application/json"}});
  EXPECT_EQ(unanswered.result(), http::status::bad_gateway) << "running, but nothing answers: " << unanswered.body();

  set_phase(id, Phase::stopped, "");
  ASSERT_TRUE(gateway_->routes()->find("alice", "gone")->running) << "the table has not seen the stop";
  auto stopped = get_as(cookie, "alice-gone", "/", {{"Accept", "application/json"}});
  EXPECT_EQ(stopped.result(), http::status::service_unavailable) << stopped.body();
  EXPECT_NE(stopped.body().find("not running"), std::string::npos) << stopped.body();
}

// Strangers do not make the gateway read the store: without a credential the answer is the
// login redirect whether or not the workspace exists.
TEST_F(RouteCatchUpTest, WithoutACredentialTheAnswerIsTheLoginRedirect) {
  add_workspace("alice", "quiet", upstream_->upstream());
  auto res = get_as("", "alice-quiet", "/tree");
  EXPECT_EQ(res.result(), http::status::found) << res.body();
  EXPECT_EQ(gateway_->routes()->find("alice", "quiet"), nullptr) << "no catch-up for strangers";
}

}  // namespace
}  // namespace k4ds

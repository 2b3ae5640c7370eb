// TwoClusters: a gtest fixture with two fake API servers ("aws" and "gcp"), each a FakeApiServer
// (its own certificates, port and state) driven by hand, for tests of several clusters at once.
// Schema validation is off (validate_objects_ = false: it is not what these tests are about, and
// node is slow); state is kept so a server can be restarted (restart(), same port, same objects).
//
// Usage:
//   class MyTest : public TwoClusters {};
//   TEST_F(MyTest, X) { auto client = std::make_shared<KubeClient>(aws().connection(), aws().fast()); }
#pragma once

#include <gtest/gtest.h>

#include <memory>

#include "fake_apiserver.h"

namespace k4ds::kubernetes {

// One fake API server as a plain object (FakeApiServer is a fixture; this runs one by hand).
class FakeCluster : public FakeApiServer {
 public:
  FakeCluster() {
    validate_objects_ = false;
    keep_state_ = true;
  }
  void start() { SetUp(); }
  void end() { TearDown(); }
  void kill() { kill_server(); }
  void restart(std::chrono::milliseconds down) { restart_server(down); }
  // After kill(): the same objects on the same port again.
  void revive() {
    const std::string port = port_;
    start_server(port);
    ASSERT_EQ(port_, port);
  }
  using FakeApiServer::connection;
  using FakeApiServer::eventually;
  using FakeApiServer::requests_answered;
  using FakeApiServer::dir_;
  using FakeApiServer::fast;
  using FakeApiServer::port_;

 private:
  void TestBody() override {}
};

class TwoClusters : public ::testing::Test {
 protected:
  void SetUp() override {
    aws_.start();
    if (HasFatalFailure()) return;
    gcp_.start();
  }
  void TearDown() override {
    aws_.end();
    gcp_.end();
  }
  FakeCluster& aws() { return aws_; }
  FakeCluster& gcp() { return gcp_; }

  template <class Pred>
  static bool eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    return FakeCluster::eventually(pred, timeout);
  }

 private:
  FakeCluster aws_, gcp_;
};

}  // namespace k4ds::kubernetes

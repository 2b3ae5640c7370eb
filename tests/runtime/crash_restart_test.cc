// The controller with the real local runtime: a workspace whose process keeps crashing is
// started again its environment's `restarts` times, with pauses, then stays failed with the
// reason; the log shows every run.
#include <gtest/gtest.h>

#include "controller/controller.h"
#include "runtime/runtime_test_support.h"
#include "store/sqlite/sqlite_store.h"

namespace k4ds::testing {
namespace {

class CrashRestartTest : public LocalRuntimeTest {};

TEST_F(CrashRestartTest, ACrashingWorkspaceIsRestartedThenStaysFailed) {
  auto opened = open_sqlite_store(data_dir_ + "/k4ds.db");
  ASSERT_TRUE(opened.ok()) << opened.status().to_string();
  std::unique_ptr<Store> store = std::move(opened.value());

  Environment env = python_environment({"-c", "print('boom'); raise SystemExit(3)"}, "crashy");
  env.restarts = 2;
  auto catalog = std::make_shared<Catalog>();
  catalog->environments = {env};
  catalog->sizes = {Size{.name = "tiny", .cpu_millis = 500, .memory_bytes = int64_t{256} << 20}};
  ids_.push_back("w-crash");
  ASSERT_TRUE(store->write([](Tx& tx) {
                       return tx.create_workspace(Workspace{.id = "w-crash", .owner = "rttest", .name = "crashy",
                                                            .environment = "crashy", .size = "tiny",
                                                            .volumes = {"vol-crash"}})
                           .status();
                     }).ok());

  Controller controller(*store, Services::system(), *runtime_,
                        [catalog] { return std::shared_ptr<const Catalog>(catalog); },
                        ControllerOptions{.observe_interval = std::chrono::milliseconds(100),
                                          .busy_interval = std::chrono::milliseconds(50),
                                          .backoff_base = std::chrono::milliseconds(200)});
  const auto started = std::chrono::steady_clock::now();
  controller.start();
  Workspace ws;
  for (auto deadline = started + std::chrono::seconds(30); std::chrono::steady_clock::now() < deadline;) {
    ws = *read_value(*store, [](Tx& tx) { return tx.get_workspace("w-crash"); });
    if (ws.phase == Phase::failed) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const auto took = std::chrono::steady_clock::now() - started;
  controller.stop();
  ASSERT_EQ(ws.phase, Phase::failed) << ws.reason;
  EXPECT_EQ(ws.reason, "exited with code 3; last output: boom (after 2 automatic restarts)");
  // Pauses of 200 ms then 400 ms between the three runs.
  EXPECT_GE(took, std::chrono::milliseconds(600));

  auto events = read_value(*store, [](Tx& tx) { return tx.list_events("w-crash", 0, 100); });
  ASSERT_TRUE(events.ok());
  std::string history;
  for (const auto& e : *events) history += e.message + "\n";
  EXPECT_NE(history.find("restarting it (1 of 2)"), std::string::npos) << history;
  EXPECT_NE(history.find("restarting it (2 of 2)"), std::string::npos) << history;
  EXPECT_EQ(history.find("(3 of 2)"), std::string::npos) << history;

  auto log = runtime_->tail_logs("w-crash", 64 * 1024);
  ASSERT_TRUE(log.ok()) << log.status().to_string();
  std::size_t runs = 0;
  for (auto at = log->find("boom"); at != std::string::npos; at = log->find("boom", at + 1)) ++runs;
  EXPECT_EQ(runs, 3u) << "one first run and two restarts:\n" << *log;
}

}  // namespace
}  // namespace k4ds::testing

namespace k4ds::testing {
namespace {

TEST(RuntimeWarningsTest, LimitsThatCannotBeEnforcedAreSaidWithEveryWorkspace) {
  LocalRuntime without(LocalRuntimeOptions{.data_dir = "/nonexistent-k4ds-test",
                                           .cgroups = Cgroups::disabled("no cgroup hierarchy is writable"),
                                           .user_accounts = false});
  ASSERT_EQ(without.warnings().size(), 1u);
  EXPECT_EQ(without.warnings()[0],
            "memory, CPU and process limits of the size are not enforced on this server (limits are "
            "NOT enforced: no cgroup hierarchy is writable)");
  LocalRuntime detected(LocalRuntimeOptions{.data_dir = "/nonexistent-k4ds-test", .user_accounts = false});
  if (Cgroups::detect().mode() != Cgroups::Mode::none) EXPECT_TRUE(detected.warnings().empty());
}

}  // namespace
}  // namespace k4ds::testing
